/**
 * A dilated conv2d that can be trained.
 *
 * tfjs-core's conv2d gradient refuses dilation > 1 on every backend ("dilation rates greater
 * than 1 are not yet supported in gradients"). Dilating the *filter* instead (inserting zeros
 * between its taps with differentiable reshape/pad/slice ops) gives the same forward result with
 * an ordinary dilation-1 conv, whose gradient exists; the zero taps get no gradient because the
 * pad/slice gradients drop them. It costs ((k−1)·d+1)² instead of k² multiply-adds per output.
 */
import type { ConvPadding, Tensor4D, Tf } from "./types.js";

/** Spreads a [KH,KW,Ci,Co] filter to [(KH−1)·dH+1, (KW−1)·dW+1, Ci, Co] with zeros between taps. */
export function dilateFilter(tf: Tf, filter: Tensor4D, dilationH: number, dilationW: number): Tensor4D {
  if (dilationH === 1 && dilationW === 1) return filter;
  return tf.tidy(() => {
    const [kh, kw, ci, co] = filter.shape;
    const spread = tf.pad(tf.reshape(filter, [kh, 1, kw, 1, ci * co]), [
      [0, 0],
      [0, dilationH - 1],
      [0, 0],
      [0, dilationW - 1],
      [0, 0],
    ]);
    const flat = tf.reshape(spread, [kh * dilationH, kw * dilationW, ci, co]);
    return tf.slice(flat, [0, 0, 0, 0], [(kh - 1) * dilationH + 1, (kw - 1) * dilationW + 1, ci, co]) as Tensor4D;
  });
}

/**
 * `tf.conv2d` for NHWC input that also trains when `dilations` > 1 (see module note).
 * Same arguments as `tf.conv2d` minus the data format.
 */
export function trainableDilatedConv2d(
  tf: Tf,
  x: Tensor4D,
  filter: Tensor4D,
  strides: number | [number, number],
  pad: ConvPadding,
  dilations: number | [number, number] = 1,
): Tensor4D {
  const [dh, dw] = typeof dilations === "number" ? [dilations, dilations] : dilations;
  if (dh === 1 && dw === 1) return tf.conv2d(x, filter, strides, pad);
  return tf.tidy(() => tf.conv2d(x, dilateFilter(tf, filter, dh, dw), strides, pad));
}
