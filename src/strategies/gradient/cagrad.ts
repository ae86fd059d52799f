import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Finite } from "../../core/codecs.js";
import { strictPartial } from "../../core/strict.js";
import type { FlagSpec } from "../registry.js";
import { solveDense } from "./linalg.js";
import {
  gradientWeighting,
  NoMemory,
  type GradientMethod,
  type GradientMethodState,
  type GradientProblem,
  type GradientSolution,
} from "./method.js";

/**
 * CAGrad (Liu, Liu, Jin, Stone & Liu 2021, "Conflict-Averse Gradient Descent for Multi-task
 * Learning"), as LibMTL's `LibMTL/weighting/CAGrad.py` computes it (the same code as the
 * authors' `nyuv2/utils.py` in github.com/Cranial-XIX/CAGrad). Over the K present tasks, with
 * G the Gramian and b = (1/K, …, 1/K):
 *
 *   ‖g0‖ = sqrt(mean(G) + 1e-8)                     (the norm of the mean gradient g0 = Σ b_k g_k)
 *   c    = calpha ‖g0‖ + 1e-8
 *   w    = argmin over the simplex of  wᵀ G b + c sqrt(wᵀ G w + 1e-8)
 *   λ    = c / (‖g_w‖ + 1e-8),  ‖g_w‖ = sqrt(wᵀ G w)
 *   d    = (g0 + λ g_w) / s,  s = 1 + calpha² (rescale 1), 1 (rescale 0) or 1 + calpha (rescale 2)
 *
 * so the coefficients are c_k = (1/K + λ w_k) / s; they sum to (1 + λ) / s, not to 1.
 *
 * The reference minimises the dual with scipy's SLSQP (ftol 1e-6, at most 100 iterations, from
 * w = b). Here a primal-dual interior-point method with Newton steps solves the same problem to a
 * projected-gradient KKT residual of about 1e-16 (on the objective divided by the mean ‖g_k‖²;
 * `cagradDual` reports it). When 0 is (nearly) in the convex hull of the gradients, the optimum
 * has ‖g_w‖ of the order of the 1e-8 inside the square root and the problem is ill-conditioned;
 * a log-barrier stage then takes over and reaches 1e-9 to 1e-13 (the Gramian's own rounding,
 * 1e-16 of ‖g‖², bounds what can be determined there).
 */

const NonNegativeFinite = t.refinement(Finite, (n) => n >= 0, "finite number >= 0");
const Rescale = t.union([t.literal(0), t.literal(1), t.literal(2)], "0 | 1 | 2");

const optionProps = { calpha: NonNegativeFinite, rescale: Rescale };

/**
 * Options of `cagrad` (all optional), named as LibMTL names them: `calpha` (0.5), the radius
 * factor c of the ball around the mean gradient, and `rescale` (1): divide the direction by
 * 1 + calpha² (1), by 1 + calpha (2) or not at all (0).
 *
 * @example
 * CagradOptions.decode({ calpha: 0.4, rescale: 0 }) // Right
 */
