import * as E from "fp-ts/Either";

import { invalidLoss, type StepError } from "../core/errors.js";
import { softmaxPresent } from "../core/softmax.js";
import type { TaskLosses } from "../core/weighting.js";
import { adamUpdate, type AdamHyper, type AdamMoments } from "./adam.js";

/**
 * The engine shared by UW and IMTL-L, which both learn one scalar per task by minimising
 * exp(q_k) L_k - q_k in q_k (UW: q_k = -s_k with s_k the log-variance; IMTL-L: q_k = s_k the
 * log-scale). The minimiser is exp(q_k) L_k = 1. Since the core has no autodiff, the gradient
 * is written in closed form, d/dq_k = exp(q_k) L_k - 1, and each parameter takes one Adam
 * step per training step. The weights of a step use the parameters from before the update
 * (exactly as an autodiff trainer's forward pass would), normalised over the present tasks.
 * Weight decay (`hyper.weightDecay`, PyTorch's L2 form) acts on the stored parameter p, as it
 * does on a model parameter, and only on the steps where the task is present: an absent task's
 * parameter and moments do not move at all, decay included (its Adam step is skipped whole, so
 * its bias correction stays consistent).
 */

/** The result of one learned-scale step. */
export interface LearnedScaleStep {
  readonly params: number[];
  readonly moments: AdamMoments[];
  readonly weights: number[];
  /** exp(q_k) (the un-normalised weight) per task, null when absent. */
  readonly scale: Array<number | null>;
}

/**
 * Weights from the current parameters, then one Adam step on each present task's parameter.
 * `sign` maps the stored parameter p to q = sign * p (UW stores s = -q, so sign = -1).
 * Losses must already have passed `checkLosses`.
 *
 * @example
 * learnedScaleStep({ lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 }, 1, [0, 0], [ADAM_START, ADAM_START], [2, null])
 * // weights [1, 0]; params[0] decreases by ≈ 0.01 (gradient e^0·2 - 1 = 1 > 0)
 */
export const learnedScaleStep = (
  hyper: AdamHyper,
  sign: 1 | -1,
  params: ReadonlyArray<number>,
  moments: ReadonlyArray<AdamMoments>,
  losses: TaskLosses,
): E.Either<StepError, LearnedScaleStep> => {
  const logits = params.map((p, k) => (losses[k] === null ? null : sign * p));
  const weights = softmaxPresent(logits);
  const nextParams = [...params];
  const nextMoments = [...moments];
  const scale: Array<number | null> = [];
  for (let k = 0; k < params.length; k++) {
    const loss = losses[k] as number | null;
    const q = logits[k] as number | null;
    if (loss === null || q === null) {
      scale.push(null);
      continue;
    }
    const e = Math.exp(q);
    scale.push(e);
    // d/dp (exp(q) L - q) with q = sign p.
    const grad = sign * (e * loss - 1);
    const updated = adamUpdate(hyper, params[k] as number, moments[k] as AdamMoments, grad);
    if (!Number.isFinite(grad) || !Number.isFinite(updated.x) || !Number.isFinite(updated.moments.v)) {
      return E.left(
        invalidLoss(k, loss, "out-of-domain", undefined, `exp(${q}) * loss overflows the learned scale's gradient`),
      );
    }
    nextParams[k] = updated.x;
    nextMoments[k] = updated.moments;
  }
  return E.right({ params: nextParams, moments: nextMoments, weights, scale });
};
