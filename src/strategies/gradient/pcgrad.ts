import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Finite, NonNegativeInt } from "../../core/codecs.js";
import { invalidGramian, type StepError } from "../../core/errors.js";
import type { GradientWeighting } from "../../core/gradient-weighting.js";
import { Rng, type RngState } from "../../core/random.js";
import { strictPartial } from "../../core/strict.js";
import type { FlagSpec } from "../registry.js";
import { gradientWeighting, type GradientMethod, type GradientMethodState } from "./method.js";

/**
 * PCGrad, projecting conflicting gradients (Yu, Kumar, Gupta, Levine, Hausman & Finn,
 * "Gradient Surgery for Multi-Task Learning", NeurIPS 2020), as LibMTL implements it
 * (`LibMTL/weighting/PCGrad.py`, `PCGrad.backward`), factored through the Gramian as TorchJD
 * does (`src/torchjd/aggregation/_pcgrad.py`, `PCGradWeighting.forward`).
 *
 * For each task i, pc_i starts at g_i; for each task j in a random order (a fresh shuffle of all
 * tasks for every i, i itself included), when pc_i·g_j < 0, pc_i ← pc_i − (pc_i·g_j)/(|g_j|² + ε) g_j.
 * The projections are against the ORIGINAL g_j, never the already-projected pc_j. The direction
 * is the SUM Σ_i pc_i. Every pc_i is g_i plus multiples of the g_j, so pc_i = Σ_m A_im g_m, its
 * inner products are pc_i·g_j = Σ_m A_im G_mj, and the coefficients are c_m = Σ_i A_im (LibMTL's
 * `batch_weight`): each c_m ≥ 1, with no fixed sum; all ones when no pair conflicts.
 *
 * The order: Python's `random.shuffle` algorithm (Fisher–Yates from the end) driven by the
 * state's xoshiro128** generator instead of Mersenne Twister, so a run is reproducible from
 * `seed` and a checkpoint resumes the same stream. Only the present tasks are shuffled, so a step
 * with absent tasks equals the step on the present sub-problem from the same generator state.
 */

const NonNegativeFinite = t.refinement(Finite, (n) => n >= 0, "number >= 0");

const optionProps = {
  seed: NonNegativeInt,
  epsilon: NonNegativeFinite,
  excludeSelf: t.boolean,
  fixedOrder: t.boolean,
};

/**
 * Options of `pcgrad` (all optional): the generator's `seed` (0), the `epsilon` added to |g_j|²
 * (1e-8, LibMTL's), `excludeSelf` (false: LibMTL also tries to project pc_i on g_i; true: skip
 * j = i as TorchJD and the paper do) and `fixedOrder` (false: shuffle; true: j = 0, 1, …, K−1
 * every time, as the authors' TensorFlow code ends up doing).
 *
 * @example
 * PcgradOptions.decode({ seed: 3, excludeSelf: true, epsilon: 0 }) // Right: TorchJD's PCGrad
 */
export const PcgradOptions = strictPartial(optionProps, "PcgradOptions");
/** What a user writes (plain numbers and booleans; the factory checks them). */
export type PcgradOptions = t.OutputOf<typeof PcgradOptions>;

/** PCGrad's checked configuration (in the state, with numTasks and gramianTolerance). */
export interface PcgradConfig {
  readonly seed: number;
  readonly epsilon: number;
  readonly excludeSelf: boolean;
  readonly fixedOrder: boolean;
}

/**
 * PCGrad's defaults: LibMTL's (ε 1e-8, every task tried including i itself, a shuffled order).
 *
 * @example
 * PCGRAD_DEFAULTS.epsilon // 1e-8
 */
export const PCGRAD_DEFAULTS: PcgradConfig = { seed: 0, epsilon: 1e-8, excludeSelf: false, fixedOrder: false };

const Uint32 = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, "Uint32");

/**
 * The codec of a generator snapshot kept in a method's memory: four uint32 words.
 *
 * @example
 * RngStateCodec.is(Rng.seeded(0).state()) // true
 */
export const RngStateCodec = t.tuple([Uint32, Uint32, Uint32, Uint32], "RngState");

/**
 * The problems of a decoded generator snapshot (the all-zero state is a fixed point of xoshiro).
 *
 * @example
 * rngStateProblems("rng", [0, 0, 0, 0]) // ["rng: the all-zero generator state is invalid"]
 */
export const rngStateProblems = (path: string, state: RngState): string[] =>
  state.every((word) => word === 0) ? [`${path}: the all-zero generator state is invalid`] : [];

/**
 * Shuffles `items` in place with Python's `random.shuffle` algorithm: for i from n−1 down to 1,
 * swap item i with item j = randbelow(i + 1), here `rng.int(i + 1)`. Draws n − 1 numbers.
 *
 * @example
 * shuffleLikePython([0, 1, 2], Rng.seeded(0)) // a permutation of [0, 1, 2]
 */
export const shuffleLikePython = <T>(items: T[], rng: Rng): T[] => {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const item = items[i] as T;
    items[i] = items[j] as T;
    items[j] = item;
  }
  return items;
};

/** What PCGrad carries between steps: the generator of the task orders. */
export interface PcgradMemory {
  readonly rng: RngState;
}

/** PCGrad's state. */
export type PcgradState = GradientMethodState<PcgradConfig, PcgradMemory>;

/**
 * The error for the first non-finite coefficient, or null when all are finite (they overflow
 * only on an extremely ill-scaled Gramian).
 *
 * @example
 * nonFiniteCoefficients("PCGrad", [1, Infinity], [0, 2]) // InvalidGramian naming task 2
 */
