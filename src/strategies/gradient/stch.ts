import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, Finite, NonNegativeInt, PositiveFinite } from "../../core/codecs.js";
import type { GradientWeighting } from "../../core/gradient-weighting.js";
import { softmaxPresent } from "../../core/softmax.js";
import { strictPartial } from "../../core/strict.js";
import { vectorProblems } from "../common.js";
import type { FlagSpec } from "../registry.js";
import { gradientWeighting, type GradientMethod, type GradientMethodState } from "./method.js";

/**
 * STCH ("Smooth Tchebycheff Scalarization for Multi-Objective Optimization", Lin et al., ICML 2024), as
 * LibMTL implements it (`LibMTL/weighting/STCH.py`, `STCH.backward`). It needs only the losses.
 *
 * After the warm-up, with the nadir vector n (each task's mean loss over the nadir steps) and
 * the normalised log losses ℓ_k = log(L_k / n_k + 1e-20), the objective is
 * F = K·μ·log Σ_k exp(ℓ_k / μ), whose gradient is Σ_k c_k ∇L_k with
 * c_k = K·softmax(ℓ / μ)_k / (L_k + 1e-20·n_k) ≈ K·softmax(ℓ / μ)_k / L_k: not on the simplex.
 * During the warm-up the objective is Σ_k log(L_k + 1e-20), so c_k = 1 / (L_k + 1e-20).
 *
 * Epochs become steps: LibMTL's `STCH_warmup_epoch` W runs W epochs of the log sum, then one
 * more epoch of it that averages the losses into n, then STCH. Here the first `warmupSteps`
 * steps are the log sum, the next `nadirSteps` too while averaging n, then STCH; with E steps
 * per epoch, `{ warmupSteps: W·E, nadirSteps: E }` is LibMTL exactly.
 *
 * Absent tasks: K becomes P, the number of present tasks, and the softmax runs over them; a
 * task's n is the mean over the nadir steps where it was present, or, for a task never present
 * then, its loss at its first step after them.
 */

/** log(L + 1e-20) in LibMTL, both in the warm-up and in the normalised log losses. */
const LOG_EPSILON = 1e-20;

const optionProps = { mu: PositiveFinite, warmupSteps: NonNegativeInt, nadirSteps: Count };

/**
 * Options of `stch` (all optional): the smoothing `mu` (1), `warmupSteps` (4: LibMTL's four
 * warm-up epochs, one step each) and `nadirSteps` (1: LibMTL's one nadir epoch, one step).
 *
 * @example
 * StchOptions.decode({ mu: 0.1, warmupSteps: 400, nadirSteps: 100 }) // Right
 */
