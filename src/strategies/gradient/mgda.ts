import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { invalidGramian, type StepError } from "../../core/errors.js";
import { strictPartial } from "../../core/strict.js";
import type { FlagSpec } from "../registry.js";
import {
  gradientWeighting,
  NoMemory,
  type GradientMethod,
  type GradientMethodState,
  type GradientProblem,
  type GradientSolution,
} from "./method.js";

/**
 * MGDA (Sener & Koltun 2018, "Multi-Task Learning as Multi-Objective Optimization"), as LibMTL's
 * `MGDA` computes it (LibMTL/weighting/MGDA.py): each task gradient is first divided by a
 * normaliser n_k (`mgda_gn`: none → 1, l2 → ‖g_k‖, loss → L_k, loss+ → L_k ‖g_k‖); the weights
 * w are the min-norm point of the convex hull of the normalised gradients,
 * w = argmin_{w ∈ simplex} wᵀ Ĝ w with Ĝ_ij = G_ij / (n_i n_j); and LibMTL (without
 * `rep_grad`) then descends along Σ_k w_k g_k / n_k, so the coefficients on the raw gradients
 * are c_k = w_k / n_k (on the simplex only for `none`). With `applyTo: "raw"`, c_k = w_k, what
 * LibMTL does with `rep_grad` and what the authors' code does (it reweights the raw losses).
 *
 * The default solver finds the min-norm point exactly (Wolfe's algorithm on the Gramian, each
 * affine sub-problem solved directly), so the KKT conditions hold to rounding;
 * `referenceSolver: true` runs LibMTL's `_find_min_norm_element` step by step instead (its
 * 2-task closed form clipped to 0.999/0.001, its best-pair start, at most 250 Frank–Wolfe-like
 * projected steps, stopping at an L1 change below 1e-5).
 */

const EPSILON = 2 ** -52;

/** LibMTL's `mgda_gn` choices. */
const GradientNormalization = t.keyof({ none: null, l2: null, loss: null, "loss+": null }, "GradientNormalization");
/** Which gradients the weights multiply: the normalised ones (LibMTL) or the raw ones (LibMTL's rep_grad path, the authors' code). */
const ApplyTo = t.keyof({ normalised: null, raw: null }, "ApplyTo");

const optionProps = {
  gradientNormalization: GradientNormalization,
  applyTo: ApplyTo,
  referenceSolver: t.boolean,
};

/**
 * Options of `mgda` (all optional): `gradientNormalization` ("none", LibMTL's `mgda_gn`
 * default; "l2", "loss", "loss+"), `applyTo` ("normalised", LibMTL's default; "raw") and
 * `referenceSolver` (false: the exact min-norm point; true: LibMTL's MinNormSolver as written).
 *
 * @example
 * MgdaOptions.decode({ gradientNormalization: "l2", referenceSolver: true }) // Right
 */
export const MgdaOptions = strictPartial(optionProps, "MgdaOptions");
/** What a user writes. */
export type MgdaOptions = t.OutputOf<typeof MgdaOptions>;

/**
 * MGDA's checked configuration (every option filled in).
 *
 * @example
 * unwrap(mgda().init(2)).config.gradientNormalization // "none"
 */
export interface MgdaConfig {
  readonly gradientNormalization: t.TypeOf<typeof GradientNormalization>;
  readonly applyTo: t.TypeOf<typeof ApplyTo>;
  readonly referenceSolver: boolean;
}

/**
 * LibMTL's defaults: no normalisation (`--mgda_gn none`), weights applied as LibMTL applies them
 * without `rep_grad`, and the exact solver (not a LibMTL default: see the method's page).
 *
 * @example
 * MGDA_DEFAULTS.gradientNormalization // "none"
 */
export const MGDA_DEFAULTS: MgdaConfig = {
  gradientNormalization: "none",
  applyTo: "normalised",
  referenceSolver: false,
};

/**
 * The result of `minNormPoint`.
 *
 * @example
 * minNormPoint([[1, 0], [0, 1]]) // { weights: [0.5, 0.5], squaredNorm: 0.5, iterations: 1 }
 */
export interface MinNormPoint {
  /** w on the simplex minimising wᵀ G w. */
  readonly weights: number[];
  /** wᵀ G w at `weights`: the squared norm of the min-norm point. */
  readonly squaredNorm: number;
  /** Major iterations (points added to the corral). */
  readonly iterations: number;
}