export const CagradOptions = strictPartial(optionProps, "CagradOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type CagradOptions = t.OutputOf<typeof CagradOptions>;

/**
 * LibMTL's defaults (`--calpha 0.5 --rescale 1`, LibMTL/config.py).
 *
 * @example
 * CAGRAD_DEFAULTS.calpha // 0.5
 */
export const CAGRAD_DEFAULTS = { calpha: 0.5, rescale: 1 } as const;

/**
 * CAGrad's checked configuration (stored in the state besides numTasks and gramianTolerance).
 *
 * @example
 * unwrap(cagrad().init(2)).config.rescale // 1
 */
export interface CagradConfig {
  readonly calpha: number;
  readonly rescale: 0 | 1 | 2;
}

/** The divisor LibMTL applies to g0 + λ g_w for each `rescale` value. */
const rescaleDivisor = (config: CagradConfig): number =>
  config.rescale === 1 ? 1 + config.calpha * config.calpha : config.rescale === 2 ? 1 + config.calpha : 1;

/** The Euclidean projection of v onto the probability simplex (sort and threshold). */
const projectOntoSimplex = (v: ReadonlyArray<number>): number[] => {
  const sorted = [...v].sort((x, y) => y - x);
  let cumulative = 0;
  let threshold = 0;
  for (let i = 0; i < sorted.length; i++) {
    cumulative += sorted[i]!;
    const candidate = (cumulative - 1) / (i + 1);
    if (sorted[i]! - candidate > 0) threshold = candidate;
  }
  return v.map((x) => Math.max(x - threshold, 0));
};

/** The solution of CAGrad's dual: the simplex weights w, the Newton iterations and the KKT residual. */
export interface CagradDualSolution {
  /** w on the simplex, one per row of the Gramian. */
  readonly weights: number[];
  /** c = calpha ‖g0‖ + 1e-8, the radius of the ball in LibMTL's parameterisation. */
  readonly radius: number;
  /**
   * ‖w − Π(w − ∇f(w))‖∞ for the objective f divided by the mean diagonal of G (scale-free),
   * Π the projection onto the simplex: 0 exactly at the optimum.
   */
  readonly kktResidual: number;
  readonly iterations: number;
}

/**
 * Minimises LibMTL's CAGrad objective wᵀ G b + c sqrt(wᵀ G w + 1e-8) over the simplex, with
 * b = 1/K and c = calpha sqrt(mean(G) + 1e-8) + 1e-8 (a convex problem). Deterministic: a
 * primal-dual interior point (Newton steps on the perturbed KKT system, barrier parameter driven
 * to ~1e-17 of the scaled objective), then, only if its KKT residual stays above 1e-12, a
 * log-barrier method (at most 600 more Newton steps); the point with the smaller residual wins.
 * The minimiser w need not be unique when G is singular; the direction Σ w_k g_k is.
 *
 * @example
 * cagradDual([[1, 0], [0, 1]], 0.5).weights // [0.5, 0.5]
 */
export const cagradDual = (gramian: ReadonlyArray<ReadonlyArray<number>>, calpha: number): CagradDualSolution => {
  const k = gramian.length;
  let total = 0;
  let trace = 0;
  gramian.forEach((row, i) => {
    row.forEach((v) => (total += v));
    trace += row[i]!;
  });
  const radius = calpha * Math.sqrt(Math.max(total / (k * k) + 1e-8, 0)) + 1e-8;
  const uniform = new Array<number>(k).fill(1 / k);
  // All gradients zero: the objective is constant, any w is optimal; keep the uniform one.
  if (!(trace > 0)) return { weights: uniform, radius, kktResidual: 0, iterations: 0 };
  // Divide the objective by s = mean diagonal: the same minimiser, gradients of order 1.
  const s = trace / k;
  const g = gramian.map((row) => row.map((v) => v / s));
  const a = g.map((row) => row.reduce((acc, v) => acc + v / k, 0));
  const cs = radius / Math.sqrt(s);
  const eps = 1e-8 / s;
  const objectiveGradient = (w: ReadonlyArray<number>): { grad: number[]; gw: number[]; q: number } => {
    const gw = g.map((row) => row.reduce((acc, v, j) => acc + v * w[j]!, 0));
    const q = Math.sqrt(
      Math.max(
        gw.reduce((acc, v, i) => acc + v * w[i]!, 0),
        0,
      ) + eps,
    );
    return { grad: a.map((ai, i) => ai + (cs * gw[i]!) / q), gw, q };
  };
  const kktOf = (w: ReadonlyArray<number>): number => {
    const { grad } = objectiveGradient(w);
    const projected = projectOntoSimplex(w.map((wi, i) => wi - grad[i]!));
    return projected.reduce((m, p, i) => Math.max(m, Math.abs(p - w[i]!)), 0);
  };

  // Stage 1, primal-dual interior point: Newton on the perturbed KKT system
  // ∇f(w) − ν1 − z = 0, Σ w = 1, w_i z_i = μ, with fraction-to-the-boundary steps and
  // backtracking on the KKT residual; fast and accurate wherever f is well curved.
  const residualOf = (wv: ReadonlyArray<number>, zv: ReadonlyArray<number>, nuv: number, target: number): number => {
    const { grad } = objectiveGradient(wv);
    let r = Math.abs(wv.reduce((acc, v) => acc + v, 0) - 1);
    for (let i = 0; i < k; i++) r = Math.max(r, Math.abs(grad[i]! - nuv - zv[i]!), Math.abs(wv[i]! * zv[i]! - target));
    return r;
  };
  let w = [...uniform];
  let z = new Array<number>(k).fill(1);
  let nu = objectiveGradient(w).grad.reduce((acc, v) => acc + v, 0) / k - 1;
  let best = { w: [...w], kkt: kktOf(w) };
  let iterations = 0;
  let lastStep = 0;
  for (let round = 0; round < 100; round++, iterations++) {
    const { grad, gw, q } = objectiveGradient(w);
    const mu = w.reduce((acc, wi, i) => acc + wi * z[i]!, 0) / k;
    const dual = grad.reduce((m, gi, i) => Math.max(m, Math.abs(gi - nu - z[i]!)), 0);
    if (mu < 1e-17 && dual < 1e-15) break;
    // Aim for a fast decrease of the barrier parameter once the steps are long.
    const target = (lastStep > 0.9 ? Math.min(0.01, mu) : 0.1) * mu;
    // ∇²f = c (G / q − (G w)(G w)ᵀ / q³), plus Z / W from the bounds w >= 0; Σ w = 1 as a border.
    const system = Array.from({ length: k + 1 }, (_, i) =>
      Array.from({ length: k + 1 }, (__, j): number => {
        if (i === k && j === k) return 0;
        if (i === k || j === k) return 1;
        return cs * (g[i]![j]! / q - (gw[i]! * gw[j]!) / (q * q * q)) + (i === j ? z[i]! / w[i]! : 0);
      }),
    );
    const rhs = [
      ...grad.map((gi, i) => -(gi - nu - z[i]!) - (w[i]! * z[i]! - target) / w[i]!),
      1 - w.reduce((acc, v) => acc + v, 0),
    ];
    const solution = solveDense(system, rhs);
    const dw = solution.slice(0, k);
    const dnu = -solution[k]!; // the border is +1 in both places, so the last unknown is −Δν
    const dz = w.map((wi, i) => (target - wi * z[i]! - z[i]! * dw[i]!) / wi);
    const tau = Math.max(0.99, 1 - mu);
    let step = 1;
    for (let i = 0; i < k; i++) {
      if (dw[i]! < 0) step = Math.min(step, (-tau * w[i]!) / dw[i]!);
      if (dz[i]! < 0) step = Math.min(step, (-tau * z[i]!) / dz[i]!);
    }
    const before = residualOf(w, z, nu, target);
    for (let tries = 0; tries < 40; tries++) {
      if (
        residualOf(
          w.map((wi, i) => wi + step * dw[i]!),
          z.map((zi, i) => zi + step * dz[i]!),
          nu + step * dnu,
          target,
        ) <=
        (1 - 1e-4 * step) * before
      )
        break;
      step /= 2;
    }
    w = w.map((wi, i) => wi + step * dw[i]!);
    z = z.map((zi, i) => zi + step * dz[i]!);
    nu += step * dnu;
    lastStep = step;
    const kkt = kktOf(w);
    if (kkt <= best.kkt) best = { w: [...w], kkt };
  }
  // Stage 2, only where stage 1 stalled (0 within about 1e-4 of the convex hull of the
  // gradients, where sqrt(wᵀGw + 1e-8) bends sharply and the problem is ill-conditioned): a
  // log-barrier method, minimising t f(w) − Σ log w_i on
  // Σ w = 1 by damped Newton (Armijo on the barrier, which is convex, so it converges), t × 10
  // per round until K/t is below 1e-15 of the objective.
  if (best.kkt > 1e-12) {
    const objective = (wv: ReadonlyArray<number>): number => {
      const { q } = objectiveGradient(wv);
      return a.reduce((acc, ai, i) => acc + ai * wv[i]!, 0) + cs * q;
    };
    const barrier = (wv: ReadonlyArray<number>, t: number): number =>
      wv.every((wi) => wi > 0) ? t * objective(wv) - wv.reduce((acc, wi) => acc + Math.log(wi), 0) : Infinity;
    w = [...uniform];
    // At most 600 Newton steps in all: the ill-conditioned cases gain little beyond that.
    const budget = iterations + 600;
    for (let t = 1; t < 1e30 && iterations < budget; t *= 10) {
      for (let newton = 0; newton < 100 && iterations < budget; newton++, iterations++) {
        const { grad, gw, q } = objectiveGradient(w);
        const barrierGradient = grad.map((gi, i) => t * gi - 1 / w[i]!);
        const system = Array.from({ length: k + 1 }, (_, i) =>
          Array.from({ length: k + 1 }, (__, j): number => {
            if (i === k && j === k) return 0;
            if (i === k || j === k) return 1;
            return t * cs * (g[i]![j]! / q - (gw[i]! * gw[j]!) / (q * q * q)) + (i === j ? 1 / (w[i]! * w[i]!) : 0);
          }),
        );
        const step = solveDense(system, [
          ...barrierGradient.map((v) => -v),
          1 - w.reduce((acc, v) => acc + v, 0),
        ]).slice(0, k);
        const decrement = -barrierGradient.reduce((acc, v, i) => acc + v * step[i]!, 0);
        const start = barrier(w, t);
        // Centred to rounding: a smaller decrease would not show in the barrier's value.
        if (
          !(
            decrement >
            1e-15 * (Math.abs(t * objective(w)) + w.reduce((acc, wi) => acc + Math.abs(Math.log(wi)), 0) + 1)
          )
        )
          break;
        let size = 1;
        while (
          size > 1e-20 &&
          !(
            barrier(
              w.map((wi, i) => wi + size * step[i]!),
              t,
            ) <=
            start - 0.25 * size * decrement
          )
        )
          size /= 2;
        if (!(size > 1e-20)) break;
        w = w.map((wi, i) => wi + size * step[i]!);
      }
      const kkt = kktOf(w);
      if (kkt <= best.kkt) best = { w: [...w], kkt };
      if (k / t < 1e-15 * Math.max(Math.abs(objective(w)), 1e-300)) break;
    }
  }
  // The interior point keeps w > 0 and Σ w = 1 up to rounding; restore the sum exactly.
  const sum = best.w.reduce((acc, v) => acc + v, 0);
  const weights = best.w.map((v) => Math.max(v, 0) / sum);
  return { weights, radius, kktResidual: kktOf(weights), iterations };
};

/**
 * One CAGrad step on the present tasks' Gramian: LibMTL's coefficients c_k = (1/K + λ w_k) / s.
 *
 * @example
 * cagradCoefficients([[1, 0], [0, 1]], { calpha: 0.5, rescale: 1 }).coefficients // two equal entries
 */
export const cagradCoefficients = (
  gramian: ReadonlyArray<ReadonlyArray<number>>,
  config: CagradConfig,
): { coefficients: number[]; weights: number[]; lambda: number; kktResidual: number } => {
  const k = gramian.length;
  const dual = cagradDual(gramian, config.calpha);
  const w = dual.weights;
  let quadratic = 0;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) quadratic += w[i]! * gramian[i]![j]! * w[j]!;
  const lambda = dual.radius / (Math.sqrt(Math.max(quadratic, 0)) + 1e-8);
  const divisor = rescaleDivisor(config);
  return {
    coefficients: w.map((wk) => (1 / k + lambda * wk) / divisor),
    weights: w,
    lambda,
    kktResidual: dual.kktResidual,
  };
};

