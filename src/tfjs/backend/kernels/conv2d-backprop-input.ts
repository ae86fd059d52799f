/**
 * A faster `Conv2DBackpropInput` (the input gradient of conv2d, and the forward pass of
 * `conv2dTranspose`) for wasm.
 *
 * The kernel shipped with @tensorflow/tfjs-backend-wasm 4.22 is a plain loop outside XNNPACK and
 * costs ~8x a forward conv of the same size (measured in docs/backends.md), which made it the
 * biggest item of a training step. The input gradient is a "full" correlation of the zero-stuffed
 * dy with the spatially flipped, in/out-swapped filter, i.e. one ordinary conv2d on XNNPACK.
 */
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap } from "@tensorflow/tfjs-core";

import type { ConvPadding, Tensor4D, Tf } from "../types.js";
import {
  insertZerosBetweenPixels,
  padOf,
  padOrCropSpatial,
  pairOf,
  roundingOf,
  shape4Of,
  wrapKernelInput,
} from "./kernel-utils.js";

/** Kernel name in the tfjs registry. */
export const CONV2D_BACKPROP_INPUT = "Conv2DBackpropInput";

/**
 * The input gradient of an NHWC conv2d (dilation 1). `dy` is [N,OH,OW,Co], `filter` is
 * [KH,KW,Ci,Co]; returns [N,H,W,Ci] for `inputShape`.
 */
export function conv2dInputGradNhwc(
  tf: Tf,
  dy: Tensor4D,
  filter: Tensor4D,
  inputShape: [number, number, number, number],
  strides: [number, number],
  pad: ConvPadding,
  dimRoundingMode: "floor" | "round" | "ceil" | undefined,
): Tensor4D {
  return tf.tidy(() => {
    const [kernelH, kernelW] = filter.shape;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      "channelsLast",
    );
    const [, inH, inW] = inputShape;
    const stuffed = insertZerosBetweenPixels(tf, dy, strides[0], strides[1]);
    const [, stuffedH, stuffedW] = stuffed.shape as number[] as [number, number, number, number];
    const top = kernelH - 1 - info.padInfo.top;
    const left = kernelW - 1 - info.padInfo.left;
    // Frame the stuffed gradient so a valid correlation yields exactly inH x inW outputs.
    const framed = padOrCropSpatial(
      tf,
      stuffed,
      top,
      inH + kernelH - 1 - top - stuffedH,
      left,
      inW + kernelW - 1 - left - stuffedW,
    );
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as Tensor4D; // [KH,KW,Co,Ci]
    return tf.conv2d(framed as Tensor4D, flipped, 1, "valid");
  });
}

/** Builds the `Conv2DBackpropInput` kernel config for `backendName`. */
export function conv2dBackpropInputKernel(tf: Tf, backendName: string): KernelConfig {
  return {
    kernelName: CONV2D_BACKPROP_INPUT,
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
      const inputShape = shape4Of(a["inputShape"], "inputShape");
      const strides = pairOf(a["strides"], "strides");
      const pad = padOf(a["pad"]);
      const rounding = roundingOf(a["dimRoundingMode"]);
      const channelsFirst = a["dataFormat"] === "NCHW";
      return tf.tidy(() => {
        let dy = wrapKernelInput(tf, backend, inputs["dy"], "dy") as Tensor4D;
        const filter = wrapKernelInput(tf, backend, inputs["filter"], "filter") as Tensor4D;
        if (!channelsFirst) return conv2dInputGradNhwc(tf, dy, filter, inputShape, strides, pad, rounding);
        // NCHW: compute in NHWC and transpose back; explicit padding is reordered to NHWC.
        dy = tf.transpose(dy, [0, 2, 3, 1]);
        const [n, c, h, w] = inputShape;
        const nhwcPad: ConvPadding = Array.isArray(pad) ? [pad[0], pad[2], pad[3], pad[1]] : pad;
        return tf.transpose(
          conv2dInputGradNhwc(tf, dy, filter, [n, h, w, c], strides, nhwcPad, rounding),
          [0, 3, 1, 2],
        );
      });
    },
  };
}
