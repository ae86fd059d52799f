/**
 * `UnsortedSegmentSum` for backends without it (wasm). It is what the gradient of `tf.gather`
 * runs, so without it any model that gathers (embeddings, per-task lookups) cannot train.
 *
 * Composed as a one-hot matrix product: out[s] = Σ_k [ids[k] == s] · x[k]. Out-of-range ids
 * (negative or ≥ numSegments) get an all-zero one-hot row, so they are dropped, as in TensorFlow.
 * The cost is O(K·S·R) rather than O(K·R), which is fine for the segment counts of
 * loss bookkeeping and small embeddings; int32 data goes through float32 (exact below 2^24).
 */
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap } from "@tensorflow/tfjs-core";

import type { Tensor, Tf } from "../types.js";
import { wrapKernelInput } from "./kernel-utils.js";

/** Kernel name in the tfjs registry. */
export const UNSORTED_SEGMENT_SUM = "UnsortedSegmentSum";

/** Sums the leading-axes slices of `x` into `numSegments` buckets selected by `segmentIds` (int32). */
export function unsortedSegmentSumByOneHot(tf: Tf, x: Tensor, segmentIds: Tensor, numSegments: number): Tensor {
  return tf.tidy(() => {
    const idsRank = segmentIds.rank;
    const sliceShape = x.shape.slice(idsRank);
    const count = segmentIds.size;
    const sliceSize = sliceShape.reduce((a, b) => a * b, 1);
    const rows = tf.reshape(x.dtype === "float32" ? x : tf.cast(x, "float32"), [count, sliceSize]);
    const oneHot = tf.cast(tf.oneHot(tf.reshape(tf.cast(segmentIds, "int32"), [count]), numSegments), "float32");
    const summed = tf.reshape(tf.matMul(oneHot, rows, true, false), [numSegments, ...sliceShape]);
    return x.dtype === "float32" ? summed : tf.cast(tf.round(summed), x.dtype);
  });
}

/** Builds the `UnsortedSegmentSum` kernel config for `backendName`. */
export function unsortedSegmentSumKernel(tf: Tf, backendName: string): KernelConfig {
  return {
    kernelName: UNSORTED_SEGMENT_SUM,
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
      const numSegments = attrs?.["numSegments"];
      if (typeof numSegments !== "number")
        throw new Error("UnsortedSegmentSum: attribute 'numSegments' must be a number");
      return tf.tidy(() => {
        const x = wrapKernelInput(tf, backend, inputs["x"], "x");
        const ids = wrapKernelInput(tf, backend, inputs["segmentIds"], "segmentIds");
        return unsortedSegmentSumByOneHot(tf, x, ids, numSegments);
      });
    },
  };
}
