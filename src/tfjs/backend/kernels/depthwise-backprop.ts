/**
 * The two gradient kernels of `depthwiseConv2d` for backends that only have the forward
 * depthwise convolution (wasm). Both are composed from reshape/transpose/pad and the backend's
 * own `DepthwiseConv2dNative`, so they run on its fast path.
 */
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap } from "@tensorflow/tfjs-core";

import type { ConvPadding, Tensor, Tensor4D, Tf } from "../types.js";
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
export const DEPTHWISE_BACKPROP_INPUT = "DepthwiseConv2dNativeBackpropInput";
/** Kernel name in the tfjs registry. */
export const DEPTHWISE_BACKPROP_FILTER = "DepthwiseConv2dNativeBackpropFilter";

type Rounding = "floor" | "round" | "ceil" | undefined;

/**
 * Input gradient of an NHWC depthwise conv: a "full" correlation of the zero-stuffed `dy`
 * with the spatially flipped filter, then the channel multiplier summed out.
 * `dy` is [N,OH,OW,C·M], `filter` is [KH,KW,C,M]; returns [N,H,W,C] for `inputShape`.
 */
export function depthwiseInputGrad(
  tf: Tf,
  dy: Tensor4D,
  filter: Tensor4D,
  inputShape: [number, number, number, number],
  strides: [number, number],
  dilations: [number, number],
  pad: ConvPadding,
  dimRoundingMode: Rounding,
): Tensor4D {
  return tf.tidy(() => {
    const [kernelH, kernelW, channels, multiplier] = filter.shape;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape,
      strides,
      dilations,
      pad,
      dimRoundingMode,
      true,
      "channelsLast",
    );
    const [batch, inH, inW] = inputShape;
    const stuffed = insertZerosBetweenPixels(tf, dy, strides[0], strides[1]);
    const [, stuffedH, stuffedW] = stuffed.shape as number[] as [number, number, number, number];
    const reachH = (kernelH - 1) * dilations[0];
    const reachW = (kernelW - 1) * dilations[1];
    const top = reachH - info.padInfo.top;
    const left = reachW - info.padInfo.left;
    // Frame the stuffed gradient so a valid correlation yields exactly inH x inW outputs.
    const framed = padOrCropSpatial(
      tf,
      stuffed,
      top,
      inH + reachH - top - stuffedH,
      left,
      inW + reachW - left - stuffedW,
    );
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kernelH, kernelW, channels * multiplier, 1]) as Tensor4D;
    const perMultiplier = tf.depthwiseConv2d(framed as Tensor4D, flipped, 1, "valid", "NHWC", dilations);
    return tf.sum(tf.reshape(perMultiplier, [batch, inH, inW, channels, multiplier]), 4) as Tensor4D;
  });
}

/**
 * Filter gradient of an NHWC depthwise conv. The batch must be summed out, which a depthwise
 * conv cannot do, so batch and channels are folded together (N·C channels, batch 1), `dy`
 * becomes a per-channel filter, and the batch is summed afterwards. The forward stride becomes
 * the dilation and the forward dilation the stride (tfjs guarantees one of them is 1).
 */
export function depthwiseFilterGrad(
  tf: Tf,
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number],
  dilations: [number, number],
  pad: ConvPadding,
  dimRoundingMode: Rounding,
): Tensor4D {
  return tf.tidy(() => {
    const [batch, inH, inW, channels] = x.shape;
    const [kernelH, kernelW, , multiplier] = filterShape;
    const [, outH, outW] = dy.shape;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape,
      filterShape,
      strides,
      dilations,
      pad,
      dimRoundingMode,
      true,
      "channelsLast",
    );
    const spanH = (kernelH - 1) * dilations[0] + (outH - 1) * strides[0] + 1;
    const spanW = (kernelW - 1) * dilations[1] + (outW - 1) * strides[1] + 1;
    const padTop = info.padInfo.top;
    const padLeft = info.padInfo.left;
    const folded = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, inH, inW, batch * channels]);
    const framed = padOrCropSpatial(
      tf,
      folded,
      padTop,
      spanH - padTop - inH,
      padLeft,
      spanW - padLeft - inW,
    ) as Tensor4D;
    const dyAsFilter = tf.reshape(
      tf.transpose(tf.reshape(dy, [batch, outH, outW, channels, multiplier]), [1, 2, 0, 3, 4]),
      [outH, outW, batch * channels, multiplier],
    ) as Tensor4D;
    const perSample = tf.depthwiseConv2d(framed, dyAsFilter, dilations, "valid", "NHWC", strides);
    return tf.sum(tf.reshape(perSample, [kernelH, kernelW, batch, channels, multiplier]), 2) as Tensor4D;
  });
}

function readDepthwiseAttrs(attrs: NamedAttrMap | undefined): {
  strides: [number, number];
  dilations: [number, number];
  pad: ConvPadding;
  rounding: Rounding;
} {
  const a = attrs ?? {};
  return {
    strides: pairOf(a["strides"], "strides"),
    dilations: pairOf(a["dilations"], "dilations"),
    pad: padOf(a["pad"]),
    rounding: roundingOf(a["dimRoundingMode"]),
  };
}

/** Builds the `DepthwiseConv2dNativeBackpropInput` kernel config for `backendName`. */
export function depthwiseBackpropInputKernel(tf: Tf, backendName: string): KernelConfig {
  return {
    kernelName: DEPTHWISE_BACKPROP_INPUT,
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
      const { strides, dilations, pad, rounding } = readDepthwiseAttrs(attrs);
      const inputShape = shape4Of(attrs?.["inputShape"], "inputShape");
      return tf.tidy((): Tensor => {
        const dy = wrapKernelInput(tf, backend, inputs["dy"], "dy") as Tensor4D;
        const filter = wrapKernelInput(tf, backend, inputs["filter"], "filter") as Tensor4D;
        return depthwiseInputGrad(tf, dy, filter, inputShape, strides, dilations, pad, rounding);
      });
    },
  };
}

/** Builds the `DepthwiseConv2dNativeBackpropFilter` kernel config for `backendName`. */
export function depthwiseBackpropFilterKernel(tf: Tf, backendName: string): KernelConfig {
  return {
    kernelName: DEPTHWISE_BACKPROP_FILTER,
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
      const { strides, dilations, pad, rounding } = readDepthwiseAttrs(attrs);
      const filterShape = shape4Of(attrs?.["filterShape"], "filterShape");
      return tf.tidy((): Tensor => {
        const x = wrapKernelInput(tf, backend, inputs["x"], "x") as Tensor4D;
        const dy = wrapKernelInput(tf, backend, inputs["dy"], "dy") as Tensor4D;
        return depthwiseFilterGrad(tf, x, dy, filterShape, strides, dilations, pad, rounding);
      });
    },
  };
}
