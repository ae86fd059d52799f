import * as t from "io-ts";

import { Finite, NonNegativeInt } from "../core/codecs.js";

/**
 * A per-parameter Adam optimizer over plain numbers, for the strategies that learn a few
 * scalars per task (UW's log-variances, IMTL-L's log-scales, FAMO's logits). Each parameter
 * keeps its own moments and step count, so a task that is absent from a step is simply not
 * updated (its moments and bias correction stay where they were); when every task is present
 * at every step this is exactly PyTorch's `torch.optim.Adam` (L2 weight decay added to the
 * gradient, bias-corrected moments, epsilon added to the corrected root).
 */

/** Adam's hyper-parameters. `weightDecay` is PyTorch's L2 form (added to the gradient), not AdamW. */
export interface AdamHyper {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
}

/** One parameter's optimizer moments: first moment m, second moment v, and its step count. */
export interface AdamMoments {
  readonly m: number;
  readonly v: number;
  readonly t: number;
}

/**
 * The codec of `AdamMoments` (finite m, finite v >= 0, integer t >= 0).
 *
 * @example
 * AdamMomentsCodec.is({ m: 0, v: 0, t: 0 }) // true
 */
export const AdamMomentsCodec = t.type({ m: Finite, v: Finite, t: NonNegativeInt }, "AdamMoments");

/**
 * Moments before the first update.
 *
 * @example
 * adamUpdate(hyper, 0, ADAM_START, 1) // the first update
 */
export const ADAM_START: AdamMoments = Object.freeze({ m: 0, v: 0, t: 0 });

/**
 * One Adam update of a scalar parameter `x` with gradient `grad` (descends).
 *
 * @example
 * adamUpdate({ lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 }, 0, ADAM_START, 1)
 * // { x: ≈ -0.1, moments: { m: 0.1, v: 0.001, t: 1 } } (the first step has size lr)
 */
export const adamUpdate = (
  hyper: AdamHyper,
  x: number,
  moments: AdamMoments,
  grad: number,
): { readonly x: number; readonly moments: AdamMoments } => {
  const g = grad + hyper.weightDecay * x;
  const step = moments.t + 1;
  const m = hyper.beta1 * moments.m + (1 - hyper.beta1) * g;
  const v = hyper.beta2 * moments.v + (1 - hyper.beta2) * g * g;
  const correction1 = 1 - hyper.beta1 ** step;
  const correction2 = 1 - hyper.beta2 ** step;
  const denominator = Math.sqrt(v) / Math.sqrt(correction2) + hyper.epsilon;
  return { x: x - (hyper.lr / correction1) * (m / denominator), moments: { m, v, t: step } };
};

/**
 * Problems of stored moments (v must be >= 0), one line each naming the path.
 *
 * @example
 * adamMomentsProblems("moments.0", { m: 0, v: -1, t: 1 }) // ["moments.0.v: expected a number >= 0 (got -1)"]
 */
export const adamMomentsProblems = (path: string, moments: AdamMoments): string[] =>
  moments.v < 0 ? [`${path}.v: expected a number >= 0 (got ${moments.v})`] : [];
