import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Finite } from "../../core/codecs.js";
import { invalidGramian, invalidState, type StepError } from "../../core/errors.js";
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
 * UPGrad (Quinton & Rey 2024, "Jacobian Descent for Multi-Objective Optimization"), as TorchJD's
 * `UPGrad` / `UPGradWeighting` computes it (src/torchjd/aggregation/_upgrad.py): each task
 * gradient, scaled by its preference weight u_i (default 1/m over the m present tasks), is
 * projected onto the dual cone of all present task gradients, and the projections are summed.
 *
 * In weight space (TorchJD's `_utils/dual_cone.py`): the projection of Jᵀu onto the dual cone
 * {d : J d ≥ 0} is Jᵀv with v = argmin vᵀ H v subject to v ≥ u, where H is the Gramian G = J Jᵀ
 * normalised by its trace (replaced by 0 when the trace is below `normEps`) plus `regEps` × I.
 * UPGrad's coefficients are c = Σ_i v(u_i e_i). The QP solver here (`dualConeProjector`) is the
 * one DualProj uses too: Goldfarb–Idnani's dual active-set method, which is what TorchJD's
 * `quadprog` runs, followed by an exact re-solve on the final active set.
 */

/** A number >= 0 (TorchJD's `norm_eps` and `reg_eps`). */
const NonNegativeFinite = t.refinement(Finite, (n) => n >= 0, "finite number >= 0");

/**
 * The options UPGrad and DualProj share, as TorchJD spells them: `pref_vector`, `norm_eps`,
 * `reg_eps` (its `solver` has one value, "quadprog", played here by `dualConeProjector`).
 *
 * @example
 * t.type(DUAL_CONE_OPTION_PROPS).is({ prefVector: [1, 2], normEps: 0, regEps: 1e-4 }) // true
 */
export const DUAL_CONE_OPTION_PROPS = {
  prefVector: t.array(Finite),
  normEps: NonNegativeFinite,
  regEps: NonNegativeFinite,
};

/**
 * TorchJD's defaults for UPGrad and DualProj: no preference vector (the mean, 1/m per present
 * task), `norm_eps` = `reg_eps` = 1e-4.
 *
 * @example
 * DUAL_CONE_DEFAULTS.regEps // 1e-4
 */
export const DUAL_CONE_DEFAULTS = { prefVector: null, normEps: 1e-4, regEps: 1e-4 } as const;

/**
 * The checked configuration of UPGrad and DualProj (`prefVector` null: the mean).
 *
 * @example
 * unwrap(upgrad().init(2)).config // { prefVector: null, normEps: 1e-4, regEps: 1e-4, numTasks: 2, gramianTolerance: 1e-4 }
 */
export interface DualConeConfig {
  readonly prefVector: ReadonlyArray<number> | null;
  readonly normEps: number;
  readonly regEps: number;
}

/**
 * The io-ts props of `DualConeConfig` (the state's config besides numTasks and gramianTolerance).
 *
 * @example
 * t.type(DUAL_CONE_CONFIG_PROPS).is({ prefVector: null, normEps: 1e-4, regEps: 1e-4 }) // true
 */
export const DUAL_CONE_CONFIG_PROPS = {
  prefVector: t.union([t.array(Finite), t.null]),
  normEps: NonNegativeFinite,
  regEps: NonNegativeFinite,
};

/**
 * Fills TorchJD's defaults into decoded options and checks what the codec cannot: a preference
 * vector has one entry per task.
 *
 * @example
 * dualConeConfigOf({ prefVector: [1, 2] }, 3) // Left(["prefVector: expected 3 entries, one per task (got 2)"])
 */
export const dualConeConfigOf = (
  options: { readonly prefVector?: ReadonlyArray<number>; readonly normEps?: number; readonly regEps?: number },
  numTasks: number,
): E.Either<ReadonlyArray<string>, DualConeConfig> => {
  const prefVector = options.prefVector ?? null;
  if (prefVector !== null && prefVector.length !== numTasks) {
    return E.left([`prefVector: expected ${numTasks} entries, one per task (got ${prefVector.length})`]);
  }
  return E.right({
    prefVector: prefVector === null ? null : [...prefVector],
    normEps: options.normEps ?? DUAL_CONE_DEFAULTS.normEps,
    regEps: options.regEps ?? DUAL_CONE_DEFAULTS.regEps,
  });
};

/**
 * The problems of a decoded config against its task count: a preference vector of the wrong
 * length is refused when a checkpoint is decoded, not at its next step.
 *
 * @example
 * dualConeConfigProblems({ prefVector: [1, 2], normEps: 1e-4, regEps: 1e-4 }, 3) // ["prefVector: expected 3 entries, one per task (got 2)"]
 */
export const dualConeConfigProblems = (config: DualConeConfig, numTasks: number): string[] =>
  config.prefVector !== null && config.prefVector.length !== numTasks
    ? [`prefVector: expected ${numTasks} entries, one per task (got ${config.prefVector.length})`]
    : [];

/**
 * The preference weights u of the present tasks: `prefVector` restricted to them (not
 * renormalised), or 1/m each (TorchJD's `MeanWeighting` over the m rows it is given). A
 * decoded state whose `prefVector` has the wrong length is an `InvalidState`.
 *
 * @example
 * preferenceWeights({ prefVector: null, normEps: 1e-4, regEps: 1e-4 }, [0, 2], 3) // Right([0.5, 0.5])
 */
export const preferenceWeights = (
  config: DualConeConfig,
  present: ReadonlyArray<number>,
  numTasks: number,
): E.Either<StepError, number[]> => {
  const pref = config.prefVector;
  if (pref === null) return E.right(present.map(() => 1 / present.length));
  if (pref.length !== numTasks)
    return E.left(invalidState([`config.prefVector: expected ${numTasks} entries, one per task (got ${pref.length})`]));
  return E.right(present.map((k) => pref[k]!));
};

/**
 * TorchJD's `regularize(normalize(G, normEps), regEps)` (src/torchjd/_linalg/_gramian.py): G
 * divided by its trace (the squared Frobenius norm of the Jacobian), or all zeros when the trace
 * is below `normEps`, then `regEps` added to the diagonal. Note that `normEps` is an absolute
 * threshold on Σ‖g_i‖²: below it the projection sees only `regEps` × I.
 *
 * @example
 * dualConeGramian([[3, 1], [1, 1]], 1e-4, 0.5) // [[1.25, 0.25], [0.25, 0.75]]
 */
export const dualConeGramian = (
  gramian: ReadonlyArray<ReadonlyArray<number>>,
  normEps: number,
  regEps: number,
): number[][] => {
  let trace = 0;
  gramian.forEach((row, i) => (trace += row[i]!));
  const belowThreshold = trace < normEps;
  return gramian.map((row, i) => row.map((value, j) => (belowThreshold ? 0 : value / trace) + (i === j ? regEps : 0)));
};

/** One solved projection: the weights v, which constraints v_i >= u_i are active, and the QP's KKT residual. */
export interface DualConeProjection {
  /** v = argmin vᵀ H v subject to v >= u. */
  readonly weights: number[];
  /** Indices i with v_i = u_i (the final active set), ascending. */
  readonly active: number[];
  /**
   * The largest violation of the KKT conditions, relative: max over i of (u_i − v_i)⁺ / ‖u‖∞,
   * (−(Hv)_i)⁺ / (‖H‖∞‖v‖∞), and |(v_i − u_i)(Hv)_i| / (‖v‖∞ ‖H‖∞ ‖v‖∞). 0 for u ≤ 0 (v = 0).
   */
  readonly kktResidual: number;
  /** Goldfarb–Idnani iterations (constraints added plus dropped). */
  readonly iterations: number;
}

/** A projector for one H: u ↦ the solution of min vᵀ H v subject to v >= u. */
export type DualConeProject = (u: ReadonlyArray<number>) => DualConeProjection;

const EPSILON = 2 ** -52;

/**
 * The lower Cholesky factor of a symmetric matrix, or null when it is not numerically positive
 * definite: a pivot at or below n·ε × the largest diagonal entry (a singular matrix whose last
 * pivot is rounding noise, which quadprog's pivot > 0 test would let through).
 */
const choleskyLower = (a: ReadonlyArray<ReadonlyArray<number>>): number[][] | null => {
  const n = a.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let largest = 0;
  for (let j = 0; j < n; j++) largest = Math.max(largest, a[j]![j]!);
  const floor = n * EPSILON * largest;
  for (let j = 0; j < n; j++) {
    let pivot = a[j]![j]!;
    for (let k = 0; k < j; k++) pivot -= l[j]![k]! * l[j]![k]!;
    if (!(pivot > floor) || !Number.isFinite(pivot)) return null;
    const root = Math.sqrt(pivot);
    l[j]![j] = root;
    for (let i = j + 1; i < n; i++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = s / root;
    }
  }
  return l;
};

/** Solves L Lᵀ x = b for a lower Cholesky factor L. */
const choleskySolve = (l: ReadonlyArray<ReadonlyArray<number>>, b: ReadonlyArray<number>): number[] => {
  const n = l.length;
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i]![k]! * y[k]!;
    y[i] = s / l[i]![i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k]![i]! * y[k]!;
    y[i] = s / l[i]![i]!;
  }
  return y;
};