/**
 * Solves [[G_SS, 1], [1ᵀ, 0]] [v; μ] = [0; 1] by Gaussian elimination with partial pivoting:
 * v is the affine minimiser of ‖Σ_{i∈S} v_i p_i‖ with Σ v_i = 1. Null when the system is
 * singular (the corral is affinely dependent to working precision).
 */
const affineMinimiser = (
  gramian: ReadonlyArray<ReadonlyArray<number>>,
  corral: ReadonlyArray<number>,
): number[] | null => {
  const m = corral.length;
  const size = m + 1;
  const a = Array.from({ length: size }, (_, r) =>
    Array.from({ length: size + 1 }, (__, c): number => {
      if (c === size) return r === m ? 1 : 0;
      if (r === m && c === m) return 0;
      if (r === m || c === m) return 1;
      return gramian[corral[r]!]![corral[c]!]!;
    }),
  );
  for (let col = 0; col < size; col++) {
    let pivot = col;
    for (let r = col + 1; r < size; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (a[pivot]![col] === 0) return null;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const row = a[col]!;
    for (let r = col + 1; r < size; r++) {
      const factor = a[r]![col]! / row[col]!;
      if (factor === 0) continue;
      for (let c = col; c <= size; c++) a[r]![c] = a[r]![c]! - factor * row[c]!;
    }
  }
  const x = new Array<number>(size).fill(0);
  for (let r = size - 1; r >= 0; r--) {
    let s = a[r]![size]!;
    for (let c = r + 1; c < size; c++) s -= a[r]![c]! * x[c]!;
    x[r] = s / a[r]![r]!;
  }
  const v = x.slice(0, m);
  return v.every(Number.isFinite) ? v : null;
};

const matVec = (g: ReadonlyArray<ReadonlyArray<number>>, w: ReadonlyArray<number>): number[] =>
  g.map((row) => {
    let s = 0;
    for (let j = 0; j < row.length; j++) if (w[j] !== 0) s += row[j]! * w[j]!;
    return s;
  });

/**
 * The min-norm point of the convex hull of K points known only through their Gramian:
 * w = argmin_{w ≥ 0, Σw = 1} wᵀ G w. Wolfe's algorithm (1976): keep an affinely independent
 * "corral" of points, add the point that most decreases the objective's linearisation, and move
 * to the corral's affine minimiser, dropping points whose weight reaches 0 on the way. Each
 * affine minimiser is solved directly, so on termination the KKT conditions
 * (Gw)_i = wᵀGw for w_i > 0 and (Gw)_i ≥ wᵀGw for all i hold to rounding: the stopping test is
 * wᵀGw − min_i (Gw)_i ≤ 4 K ε max_i G_ii, the rounding error of Gw itself.
 *
 * Deterministic (ties go to the lowest index). Rank-deficient Gramians are fine (duplicates and
 * collinear points never enter the corral together); when w is not unique, one minimiser is
 * returned (the point Σ w_k p_k is unique). An all-zero Gramian gives uniform weights.
 * The Gramian must be symmetric positive semi-definite (what `checkGramian` ensures).
 *
 * @example
 * minNormPoint([[1, 0], [0, 1]]).weights // [0.5, 0.5]
 * minNormPoint([[4, 2], [2, 4]]).weights // [0.5, 0.5] (the midpoint, norm² 3)
 * minNormPoint([[1, 1], [1, 4]]).weights // [1, 0] (p_0 is closest and p_1 is beyond it)
 */
export const minNormPoint = (gramian: ReadonlyArray<ReadonlyArray<number>>): MinNormPoint => {
  const n = gramian.length;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, gramian[i]![i]!);
  if (n === 0) return { weights: [], squaredNorm: 0, iterations: 0 };
  if (!(scale > 0)) return { weights: new Array<number>(n).fill(1 / n), squaredNorm: 0, iterations: 0 };
  const tolerance = 4 * n * EPSILON * scale;
  // Start at the point closest to the origin (the lowest index on ties).
  let start = 0;
  for (let i = 1; i < n; i++) if (gramian[i]![i]! < gramian[start]![start]!) start = i;
  let corral = [start];
  let w = new Array<number>(n).fill(0);
  w[start] = 1;
  let objective = gramian[start]![start]!;
  let iterations = 0;
  // In exact arithmetic each major iteration lowers the objective, so corrals never repeat. In
  // floating point the last steps can change the objective by less than its rounding while
  // still moving the point (a weight of 1e-10 on a far point), so a step is judged by the KKT
  // gap wᵀGw − min_i (Gw)_i instead, and the point with the smallest gap is kept; the search
  // stops once the gap is at rounding level, or has not improved for K + 2 major iterations.
  let best = { w, objective, gap: Infinity };
  let sinceImprovement = 0;
  const maxIterations = 50 * n + 100;
  while (iterations < maxIterations) {
    const gw = matVec(gramian, w);
    let entering = 0;
    for (let i = 1; i < n; i++) if (gw[i]! < gw[entering]!) entering = i;
    const gap = objective - gw[entering]!;
    if (gap < best.gap) {
      best = { w, objective, gap };
      sinceImprovement = 0;
    } else if (++sinceImprovement > n + 2) break;
    if (gap <= tolerance || corral.includes(entering)) break;
    iterations++;
    let trial = [...corral, entering];
    let trialWeights = [...w];
    // Minor cycle: move towards the affine minimiser until it lies inside the corral's hull.
    for (let minor = 0; minor <= n; minor++) {
      const v = affineMinimiser(gramian, trial);
      if (v === null) {
        trial = [];
        break;
      }
      if (v.every((x) => x > 0)) {
        trialWeights = new Array<number>(n).fill(0);
        trial.forEach((k, i) => (trialWeights[k] = v[i]!));
        break;
      }
      // The longest step from the current weights towards v that keeps them ≥ 0.
      let theta = 1;
      let leaving = -1;
      trial.forEach((k, i) => {
        const current = trialWeights[k]!;
        if (v[i]! <= 0 && current - v[i]! > 0) {
          const step = current / (current - v[i]!);
          if (step < theta) {
            theta = step;
            leaving = k;
          }
        }
      });
      const next = new Array<number>(n).fill(0);
      trial.forEach((k, i) => (next[k] = (1 - theta) * trialWeights[k]! + theta * v[i]!));
      if (leaving >= 0) next[leaving] = 0;
      trial = trial.filter((k) => next[k]! > 0);
      for (let k = 0; k < n; k++) if (!trial.includes(k)) next[k] = 0;
      trialWeights = next;
      if (trial.length === 0) break;
    }
    if (trial.length === 0) break;
    const total = trial.reduce((s, k) => s + trialWeights[k]!, 0);
    corral = trial;
    w = trialWeights.map((x) => x / total);
    const trialGw = matVec(gramian, w);
    objective = w.reduce((s, x, i) => s + x * trialGw[i]!, 0);
  }
  // The last point, unless an earlier one had a smaller KKT gap.
  const finalGw = matVec(gramian, w);
  const finalGap = objective - finalGw.reduce((m, x) => Math.min(m, x), Infinity);
  if (best.gap < finalGap) {
    w = best.w;
    objective = best.objective;
  }
  return { weights: w, squaredNorm: Math.max(objective, 0), iterations };
};