export const nonFiniteCoefficients = (
  method: string,
  coefficients: ReadonlyArray<number>,
  present: ReadonlyArray<number>,
): StepError | null => {
  const i = coefficients.findIndex((c) => !Number.isFinite(c));
  return i < 0
    ? null
    : invalidGramian(
        `${method} gave task ${present[i]!} the non-finite coefficient ${String(coefficients[i])}: the Gramian is too ill-scaled (entries near 0 or near overflow)`,
      );
};

/**
 * PCGrad's projected-gradient matrix A (pc_i = Σ_m A_im g_m) for one Gramian, given each task's
 * order of the tasks j to project on; also the number of projections made for each task.
 *
 * @example
 * pcgradProjections([[1, -1], [-1, 2]], [[0, 1], [1, 0]], { epsilon: 0, excludeSelf: false })
 * // { combination: [[1, 0.5], [1, 1]], projections: [1, 1] }
 */
export const pcgradProjections = (
  gramian: ReadonlyArray<ReadonlyArray<number>>,
  orders: ReadonlyArray<ReadonlyArray<number>>,
  options: { readonly epsilon: number; readonly excludeSelf: boolean },
): { combination: number[][]; projections: number[] } => {
  const n = gramian.length;
  const combination = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (__, m): number => (i === m ? 1 : 0)),
  );
  const projections = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    const row = combination[i]!;
    for (const j of orders[i]!) {
      if (options.excludeSelf && j === i) continue;
      let inner = 0; // pc_i · g_j
      for (let m = 0; m < n; m++) inner += row[m]! * gramian[m]![j]!;
      if (!(inner < 0)) continue;
      // |g_j|² + ε ≤ 0 only for g_j = 0 (within the Gramian tolerance), where pc_i·g_j is 0 exactly.
      const squaredNorm = gramian[j]![j]! + options.epsilon;
      if (!(squaredNorm > 0)) continue;
      row[j] = row[j]! - inner / squaredNorm;
      projections[i] = projections[i]! + 1;
    }
  }
  return { combination, projections };
};

/**
 * PCGrad as a `GradientMethod` (`needs: "gramian"`).
 *
 * @example
 * const w = gradientWeighting(PCGRAD_METHOD, { seed: 1 });
 */
export const PCGRAD_METHOD: GradientMethod<t.TypeOf<typeof PcgradOptions>, PcgradConfig, PcgradMemory> = {
  name: "pcgrad",
  needs: "gramian",
  coefficientsOnSimplex: false,
  optionsCodec: PcgradOptions,
  configOf: (options) =>
    E.right({
      seed: options.seed ?? PCGRAD_DEFAULTS.seed,
      epsilon: options.epsilon ?? PCGRAD_DEFAULTS.epsilon,
      excludeSelf: options.excludeSelf ?? PCGRAD_DEFAULTS.excludeSelf,
      fixedOrder: options.fixedOrder ?? PCGRAD_DEFAULTS.fixedOrder,
    }),
  configProps: optionProps,
  initMemory: (config) => ({ rng: Rng.seeded(config.seed).state() }),
  memoryCodec: t.type({ rng: RngStateCodec }),
  memoryProblems: (memory) => rngStateProblems("rng", memory.rng),
  solve: (config, memory, problem) => {
    const n = problem.present.length;
    const rng = Rng.fromState(memory.rng);
    // One shuffle of all present tasks per task i, in task order, as LibMTL's loop draws them.
    const orders = Array.from({ length: n }, () => {
      const order = Array.from({ length: n }, (_, j) => j);
      return config.fixedOrder ? order : shuffleLikePython(order, rng);
    });
    const { combination, projections } = pcgradProjections(problem.gramian, orders, config);
    const coefficients = new Array<number>(n).fill(0);
    for (const row of combination) for (let m = 0; m < n; m++) coefficients[m] = coefficients[m]! + row[m]!;
    const overflow = nonFiniteCoefficients("PCGrad", coefficients, problem.present);
    if (overflow !== null) return E.left(overflow);
    return E.right({ coefficients, memory: { rng: rng.state() }, diagnostics: { projections } });
  },
};

/**
 * PCGrad as a gradient-aware weighting: the direction Σ_i pc_i = Σ_m c_m g_m, c_m ≥ 1 (not on
 * the simplex; all ones when no two gradients conflict).
 *
 * @example
 * const w = pcgrad({ seed: 0 });
 * const s = unwrap(w.init(2));
 * unwrap(w.step(s, { losses: [1, 1], gramian: [[1, -0.5], [-0.5, 1]] })).coefficients // [1.5, 1.5] (ε aside)
 */
export const pcgrad = (options: PcgradOptions = {}): GradientWeighting<PcgradState> =>
  gradientWeighting(PCGRAD_METHOD, options);

/**
 * PCGrad's command-line flags (`--seed 3 --exclude-self --epsilon 0` is TorchJD's PCGrad).
 *
 * @example
 * pcgradFlags["exclude-self"] // { key: "excludeSelf", kind: "boolean" }
 */
export const pcgradFlags: Record<string, FlagSpec> = {
  seed: { key: "seed", kind: "number" },
  epsilon: { key: "epsilon", kind: "number" },
  "exclude-self": { key: "excludeSelf", kind: "boolean" },
  "fixed-order": { key: "fixedOrder", kind: "boolean" },
};
