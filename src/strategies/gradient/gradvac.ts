import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Finite, NonNegativeInt } from "../../core/codecs.js";
import type { GradientWeighting } from "../../core/gradient-weighting.js";
import { Rng, type RngState } from "../../core/random.js";
import { strictPartial } from "../../core/strict.js";
import { vectorProblems } from "../common.js";
import type { FlagSpec } from "../registry.js";
import { gradientWeighting, type GradientMethod, type GradientMethodState } from "./method.js";
import { nonFiniteCoefficients, RngStateCodec, rngStateProblems, shuffleLikePython } from "./pcgrad.js";

/**
 * GradVac, Gradient Vaccine (Wang, Tsvetkov, Firat & Cao, "Gradient Vaccine: Investigating and
 * Improving Multi-task Optimization in Massively Multilingual Models", ICLR 2021), as LibMTL
 * implements it (`LibMTL/weighting/GradVac.py`, `GradVac.backward`, group type 0: the whole
 * shared parameter vector), factored through the Gramian.
 *
 * Memory: a target cosine ρ̂_ij for every ordered pair (0 at first). For each task i, pc_i starts
 * at g_i; for each other task j in a random order (a fresh shuffle of the other tasks for every
 * i), with ρ = pc_i·g_j / (|pc_i||g_j| + ε) the cosine of the CURRENT pc_i with the ORIGINAL g_j:
 * when ρ < ρ̂_ij, pc_i ← pc_i + w g_j with
 *   w = |pc_i| (ρ̂ √(1−ρ²) − ρ √(1−ρ̂²)) / (|g_j| √(1−ρ̂²) + ε),
 * which sets the cosine of pc_i with g_j to ρ̂_ij (ε aside); then, adjusted or not,
 * ρ̂_ij ← (1−β) ρ̂_ij + β ρ (ρ before the adjustment). The direction is the SUM Σ_i pc_i; as for
 * PCGrad pc_i = Σ_m A_im g_m, so the coefficients are c_m = Σ_i A_im (not on the simplex; each
 * ≥ 1, since w = |pc_i| sin(θ − θ̂) / (|g_j| sin θ̂) > 0; what LibMTL's `batch_weight` would hold
 * had its `+= w` line not been commented out).
 *
 * In Gramian form |pc_i|² = A_i G A_iᵀ: a pc_i that nearly cancels (g_j ≈ −g_i) has its norm
 * known only to about √(machine ε)·|g|, so there the coefficients may differ from a computation
 * on the vectors by ~1e-8 of the gradients' scale (docs/strategies/gradvac.md). √(1−x²) reads
 * max(0, 1−x²), and ρ is clamped to [−1, 1] against rounding; a zero denominator (ε = 0 with a
 * zero gradient, or ρ̂ = ±1) skips what it would divide.
 *
 * The order is drawn as for PCGrad (Python's shuffle algorithm on the state's generator), over
 * the present tasks only; the targets of pairs with an absent task are left as they are.
 */

const NonNegativeFinite = t.refinement(Finite, (n) => n >= 0, "number >= 0");
const UnitInterval = t.refinement(Finite, (n) => n >= 0 && n <= 1, "number in [0, 1]");

const optionProps = {
  beta: UnitInterval,
  seed: NonNegativeInt,
  epsilon: NonNegativeFinite,
};

/**
 * Options of `gradvac` (all optional): the EMA rate `beta` of the target cosines (0.5, LibMTL's
 * `--GradVac_beta`), the generator's `seed` (0) and the `epsilon` of both denominators (1e-8).
 *
 * @example
 * GradvacOptions.decode({ beta: 0.01, seed: 2 }) // Right
 */