/** LibMTL's `_min_norm_element_from2`: the weight on v1 of the min-norm point of [v1, v2], and its squared norm. */
const minNormOfTwo = (v1v1: number, v1v2: number, v2v2: number): { gamma: number; cost: number } => {
  if (v1v2 >= v1v1) return { gamma: 0.999, cost: v1v1 };
  if (v1v2 >= v2v2) return { gamma: 0.001, cost: v2v2 };
  const gamma = -1.0 * ((v1v2 - v2v2) / (v1v1 + v2v2 - 2 * v1v2));
  return { gamma, cost: v2v2 + gamma * (v1v2 - v2v2) };
};

/** LibMTL's `_projection2simplex`: Euclidean projection onto the simplex (sort-based threshold). */
const projectToSimplex = (y: ReadonlyArray<number>): number[] => {
  const m = y.length;
  const sorted = [...y].sort((a, b) => b - a);
  let partial = 0;
  let threshold = (y.reduce((s, x) => s + x, 0) - 1.0) / m;
  for (let i = 0; i < m - 1; i++) {
    partial += sorted[i]!;
    const candidate = (partial - 1) / (i + 1.0);
    if (candidate > sorted[i + 1]!) {
      threshold = candidate;
      break;
    }
  }
  return y.map((x) => Math.max(x - threshold, 0));
};