/** The relative KKT residual of v for min vᵀHv s.t. v >= u (see `DualConeProjection.kktResidual`). */
const kktResidualOf = (
  h: ReadonlyArray<ReadonlyArray<number>>,
  u: ReadonlyArray<number>,
  v: ReadonlyArray<number>,
): number => {
  const n = u.length;
  const hv = h.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
  const uScale = Math.max(...u.map(Math.abs), 0);
  const vScale = Math.max(...v.map(Math.abs), 0);
  const hScale = Math.max(...h.map((row) => row.reduce((s, x) => s + Math.abs(x), 0)), 0);
  let residual = 0;
  for (let i = 0; i < n; i++) {
    if (uScale > 0) residual = Math.max(residual, (u[i]! - v[i]!) / uScale);
    if (vScale > 0 && hScale > 0) {
      residual = Math.max(
        residual,
        -hv[i]! / (hScale * vScale),
        Math.abs((v[i]! - u[i]!) * hv[i]!) / (hScale * vScale * vScale),
      );
    }
  }
  return residual;
};

/**
 * A solver for TorchJD's dual-cone QP with a fixed H: v = argmin vᵀ H v subject to v >= u, for
 * any u (`_project_weight_vector`, which asks quadprog for it). H must be symmetric positive
 * definite, as quadprog requires; otherwise `Left` with the reason.
 *
 * Goldfarb–Idnani's dual active-set method (quadprog's algorithm), specialised to the bounds
 * v >= u: start at the unconstrained minimum v = 0, add the most violated bound, take the
 * primal–dual step, drop a bound whose multiplier reaches 0, with H⁻¹ kept in the factored form
 * J = L⁻ᵀQ updated by Givens rotations. It ends in finitely many steps on the exact active
 * set A; v is then re-solved exactly on A (v_A = u_A, (Hv)_F = 0 by Cholesky), which keeps
 * the KKT residual at rounding level (about 1e-16 relative; see `kktResidual`).
 *
 * @example
 * const project = dualConeProjector([[1, -0.5], [-0.5, 1]]); // Right(project)
 * E.isRight(project) && project.right([1, 0]).weights // [1, 0.5]: the second bound is inactive, (Hv)_2 = 0
 */
