import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Finite, NonNegativeInt, PositiveFinite } from "../../core/codecs.js";
import type { GradientWeighting } from "../../core/gradient-weighting.js";
import { softmaxPresent } from "../../core/softmax.js";
import { strictPartial } from "../../core/strict.js";
import { ADAM_START, AdamMomentsCodec, adamMomentsProblems, adamUpdate, type AdamMoments } from "../adam.js";
import { vectorProblems } from "../common.js";
import type { FlagSpec } from "../registry.js";
import { gradientWeighting, type GradientMethod, type GradientMethodState } from "./method.js";

/**
 * GradNorm (Chen, Badrinarayanan, Lee & Rabinovich, ICML 2018), as LibMTL implements it
 * (`LibMTL/weighting/GradNorm.py`, driven by `LibMTL/trainer.py`).
 *
 * Learned logits θ (LibMTL's `loss_scale`, starting at 1) give the loss weights
 * w = K · softmax(θ), which sum to K. With n_i = |g_i| = sqrt(G_ii) the norm of task i's
 * shared-parameter gradient, G_i = w_i n_i, their mean Ḡ, the loss ratios
 * r_i = (L_i / L_i(0)) / mean_j (L_j / L_j(0)) and the target T_i = Ḡ r_i^α (detached, as in
 * LibMTL: Ḡ and r carry no gradient), the GradNorm loss is Σ_i |G_i − T_i|. Its gradient in θ
 * (through the softmax only: the task gradients are data) takes one Adam step, with LibMTL's
 * trainer defaults (lr 1e-4, L2 weight decay 1e-5), since LibMTL trains `loss_scale` with the
 * model's optimizer. The update direction is Σ w_i g_i with w from θ before the step.
 *
 * Warm-up: LibMTL's epoch 0 is the plain sum (every weight 1) and L_i(0) is task i's mean
 * training loss over that epoch; here the first `warmupSteps` steps play epoch 0. Absent
 * tasks: w = P · softmax over the P present logits (sum P); only present logits and their
 * Adam moments move; L_i(0) is the mean over the warm-up steps where task i was present, or,
 * for a task never present during the warm-up, its loss at its first step after it.
 */

const NonNegativeFinite = t.refinement(Finite, (n) => n >= 0, "number >= 0");
const Beta = t.refinement(t.number, (n) => n >= 0 && n < 1, "number in [0, 1)");

const optionProps = {
  alpha: NonNegativeFinite,
  lr: PositiveFinite,
  weightDecay: NonNegativeFinite,
  beta1: Beta,
  beta2: Beta,
  epsilon: PositiveFinite,
  warmupSteps: NonNegativeInt,
};

/**
 * Options of `gradnorm` (all optional): the restoring force `alpha` (1.5), the logits' Adam
 * `lr` (1e-4), L2 `weightDecay` (1e-5), `beta1`/`beta2` (0.9, 0.999), `epsilon` (1e-8), and
 * `warmupSteps` (1: the plain-sum steps whose mean losses are L(0); LibMTL's one epoch).
 *
 * @example
 * GradnormOptions.decode({ alpha: 0.5, warmupSteps: 100 }) // Right
 */
