import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, Finite, NonNegativeInt, PositiveFinite } from "../core/codecs.js";
import { checkLosses, guardLosses } from "../core/losses.js";
import { strictPartial } from "../core/strict.js";
import type { Weighting } from "../core/weighting.js";
import { ADAM_START, AdamMomentsCodec, adamMomentsProblems, type AdamMoments } from "./adam.js";
import { checkNumTasks, decodeOptions, stateCodec, vectorProblems } from "./common.js";
import { learnedScaleStep, type LearnedScaleStep } from "./learned-scale.js";

/**
 * Uncertainty weighting (UW, Kendall, Gal & Cipolla 2018): the total loss is
 * sum_k exp(-s_k) L_k + s_k with s_k = log sigma_k^2 a learned log-variance per task.
 * Without autodiff, s_k is updated in closed form: d/ds_k = 1 - exp(-s_k) L_k, one Adam step
 * per training step with its own optimizer state (kept per task in the state). The weights
 * are exp(-s_k) normalised over the present tasks, from s before the step's update; the raw
 * precisions exp(-s_k) are `diagnostics.precision` and s_k is `diagnostics.logVariance`.
 * At the optimum exp(-s_k) = 1 / L_k, so UW drifts towards SI's weights at Adam's pace.
 * `weightDecay` adds PyTorch's L2 term (decay * s_k) to the gradient, as when s is trained by a
 * model's `torch.optim.Adam(weight_decay=)` (LibMTL does so); it pulls s towards 0, i.e. away
 * from the fixed point, by a little.
 */

/** Bounds |s| so that exp(±s) cannot overflow on a sensible loss. */
const Moderate = t.refinement(Finite, (n) => Math.abs(n) <= 50, "number in [-50, 50]");
const Beta = t.refinement(t.number, (n) => n >= 0 && n < 1, "number in [0, 1)");
const NonNegativeFinite = t.refinement(Finite, (n) => n >= 0, "number >= 0");

const requiredProps = {
  lr: PositiveFinite,
  initialLogVariance: Moderate,
  beta1: Beta,
  beta2: Beta,
  epsilon: PositiveFinite,
};
// Added after version 1 states were written: optional in the stored config, so a checkpoint
// from before it still decodes (and means weight decay 0, what it ran with).
const laterProps = { weightDecay: NonNegativeFinite };

/**
 * Options of `uw` (all optional): Adam's lr (0.01), betas (0.9, 0.999), epsilon (1e-8), L2
 * weight decay (0, PyTorch's `Adam(weight_decay=)`: added to s's gradient), initial s (0).
 * LibMTL's defaults are reproduced by `{ lr: 1e-4, initialLogVariance: -0.5, epsilon: 2e-8,
 * weightDecay: 2e-5 }` (its objective is half of this one, so epsilon and decay double).
 *
 * @example
 * UwOptions.decode({ lr: 0.001, initialLogVariance: -0.5, weightDecay: 2e-5 }) // Right
 */
export const UwOptions = strictPartial({ ...requiredProps, ...laterProps }, "UwOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type UwOptions = t.OutputOf<typeof UwOptions>;

/**
 * The checked configuration stored in the state (`weightDecay` may be missing from a state
 * written before it existed, meaning 0; new states always carry it).
 *
 * @example
 * unwrap(uw().init(3)).config // { numTasks: 3, lr: 0.01, initialLogVariance: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 }
 */
export const UwConfig = t.intersection(
  [t.type({ numTasks: Count, ...requiredProps }), t.partial(laterProps)],
  "UwConfig",
);
export type UwConfig = t.TypeOf<typeof UwConfig>;

/**
 * UW's defaults. initialLogVariance 0 = unit precision, i.e. the plain sum at step 0.
 *
 * @example
 * UW_DEFAULTS.initialLogVariance // 0
 */
export const UW_DEFAULTS = {
  lr: 0.01,
  initialLogVariance: 0,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
} as const;

/** UW's state: config, step counter, the log-variances and their Adam moments. */
export interface UwState {
  readonly kind: "uw";
  readonly version: 1;
  readonly config: UwConfig;
  readonly step: number;
  readonly logVariance: ReadonlyArray<number>;
  readonly moments: ReadonlyArray<AdamMoments>;
}

/**
 * The codec of `UwState`.
 *
 * @example
 * UwStateCodec.decode(JSON.parse(JSON.stringify(UwStateCodec.encode(state)))) // Right(state)
 */
export const UwStateCodec = stateCodec<UwState>(
  "UwState",
  t.type({
    kind: t.literal("uw"),
    version: t.literal(1),
    config: UwConfig,
    step: NonNegativeInt,
    logVariance: t.array(Finite),
    moments: t.array(AdamMomentsCodec),
  }),
  (state) => [
    ...vectorProblems("logVariance", state.logVariance, state.config.numTasks, () => true, ""),
    ...vectorProblems("moments", state.moments, state.config.numTasks, () => true, ""),
    ...state.moments.flatMap((m, k) => adamMomentsProblems(`moments.${k}`, m)),
  ],
);

/**
 * UW as a `Weighting`.
 *
 * @example
 * const w = uw({ lr: 0.01 });
 * const r = unwrap(w.step(unwrap(w.init(2)), [2, 0.5]));
 * r.weights                 // [0.5, 0.5] (s starts at 0)
 * r.state.logVariance       // [≈ 0.01, ≈ -0.01] (s moves towards log L)
 */
export const uw = (options: UwOptions = {}): Weighting<UwState> => {
  const decoded = decodeOptions(UwOptions, options);
  return {
    name: "uw",
    init: (numTasks) => {
      if (E.isLeft(decoded)) return decoded;
      const o = { ...UW_DEFAULTS, ...decoded.right } as Omit<UwConfig, "numTasks">;
      return E.map((n: Count): UwState => ({
        kind: "uw",
        version: 1,
        config: { numTasks: n, ...o },
        step: 0,
        logVariance: Array.from({ length: n }, () => o.initialLogVariance),
        moments: Array.from({ length: n }, () => ADAM_START),
      }))(checkNumTasks(numTasks));
    },
    step: guardLosses((state, losses) => {
      const c = state.config;
      const problem = checkLosses(losses, c.numTasks);
      if (problem !== null) return E.left(problem);
      const hyper = { lr: c.lr, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, weightDecay: c.weightDecay ?? 0 };
      return E.map((r: LearnedScaleStep) => ({
        state: { ...state, step: state.step + 1, logVariance: r.params, moments: r.moments },
        weights: r.weights,
        diagnostics: {
          precision: r.scale,
          logVariance: state.logVariance.map((s, k) => (losses[k] === null ? null : s)),
        },
      }))(learnedScaleStep(hyper, -1, state.logVariance, state.moments, losses));
    }),
    stateCodec: UwStateCodec,
    numTasks: (state) => state.config.numTasks,
  };
};