export const dualConeProjector = (h: ReadonlyArray<ReadonlyArray<number>>): E.Either<string, DualConeProject> => {
  const n = h.length;
  const lower = choleskyLower(h);
  if (lower === null) return E.left("the regularised Gramian is not positive definite (the QP needs it; raise regEps)");
  // J0 = L⁻ᵀ: the inverse of the lower factor, transposed (upper triangular).
  const inverse = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let col = 0; col < n; col++) {
    for (let i = col; i < n; i++) {
      let s = i === col ? 1 : 0;
      for (let k = col; k < i; k++) s -= lower[i]![k]! * inverse[k]![col]!;
      inverse[i]![col] = s / lower[i]![i]!;
    }
  }
  // Stored by columns (column k of L⁻ᵀ is row k of L⁻¹): steps and rotations then run along contiguous arrays.
  const j0 = inverse.map((row) => Float64Array.from(row));
  const maxIterations = 20 * (n + 1);

  return E.right((u: ReadonlyArray<number>): DualConeProjection => {
    const uScale = Math.max(...u.map(Math.abs), 0);
    // A bound counts as violated beyond rounding only (the re-solve below makes it exact).
    const violation = 16 * EPSILON * uScale;
    const jColumns = j0.map((column) => column.slice());
    const rColumns: number[][] = []; // R, column by column (R[i][c] = rColumns[c][i])
    const active: number[] = [];
    const multipliers: number[] = [];
    const x = new Array<number>(n).fill(0);
    const isActive = new Array<boolean>(n).fill(false);
    let iterations = 0;

    const rotateColumns = (a: number, b: number, c: number, s: number): void => {
      const ca = jColumns[a]!;
      const cb = jColumns[b]!;
      for (let i = 0; i < n; i++) {
        const ja = ca[i]!;
        const jb = cb[i]!;
        ca[i] = c * ja + s * jb;
        cb[i] = -s * ja + c * jb;
      }
    };

    const drop = (k: number): void => {
      isActive[active[k]!] = false;
      active.splice(k, 1);
      multipliers.splice(k, 1);
      rColumns.splice(k, 1);
      // R lost a column: restore triangularity row by row, rotating J's columns alike.
      for (let j = k; j < rColumns.length; j++) {
        const a = rColumns[j]![j]!;
        const b = rColumns[j]![j + 1]!;
        if (b === 0) continue;
        const norm = Math.hypot(a, b);
        const c = a / norm;
        const s = b / norm;
        for (let col = j; col < rColumns.length; col++) {
          const ra = rColumns[col]![j]!;
          const rb = rColumns[col]![j + 1]!;
          rColumns[col]![j] = c * ra + s * rb;
          rColumns[col]![j + 1] = -s * ra + c * rb;
        }
        rColumns[j]![j + 1] = 0;
        rotateColumns(j, j + 1, c, s);
      }
    };

    for (;;) {
      let p = -1;
      let worst = -violation;
      for (let i = 0; i < n; i++) {
        if (isActive[i]) continue;
        const slack = x[i]! - u[i]!;
        if (slack < worst) {
          worst = slack;
          p = i;
        }
      }
      if (p < 0) break;
      let added = 0; // the new bound's multiplier, grown by partial steps
      for (;;) {
        if (++iterations > maxIterations) return { ...polish(h, u, x, active), iterations };
        const q = active.length;
        const d = jColumns.map((column) => column[p]!); // d = Jᵀ e_p
        const z = new Array<number>(n).fill(0); // the primal step, J₂ d₂
        for (let col = q; col < n; col++) {
          const dc = d[col]!;
          const column = jColumns[col]!;
          if (dc !== 0) for (let i = 0; i < n; i++) z[i]! += column[i]! * dc;
        }
        const r = new Array<number>(q).fill(0); // the dual step, R⁻¹ d₁
        for (let i = q - 1; i >= 0; i--) {
          let s = d[i]!;
          for (let col = i + 1; col < q; col++) s -= rColumns[col]![i]! * r[col]!;
          r[i] = s / rColumns[i]![i]!;
        }
        let partial = Infinity;
        let blocking = -1;
        for (let i = 0; i < q; i++) {
          if (r[i]! > 0) {
            const ratio = multipliers[i]! / r[i]!;
            if (ratio < partial) {
              partial = ratio;
              blocking = i;
            }
          }
        }
        // z_p = ‖d₂‖² > 0: e_p is independent of the active bounds, so a full step always exists.
        const full = -(x[p]! - u[p]!) / z[p]!;
        const step = Math.min(partial, full);
        for (let i = 0; i < n; i++) x[i]! += step * z[i]!;
        for (let i = 0; i < q; i++) multipliers[i]! -= step * r[i]!;
        added += step;
        if (full <= partial) {
          x[p] = u[p]!;
          // Rotate d₂ onto its first entry: column q of J then carries e_p's whole share, the columns past it none.
          for (let col = n - 1; col > q; col--) {
            if (d[col] === 0) continue;
            const norm = Math.hypot(d[col - 1]!, d[col]!);
            const c = d[col - 1]! / norm;
            const s = d[col]! / norm;
            d[col - 1] = norm;
            d[col] = 0;
            rotateColumns(col - 1, col, c, s);
          }
          const column = new Array<number>(n).fill(0);
          for (let i = 0; i <= q; i++) column[i] = d[i]!;
          rColumns.push(column);
          active.push(p);
          multipliers.push(added);
          isActive[p] = true;
          break;
        }
        drop(blocking);
      }
    }
    return { ...polish(h, u, x, active), iterations };
  });
};

