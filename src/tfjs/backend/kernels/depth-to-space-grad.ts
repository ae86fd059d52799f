/**
 * The gradient of `DepthToSpace`, which tfjs-core does not ship for any backend (so sub-pixel
 * upsampling, the usual restoration up-sampler, cannot train anywhere without it).
 *
 * DepthToSpace is a pure permutation of elements, so its gradient is the inverse permutation
 * (space-to-depth), written with reshape + transpose to run on every backend.
 */
import type { GradConfig, NamedAttrMap } from "@tensorflow/tfjs-core";

import type { Tensor, Tf } from "../types.js";

/** Kernel name in the tfjs registry. */
export const DEPTH_TO_SPACE = "DepthToSpace";

/** Space-to-depth (the inverse of `tf.depthToSpace`) for NHWC or NCHW tensors. */
export function spaceToDepth(tf: Tf, y: Tensor, blockSize: number, dataFormat: "NHWC" | "NCHW" = "NHWC"): Tensor {
  return tf.tidy(() => {
    const b = blockSize;
    if (dataFormat === "NHWC") {
      const [n, hb, wb, c] = y.shape as [number, number, number, number];
      const blocks = tf.reshape(y, [n, hb / b, b, wb / b, b, c]);
      return tf.reshape(tf.transpose(blocks, [0, 1, 3, 2, 4, 5]), [n, hb / b, wb / b, b * b * c]);
    }
    const [n, c, hb, wb] = y.shape as [number, number, number, number];
    const blocks = tf.reshape(y, [n, c, hb / b, b, wb / b, b]);
    return tf.reshape(tf.transpose(blocks, [0, 3, 5, 1, 2, 4]), [n, b * b * c, hb / b, wb / b]);
  });
}

/** The gradient config for `DepthToSpace`. */
export function depthToSpaceGradConfig(tf: Tf): GradConfig {
  return {
    kernelName: DEPTH_TO_SPACE,
    gradFunc: (dy: Tensor | Tensor[], _saved: Tensor[], attrs: NamedAttrMap) => {
      const blockSize = attrs["blockSize"];
      if (typeof blockSize !== "number")
        throw new Error("DepthToSpace gradient: attribute 'blockSize' must be a number");
      const dataFormat = attrs["dataFormat"] === "NCHW" ? "NCHW" : "NHWC";
      const grad = Array.isArray(dy) ? dy[0] : dy;
      if (grad === undefined) throw new Error("DepthToSpace gradient: no upstream gradient");
      return { x: () => spaceToDepth(tf, grad, blockSize, dataFormat) };
    },
  };
}
