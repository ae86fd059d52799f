/**
 * `Conv2DBackpropFilter` for backends that only have the forward convolution (wasm).
 *
 * The filter gradient is itself a correlation: dW[i,j,ci,co] = Σ_{n,oh,ow} x[n, oh·s+i−pad, ow·s+j−pad, ci] · dy[n,oh,ow,co].
 * Swapping the roles of the axes turns it into one ordinary conv2d on the backend's fast path:
 * the input channels become the batch, the batch becomes the channels being reduced, dy becomes
 * the filter, and the forward stride becomes the dilation of that filter.
 */
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap } from "@tensorflow/tfjs-core";

import type { Tensor4D, Tf } from "../types.js";
import { padOf, padOrCropSpatial, pairOf, roundingOf, shape4Of, wrapKernelInput } from "./kernel-utils.js";

/** Kernel name in the tfjs registry. */
export const CONV2D_BACKPROP_FILTER = "Conv2DBackpropFilter";

/**
 * The filter gradient of an NHWC conv2d (dilation 1, which is all tfjs' conv2d gradient allows),
 * composed from transpose + conv2d. `x` is [N,H,W,Ci], `dy` is [N,OH,OW,Co]; returns [KH,KW,Ci,Co].
 */
export function conv2dFilterGradNhwc(
  tf: Tf,
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number],
  pad: Parameters<Tf["conv2d"]>[3],
  dimRoundingMode: "floor" | "round" | "ceil" | undefined,
): Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computeConv2DInfo(
      x.shape,
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      "channelsLast",
    );
    const [, inH, inW] = x.shape;
    const [, outH, outW] = dy.shape;
    const [kernelH, kernelW] = filterShape;
    const [strideH, strideW] = strides;
    // The input rows the forward pass actually touched span (outH-1)*strideH + kernelH rows from -padTop.
    const padTop = info.padInfo.top;
    const padLeft = info.padInfo.left;
    const padBottom = (outH - 1) * strideH + kernelH - padTop - inH;
    const padRight = (outW - 1) * strideW + kernelW - padLeft - inW;
    const channelsAsBatch = tf.transpose(x, [3, 1, 2, 0]); // [Ci,H,W,N]
    const framed = padOrCropSpatial(tf, channelsAsBatch, padTop, padBottom, padLeft, padRight) as Tensor4D;
    const dyAsFilter = tf.transpose(dy, [1, 2, 0, 3]) as Tensor4D; // [OH,OW,N,Co]
    const grad = tf.conv2d(framed, dyAsFilter, 1, "valid", "NHWC", [strideH, strideW]); // [Ci,KH,KW,Co]
    return tf.transpose(grad, [1, 2, 0, 3]);
  });
}

/** Builds the kernel config for `backendName` (normally "wasm") using the injected namespace. */
export function conv2dBackpropFilterKernel(tf: Tf, backendName: string): KernelConfig {
  return {
    kernelName: CONV2D_BACKPROP_FILTER,
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
      const filterShape = shape4Of(a["filterShape"], "filterShape");
      const strides = pairOf(a["strides"], "strides");
      const pad = padOf(a["pad"]);
      const rounding = roundingOf(a["dimRoundingMode"]);
      const channelsFirst = a["dataFormat"] === "NCHW";
      return tf.tidy(() => {
        let x = wrapKernelInput(tf, backend, inputs["x"], "x") as Tensor4D;
        let dy = wrapKernelInput(tf, backend, inputs["dy"], "dy") as Tensor4D;
        let nhwcPad = pad;
        if (channelsFirst) {
          // Only the NHWC layout is composed; NCHW is transposed in and the padding reordered.
          x = tf.transpose(x, [0, 2, 3, 1]);
          dy = tf.transpose(dy, [0, 2, 3, 1]);
          if (Array.isArray(pad)) nhwcPad = [pad[0], pad[2], pad[3], pad[1]];
        }
        return conv2dFilterGradNhwc(tf, x, dy, filterShape, strides, nhwcPad, rounding);
      });
    },
  };
}
