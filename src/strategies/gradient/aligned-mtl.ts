import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Finite } from "../../core/codecs.js";
import { invalidGramian, invalidState, type StepError } from "../../core/errors.js";
import { strictPartial } from "../../core/strict.js";
import type { FlagSpec } from "../registry.js";
import { FLOAT32_EPSILON, scaledSymmetricEigen } from "./imtl-g.js";
import {
  gradientWeighting,
  NoMemory,
  type GradientMethod,
  type GradientMethodState,
  type GradientProblem,
  type GradientSolution,
} from "./method.js";

/**
 * Aligned-MTL (Senushkin et al. 2023, "Independent Component Alignment for Multi-Task
 * Learning"), as LibMTL's `Aligned_MTL` (LibMTL/weighting/Aligned_MTL.py) and TorchJD's
 * `AlignedMTLWeighting` (src/torchjd/aggregation/_aligned_mtl.py) compute it from the Gramian
 * G = V Λ Vᵀ: eigenvalues at most λ_max × K × ε (ε = float32's 2⁻²³, `torch.finfo().eps`)
 * are dropped, and with the r kept ones the balance transformation is
 * B = √λ_scale · V_r Λ_r^{-1/2} V_rᵀ (λ_scale the smallest kept eigenvalue by default). The
 * aligned gradients B G have Gramian B G B = λ_scale · V_r V_rᵀ: equal singular values √λ_scale.
 * The coefficients are c = B p, p the preference vector: all ones in LibMTL (`B.sum(0)`), the
 * mean 1/m in TorchJD, so TorchJD's c is LibMTL's divided by the number of tasks.
 */

const ScaleMode = t.keyof({ min: null, median: null, rmse: null }, "ScaleMode");
/** A number in (0, 1). */
const OpenUnit = t.refinement(t.number, (n) => n > 0 && n < 1, "number in (0, 1)");

const optionProps = {
  scaleMode: ScaleMode,
  prefVector: t.array(Finite),
  meanWeighting: t.boolean,
  rankEpsilon: t.number,
};

/**
 * Options of `alignedMtl` (all optional): `scaleMode` ("min", both references' default;
 * TorchJD's "median" and "rmse"), `prefVector` (K numbers; default all ones, LibMTL's
 * `B.sum(0)`), `meanWeighting` (divide p by the number of present tasks, TorchJD's default
 * `MeanWeighting`) and `rankEpsilon` (default 2⁻²³).
 *
 * @example
 * AlignedMtlOptions.decode({ meanWeighting: true }) // Right: TorchJD's AlignedMTL()
 */
export const AlignedMtlOptions = strictPartial(optionProps, "AlignedMtlOptions");
/** What a user writes. */
export type AlignedMtlOptions = t.OutputOf<typeof AlignedMtlOptions>;

/**
 * Aligned-MTL's checked configuration (`prefVector` null: all ones).
 *
 * @example
 * unwrap(alignedMtl().init(2)).config.scaleMode // "min"
 */
export interface AlignedMtlConfig {
  readonly scaleMode: t.TypeOf<typeof ScaleMode>;
  readonly prefVector: ReadonlyArray<number> | null;
  readonly meanWeighting: boolean;
  readonly rankEpsilon: number;
}

/**
 * LibMTL's defaults: smallest kept eigenvalue, preference all ones, float32's epsilon.
 *
 * @example
 * ALIGNED_MTL_DEFAULTS.rankEpsilon // 2 ** -23
 */
export const ALIGNED_MTL_DEFAULTS: AlignedMtlConfig = {
  scaleMode: "min",
  prefVector: null,
  meanWeighting: false,
  rankEpsilon: FLOAT32_EPSILON,
};

/**
 * The balance transformation B of a Gramian (LibMTL's and TorchJD's
 * `_compute_balance_transformation`): `scaleMode` picks λ_scale among the kept eigenvalues
 * (min: the smallest; median: the lower median, as `torch.median`; rmse: the mean). When no
 * eigenvalue is kept (G = 0) B is the identity, as in TorchJD (LibMTL fails there); the
 * direction is then 0 whatever c is. Also returns the rank r and λ_scale.
 *
 * @example
 * balanceTransformation([[4, 0], [0, 1]], "min", 2 ** -23).matrix // [[0.5, 0], [0, 1]]
 */