export const GradnormOptions = strictPartial(optionProps, "GradnormOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type GradnormOptions = t.OutputOf<typeof GradnormOptions>;

/** GradNorm's checked configuration (in the state, with numTasks and gramianTolerance). */
export interface GradnormConfig {
  readonly alpha: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly warmupSteps: number;
}

/**
 * GradNorm's defaults: LibMTL's `--alpha 1.5` and its trainer's Adam (lr 1e-4, weight decay
 * 1e-5, PyTorch's betas and epsilon); one warm-up step.
 *
 * @example
 * GRADNORM_DEFAULTS.alpha // 1.5
 */
export const GRADNORM_DEFAULTS: GradnormConfig = {
  alpha: 1.5,
  lr: 1e-4,
  weightDecay: 1e-5,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  warmupSteps: 1,
};

/** The options a user set (`{ alpha: undefined }` leaves the default in place). */
const definedOnly = <O extends object>(options: O): Partial<O> =>
  Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<O>;

/** LibMTL's initial `loss_scale` (the value matters only through weight decay). */
const INITIAL_LOGIT = 1;

/** What GradNorm carries between steps, one entry per task. */
export interface GradnormMemory {
  /** θ, LibMTL's `loss_scale`. */
  readonly logits: ReadonlyArray<number>;
  /** Adam's moments for each logit (per task, so an absent task's stay put). */
  readonly moments: ReadonlyArray<AdamMoments>;
  /** Σ of task k's recorded initial losses and how many: L_k(0) = sum / count. */
  readonly initialLossSum: ReadonlyArray<number>;
  readonly initialLossCount: ReadonlyArray<number>;
}

/** GradNorm's state. */
export type GradnormState = GradientMethodState<GradnormConfig, GradnormMemory>;

const memoryCodec = t.type({
  logits: t.array(Finite),
  moments: t.array(AdamMomentsCodec),
  initialLossSum: t.array(Finite),
  initialLossCount: t.array(NonNegativeInt),
});

const memoryProblems = (memory: GradnormMemory, _config: GradnormConfig, numTasks: number): string[] => {
  const shape = [
    ...vectorProblems("logits", memory.logits, numTasks, () => true, ""),
    ...vectorProblems("moments", memory.moments, numTasks, () => true, ""),
    ...vectorProblems("initialLossSum", memory.initialLossSum, numTasks, () => true, ""),
    ...vectorProblems("initialLossCount", memory.initialLossCount, numTasks, () => true, ""),
  ];
  if (shape.length > 0) return shape;
  return [
    ...memory.moments.flatMap((m, k) => adamMomentsProblems(`moments.${k}`, m)),
    // Losses are > 0, so a recorded sum is > 0 exactly when something was recorded.
    ...memory.initialLossSum.flatMap((sum, k) =>
      (memory.initialLossCount[k] as number) === 0
        ? sum === 0
          ? []
          : [`initialLossSum.${k}: expected 0 with count 0 (got ${sum})`]
        : sum > 0
          ? []
          : [`initialLossSum.${k}: expected a number > 0 (got ${sum})`],
    ),
  ];
};

/**
 * GradNorm as a `GradientMethod` (`needs: "gramian"`: only the diagonal, |g_i|², is read).
 *
 * @example
 * const w = gradientWeighting(GRADNORM_METHOD, {});
 */
export const GRADNORM_METHOD: GradientMethod<t.TypeOf<typeof GradnormOptions>, GradnormConfig, GradnormMemory> = {
  name: "gradnorm",
  needs: "gramian",
  coefficientsOnSimplex: false,
  optionsCodec: GradnormOptions,
  configOf: (options) => E.right({ ...GRADNORM_DEFAULTS, ...definedOnly(options) }),
  configProps: optionProps,
  initMemory: (_config, numTasks) => ({
    logits: new Array<number>(numTasks).fill(INITIAL_LOGIT),
    moments: new Array<AdamMoments>(numTasks).fill(ADAM_START),
    initialLossSum: new Array<number>(numTasks).fill(0),
    initialLossCount: new Array<number>(numTasks).fill(0),
  }),
  memoryCodec,
  memoryProblems,
  solve: (config, memory, problem) => {
    const { present, losses, gramian } = problem;
    // The diagonal may be a little negative within the Gramian tolerance: a norm of 0 then.
    const norms = present.map((_, i) => Math.sqrt(Math.max(0, gramian[i]![i]!)));
    const initialLossSum = [...memory.initialLossSum];
    const initialLossCount = [...memory.initialLossCount];
    if (problem.step < config.warmupSteps) {
      // LibMTL's epoch 0: the plain sum, while the losses are averaged into L(0).
      present.forEach((k, i) => {
        initialLossSum[k] = (initialLossSum[k] as number) + (losses[i] as number);
        initialLossCount[k] = (initialLossCount[k] as number) + 1;
      });
      return E.right({
        coefficients: present.map(() => 1),
        memory: { ...memory, initialLossSum, initialLossCount },
        diagnostics: { gradientNorm: norms },
      });
    }
    present.forEach((k, i) => {
      if (initialLossCount[k] === 0) {
        initialLossSum[k] = losses[i] as number;
        initialLossCount[k] = 1;
      }
    });
    const count = present.length;
    const softmax = softmaxPresent(present.map((k) => memory.logits[k] as number));
    const weights = softmax.map((s) => count * s);
    const weightedNorms = weights.map((w, i) => w * (norms[i] as number));
    const meanWeightedNorm = weightedNorms.reduce((a, b) => a + b, 0) / count;
    const trainingRates = present.map(
      (k, i) => (losses[i] as number) / ((initialLossSum[k] as number) / (initialLossCount[k] as number)),
    );
    const meanTrainingRate = trainingRates.reduce((a, b) => a + b, 0) / count;
    const ratios = trainingRates.map((rate) => rate / meanTrainingRate);
    const targets = ratios.map((r) => meanWeightedNorm * r ** config.alpha);
    // d/dw_i Σ|G_i − T_i| = sign(G_i − T_i)·n_i (T detached); then back through w = P·softmax(θ).
    const outer = weightedNorms.map((g, i) => Math.sign(g - (targets[i] as number)) * (norms[i] as number));
    const mean = outer.reduce((a, o, i) => a + o * (softmax[i] as number), 0);
    const hyper = {
      lr: config.lr,
      beta1: config.beta1,
      beta2: config.beta2,
      epsilon: config.epsilon,
      weightDecay: config.weightDecay,
    };
    const logits = [...memory.logits];
    const moments = [...memory.moments];
    present.forEach((k, i) => {
      const grad = count * (softmax[i] as number) * ((outer[i] as number) - mean);
      const updated = adamUpdate(hyper, logits[k] as number, moments[k] as AdamMoments, grad);
      logits[k] = updated.x;
      moments[k] = updated.moments;
    });
    return E.right({
      coefficients: weights,
      memory: { logits, moments, initialLossSum, initialLossCount },
      diagnostics: { gradientNorm: norms, weightedNorm: weightedNorms, target: targets, lossRatio: ratios },
    });
  },
};

/**
 * GradNorm as a gradient-aware weighting: coefficients w = P · softmax(θ) over the P present
 * tasks (sum P, K when all are present, LibMTL's scale), 1 for every task during the warm-up.
 *
 * @example
 * const w = gradnorm({ alpha: 1.5 });
 * let s = unwrap(w.init(2));
 * s = unwrap(w.step(s, { losses: [1, 2], gramian: [[4, 0], [0, 1]] })).state; // warm-up: [1, 1], records L(0)
 * unwrap(w.step(s, { losses: [0.5, 2], gramian: [[4, 0], [0, 1]] })).coefficients // [1, 1]; θ starts to move
 */
export const gradnorm = (
  options: GradnormOptions & { readonly gramianTolerance?: number } = {},
): GradientWeighting<GradnormState> => gradientWeighting(GRADNORM_METHOD, options);

/**
 * `gradnorm`'s command-line flags.
 *
 * @example
 * gradnormFlags["warmup-steps"] // { key: "warmupSteps", kind: "number" }
 */
export const gradnormFlags: Record<string, FlagSpec> = {
  alpha: { key: "alpha", kind: "number" },
  lr: { key: "lr", kind: "number" },
  "weight-decay": { key: "weightDecay", kind: "number" },
  beta1: { key: "beta1", kind: "number" },
  beta2: { key: "beta2", kind: "number" },
  epsilon: { key: "epsilon", kind: "number" },
  "warmup-steps": { key: "warmupSteps", kind: "number" },
};
