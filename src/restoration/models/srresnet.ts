import type * as tfCore from "@tensorflow/tfjs-core";
import type { Tf } from "../../tfjs/index.js";
import type { ConvParams, ParameterFactory } from "./params.js";
import { conv, convParameterCount } from "./params.js";

/**
 * SRResNet as MiOIR uses it for all-in-one restoration (BasicSR's MSRResNet without upsampling):
 * conv 3→w + LeakyReLU(0.1); `blocks` residual blocks x + conv(ReLU(conv(x))) (no batch norm);
 * conv w→w + LeakyReLU(0.1); conv w→3; output = input + that residual.
 */

/** SRResNet's layers. */
export interface SrResNetParams {
  readonly head: ConvParams;
  readonly blocks: ReadonlyArray<readonly [ConvParams, ConvParams]>;
  readonly tail: ConvParams;
  readonly last: ConvParams;
}

/** Creates SRResNet's variables (the last conv zero-initialised, so the model starts as the identity). */
export const srResNetParams = (factory: ParameterFactory, width: number, blocks: number): SrResNetParams => ({
  head: factory.conv("head", 3, 3, width),
  blocks: Array.from({ length: blocks }, (_, i) => [factory.conv(`block${i}/conv1`, 3, width, width), factory.conv(`block${i}/conv2`, 3, width, width)] as const),
  tail: factory.conv("tail", 3, width, width),
  last: factory.conv("last", 3, width, 3, "zero"),
});

/** SRResNet's forward pass: [B,H,W,3] → [B,H,W,3]. */
export const srResNetForward = (tf: Tf, params: SrResNetParams, input: tfCore.Tensor4D): tfCore.Tensor4D => {
  let features = tf.leakyRelu(conv(tf, input, params.head), 0.1);
  for (const [first, second] of params.blocks) {
    features = tf.add(features, conv(tf, tf.relu(conv(tf, features, first)), second));
  }
  const residual = conv(tf, tf.leakyRelu(conv(tf, features, params.tail), 0.1), params.last);
  return tf.add(input, residual);
};

/** SRResNet's parameter count: head + 2 convs per block + tail + last. */
export const srResNetParameterCount = (width: number, blocks: number): number =>
  convParameterCount(3, 3, width) + blocks * 2 * convParameterCount(3, width, width) + convParameterCount(3, width, width) + convParameterCount(3, width, 3);

/** Multiply-accumulates of one forward pass per output pixel (all convs are stride 1, same size). */
export const srResNetMacsPerPixel = (width: number, blocks: number): number =>
  9 * (3 * width + blocks * 2 * width * width + width * width + width * 3);
