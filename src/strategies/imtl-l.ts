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
 * IMTL-L, the loss-balancing half of IMTL (Liu et al. 2021, "Towards Impartial Multi-task
 * Learning"): each task's loss is scaled by a learned exp(s_k) and the regularised objective
 * exp(s_k) L_k - s_k is minimised in s_k, whose optimum exp(s_k) L_k = 1 makes every scaled
 * loss equal. Here s_k is learned (not set to its closed-form optimum -log L_k): one Adam step
 * per training step on d/ds_k = exp(s_k) L_k - 1, with the optimizer moments in the state.
 * Weights are exp(s_k) normalised over the present tasks, from s before the update; the raw
 * scales exp(s_k) are `diagnostics.scale` and s_k is `diagnostics.logScale`.
 * `weightDecay` adds PyTorch's L2 term (decay * s_k) to the gradient, as when s is trained by a
 * model's `torch.optim.Adam(weight_decay=)` (LibMTL's IMTL does so).
 *
 * Note: with q = s this is the same objective as UW's with q = -log sigma^2; the two differ in
 * parameterisation, defaults and intent (IMTL-L also applies the scale inside the gradient
 * half of IMTL, which this loss-only weighting does not cover). The closed-form variant is SI.
 */

/** Bounds |s| so that exp(s) cannot overflow on a sensible loss. */
const Moderate = t.refinement(Finite, (n) => Math.abs(n) <= 50, "number in [-50, 50]");
const Beta = t.refinement(t.number, (n) => n >= 0 && n < 1, "number in [0, 1)");
const NonNegativeFinite = t.refinement(Finite, (n) => n >= 0, "number >= 0");

const requiredProps = {
  lr: PositiveFinite,
  initialLogScale: Moderate,
  beta1: Beta,
  beta2: Beta,
  epsilon: PositiveFinite,
};
// Added after version 1 states were written: optional in the stored config, so a checkpoint
// from before it still decodes (and means weight decay 0, what it ran with).
const laterProps = { weightDecay: NonNegativeFinite };

/**
 * Options of `imtlL` (all optional): Adam's lr (0.01), betas (0.9, 0.999), epsilon (1e-8), L2
 * weight decay (0, PyTorch's `Adam(weight_decay=)`: added to s's gradient), initial s (0).
 * LibMTL's defaults are reproduced by `{ lr: 1e-4, weightDecay: 1e-5 }` (same objective, so
 * the same numbers).
 *
 * @example
 * ImtlLOptions.decode({ lr: 1e-4, weightDecay: 1e-5 }) // Right
 */
export const ImtlLOptions = strictPartial({ ...requiredProps, ...laterProps }, "ImtlLOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type ImtlLOptions = t.OutputOf<typeof ImtlLOptions>;

/**
 * The checked configuration stored in the state (`weightDecay` may be missing from a state
 * written before it existed, meaning 0; new states always carry it).
 *
 * @example
 * unwrap(imtlL().init(3)).config // { numTasks: 3, lr: 0.01, initialLogScale: 0, ..., weightDecay: 0 }
 */
export const ImtlLConfig = t.intersection(
  [t.type({ numTasks: Count, ...requiredProps }), t.partial(laterProps)],
  "ImtlLConfig",
);
export type ImtlLConfig = t.TypeOf<typeof ImtlLConfig>;

/**
 * IMTL-L's defaults. initialLogScale 0 = unit scale (LibMTL's IMTL starts s at 0).
 *
 * @example
 * IMTL_L_DEFAULTS.lr // 0.01
 */
export const IMTL_L_DEFAULTS = {
  lr: 0.01,
  initialLogScale: 0,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
} as const;

/** IMTL-L's state: config, step counter, the log-scales and their Adam moments. */
export interface ImtlLState {
  readonly kind: "imtl-l";
  readonly version: 1;
  readonly config: ImtlLConfig;
  readonly step: number;
  readonly logScale: ReadonlyArray<number>;
  readonly moments: ReadonlyArray<AdamMoments>;
}

/**
 * The codec of `ImtlLState`.
 *
 * @example
 * ImtlLStateCodec.decode(JSON.parse(JSON.stringify(ImtlLStateCodec.encode(state)))) // Right(state)
 */
export const ImtlLStateCodec = stateCodec<ImtlLState>(
  "ImtlLState",
  t.type({
    kind: t.literal("imtl-l"),
    version: t.literal(1),
    config: ImtlLConfig,
    step: NonNegativeInt,
    logScale: t.array(Finite),
    moments: t.array(AdamMomentsCodec),
  }),
  (state) => [
    ...vectorProblems("logScale", state.logScale, state.config.numTasks, () => true, ""),
    ...vectorProblems("moments", state.moments, state.config.numTasks, () => true, ""),
    ...state.moments.flatMap((m, k) => adamMomentsProblems(`moments.${k}`, m)),
  ],
);

/**
 * IMTL-L as a `Weighting`.
 *
 * @example
 * const w = imtlL({ lr: 0.01 });
 * const r = unwrap(w.step(unwrap(w.init(2)), [2, 0.5]));
 * r.weights            // [0.5, 0.5] (s starts at 0)
 * r.state.logScale     // [≈ -0.01, ≈ 0.01] (s moves towards -log L)
 */
export const imtlL = (options: ImtlLOptions = {}): Weighting<ImtlLState> => {
  const decoded = decodeOptions(ImtlLOptions, options);
  return {
    name: "imtl-l",
    init: (numTasks) => {
      if (E.isLeft(decoded)) return decoded;
      const o = { ...IMTL_L_DEFAULTS, ...decoded.right } as Omit<ImtlLConfig, "numTasks">;
      return E.map((n: Count): ImtlLState => ({
        kind: "imtl-l",
        version: 1,
        config: { numTasks: n, ...o },
        step: 0,
        logScale: Array.from({ length: n }, () => o.initialLogScale),
        moments: Array.from({ length: n }, () => ADAM_START),
      }))(checkNumTasks(numTasks));
    },
    step: guardLosses((state, losses) => {
      const c = state.config;
      const problem = checkLosses(losses, c.numTasks);
      if (problem !== null) return E.left(problem);
      const hyper = { lr: c.lr, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, weightDecay: c.weightDecay ?? 0 };
      return E.map((r: LearnedScaleStep) => ({
        state: { ...state, step: state.step + 1, logScale: r.params, moments: r.moments },
        weights: r.weights,
        diagnostics: {
          scale: r.scale,
          logScale: state.logScale.map((s, k) => (losses[k] === null ? null : s)),
        },
      }))(learnedScaleStep(hyper, 1, state.logScale, state.moments, losses));
    }),
    stateCodec: ImtlLStateCodec,
    numTasks: (state) => state.config.numTasks,
  };
};
