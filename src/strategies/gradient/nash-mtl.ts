import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, Finite } from "../../core/codecs.js";
import { strictPartial } from "../../core/strict.js";
import type { FlagSpec } from "../registry.js";
import { solveDense } from "./linalg.js";
import {
  gradientWeighting,
  type GradientMethod,
  type GradientMethodState,
  type GradientProblem,
  type GradientSolution,
} from "./method.js";

/**
 * Nash-MTL (Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik & Fetaya 2022, "Multi-Task
 * Learning as a Bargaining Game"). The bargaining solution is the α > 0 with
 *
 *   (G α)_i = 1 / α_i  for every present task i,
 *
 * i.e. each task's gradient has projection 1/α_i on the direction d = Σ α_k g_k. It is the
 * unique minimiser of the strictly convex F(α) = ½ αᵀ G α − Σ_i log α_i (∇F = Gα − 1/α), which
 * has one iff no convex combination of the task gradients is 0 (otherwise F is unbounded
 * below). By default it is solved by damped Newton on F, on G divided by its Frobenius norm
 * (α rescaled back), to a residual max_i |α_i (Gα)_i − 1| of about 1e-15.
 *
 * The outer procedure is the reference code's (LibMTL `LibMTL/weighting/Nash_MTL.py`, the same
 * as the authors' `methods/weight_methods.py` in github.com/AvivNavon/nash-mtl): α is
 * recomputed on steps 0, E, 2E, … (`updateWeightsEvery` E) and reused in between; then the
 * direction Σ α_k g_k is clipped as `torch.nn.utils.clip_grad_norm_(shared, maxNorm)` clips it:
 * multiplied by min(1, maxNorm / (‖d‖ + 1e-6)). The coefficients are the clipped α; they have
 * no fixed sum (‖Σ α_k g_k‖ = sqrt(K) before clipping).
 *
 * `solver: "sequential"` reproduces the reference's own iteration instead: up to `optimNiter`
 * convex subproblems (its linearisation of φ(α) = Σ log α_i + log (Gα)_i, warm-started at the
 * previous step's α) with its stopping rules; each subproblem is solved here by a log-barrier
 * Newton method to about 1e-13 where the reference calls ECOS (tolerances 1e-8, 100 iterations).
 *
 * Absent tasks: α is solved over the present ones. A reused α needs every present task to have
 * been present at the last solve; otherwise the step solves afresh. If no solution exists (a
 * convex combination of the gradients is 0, or a zero gradient), the previous α is kept (1 for
 * a task without one), as the reference keeps its previous α when its solver fails.
 */

const NonNegativeFinite = t.refinement(Finite, (n) => n >= 0, "finite number >= 0");
const Solver = t.union([t.literal("bargaining"), t.literal("sequential")], '"bargaining" | "sequential"');

const optionProps = {
  updateWeightsEvery: Count,
  optimNiter: Count,
  maxNorm: NonNegativeFinite,
  clipEpsilon: NonNegativeFinite,
  solver: Solver,
};

/**
 * Options of `nashMtl` (all optional): `updateWeightsEvery` (1), `optimNiter` (20, the
 * sequential solver's iteration cap), `maxNorm` (1; 0 turns clipping off), `clipEpsilon` (1e-6,
 * PyTorch's `clip_grad_norm_`; 0 gives TorchJD's clipping), `solver` ("bargaining", the exact
 * solution; "sequential" reproduces the reference's iteration).
 *
 * @example
 * NashMtlOptions.decode({ updateWeightsEvery: 5, maxNorm: 0 }) // Right
 */
