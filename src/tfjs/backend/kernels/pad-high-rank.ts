/**
 * A `PadV2` for WebGPU that also works above rank 4.
 *
 * @tensorflow/tfjs-backend-webgpu 4.22 generates an invalid shader for rank 5 and 6 (`PadProgram`
 * indexes its `vec5`/`vec6` coordinate structs, which WGSL does not allow). Dawn reports a
 * validation error on the console, the command buffer is dropped, and the op returns whatever the
 * output buffer held: a silently wrong result, not an exception. Rank-5/6 pads are how zeros are
 * inserted between taps or pixels here (`trainableDilatedConv2d`, `insertZerosBetweenPixels`).
 *
 * The replacement folds neighbouring unpadded axes together; when that leaves rank ≤ 4 it is one
 * shipped pad, otherwise every padded axis is padded in turn as the middle axis of a rank-3 view
 * `[outer, axis, inner]`. Ranks ≤ 4 go straight to the shipped kernel.
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs-core";

import type { Tensor, Tf } from "../types.js";
import { wrapKernelInput } from "./kernel-utils.js";

/** Kernel name in the tfjs registry. */
export const PAD_V2 = "PadV2";

/** The highest rank the shipped WebGPU pad handles. */
export const WEBGPU_PAD_MAX_RANK = 4;

type Paddings = ReadonlyArray<readonly [number, number]>;

const product = (values: readonly number[]): number => values.reduce((a, b) => a * b, 1);

/**
 * Merges runs of neighbouring unpadded axes: the same pad as a lower-rank one on a reshaped view.
 * Returns the merged shape and paddings (an axis of size 1 stays a separate axis when padded).
 */
export function foldUnpaddedAxes(
  shape: readonly number[],
  paddings: Paddings,
): { shape: number[]; paddings: Array<[number, number]> } {
  const outShape: number[] = [];
  const outPaddings: Array<[number, number]> = [];
  let previousUnpadded = false;
  shape.forEach((size, axis) => {
    const [before, after] = paddings[axis] ?? [0, 0];
    const unpadded = before === 0 && after === 0;
    if (unpadded && previousUnpadded) {
      outShape[outShape.length - 1] = (outShape[outShape.length - 1] as number) * size;
    } else {
      outShape.push(size);
      outPaddings.push([before, after]);
    }
    previousUnpadded = unpadded;
  });
  return { shape: outShape, paddings: outPaddings };
}

/**
 * `tf.pad(x, paddings, constantValue)` built from pads of rank ≤ `maxRank` (reshapes are free).
 * With `maxRank` ≥ 3 this handles any rank.
 */
export function padWithLowRankPads(
  tf: Tf,
  x: Tensor,
  paddings: Paddings,
  constantValue = 0,
  maxRank = WEBGPU_PAD_MAX_RANK,
): Tensor {
  if (x.rank <= maxRank) return tf.pad(x, paddings as Array<[number, number]>, constantValue);
  return tf.tidy(() => {
    const outShape = x.shape.map((size, axis) => size + (paddings[axis]?.[0] ?? 0) + (paddings[axis]?.[1] ?? 0));
    const folded = foldUnpaddedAxes(x.shape, paddings);
    if (folded.shape.length <= maxRank) {
      return tf.reshape(tf.pad(tf.reshape(x, folded.shape), folded.paddings, constantValue), outShape);
    }
    let y = x;
    const shape = [...x.shape];
    shape.forEach((size, axis) => {
      const [before, after] = paddings[axis] ?? [0, 0];
      if (before === 0 && after === 0) return;
      const view = [product(shape.slice(0, axis)), size, product(shape.slice(axis + 1))];
      const padded = tf.pad(
        tf.reshape(y, view),
        [
          [0, 0],
          [before, after],
          [0, 0],
        ],
        constantValue,
      );
      shape[axis] = size + before + after;
      y = tf.reshape(padded, shape);
    });
    return y;
  });
}

/**
 * Builds a `PadV2` kernel config for `backendName` that calls `shipped` (the backend's own PadV2)
 * up to rank `maxRank` and composes rank ≤ `maxRank` pads above it.
 */
export function padV2HighRankKernel(
  tf: Tf,
  backendName: string,
  shipped: KernelFunc,
  maxRank = WEBGPU_PAD_MAX_RANK,
): KernelConfig {
  return {
    kernelName: PAD_V2,
    backendName,
    kernelFunc: (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
      const x = args.inputs["x"];
      if (x === undefined) throw new Error("kernel input 'x' is missing");
      if (x.shape.length <= maxRank) return shipped(args as Parameters<KernelFunc>[0]);
      const a = args.attrs ?? {};
      const paddings = a["paddings"] as unknown as Paddings;
      if (!Array.isArray(paddings) || paddings.length !== x.shape.length) {
        throw new Error(
          `kernel attribute 'paddings' must have one [before, after] pair per axis (rank ${x.shape.length})`,
        );
      }
      const constantValue = typeof a["constantValue"] === "number" ? a["constantValue"] : 0;
      return tf.tidy(() =>
        padWithLowRankPads(tf, wrapKernelInput(tf, args.backend, x, "x"), paddings, constantValue, maxRank),
      ) as TensorInfo;
    },
  };
}

/** Kernel functions built by `replaceShippedPadV2`, so a second call recognises them and leaves them alone. */
const OURS = new WeakSet<object>();

/**
 * Replaces `backendName`'s shipped `PadV2` with `padV2HighRankKernel` around it (webgl and webgpu
 * are wrong or fail above rank 4). Idempotent: "kept" when ours is already there; "absent" when
 * the backend has no `PadV2`. PadV2 has no setup/dispose hooks to lose by unregistering.
 */
export function replaceShippedPadV2(tf: Tf, backendName: string): "replaced" | "kept" | "absent" {
  const current = tf.getKernel(PAD_V2, backendName);
  if (current === undefined) return "absent";
  if (OURS.has(current.kernelFunc)) return "kept";
  const config = padV2HighRankKernel(tf, backendName, current.kernelFunc);
  tf.unregisterKernel(PAD_V2, backendName);
  OURS.add(config.kernelFunc);
  tf.registerKernel(config);
  return "replaced";
}
