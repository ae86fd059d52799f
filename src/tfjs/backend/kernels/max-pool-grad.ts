/**
 * A correct `MaxPoolGrad` for wasm.
 *
 * The kernel shipped with @tensorflow/tfjs-backend-wasm 4.22 returns wrong gradients (it fails
 * the identity <x, dx> = <y, dy>, which any max-pool gradient satisfies, by ~20% even for
 * 2x2/stride-2/valid pooling; see test/tfjs/backend/kernels.test.ts), so it is replaced.
 *
 * Composed from the backend's ops: for each of the fh·fw window offsets, the strided view of the
 * (−∞-padded) input is compared with the pooled output; the first offset in row-major order that
 * attains the maximum receives dy (the cpu backend's and TensorFlow's tie rule), and the masked dy
 * is spread back to input resolution with zero-stuffing and shifting.
 */
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap } from "@tensorflow/tfjs-core";

import type { Tensor, Tensor4D, Tf } from "../types.js";
import { insertZerosBetweenPixels, padOrCropSpatial, pairOf, roundingOf, wrapKernelInput } from "./kernel-utils.js";

/** Kernel name in the tfjs registry. */
export const MAX_POOL_GRAD = "MaxPoolGrad";

/** The max-pool input gradient for NHWC tensors; `output` is the forward result for `input`. */
export function maxPoolInputGrad(
  tf: Tf,
  dy: Tensor4D,
  input: Tensor4D,
  output: Tensor4D,
  filterSize: [number, number],
  strides: [number, number],
  pad: "same" | "valid" | number,
  dimRoundingMode: "floor" | "round" | "ceil" | undefined,
): Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computePool2DInfo(input.shape, filterSize, strides, 1, pad, dimRoundingMode);
    const [batch, inH, inW, channels] = input.shape;
    const { outHeight: outH, outWidth: outW, padInfo } = info;
    const [filterH, filterW] = filterSize;
    const [strideH, strideW] = strides;
    // Frame the input so every window lies inside it: -inf never wins a max.
    const spanH = (outH - 1) * strideH + filterH;
    const spanW = (outW - 1) * strideW + filterW;
    const framed = tf.pad(
      padOrCropSpatial(
        tf,
        input,
        0,
        Math.min(0, spanH - padInfo.top - inH),
        0,
        Math.min(0, spanW - padInfo.left - inW),
      ),
      [
        [0, 0],
        [padInfo.top, Math.max(0, spanH - padInfo.top - inH)],
        [padInfo.left, Math.max(0, spanW - padInfo.left - inW)],
        [0, 0],
      ],
      -Infinity,
    );
    let claimed: Tensor = tf.cast(tf.zerosLike(output), "bool");
    let dxFramed: Tensor = tf.zeros([batch, spanH, spanW, channels]);
    const zeros = tf.zerosLike(dy);
    for (let i = 0; i < filterH; i++) {
      for (let j = 0; j < filterW; j++) {
        const view = tf.stridedSlice(
          framed,
          [0, i, j, 0],
          [batch, i + (outH - 1) * strideH + 1, j + (outW - 1) * strideW + 1, channels],
          [1, strideH, strideW, 1],
        );
        const wins = tf.logicalAnd(tf.equal(view, output), tf.logicalNot(claimed));
        claimed = tf.logicalOr(claimed, wins);
        const routed = insertZerosBetweenPixels(tf, tf.where(wins, dy, zeros), strideH, strideW);
        const [, routedH, routedW] = routed.shape as [number, number, number, number];
        dxFramed = tf.add(dxFramed, padOrCropSpatial(tf, routed, i, spanH - i - routedH, j, spanW - j - routedW));
      }
    }
    // Drop the framing: rows/cols [padTop, padTop + inH) hold the input; rows the windows never reached stay zero.
    return padOrCropSpatial(
      tf,
      dxFramed,
      -padInfo.top,
      inH + padInfo.top - spanH,
      -padInfo.left,
      inW + padInfo.left - spanW,
    ) as Tensor4D;
  });
}

function poolPadOf(value: unknown): "same" | "valid" | number {
  if (value === "same" || value === "valid" || typeof value === "number") return value;
  throw new Error(`MaxPoolGrad: unsupported pad ${JSON.stringify(value)}`);
}

/** Builds the `MaxPoolGrad` kernel config for `backendName`. */
export function maxPoolGradKernel(tf: Tf, backendName: string): KernelConfig {
  return {
    kernelName: MAX_POOL_GRAD,
    backendName,
    kernelFunc: ({
      inputs,
      backend,
      attrs,
    }: {
      inputs: NamedTensorInfoMap;
      backend: unknown;
      attrs?: NamedAttrMap;
    }) => {
      const a = attrs ?? {};
      const filterSize = pairOf(a["filterSize"], "filterSize");
      const strides = pairOf(a["strides"], "strides");
      const pad = poolPadOf(a["pad"]);
      return tf.tidy(() =>
        maxPoolInputGrad(
          tf,
          wrapKernelInput(tf, backend, inputs["dy"], "dy") as Tensor4D,
          wrapKernelInput(tf, backend, inputs["input"], "input") as Tensor4D,
          wrapKernelInput(tf, backend, inputs["output"], "output") as Tensor4D,
          filterSize,
          strides,
          pad,
          roundingOf(a["dimRoundingMode"]),
        ),
      );
    },
  };
}