/** LibMTL's `_next_point`: a step along the projected descent direction, as long as the simplex allows, projected back. */
const nextPoint = (current: ReadonlyArray<number>, descent: ReadonlyArray<number>): number[] => {
  const n = current.length;
  const mean = descent.reduce((s, x) => s + x, 0) / n;
  const projected = descent.map((x) => x - mean);
  // t starts at 1, becomes the smallest step to a face where a weight reaches 0 (tm1) if any is
  // above 1e-7, then the smallest step to a face where a weight reaches 1 (tm2) if smaller.
  let step = 1;
  let smallestToZero = Infinity;
  let smallestToOne = Infinity;
  projected.forEach((p, i) => {
    if (p < 0) {
      const tm1 = (-1.0 * current[i]!) / p;
      if (tm1 > 1e-7) smallestToZero = Math.min(smallestToZero, tm1);
    } else if (p > 0) {
      const tm2 = (1.0 - current[i]!) / p;
      if (tm2 > 1e-7) smallestToOne = Math.min(smallestToOne, tm2);
    }
  });
  if (smallestToZero < Infinity) step = smallestToZero;
  if (smallestToOne < Infinity) step = Math.min(step, smallestToOne);
  return projectToSimplex(projected.map((p, i) => p * step + current[i]!));
};

/** Σ_i Σ_j a_i b_j G_ij (LibMTL's v1v1, v1v2, v2v2). */
const bilinear = (
  g: ReadonlyArray<ReadonlyArray<number>>,
  a: ReadonlyArray<number>,
  b: ReadonlyArray<number>,
): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) s += a[i]! * b[j]! * g[i]![j]!;
  return s;
};

/**
 * LibMTL's MinNormSolver limits: at most 250 iterations, stop when the L1 change is below 1e-5,
 * and only pairs whose min-norm cost is below 1e8 can start it.
 *
 * @example
 * LIBMTL_MIN_NORM_LIMITS.maxIterations // 250
 */
export const LIBMTL_MIN_NORM_LIMITS = { maxIterations: 250, stopChange: 1e-5, initialCost: 1e8 } as const;

/**
 * LibMTL's `MGDA._find_min_norm_element` on a Gramian, step by step in float64: the best pair
 * by the 2-task closed form (weights clipped to 0.999/0.001; pairs whose cost is not below
 * 1e8 are never chosen), returned as is for 2 tasks; otherwise at most 250 iterations of a
 * projected step along −Gw followed by the 2-point line search, stopping — and returning the
 * weights *before* the last update — once the update's L1 change is below 1e-5.
 *
 * `Left` where LibMTL fails: no pair has a cost below 1e8 (LibMTL's `sol` is then unbound), or
 * the iteration produces a non-finite weight. One task: [1] (LibMTL needs two).
 *
 * @example
 * libmtlMinNormSolver([[1, 0], [0, 1]]) // Right([0.5, 0.5])
 * libmtlMinNormSolver([[1, 1], [1, 4]]) // Right([0.999, 0.001]) (the exact answer is [1, 0])
 */
export const libmtlMinNormSolver = (gramian: ReadonlyArray<ReadonlyArray<number>>): E.Either<string, number[]> => {
  const n = gramian.length;
  if (n === 1) return E.right([1]);
  let best: { i: number; j: number; gamma: number } | null = null;
  let smallestCost: number = LIBMTL_MIN_NORM_LIMITS.initialCost;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const { gamma, cost } = minNormOfTwo(gramian[i]![i]!, gramian[i]![j]!, gramian[j]![j]!);
      if (cost < smallestCost) {
        smallestCost = cost;
        best = { i, j, gamma };
      }
    }
  }
  if (best === null) {
    return E.left(
      `LibMTL's min-norm solver has no starting pair: every pair's min-norm cost is >= ${LIBMTL_MIN_NORM_LIMITS.initialCost} (its initial bound), where LibMTL fails`,
    );
  }
  let solution = new Array<number>(n).fill(0);
  solution[best.i] = best.gamma;
  solution[best.j] = 1 - best.gamma;
  if (n < 3) return E.right(solution);
  for (let iteration = 0; iteration < LIBMTL_MIN_NORM_LIMITS.maxIterations; iteration++) {
    const descent = matVec(gramian, solution).map((x) => -1.0 * x);
    const candidate = nextPoint(solution, descent);
    const { gamma } = minNormOfTwo(
      bilinear(gramian, solution, solution),
      bilinear(gramian, solution, candidate),
      bilinear(gramian, candidate, candidate),
    );
    const updated = solution.map((x, i) => gamma * x + (1 - gamma) * candidate[i]!);
    const change = updated.reduce((s, x, i) => s + Math.abs(x - solution[i]!), 0);
    if (change < LIBMTL_MIN_NORM_LIMITS.stopChange) return E.right(solution);
    if (!updated.every(Number.isFinite))
      return E.left("LibMTL's min-norm solver produced a non-finite weight (a degenerate 2-point step)");
    solution = updated;
  }
  return E.right(solution);
};