export const balanceTransformation = (
  gramian: ReadonlyArray<ReadonlyArray<number>>,
  scaleMode: AlignedMtlConfig["scaleMode"],
  rankEpsilon: number,
): { matrix: number[][]; rank: number; scale: number } => {
  const k = gramian.length;
  const { values, vectors } = scaledSymmetricEigen(gramian);
  const largest = values.reduce((m, x) => Math.max(m, x), -Infinity);
  const tolerance = largest * k * rankEpsilon;
  // Ascending order: the kept eigenvalues are a suffix.
  const kept = values.map((_, e) => e).filter((e) => values[e]! > tolerance);
  if (kept.length === 0)
    return { matrix: gramian.map((row, i) => row.map((_, j) => (i === j ? 1 : 0))), rank: 0, scale: 0 };
  const keptValues = kept.map((e) => values[e]!);
  const scale =
    scaleMode === "min"
      ? keptValues[0]!
      : scaleMode === "median"
        ? keptValues[Math.floor((keptValues.length - 1) / 2)]!
        : keptValues.reduce((s, x) => s + x, 0) / keptValues.length;
  const root = Math.sqrt(scale);
  const matrix = Array.from({ length: k }, (_, i) =>
    Array.from({ length: k }, (__, j) => {
      let s = 0;
      for (const e of kept) s += (vectors[i]![e]! * vectors[j]![e]!) / Math.sqrt(values[e]!);
      return root * s;
    }),
  );
  return { matrix, rank: kept.length, scale };
};

/** Aligned-MTL's step on the present tasks. */
const solveAlignedMtl = (
  config: AlignedMtlConfig,
  _memory: null,
  problem: GradientProblem,
): E.Either<StepError, GradientSolution<null>> => {
  const { present, numTasks } = problem;
  const pref = config.prefVector;
  if (pref !== null && pref.length !== numTasks)
    return E.left(invalidState([`config.prefVector: expected ${numTasks} entries, one per task (got ${pref.length})`]));
  const divisor = config.meanWeighting ? present.length : 1;
  const preference = present.map((k) => (pref === null ? 1 : pref[k]!) / divisor);
  const { matrix } = balanceTransformation(problem.gramian, config.scaleMode, config.rankEpsilon);
  const coefficients = matrix.map((row) => row.reduce((s, x, j) => s + x * preference[j]!, 0));
  if (!coefficients.every(Number.isFinite))
    return E.left(invalidGramian(`Aligned-MTL's coefficients are not finite (${coefficients.join(", ")})`));
  return E.right({ coefficients, memory: null });
};

/**
 * Aligned-MTL's definition for `gradientWeighting`.
 *
 * @example
 * gradientWeighting(ALIGNED_MTL_METHOD, { meanWeighting: true }).name // "aligned-mtl"
 */
export const ALIGNED_MTL_METHOD: GradientMethod<t.TypeOf<typeof AlignedMtlOptions>, AlignedMtlConfig, null> = {
  name: "aligned-mtl",
  needs: "gramian",
  coefficientsOnSimplex: false,
  optionsCodec: AlignedMtlOptions,
  configOf: (options, numTasks) => {
    const config: AlignedMtlConfig = {
      ...ALIGNED_MTL_DEFAULTS,
      ...options,
      prefVector: options.prefVector === undefined ? null : [...options.prefVector],
    };
    const problems: string[] = [];
    if (config.prefVector !== null && config.prefVector.length !== numTasks) {
      problems.push(`prefVector: expected ${numTasks} entries, one per task (got ${config.prefVector.length})`);
    }
    if (!OpenUnit.is(config.rankEpsilon))
      problems.push(`rankEpsilon: expected a number in (0, 1) (got ${String(config.rankEpsilon)})`);
    return problems.length > 0 ? E.left(problems) : E.right(config);
  },
  configProps: {
    scaleMode: ScaleMode,
    prefVector: t.union([t.array(Finite), t.null]),
    meanWeighting: t.boolean,
    rankEpsilon: OpenUnit,
  },
  initMemory: () => null,
  memoryCodec: NoMemory,
  solve: solveAlignedMtl,
};

/**
 * Aligned-MTL as a gradient-aware weighting: c = B p. Not on the simplex: with LibMTL's
 * defaults the coefficients are positive for orthogonal gradients but need not sum to 1.
 *
 * @example
 * const w = alignedMtl();
 * const r = unwrap(w.step(unwrap(w.init(2)), { losses: [1, 1], gramian: [[4, 0], [0, 1]] }));
 * r.coefficients // [0.5, 1]: both aligned gradients have norm 1, the smaller singular value
 */
export const alignedMtl = (options: AlignedMtlOptions = {}) => gradientWeighting(ALIGNED_MTL_METHOD, options);

/** The state of `alignedMtl()` (the common envelope, no memory). */
export type AlignedMtlState = GradientMethodState<AlignedMtlConfig, null>;

/**
 * Aligned-MTL's command-line flags (`--scale-mode median --pref-vector 1,2 --mean-weighting --rank-epsilon 1e-7`).
 *
 * @example
 * alignedMtlFlags["mean-weighting"] // { key: "meanWeighting", kind: "boolean" }
 */
export const alignedMtlFlags: Record<string, FlagSpec> = {
  "scale-mode": { key: "scaleMode", kind: "string" },
  "pref-vector": { key: "prefVector", kind: "numbers" },
  "mean-weighting": { key: "meanWeighting", kind: "boolean" },
  "rank-epsilon": { key: "rankEpsilon", kind: "number" },
};