export const GradvacOptions = strictPartial(optionProps, "GradvacOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type GradvacOptions = t.OutputOf<typeof GradvacOptions>;

/** GradVac's checked configuration (in the state, with numTasks and gramianTolerance). */
export interface GradvacConfig {
  readonly beta: number;
  readonly seed: number;
  readonly epsilon: number;
}

/**
 * GradVac's defaults: LibMTL's (beta 0.5, ε 1e-8).
 *
 * @example
 * GRADVAC_DEFAULTS.beta // 0.5
 */
export const GRADVAC_DEFAULTS: GradvacConfig = { beta: 0.5, seed: 0, epsilon: 1e-8 };

/** What GradVac carries between steps. */
export interface GradvacMemory {
  /** ρ̂[i][j], the target cosine of task i's adjusted gradient with g_j (K×K, diagonal unused). */
  readonly targets: ReadonlyArray<ReadonlyArray<number>>;
  /** The generator of the task orders. */
  readonly rng: RngState;
}

/** GradVac's state. */
export type GradvacState = GradientMethodState<GradvacConfig, GradvacMemory>;

const isCosine = (x: unknown): boolean => typeof x === "number" && x >= -1 && x <= 1;

const memoryProblems = (memory: GradvacMemory, _config: GradvacConfig, numTasks: number): string[] => {
  const rows = vectorProblems("targets", memory.targets, numTasks, () => true, "");
  if (rows.length > 0) return [...rows, ...rngStateProblems("rng", memory.rng)];
  return [
    ...memory.targets.flatMap((row, i) =>
      vectorProblems(`targets.${i}`, row, numTasks, isCosine, "a number in [-1, 1]"),
    ),
    ...rngStateProblems("rng", memory.rng),
  ];
};

const clampCosine = (x: number): number => Math.min(1, Math.max(-1, x));

/**
 * GradVac as a `GradientMethod` (`needs: "gramian"`).
 *
 * @example
 * const w = gradientWeighting(GRADVAC_METHOD, { beta: 0.01 });
 */
export const GRADVAC_METHOD: GradientMethod<t.TypeOf<typeof GradvacOptions>, GradvacConfig, GradvacMemory> = {
  name: "gradvac",
  needs: "gramian",
  coefficientsOnSimplex: false,
  optionsCodec: GradvacOptions,
  configOf: (options) =>
    E.right({
      beta: options.beta ?? GRADVAC_DEFAULTS.beta,
      seed: options.seed ?? GRADVAC_DEFAULTS.seed,
      epsilon: options.epsilon ?? GRADVAC_DEFAULTS.epsilon,
    }),
  configProps: optionProps,
  initMemory: (config, numTasks) => ({
    targets: Array.from({ length: numTasks }, () => new Array<number>(numTasks).fill(0)),
    rng: Rng.seeded(config.seed).state(),
  }),
  memoryCodec: t.type({ targets: t.array(t.array(Finite)), rng: RngStateCodec }),
  memoryProblems,
  solve: (config, memory, problem) => {
    const { present, gramian } = problem;
    const n = present.length;
    const { beta, epsilon } = config;
    const rng = Rng.fromState(memory.rng);
    const targets = memory.targets.map((row) => [...row]);
    const combination = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (__, m): number => (i === m ? 1 : 0)),
    );
    const adjustments = new Array<number>(n).fill(0);
    const gradientNorms = present.map((_, j) => Math.sqrt(Math.max(0, gramian[j]![j]!)));
    for (let i = 0; i < n; i++) {
      const others = Array.from({ length: n - 1 }, (_, j) => (j < i ? j : j + 1));
      shuffleLikePython(others, rng);
      const row = combination[i]!;
      // innerWithTasks[m] = pc_i · g_m, kept up to date so each pair costs O(n), not O(n²).
      const innerWithTasks = [...gramian[i]!];
      for (const j of others) {
        let squaredNorm = 0;
        for (let m = 0; m < n; m++) squaredNorm += row[m]! * innerWithTasks[m]!;
        const norm = Math.sqrt(Math.max(0, squaredNorm));
        const normJ = gradientNorms[j]!;
        const cosineDenominator = norm * normJ + epsilon;
        const cosine = cosineDenominator > 0 ? clampCosine(innerWithTasks[j]! / cosineDenominator) : 0;
        const targetRow = targets[present[i]!]!;
        const target = targetRow[present[j]!]!;
        if (cosine < target) {
          const targetSine = Math.sqrt(Math.max(0, 1 - target * target));
          const weightDenominator = normJ * targetSine + epsilon;
          if (weightDenominator > 0) {
            const weight =
              (norm * (target * Math.sqrt(Math.max(0, 1 - cosine * cosine)) - cosine * targetSine)) / weightDenominator;
            row[j] = row[j]! + weight;
            const gramianRow = gramian[j]!;
            for (let m = 0; m < n; m++) innerWithTasks[m] = innerWithTasks[m]! + weight * gramianRow[m]!;
            adjustments[i] = adjustments[i]! + 1;
          }
        }
        targetRow[present[j]!] = clampCosine((1 - beta) * target + beta * cosine);
      }
    }
    const coefficients = new Array<number>(n).fill(0);
    for (const row of combination) for (let m = 0; m < n; m++) coefficients[m] = coefficients[m]! + row[m]!;
    const overflow = nonFiniteCoefficients("GradVac", coefficients, present);
    if (overflow !== null) return E.left(overflow);
    return E.right({ coefficients, memory: { targets, rng: rng.state() }, diagnostics: { adjustments } });
  },
};

/**
 * GradVac as a gradient-aware weighting: the direction Σ_i pc_i = Σ_m c_m g_m (not on the
 * simplex; all ones while every cosine is at or above its target).
 *
 * @example
 * const w = gradvac({ beta: 0.5 });
 * const s = unwrap(w.init(2));
 * unwrap(w.step(s, { losses: [1, 1], gramian: [[1, -0.5], [-0.5, 1]] })).coefficients // ≈ [1.5, 1.5]: targets 0 at first, as PCGrad
 */
export const gradvac = (options: GradvacOptions = {}): GradientWeighting<GradvacState> =>
  gradientWeighting(GRADVAC_METHOD, options);

/**
 * GradVac's command-line flags (`--beta 0.5` is LibMTL's `--GradVac_beta 0.5`).
 *
 * @example
 * gradvacFlags.beta // { key: "beta", kind: "number" }
 */
export const gradvacFlags: Record<string, FlagSpec> = {
  beta: { key: "beta", kind: "number" },
  seed: { key: "seed", kind: "number" },
  epsilon: { key: "epsilon", kind: "number" },
};