export const StchOptions = strictPartial(optionProps, "StchOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type StchOptions = t.OutputOf<typeof StchOptions>;

/** STCH's checked configuration. */
export interface StchConfig {
  readonly mu: number;
  readonly warmupSteps: number;
  readonly nadirSteps: number;
}

/**
 * STCH's defaults: LibMTL's `--STCH_mu 1.0 --STCH_warmup_epoch 4`, an epoch taken as one step.
 *
 * @example
 * STCH_DEFAULTS.warmupSteps // 4
 */
export const STCH_DEFAULTS: StchConfig = { mu: 1, warmupSteps: 4, nadirSteps: 1 };

/** What STCH carries between steps: per task, the sum and count of its nadir losses. */
export interface StchMemory {
  readonly nadirSum: ReadonlyArray<number>;
  readonly nadirCount: ReadonlyArray<number>;
}

/** STCH's state. */
export type StchState = GradientMethodState<StchConfig, StchMemory>;

const memoryCodec = t.type({ nadirSum: t.array(Finite), nadirCount: t.array(NonNegativeInt) });

const memoryProblems = (memory: StchMemory, _config: StchConfig, numTasks: number): string[] => {
  const shape = [
    ...vectorProblems("nadirSum", memory.nadirSum, numTasks, () => true, ""),
    ...vectorProblems("nadirCount", memory.nadirCount, numTasks, () => true, ""),
  ];
  if (shape.length > 0) return shape;
  // Losses are > 0, so a sum is > 0 exactly when something was recorded.
  return memory.nadirSum.flatMap((sum, k) =>
    memory.nadirCount[k] === 0
      ? sum === 0
        ? []
        : [`nadirSum.${k}: expected 0 with count 0 (got ${sum})`]
      : sum > 0
        ? []
        : [`nadirSum.${k}: expected a number > 0 (got ${sum})`],
  );
};

/**
 * STCH as a `GradientMethod` (`needs: "losses"`).
 *
 * @example
 * const w = gradientWeighting(STCH_METHOD, { mu: 0.5 });
 */
export const STCH_METHOD: GradientMethod<t.TypeOf<typeof StchOptions>, StchConfig, StchMemory> = {
  name: "stch",
  needs: "losses",
  coefficientsOnSimplex: false,
  optionsCodec: StchOptions,
  configOf: (options) =>
    E.right({
      mu: options.mu ?? STCH_DEFAULTS.mu,
      warmupSteps: options.warmupSteps ?? STCH_DEFAULTS.warmupSteps,
      nadirSteps: options.nadirSteps ?? STCH_DEFAULTS.nadirSteps,
    }),
  configProps: optionProps,
  initMemory: (_config, numTasks) => ({
    nadirSum: new Array<number>(numTasks).fill(0),
    nadirCount: new Array<number>(numTasks).fill(0),
  }),
  memoryCodec,
  memoryProblems,
  solve: (config, memory, problem) => {
    const { present, losses, step } = problem;
    const nadirSum = [...memory.nadirSum];
    const nadirCount = [...memory.nadirCount];
    if (step < config.warmupSteps + config.nadirSteps) {
      if (step >= config.warmupSteps) {
        present.forEach((k, i) => {
          nadirSum[k] = nadirSum[k]! + losses[i]!;
          nadirCount[k] = nadirCount[k]! + 1;
        });
      }
      // The gradient of Σ log(L_k + 1e-20).
      return E.right({
        coefficients: losses.map((loss) => 1 / (loss + LOG_EPSILON)),
        memory: { nadirSum, nadirCount },
      });
    }
    present.forEach((k, i) => {
      if (nadirCount[k] === 0) {
        nadirSum[k] = losses[i]!;
        nadirCount[k] = 1;
      }
    });
    const nadir = present.map((k) => nadirSum[k]! / nadirCount[k]!);
    const ratios = losses.map((loss, i) => loss / nadir[i]! + LOG_EPSILON);
    const logLosses = ratios.map(Math.log);
    const largest = Math.max(...logLosses);
    const softmax = softmaxPresent(logLosses.map((l) => (l - largest) / config.mu));
    // ∂/∂L_k of P·μ·logsumexp(ℓ/μ) = P·softmax_k · ∂ℓ_k/∂L_k, with ∂ℓ_k/∂L_k = 1 / (n_k·(L_k/n_k + 1e-20)).
    const count = present.length;
    const coefficients = softmax.map((s, i) => (count * s) / (nadir[i]! * ratios[i]!));
    return E.right({
      coefficients,
      memory: { nadirSum, nadirCount },
      diagnostics: { nadir, normalisedLogLoss: logLosses, softmax },
    });
  },
};

/**
 * STCH as a gradient-aware weighting (losses only): coefficients c_k such that Σ c_k ∇L_k is
 * the gradient of the smooth Tchebycheff objective (of Σ log L during the warm-up).
 *
 * @example
 * const w = stch({ warmupSteps: 0, nadirSteps: 1 });
 * let s = unwrap(w.init(2));
 * s = unwrap(w.step(s, { losses: [1, 4] })).state;         // c = [1, 0.25]; the nadir is [1, 4]
 * unwrap(w.step(s, { losses: [0.5, 4] })).coefficients      // [2·(1/3)/0.5, 2·(2/3)/4] = [≈ 1.333, ≈ 0.333]
 */
export const stch = (
  options: StchOptions & { readonly gramianTolerance?: number } = {},
): GradientWeighting<StchState> => gradientWeighting(STCH_METHOD, options);

/**
 * `stch`'s command-line flags.
 *
 * @example
 * stchFlags["nadir-steps"] // { key: "nadirSteps", kind: "number" }
 */
export const stchFlags: Record<string, FlagSpec> = {
  mu: { key: "mu", kind: "number" },
  "warmup-steps": { key: "warmupSteps", kind: "number" },
  "nadir-steps": { key: "nadirSteps", kind: "number" },
};