/**
 * CAGrad as a `GradientMethod`: stateless, needs the Gramian. Diagnostics per present task: `w`
 * (the dual's simplex weights), and `lambda` and `kktResidual` (the same value on every task).
 *
 * @example
 * gradientWeighting(CAGRAD_METHOD, { calpha: 0.4 })
 */
export const CAGRAD_METHOD: GradientMethod<t.TypeOf<typeof CagradOptions>, CagradConfig, null> = {
  name: "cagrad",
  needs: "gramian",
  coefficientsOnSimplex: false,
  optionsCodec: CagradOptions,
  configOf: (options) =>
    E.right({ calpha: options.calpha ?? CAGRAD_DEFAULTS.calpha, rescale: options.rescale ?? CAGRAD_DEFAULTS.rescale }),
  configProps: optionProps,
  initMemory: () => null,
  memoryCodec: NoMemory,
  solve: (config: CagradConfig, memory: null, problem: GradientProblem): E.Either<never, GradientSolution<null>> => {
    const { coefficients, weights, lambda, kktResidual } = cagradCoefficients(problem.gramian, config);
    return E.right({
      coefficients,
      memory,
      diagnostics: { w: weights, lambda: weights.map(() => lambda), kktResidual: weights.map(() => kktResidual) },
    });
  },
};

/**
 * The CAGrad weighting (LibMTL defaults: calpha 0.5, rescale 1).
 *
 * @example
 * const w = cagrad({ calpha: 0.4 });
 * const r = w.step(unwrap(w.init(2)), { losses: [1, 2], gramian: [[1, -0.5], [-0.5, 2]] }); // Right({ coefficients, … })
 */
export const cagrad = (
  options: CagradOptions = {},
): ReturnType<typeof gradientWeighting<t.TypeOf<typeof CagradOptions>, CagradConfig, null>> =>
  gradientWeighting(CAGRAD_METHOD, options);

/** The state of a `cagrad()` weighting. */
export type CagradState = GradientMethodState<CagradConfig, null>;

/**
 * Command-line flags of `cagrad` (`--calpha 0.4 --rescale 0`).
 *
 * @example
 * cagradFlags["calpha"] // { key: "calpha", kind: "number" }
 */
export const cagradFlags: Record<string, FlagSpec> = {
  calpha: { key: "calpha", kind: "number" },
  rescale: { key: "rescale", kind: "number" },
};