/**
 * The exact solution on the active set A: v_A = u_A and (Hv)_F = 0, i.e. H_FF v_F = −H_FA u_A
 * (H_FF is positive definite as a principal block of H). Kept only when its KKT residual is no
 * worse than the active-set iterate's.
 */
const polish = (
  h: ReadonlyArray<ReadonlyArray<number>>,
  u: ReadonlyArray<number>,
  iterate: ReadonlyArray<number>,
  active: ReadonlyArray<number>,
): Omit<DualConeProjection, "iterations"> => {
  const n = u.length;
  const isActive = new Array<boolean>(n).fill(false);
  for (const i of active) isActive[i] = true;
  const free = Array.from({ length: n }, (_, i) => i).filter((i) => !isActive[i]);
  const v = new Array<number>(n).fill(0);
  for (const i of active) v[i] = u[i]!;
  if (free.length > 0) {
    const block = choleskyLower(free.map((i) => free.map((j) => h[i]![j]!)));
    if (block !== null) {
      const rhs = free.map((i) => -active.reduce((s, a) => s + h[i]![a]! * u[a]!, 0));
      choleskySolve(block, rhs).forEach((value, f) => (v[free[f]!] = value));
    } else free.forEach((i) => (v[i] = iterate[i]!));
  }
  const polished = kktResidualOf(h, u, v);
  const raw = kktResidualOf(h, u, iterate);
  const sorted = [...active].sort((a, b) => a - b);
  return polished <= raw
    ? { weights: v, active: sorted, kktResidual: polished }
    : { weights: [...iterate], active: sorted, kktResidual: raw };
};