/**
 * LibMTL's gradient normalisers n_k (`_gradient_normalizers`): 1, ‖g_k‖, L_k or L_k ‖g_k‖.
 * A normaliser of 0 (a zero gradient under l2 or loss+, where LibMTL divides by zero and gets
 * NaN) is replaced by 1: the zero gradient stays zero.
 *
 * @example
 * mgdaNormalisers("loss+", [[4, 0], [0, 9]], [0.5, 2]) // [1, 6]
 */
export const mgdaNormalisers = (
  kind: MgdaConfig["gradientNormalization"],
  gramian: ReadonlyArray<ReadonlyArray<number>>,
  losses: ReadonlyArray<number>,
): number[] =>
  gramian.map((row, i) => {
    const norm = Math.sqrt(Math.max(row[i]!, 0));
    const value = kind === "l2" ? norm : kind === "loss" ? losses[i]! : kind === "loss+" ? losses[i]! * norm : 1;
    return value > 0 ? value : 1;
  });

/** MGDA's step on the present tasks. */
const solveMgda = (
  config: MgdaConfig,
  _memory: null,
  problem: GradientProblem,
): E.Either<StepError, GradientSolution<null>> => {
  const normalisers = mgdaNormalisers(config.gradientNormalization, problem.gramian, problem.losses);
  const scaled = problem.gramian.map((row, i) => row.map((v, j) => v / (normalisers[i]! * normalisers[j]!)));
  const solved = config.referenceSolver ? libmtlMinNormSolver(scaled) : E.right(minNormPoint(scaled).weights);
  if (E.isLeft(solved)) return E.left(invalidGramian(solved.left));
  const weights = solved.right;
  const coefficients = config.applyTo === "normalised" ? weights.map((w, i) => w / normalisers[i]!) : weights;
  if (!coefficients.every(Number.isFinite))
    return E.left(invalidGramian(`MGDA's coefficients are not finite (${coefficients.join(", ")})`));
  return E.right({ coefficients, memory: null, diagnostics: { normaliser: normalisers, simplexWeight: weights } });
};

/**
 * MGDA's definition for `gradientWeighting`. Its coefficients are on the simplex only without
 * normalisation or with `applyTo: "raw"`; `mgda()` sets `coefficientsOnSimplex` accordingly.
 *
 * @example
 * gradientWeighting(MGDA_METHOD, { referenceSolver: true }).name // "mgda"
 */
export const MGDA_METHOD: GradientMethod<MgdaOptions, MgdaConfig, null> = {
  name: "mgda",
  needs: "gramian",
  coefficientsOnSimplex: false,
  optionsCodec: MgdaOptions,
  configOf: (options) => E.right({ ...MGDA_DEFAULTS, ...options }),
  configProps: optionProps,
  initMemory: () => null,
  memoryCodec: NoMemory,
  solve: solveMgda,
};

/**
 * MGDA as a gradient-aware weighting: c_k = w_k / n_k with w the min-norm point of the
 * normalised gradients' hull (see `MGDA_METHOD`). Diagnostics: `normaliser` (n_k) and
 * `simplexWeight` (w_k).
 *
 * @example
 * const w = mgda();
 * const r = unwrap(w.step(unwrap(w.init(2)), { losses: [1, 1], gramian: [[1, 0], [0, 4]] }));
 * r.coefficients // [0.8, 0.2]: the point of the segment closest to 0
 */
export const mgda = (options: MgdaOptions = {}) => {
  const o: Partial<Record<string, unknown>> = typeof options === "object" && options !== null ? options : {};
  const onSimplex = (o["gradientNormalization"] ?? "none") === "none" || o["applyTo"] === "raw";
  return gradientWeighting({ ...MGDA_METHOD, coefficientsOnSimplex: onSimplex }, options);
};

/** The state of `mgda()` (the common envelope, no memory). */
export type MgdaState = GradientMethodState<MgdaConfig, null>;

/**
 * MGDA's command-line flags (`--gradient-normalization l2 --apply-to raw --reference-solver`).
 *
 * @example
 * mgdaFlags["reference-solver"] // { key: "referenceSolver", kind: "boolean" }
 */
export const mgdaFlags: Record<string, FlagSpec> = {
  "gradient-normalization": { key: "gradientNormalization", kind: "string" },
  "apply-to": { key: "applyTo", kind: "string" },
  "reference-solver": { key: "referenceSolver", kind: "boolean" },
};