export const NashMtlOptions = strictPartial(optionProps, "NashMtlOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type NashMtlOptions = t.OutputOf<typeof NashMtlOptions>;

/**
 * The reference defaults (LibMTL `--update_weights_every 1 --optim_niter 20 --max_norm 1.0`),
 * with the exact bargaining solver.
 *
 * @example
 * NASH_MTL_DEFAULTS.maxNorm // 1
 */
export const NASH_MTL_DEFAULTS = {
  updateWeightsEvery: 1,
  optimNiter: 20,
  maxNorm: 1,
  clipEpsilon: 1e-6,
  solver: "bargaining",
} as const;

/**
 * Nash-MTL's checked configuration (stored in the state besides numTasks and gramianTolerance).
 *
 * @example
 * unwrap(nashMtl().init(2)).config.solver // "bargaining"
 */
export interface NashMtlConfig {
  readonly updateWeightsEvery: number;
  readonly optimNiter: number;
  readonly maxNorm: number;
  readonly clipEpsilon: number;
  readonly solver: "bargaining" | "sequential";
}

/**
 * What Nash-MTL carries between steps: the α of the last solve, per task (unclipped, in the
 * Gramian's own scale; null for a task absent then or before any solve).
 *
 * @example
 * unwrap(nashMtl().init(2)).memory // { alpha: [null, null] }
 */
export interface NashMtlMemory {
  readonly alpha: ReadonlyArray<number | null>;
}

const PositiveFiniteNumber = t.refinement(Finite, (n) => n > 0, "finite number > 0");
const NashMtlMemoryCodec = t.type({ alpha: t.array(t.union([PositiveFiniteNumber, t.null])) }, "NashMtlMemory");

const matVec = (m: ReadonlyArray<ReadonlyArray<number>>, v: ReadonlyArray<number>): number[] =>
  m.map((row) => row.reduce((acc, x, j) => acc + x * v[j]!, 0));
const dot = (u: ReadonlyArray<number>, v: ReadonlyArray<number>): number => u.reduce((acc, x, i) => acc + x * v[i]!, 0);
const maxAbs = (v: ReadonlyArray<number>): number => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** G divided by its Frobenius norm (the reference's `GTG / torch.norm(GTG)`), and that norm. */
const normalised = (gramian: ReadonlyArray<ReadonlyArray<number>>): { g: number[][]; norm: number } => {
  let squares = 0;
  for (const row of gramian) for (const v of row) squares += v * v;
  const norm = Math.sqrt(squares);
  return { g: gramian.map((row) => row.map((v) => v / norm)), norm };
};

/** The bargaining solution of a Gramian, or why there is none. */
export interface NashBargaining {
  /** α with α_i (Gα)_i = 1, or null when none exists (0 in the convex hull of the gradients). */
  readonly alpha: number[] | null;
  /** max_i |α_i (Gα)_i − 1| (Infinity when there is no solution). */
  readonly residual: number;
  readonly iterations: number;
}

/**
 * Solves (Gα)_i = 1/α_i, α > 0, by damped Newton on F(β) = ½ βᵀĜβ − Σ log β_i with Ĝ = G/‖G‖_F
 * (F is self-concordant: Newton with backtracking converges from any β > 0), then α = β/sqrt(‖G‖_F).
 * Returns `alpha: null` when β diverges (‖β‖∞ > 1e12: no solution) or a gradient is zero.
 *
 * @example
 * nashBargaining([[4, 0], [0, 1]]).alpha // [0.5, 1]
 */
export const nashBargaining = (gramian: ReadonlyArray<ReadonlyArray<number>>): NashBargaining => {
  const k = gramian.length;
  const { g, norm } = normalised(gramian);
  const none: NashBargaining = { alpha: null, residual: Infinity, iterations: 0 };
  if (!(norm > 0) || g.some((row, i) => !(row[i]! > 0))) return none;
  const objective = (beta: ReadonlyArray<number>): number =>
    0.5 * dot(beta, matVec(g, beta)) - beta.reduce((acc, b) => acc + Math.log(b), 0);
  let beta = g.map((row, i) => 1 / Math.sqrt(k * row[i]!));
  let iterations = 0;
  for (; iterations < 200; iterations++) {
    const gb = matVec(g, beta);
    const grad = gb.map((v, i) => v - 1 / beta[i]!);
    const hessian = g.map((row, i) => row.map((v, j) => v + (i === j ? 1 / (beta[i]! * beta[i]!) : 0)));
    const step = solveDense(
      hessian,
      grad.map((v) => -v),
    );
    const decrement = -dot(grad, step);
    if (!(decrement > 1e-30)) break;
    // Damped phase while the Newton decrement is large; then pure Newton (quadratic convergence,
    // where F's changes fall below its rounding and a line search could not see them).
    let size = 1;
    if (decrement > 0.05) {
      const start = objective(beta);
      for (let tries = 0; tries < 60; tries++) {
        const next = beta.map((b, i) => b + size * step[i]!);
        if (next.every((b) => b > 0) && objective(next) <= start - 0.25 * size * decrement) break;
        size /= 2;
      }
    }
    const next = beta.map((b, i) => b + size * step[i]!);
    if (!next.every((b) => b > 0)) break;
    const moved = next.reduce((m, b, i) => Math.max(m, Math.abs(b - beta[i]!) / b), 0);
    beta = next;
    if (decrement < 1e-20 || moved === 0) break;
    if (!(maxAbs(beta) < 1e12)) return { ...none, iterations };
  }
  const gb = matVec(g, beta);
  const residual = beta.reduce((m, b, i) => Math.max(m, Math.abs(b * gb[i]! - 1)), 0);
  if (!(residual < 1e-9)) return { ...none, iterations };
  const scale = Math.sqrt(norm);
  return { alpha: beta.map((b) => b / scale), residual, iterations };
};

/**
 * Whether min cᵀβ over {β_i (Ĝβ)_i ≥ 1} is unbounded: its recession cone is {v ≥ 0, Ĝv ≥ 0}, so
 * it is exactly when the LP min cᵀv over {v in the simplex, Ĝv ≥ 0} is negative. That LP is
 * solved by a log-barrier method with the equality as a Newton border, from the strictly
 * feasible v = β* normalised to sum 1 (Ĝβ* = 1/β* > 0), to a gap of 1e-13 × max|c|; "negative" means below
 * −1e-10 × max|c| (ECOS decides it with its own tolerances, about 1e-8).
 */
const recessionUnbounded = (
  g: ReadonlyArray<ReadonlyArray<number>>,
  cost: ReadonlyArray<number>,
  feasible: ReadonlyArray<number>,
): boolean => {
  const k = g.length;
  const total = feasible.reduce((acc, v) => acc + v, 0);
  let v = feasible.map((x) => x / total);
  const size = maxAbs(cost);
  const barrier = (x: ReadonlyArray<number>, t: number): number => {
    const gx = matVec(g, x);
    if (!x.every((xi, i) => xi > 0 && gx[i]! > 0)) return Infinity;
    return t * dot(cost, x) - x.reduce((acc, xi, i) => acc + Math.log(xi) + Math.log(gx[i]!), 0);
  };
  for (let t = 1 / size; (2 * k) / t > 1e-13 * size; t *= 10) {
    for (let newton = 0; newton < 50; newton++) {
      const gx = matVec(g, v);
      const grad = cost.map((c, i) => t * c - 1 / v[i]! - g.reduce((acc, row, j) => acc + row[i]! / gx[j]!, 0));
      const system = Array.from({ length: k + 1 }, (_, i) =>
        Array.from({ length: k + 1 }, (__, j): number => {
          if (i === k && j === k) return 0;
          if (i === k || j === k) return 1;
          return (
            (i === j ? 1 / (v[i]! * v[i]!) : 0) +
            g.reduce((acc, row, m) => acc + (row[i]! * row[j]!) / (gx[m]! * gx[m]!), 0)
          );
        }),
      );
      const step = solveDense(system, [...grad.map((x) => -x), 0]).slice(0, k);
      const decrement = -dot(grad, step);
      const start = barrier(v, t);
      if (!(decrement > 1e-14 * (Math.abs(start) + 1))) break;
      let length = 1;
      while (
        length > 1e-20 &&
        !(
          barrier(
            v.map((x, i) => x + length * step[i]!),
            t,
          ) <=
          start - 0.25 * length * decrement
        )
      )
        length /= 2;
      if (!(length > 1e-20)) break;
      v = v.map((x, i) => x + length * step[i]!);
    }
  }
  return dot(cost, v) < -1e-10 * size;
};

/**
 * One subproblem of the reference's sequential iteration, in β = sqrt(‖G‖_F) α units: minimise
 * cᵀβ subject to log β_i + log (Ĝβ)_i >= 0, with c = Ĝ1 + p/sqrt(‖G‖_F) and p = 1/βp + Ĝ(1/(Ĝβp))
 * the gradient of φ at the previous iterate βp (the reference's `cp.sum(G_alpha) + phi_alpha /
 * normalization_factor`). Log-barrier method from the strictly feasible 1.5 β*, Newton centring,
 * t × 20 per round until K/t < 1e-14 × max(1, |cᵀβ|). Null when unbounded or ill-posed (what
 * makes cvxpy leave the variable's value None).
 */
const sequentialSubproblem = (
  g: ReadonlyArray<ReadonlyArray<number>>,
  norm: number,
  previous: ReadonlyArray<number>,
  feasible: ReadonlyArray<number>,
): number[] | null => {
  const k = g.length;
  const gPrevious = matVec(g, previous);
  const inverse = gPrevious.map((v) => 1 / v);
  const p = previous.map((b, i) => 1 / b + dot(g[i]!, inverse));
  const ones = new Array<number>(k).fill(1);
  // In α units the cost is Ĝ1 + p_α/‖G‖_F with p_α = sqrt(‖G‖_F) p: in β units, Ĝ1 + p/sqrt(‖G‖_F).
  const cost = matVec(g, ones).map((v, i) => v + p[i]! / Math.sqrt(norm));
  if (!cost.every(Number.isFinite) || recessionUnbounded(g, cost, feasible)) return null;
  const bound = 1e9 * Math.max(1, maxAbs(feasible));
  let beta = feasible.map((b) => 1.5 * b);
  const constraints = (b: ReadonlyArray<number>): { h: number[]; gb: number[] } | null => {
    const gb = matVec(g, b);
    const h = b.map((bi, i) => (bi > 0 && gb[i]! > 0 ? Math.log(bi) + Math.log(gb[i]!) : NaN));
    return h.every((v) => v > 0) ? { h, gb } : null;
  };
  const barrier = (b: ReadonlyArray<number>, scale: number): number => {
    const c = constraints(b);
    return c === null ? Infinity : scale * dot(cost, b) - c.h.reduce((acc, v) => acc + Math.log(v), 0);
  };
  let scale = k / Math.max(Math.abs(dot(cost, beta)), 1e-12);
  for (let round = 0; round < 60; round++) {
    for (let newton = 0; newton < 50; newton++) {
      const c = constraints(beta)!;
      const grad = cost.map((v) => scale * v);
      const hessian = Array.from({ length: k }, () => new Array<number>(k).fill(0));
      for (let i = 0; i < k; i++) {
        // ∇h_i = e_i/β_i + Ĝ_i/(Ĝβ)_i; −∇²h_i = e_i e_iᵀ/β_i² + Ĝ_i Ĝ_iᵀ/(Ĝβ)_i².
        const hi = c.h[i]!;
        const gradH = g[i]!.map((v, j) => v / c.gb[i]! + (j === i ? 1 / beta[i]! : 0));
        for (let a = 0; a < k; a++) {
          grad[a] = grad[a]! - gradH[a]! / hi;
          for (let b = 0; b < k; b++) {
            const curvature =
              (a === i && b === i ? 1 / (beta[i]! * beta[i]!) : 0) + (g[i]![a]! * g[i]![b]!) / (c.gb[i]! * c.gb[i]!);
            hessian[a]![b] = hessian[a]![b]! + (gradH[a]! * gradH[b]!) / (hi * hi) + curvature / hi;
          }
        }
      }
      const step = solveDense(
        hessian,
        grad.map((v) => -v),
      );
      const decrement = -dot(grad, step);
      // Centred to rounding: the barrier's value cannot show a smaller decrease.
      const start = barrier(beta, scale);
      const floor =
        1e-14 * (Math.abs(scale * dot(cost, beta)) + c.h.reduce((acc, v) => acc + Math.abs(Math.log(v)), 0) + 1);
      if (!(decrement > floor)) break;
      let size = 1;
      while (
        size > 1e-20 &&
        !(
          barrier(
            beta.map((b, i) => b + size * step[i]!),
            scale,
          ) <=
          start - 0.25 * size * decrement
        )
      )
        size /= 2;
      if (!(size > 1e-20)) break;
      beta = beta.map((b, i) => b + size * step[i]!);
      if (!(maxAbs(beta) < bound)) return null;
    }
    if (k / scale < 1e-14 * Math.max(1, Math.abs(dot(cost, beta)))) break;
    scale *= 20;
  }
  return beta;
};

/**
 * The reference's `solve_optimization`, in its own units (α, with Ĝ = G/‖G‖_F): from
 * α_t = `start`, up to `optimNiter` subproblems; stop when the subproblem has no solution, when
 * ‖Ĝα_t − 1/(α_t + 1e-10)‖ < 1e-3, or when the new α moves by less than 1e-6 (then α_t, not the
 * new α, is kept, as in the reference). Returns α_t (the reference's new `prvs_alpha`).
 *
 * @example
 * nashSequential([[4, 0], [0, 1]], [1, 1], 20) // ≈ [0.5, 1]
 */
export const nashSequential = (
  gramian: ReadonlyArray<ReadonlyArray<number>>,
  start: ReadonlyArray<number>,
  optimNiter: number,
): number[] => {
  const { g, norm } = normalised(gramian);
  const exact = nashBargaining(gramian);
  const root = Math.sqrt(norm);
  let alpha = [...start];
  for (let iteration = 0; iteration < optimNiter; iteration++) {
    // The subproblem is infeasible exactly when there is no bargaining solution.
    const solved =
      exact.alpha === null || !(norm > 0)
        ? null
        : sequentialSubproblem(
            g,
            norm,
            alpha.map((a) => a * root),
            exact.alpha.map((a) => a * root),
          );
    if (solved === null) break;
    const next = solved.map((b) => b / root);
    const ga = matVec(g, alpha);
    const residual = Math.sqrt(ga.reduce((acc, v, i) => acc + (v - 1 / (alpha[i]! + 1e-10)) ** 2, 0));
    const moved = Math.sqrt(next.reduce((acc, v, i) => acc + (v - alpha[i]!) ** 2, 0));
    if (residual < 1e-3 || moved < 1e-6) break;
    alpha = next;
  }
  return alpha;
};

/**
 * min(1, maxNorm / (‖Σ α_k g_k‖ + clipEpsilon)), PyTorch's `clip_grad_norm_` factor (1 when
 * maxNorm is 0).
 *
 * @example
 * clipFactor([[4]], [1], { maxNorm: 1, clipEpsilon: 0 }) // 0.5
 */
export const clipFactor = (
  gramian: ReadonlyArray<ReadonlyArray<number>>,
  alpha: ReadonlyArray<number>,
  config: Pick<NashMtlConfig, "maxNorm" | "clipEpsilon">,
): number => {
  if (!(config.maxNorm > 0)) return 1;
  const norm = Math.sqrt(Math.max(dot(alpha, matVec(gramian, alpha)), 0));
  return Math.min(1, config.maxNorm / (norm + config.clipEpsilon));
};

const solveNash = (
  config: NashMtlConfig,
  memory: NashMtlMemory,
  problem: GradientProblem,
): E.Either<never, GradientSolution<NashMtlMemory>> => {
  const { present, gramian, numTasks } = problem;
  const previous = present.map((k) => memory.alpha[k] ?? null);
  const reuse = problem.step % config.updateWeightsEvery !== 0 && previous.every((a) => a !== null);
  let alpha: number[];
  let solved = 0;
  if (reuse) alpha = previous as number[];
  else if (config.solver === "sequential") {
    const start = previous.map((a) => a ?? 1);
    alpha = nashSequential(gramian, start, config.optimNiter);
    // 0 when the reference's iteration stopped at once (its first subproblem had no solution).
    solved = alpha.some((a, i) => a !== start[i]) ? 1 : 0;
  } else {
    const exact = nashBargaining(gramian);
    solved = exact.alpha === null ? 0 : 1;
    alpha = exact.alpha ?? previous.map((a) => a ?? 1);
  }
  const factor = clipFactor(gramian, alpha, config);
  const nextAlpha = reuse
    ? memory.alpha
    : Array.from({ length: numTasks }, (_, k): number | null => {
        const i = present.indexOf(k);
        return i === -1 ? null : alpha[i]!;
      });
  return E.right({
    coefficients: alpha.map((a) => a * factor),
    memory: { alpha: nextAlpha },
    diagnostics: { alpha, clip: alpha.map(() => factor), solved: alpha.map(() => solved) },
  });
};

/**
 * Nash-MTL as a `GradientMethod`: needs the Gramian, remembers the last α. Diagnostics per
 * present task: `alpha` (before clipping), `clip` (the clipping factor) and `solved` (1 when
 * this step computed α, 0 when it reused or kept one).
 *
 * @example
 * gradientWeighting(NASH_MTL_METHOD, { maxNorm: 0 })
 */
export const NASH_MTL_METHOD: GradientMethod<t.TypeOf<typeof NashMtlOptions>, NashMtlConfig, NashMtlMemory> = {
  name: "nash-mtl",
  needs: "gramian",
  coefficientsOnSimplex: false,
  optionsCodec: NashMtlOptions,
  configOf: (options) =>
    E.right({
      updateWeightsEvery: options.updateWeightsEvery ?? NASH_MTL_DEFAULTS.updateWeightsEvery,
      optimNiter: options.optimNiter ?? NASH_MTL_DEFAULTS.optimNiter,
      maxNorm: options.maxNorm ?? NASH_MTL_DEFAULTS.maxNorm,
      clipEpsilon: options.clipEpsilon ?? NASH_MTL_DEFAULTS.clipEpsilon,
      solver: options.solver ?? NASH_MTL_DEFAULTS.solver,
    }),
  configProps: optionProps,
  initMemory: (_config, numTasks) => ({ alpha: new Array<number | null>(numTasks).fill(null) }),
  memoryCodec: NashMtlMemoryCodec,
  memoryProblems: (memory, _config, numTasks) =>
    memory.alpha.length === numTasks ? [] : [`alpha: expected ${numTasks} entries (got ${memory.alpha.length})`],
  solve: solveNash,
};

/**
 * The Nash-MTL weighting (reference defaults: update every step, maxNorm 1; exact solver).
 *
 * @example
 * const w = nashMtl({ maxNorm: 0 });
 * const r = w.step(unwrap(w.init(2)), { losses: [1, 2], gramian: [[4, 0], [0, 1]] }); // Right: coefficients [0.5, 1]
 */
export const nashMtl = (
  options: NashMtlOptions = {},
): ReturnType<typeof gradientWeighting<t.TypeOf<typeof NashMtlOptions>, NashMtlConfig, NashMtlMemory>> =>
  gradientWeighting(NASH_MTL_METHOD, options);

/** The state of a `nashMtl()` weighting. */
export type NashMtlState = GradientMethodState<NashMtlConfig, NashMtlMemory>;

/**
 * Command-line flags of `nash-mtl` (`--update-weights-every 5 --max-norm 0 --solver sequential`).
 *
 * @example
 * nashMtlFlags["max-norm"] // { key: "maxNorm", kind: "number" }
 */
export const nashMtlFlags: Record<string, FlagSpec> = {
  "update-weights-every": { key: "updateWeightsEvery", kind: "number" },
  "optim-niter": { key: "optimNiter", kind: "number" },
  "max-norm": { key: "maxNorm", kind: "number" },
  "clip-epsilon": { key: "clipEpsilon", kind: "number" },
  solver: { key: "solver", kind: "string" },
};
