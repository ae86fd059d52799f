import type * as tfCore from "@tensorflow/tfjs-core";
import type { Tf } from "../../tfjs/index.js";
import type { DenseParams, ParameterFactory } from "./params.js";
import { dense, denseParameterCount } from "./params.js";

/**
 * Global context (the spec option `globalContext: true`): what a network of small receptive
 * field cannot see from a pixel's neighbourhood: how dark the whole image is (low light), how
 * strong the veil is (haze), how noisy it is. Two parts, each the identity when created, so a
 * trained model gains them without changing what it outputs and can be fine-tuned from its
 * checkpoint (`initFrom`):
 *
 * - **A tone curve on the input**, per image and channel: `x' = x + (c^p - c)`, `c = max(x, ε)`,
 *   `p = exp(MLP(statistics of x, task prompt row))` (mean, mean of log, standard deviation per
 *   channel). The network then restores `x'` and adds its residual to `x'`. Low light as the kit
 *   makes it (`I = J^γ`) is undone by `p = 1/γ`, which no fixed curve and no local filter can
 *   know; `x' = x` where `p = 1` (values below ε move by at most ε).
 * - **FiLM from the image itself** after every stage: `f (1 + S) + B`, `[S, B] = W mean(f) + b`,
 *   the mean over the image of the stage's features (squeeze-and-excitation with a shift).
 *
 * The statistics are taken over what the forward pass sees. To restore a large image by tiles
 * with one context for all of them, a forward pass can record its context (`ContextPin.record`)
 * on a sample of the whole image and the tiles' passes use it (`ContextPin.use`); see
 * `RestorationModel.pinContext` and `restoreImage`.
 */

/** Hidden units of the tone curve's MLP. */
export const CURVE_HIDDEN_UNITS = 16;
/** Input statistics per channel: mean, mean of log, standard deviation. */
const STATISTICS_PER_CHANNEL = 3;
/** Samples are floored here before the log (undefined at 0); those below it move by at most this much. */
const CURVE_FLOOR = 1e-4;

/** What a forward pass measured: the tone curve's exponents [B, 3] and each stage's feature means [B, C]. */
export interface GlobalContextValues {
  readonly exponent: tfCore.Tensor2D;
  readonly pooled: readonly tfCore.Tensor2D[];
}

/**
 * How a forward pass gets its global context: measured from its own input (no pin), measured and
 * also recorded into `record` (its tensors are the caller's to keep or dispose), or taken from
 * `use` (values of batch 1 apply to every sample).
 */
export type ContextPin = { readonly use: GlobalContextValues } | { readonly record: { exponent?: tfCore.Tensor2D; pooled: tfCore.Tensor2D[] } };

/** The global-context layers of a model with `stages` FiLM stages of `width` channels each. */
export interface GlobalContextParams {
  readonly curve: { readonly hidden: DenseParams; readonly exponent: DenseParams };
  readonly films: readonly DenseParams[];
}

/**
 * Creates the layers (named `context/...`; the last layer of each part zero-initialised, so
 * both start as the identity). `promptRows` > 0 gives the curve the task prompt's row as input.
 */
export const globalContextParams = (factory: ParameterFactory, width: number, stages: number, promptRows = 0): GlobalContextParams => ({
  curve: {
    hidden: factory.dense("context/curve/hidden", 3 * STATISTICS_PER_CHANNEL + promptRows, CURVE_HIDDEN_UNITS),
    exponent: factory.dense("context/curve/exponent", CURVE_HIDDEN_UNITS, 3, "zero"),
  },
  films: Array.from({ length: stages }, (_, i) => factory.dense(`context/film${i}`, width, 2 * width, "zero")),
});

/** The parameter count of `globalContextParams(factory, width, stages, promptRows)`. */
export const globalContextParameterCount = (width: number, stages: number, promptRows = 0): number =>
  denseParameterCount(3 * STATISTICS_PER_CHANNEL + promptRows, CURVE_HIDDEN_UNITS) +
  denseParameterCount(CURVE_HIDDEN_UNITS, 3) +
  stages * denseParameterCount(width, 2 * width);

/** The tone curve applied to the input [B,H,W,3]; `selector` ([B, rows] one-hot) when the model is task-prompted. */
export const toneCurve = (tf: Tf, params: GlobalContextParams, input: tfCore.Tensor4D, selector?: tfCore.Tensor2D, pin?: ContextPin): tfCore.Tensor4D => {
  const floor = tf.maximum(input, CURVE_FLOOR);
  const logs = tf.log(floor) as tfCore.Tensor4D;
  const exponent = pin !== undefined && "use" in pin ? pin.use.exponent : curveExponent(tf, params, input, logs, selector);
  if (pin !== undefined && "record" in pin) pin.record.exponent = exponent;
  const curved = tf.exp(tf.mul(logs, tf.reshape(exponent, [exponent.shape[0], 1, 1, 3])));
  return tf.add(input, tf.sub(curved, floor));
};

/** The curve's exponents [B, 3] from the input's statistics (and the prompt row): 1 at creation. */
const curveExponent = (tf: Tf, params: GlobalContextParams, input: tfCore.Tensor4D, logs: tfCore.Tensor4D, selector?: tfCore.Tensor2D): tfCore.Tensor2D => {
  const { mean, variance } = tf.moments(input, [1, 2]);
  const statistics = tf.concat([mean, tf.mean(logs, [1, 2]), tf.sqrt(tf.add(variance, 1e-8))], 1) as tfCore.Tensor2D;
  const features = selector === undefined ? statistics : (tf.concat([statistics, selector], 1) as tfCore.Tensor2D);
  const hidden = tf.leakyRelu(dense(tf, features, params.curve.hidden), 0.1);
  return tf.exp(dense(tf, hidden, params.curve.exponent));
};

/** Stage `stage`'s image-conditioned FiLM of `features` [B,H,W,C]. */
export const contextFilm = (tf: Tf, params: GlobalContextParams, stage: number, features: tfCore.Tensor4D, pin?: ContextPin): tfCore.Tensor4D => {
  const channels = features.shape[3];
  const film = params.films[stage] as DenseParams;
  const pooled = pin !== undefined && "use" in pin ? (pin.use.pooled[stage] as tfCore.Tensor2D) : (tf.mean(features, [1, 2]) as tfCore.Tensor2D);
  if (pin !== undefined && "record" in pin) pin.record.pooled[stage] = pooled;
  const [scale, shift] = tf.split(dense(tf, pooled, film), 2, 1) as [tfCore.Tensor2D, tfCore.Tensor2D];
  const batch = pooled.shape[0];
  return tf.add(tf.add(features, tf.mul(features, tf.reshape(scale, [batch, 1, 1, channels]))), tf.reshape(shift, [batch, 1, 1, channels]));
};