/**
 * The products g_k · d = (G c)_k of the present tasks with the direction (>= 0: task k does not
 * conflict with d).
 *
 * @example
 * taskAlignment([[1, -1], [-1, 4]], [1, 0.25]) // [0.75, 0]
 */
export const taskAlignment = (
  gramian: ReadonlyArray<ReadonlyArray<number>>,
  coefficients: ReadonlyArray<number>,
): number[] => gramian.map((row) => row.reduce((s, g, j) => s + g * coefficients[j]!, 0));

/**
 * The options of `upgrad` (all optional): `prefVector` (one number per task; default the mean,
 * 1/m over the m present tasks), `normEps` (1e-4) and `regEps` (1e-4), as in TorchJD.
 *
 * @example
 * UpgradOptions.decode({ regEps: 1e-6 }) // Right
 * UpgradOptions.decode({ reg_eps: 1e-6 }) // Left: "reg_eps: unknown key …"
 */
export const UpgradOptions = strictPartial(DUAL_CONE_OPTION_PROPS, "UpgradOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type UpgradOptions = t.OutputOf<typeof UpgradOptions>;

/**
 * UPGrad's coefficients on the present tasks: c = Σ_i v(u_i e_i), each v the dual-cone QP's
 * solution for H = `dualConeGramian(G)`, with each projection's KKT residual (`kktResiduals[i]`
 * for the projection of u_i e_i). `Left` when H is not positive definite.
 *
 * @example
 * upgradCoefficients([[1, 0], [0, 1]], [0.5, 0.5], 1e-4, 1e-4) // Right({ coefficients: [0.5, 0.5], … }): no conflict, the mean
 */
export const upgradCoefficients = (
  gramian: ReadonlyArray<ReadonlyArray<number>>,
  preference: ReadonlyArray<number>,
  normEps: number,
  regEps: number,
): E.Either<string, { coefficients: number[]; kktResiduals: number[] }> => {
  const m = preference.length;
  return E.map((project: DualConeProject) => {
    const coefficients = new Array<number>(m).fill(0);
    const kktResiduals = new Array<number>(m).fill(0);
    for (let i = 0; i < m; i++) {
      const target = new Array<number>(m).fill(0);
      target[i] = preference[i]!;
      const projection = project(target);
      projection.weights.forEach((w, k) => (coefficients[k]! += w));
      kktResiduals[i] = projection.kktResidual;
    }
    return { coefficients, kktResiduals };
  })(dualConeProjector(dualConeGramian(gramian, normEps, regEps)));
};

/**
 * The KKT residual above which a projection counts as failed (never reached in the tests, whose
 * worst is about 1e-15; a safety net for the iteration cap of `dualConeProjector`).
 *
 * @example
 * DUAL_CONE_KKT_LIMIT // 1e-9
 */
export const DUAL_CONE_KKT_LIMIT = 1e-9;

/**
 * `Left` naming the worst projection when a KKT residual exceeds `DUAL_CONE_KKT_LIMIT`.
 *
 * @example
 * checkKktResiduals([1e-16, 1e-3]) // Left(InvalidGramian "… projection 1 …")
 */
export const checkKktResiduals = (residuals: ReadonlyArray<number>): E.Either<StepError, null> => {
  // The first failing projection; NaN (a step that overflowed) fails too.
  const worst = residuals.findIndex((r) => !(r <= DUAL_CONE_KKT_LIMIT));
  const value = residuals[worst] ?? 0;
  return worst >= 0
    ? E.left(
        invalidGramian(
          `the dual-cone QP did not converge (projection ${worst}: KKT residual ${value} > ${DUAL_CONE_KKT_LIMIT}); the Gramian is too ill-conditioned`,
        ),
      )
    : E.right(null);
};

/**
 * UPGrad as a `GradientMethod` (stateless: `NoMemory`). Coefficients are >= 0 for a
 * non-negative preference vector and sum to at least Σ u_i (1 with the mean); they equal u when
 * no two present gradients conflict (every G_ij >= 0). Diagnostics: `alignment`, g_k · d (in
 * the Gramian's units), and `kktResidual`, that of the projection of task k's u_k e_k.
 *
 * @example
 * gradientWeighting(UPGRAD_METHOD, { regEps: 1e-6 }).name // "upgrad"
 */
export const UPGRAD_METHOD: GradientMethod<t.TypeOf<typeof UpgradOptions>, DualConeConfig, null> = {
  name: "upgrad",
  needs: "gramian",
  coefficientsOnSimplex: false,
  optionsCodec: UpgradOptions,
  configOf: dualConeConfigOf,
  configProps: DUAL_CONE_CONFIG_PROPS,
  configProblems: dualConeConfigProblems,
  initMemory: () => null,
  memoryCodec: NoMemory,
  solve: (config, memory, problem: GradientProblem): E.Either<StepError, GradientSolution<null>> => {
    const preference = preferenceWeights(config, problem.present, problem.numTasks);
    if (E.isLeft(preference)) return preference;
    const solved = upgradCoefficients(problem.gramian, preference.right, config.normEps, config.regEps);
    if (E.isLeft(solved)) return E.left(invalidGramian(solved.left));
    const { coefficients, kktResiduals } = solved.right;
    const converged = checkKktResiduals(kktResiduals);
    if (E.isLeft(converged)) return converged;
    return E.right({
      coefficients,
      memory,
      diagnostics: { alignment: taskAlignment(problem.gramian, coefficients), kktResidual: kktResiduals },
    });
  },
};

/**
 * UPGrad with TorchJD's defaults (mean preference, normEps = regEps = 1e-4).
 *
 * @example
 * const w = upgrad();
 * const s = unwrap(w.init(2));
 * unwrap(w.step(s, { losses: [1, 1], gramian: [[1, -0.5], [-0.5, 1]] })).coefficients // [0.75, 0.75] (up to regEps)
 */
export const upgrad = (options: UpgradOptions = {}) => gradientWeighting(UPGRAD_METHOD, options);

/** The state of `upgrad()` (the common envelope, no memory). */
export type UpgradState = GradientMethodState<DualConeConfig, null>;

/**
 * UPGrad's command-line flags (`--pref-vector 1,2,1 --norm-eps 1e-4 --reg-eps 1e-4`).
 *
 * @example
 * upgradFlags["reg-eps"] // { key: "regEps", kind: "number" }
 */
export const upgradFlags: Record<string, FlagSpec> = {
  "pref-vector": { key: "prefVector", kind: "numbers" },
  "norm-eps": { key: "normEps", kind: "number" },
  "reg-eps": { key: "regEps", kind: "number" },
};
