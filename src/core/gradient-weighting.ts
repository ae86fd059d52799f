import * as E from "fp-ts/Either";
import type * as t from "io-ts";

import { invalidGradients, invalidGramian, type ConfigError, type StepError } from "./errors.js";
import { checkLosses } from "./losses.js";
import type { Diagnostics, TaskLosses, Weighting, WeightingStep } from "./weighting.js";

/**
 * The contract of the gradient-aware weightings (MGDA, PCGrad, CAGrad, IMTL-G, Aligned-MTL,
 * Nash-MTL, UPGrad, …): like a loss `Weighting`, a pair of pure functions over a plain, JSON-safe
 * state, but a step also sees the geometry of the per-task gradients g_k over the shared
 * parameters. Most methods factor through the K×K Gramian G_ij = g_i·g_j (host memory O(K²),
 * whatever the number of parameters); a few need the gradients themselves.
 *
 * A step returns coefficients c: the update direction is d = Σ_k c_k g_k, and a trainer
 * descends along d (θ ← θ − lr·d, or hands d to its optimizer as the gradient). Unlike a loss
 * weighting's weights, c is NOT on the simplex in general: each method's page says what its
 * coefficients sum to (MGDA: 1; PCGrad: ≥ 0 per task, no fixed sum; CAGrad, Nash-MTL: no fixed
 * sum; …). `coefficientsOnSimplex` is true only for methods whose c always are.
 *
 * Absent tasks (a null loss) have no gradient: their rows and columns of the Gramian are ignored
 * (they may hold anything finite, usually 0) and their coefficient is exactly 0.
 */

/** The K×K Gramian of the per-task gradients, G[i][j] = g_i · g_j (rows of numbers). */
export type Gramian = ReadonlyArray<ReadonlyArray<number>>;

/** Per-task gradients over the shared parameters (or the shared representation), null when absent. */
export type TaskGradients = ReadonlyArray<ArrayLike<number> | null>;

/** What a gradient-aware step needs: "losses" only, the "gramian", or the "gradients" themselves. */
export type GradientNeeds = "losses" | "gramian" | "gradients";

/** One step's input. `gramian` is required unless the method needs only losses; `gradients` only for "gradients" methods. */
export interface GradientStepInput {
  readonly losses: TaskLosses;
  readonly gramian?: Gramian;
  readonly gradients?: TaskGradients;
}

/** The result of one gradient-aware step. */
export interface GradientWeightingStep<S> {
  readonly state: S;
  /** c, one per task (0 for absent tasks): the direction is Σ c_k g_k, unless `direction` is given. */
  readonly coefficients: ReadonlyArray<number>;
  /**
   * Only for methods whose update is not a combination of the task gradients (GradDrop's
   * per-coordinate masks): the update direction itself, one entry per gradient coordinate.
   * `coefficients` then report each task's share for logging.
   */
  readonly direction?: ReadonlyArray<number>;
  readonly diagnostics: Diagnostics;
}

/** A gradient-aware weighting: pure `init`/`step` over a serializable state `S`. */
export interface GradientWeighting<S> {
  /** A short identifier, e.g. "mgda" or "upgrad". */
  readonly name: string;
  /** What `step` needs besides the losses. */
  readonly needs: GradientNeeds;
  /** True when the coefficients are always on the simplex (>= 0, sum 1). */
  readonly coefficientsOnSimplex: boolean;
  /** The state for `numTasks` tasks (configuration errors surface here). */
  readonly init: (numTasks: number) => E.Either<ConfigError, S>;
  /** One step. Returns the new state; the input state is never mutated. */
  readonly step: (state: S, input: GradientStepInput) => E.Either<StepError, GradientWeightingStep<S>>;
  /** Encodes the state to JSON-safe data and decodes it back exactly (checkpoints). */
  readonly stateCodec: t.Type<S, unknown, unknown>;
  /** The number of tasks a state was made for. */
  readonly numTasks: (state: S) => number;
}

/**
 * A gradient-aware weighting whose state type the holder does not know (see `AnyWeighting`).
 *
 * @example
 * const methods: AnyGradientWeighting[] = [unwrap(createGradientWeighting("mgda", {})), unwrap(createGradientWeighting("upgrad", {}))];
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- "some S": TypeScript has no existential type
export type AnyGradientWeighting = GradientWeighting<any>;

/**
 * The default tolerance of `checkGramian`, relative to the largest entry of the present tasks'
 * Gramian (for a valid one, the largest squared gradient norm): float32 dot products over ~1e5 parameters are off by ~1e-5 of
 * |g_i||g_j|, so a Gramian formed on a device can be that far from symmetric PSD.
 *
 * @example
 * checkGramian([[1, 0], [0, 1]], [0, 1], 2) // Right
 */
export const GRAMIAN_TOLERANCE = 1e-4;

/**
 * The largest number of tasks a gradient-aware weighting accepts: K×K Gramians and the
 * methods' O(K³) solvers stay small on the host.
 *
 * @example
 * mgda().init(MAX_GRADIENT_TASKS + 1) // Left
 */
export const MAX_GRADIENT_TASKS = 256;

/**
 * The smallest eigenvalue of a symmetric matrix (cyclic Jacobi rotations; used for the PSD check).
 * `a` is read, not written.
 *
 * @example
 * smallestEigenvalue([[2, 1], [1, 2]]) // 1
 */
export const smallestEigenvalue = (a: ReadonlyArray<ReadonlyArray<number>>): number => {
  const { values } = symmetricEigen(a);
  return values.reduce((m, v) => Math.min(m, v), Infinity);
};

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations, to machine precision:
 * `values[k]` with eigenvector column k of `vectors` (vectors[i][k]), values in ascending order.
 * Deterministic (a fixed sweep order), O(K³) per sweep, at most 100 sweeps.
 *
 * @example
 * symmetricEigen([[2, 0], [0, 1]]) // { values: [1, 2], vectors: [[0, 1], [1, 0]] }
 */
export const symmetricEigen = (a: ReadonlyArray<ReadonlyArray<number>>): { values: number[]; vectors: number[][] } => {
  const n = a.length;
  // Scaled by a power of two (exact) so that the largest entry is ~1: sums of squares of entries
  // near 1e160 or 1e-170 would overflow or underflow and stop the rotations early.
  let largest = 0;
  for (const row of a) for (const x of row) largest = Math.max(largest, Math.abs(x));
  const exponent = largest > 0 && Number.isFinite(largest) ? -Math.round(Math.log2(largest)) : 0;
  // 2^e in two factors: for a subnormal largest entry 2^e alone would overflow.
  const up = 2 ** Math.trunc(exponent / 2);
  const up2 = 2 ** (exponent - Math.trunc(exponent / 2));
  const m = a.map((row, i) =>
    row.map((v, j) => (i === j ? v : (v + (a[j] as ReadonlyArray<number>)[i]!) / 2) * up * up2),
  );
  const v = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (__, j): number => (i === j ? 1 : 0)));
  let total = 0;
  for (const row of m) for (const x of row) total += x * x;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += m[i]![j]! * m[i]![j]!;
    // Converged when the off-diagonal part is below rounding of the whole (or exactly 0).
    if (off <= 1e-36 * total || !Number.isFinite(off)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p]![q]!;
        if (apq === 0) continue;
        const app = m[p]![p]!;
        const aqq = m[q]![q]!;
        const theta = (aqq - app) / (2 * apq);
        const tangent = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(tangent * tangent + 1);
        const s = tangent * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k]![p]!;
          const mkq = m[k]![q]!;
          m[k]![p] = c * mkp - s * mkq;
          m[k]![q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p]![k]!;
          const mqk = m[q]![k]!;
          m[p]![k] = c * mpk - s * mqk;
          m[q]![k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, k) => k).sort((x, y) => m[x]![x]! - m[y]![y]! || x - y);
  return { values: order.map((k) => m[k]![k]! / up / up2), vectors: v.map((row) => order.map((k) => row[k]!)) };
};

/**
 * True when a Cholesky factorisation of `g + shift·I` (scaled to unit diagonal scale) finds no
 * pivot below -1e-12 of the scale: `g` has no eigenvalue below about -shift. A zero pivot (a
 * rank-deficient Gramian with shift 0) is accepted: its column is dropped.
 */
const choleskyAccepts = (g: ReadonlyArray<ReadonlyArray<number>>, shift: number): boolean => {
  const n = g.length;
  // The scale of every entry: a zero diagonal with a non-zero off-diagonal entry is indefinite.
  let scale = shift;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(g[i]![j]!) + (i === j ? shift : 0));
  if (!(scale > 0)) return true;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    let d = (g[j]![j]! + shift) / scale;
    for (let k = 0; k < j; k++) d -= l[j]![k]! * l[j]![k]!;
    if (d < -1e-12) return false;
    if (d <= 1e-14) {
      // A (numerically) dependent column: PSD needs its remaining entries ~0 too (|x_ij|² <= d_i d_j).
      for (let i = j + 1; i < n; i++) {
        let x = g[i]![j]! / scale;
        for (let k = 0; k < j; k++) x -= l[i]![k]! * l[j]![k]!;
        if (Math.abs(x) > 1e-6) return false;
      }
      continue;
    }
    const root = Math.sqrt(d);
    l[j]![j] = root;
    for (let i = j + 1; i < n; i++) {
      let x = g[i]![j]! / scale;
      for (let k = 0; k < j; k++) x -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = x / root;
    }
  }
  return true;
};

/**
 * Checks a Gramian for the present tasks: a K×K array of finite numbers, symmetric and positive
 * semi-definite within `tolerance` × its largest present entry (the largest squared norm) (entries of absent tasks
 * are not checked beyond being numbers). Returns the present tasks' sub-Gramian, symmetrised
 * ((G + Gᵀ)/2), with the indices of the present tasks.
 *
 * @example
 * checkGramian([[4, 2], [2, 1]], [0, 1], 2) // Right({ present: [0, 1], gramian: [[4, 2], [2, 1]] })
 * checkGramian([[1, 2], [2, 1]], [0, 1], 2) // Left(InvalidGramian "… not positive semi-definite …")
 */
export const checkGramian = (
  gramian: unknown,
  present: ReadonlyArray<number>,
  numTasks: number,
  tolerance: number = GRAMIAN_TOLERANCE,
): E.Either<StepError, { present: ReadonlyArray<number>; gramian: number[][] }> => {
  if (!Array.isArray(gramian) || gramian.length !== numTasks) {
    return E.left(
      invalidGramian(`expected ${numTasks} rows (got ${Array.isArray(gramian) ? gramian.length : typeof gramian})`),
    );
  }
  for (let i = 0; i < numTasks; i++) {
    const row: unknown = gramian[i];
    if (!Array.isArray(row) || row.length !== numTasks) {
      return E.left(
        invalidGramian(`row ${i}: expected ${numTasks} entries (got ${Array.isArray(row) ? row.length : typeof row})`),
      );
    }
    for (let j = 0; j < numTasks; j++) {
      const value: unknown = row[j];
      if (typeof value !== "number")
        return E.left(
          invalidGramian(`entry [${i}][${j}]: expected a number (got ${JSON.stringify(value) ?? String(value)})`),
        );
      if (!Number.isFinite(value) && present.includes(i) && present.includes(j)) {
        return E.left(invalidGramian(`entry [${i}][${j}]: expected a finite number (got ${String(value)})`));
      }
    }
  }
  const rows = gramian as ReadonlyArray<ReadonlyArray<number>>;
  // The largest entry (the largest squared norm, for a valid Gramian; for an invalid one with a
  // zero diagonal, still a scale to state the tolerance in).
  let scale = 0;
  for (const i of present) for (const j of present) scale = Math.max(scale, Math.abs(rows[i]![j]!));
  const bound = tolerance * scale;
  for (const i of present) {
    if (rows[i]![i]! < -bound)
      return E.left(
        invalidGramian(`entry [${i}][${i}] = ${rows[i]![i]!} < 0: a squared gradient norm cannot be negative`),
      );
    for (const j of present) {
      const d = Math.abs(rows[i]![j]! - rows[j]![i]!);
      if (d > bound)
        return E.left(
          invalidGramian(
            `not symmetric: [${i}][${j}] = ${rows[i]![j]!} but [${j}][${i}] = ${rows[j]![i]!} (tolerance ${bound})`,
          ),
        );
    }
  }
  const sub = present.map((i) => present.map((j) => (rows[i]![j]! + rows[j]![i]!) / 2));
  // λ_min(G) >= -bound exactly when G + bound·I is PSD: one Cholesky (O(K³/6)) decides it; the
  // eigenvalue is computed only for the message.
  if (!choleskyAccepts(sub, bound)) {
    const smallest = smallestEigenvalue(sub);
    return E.left(
      invalidGramian(
        `not positive semi-definite: smallest eigenvalue ${smallest} < -${bound} (${tolerance} × the largest entry)`,
      ),
    );
  }
  return E.right({ present, gramian: sub });
};

/**
 * Checks per-task gradients: one entry per task, null exactly for absent tasks, every present
 * one of the same length with finite entries.
 *
 * @example
 * checkGradients([[1, 0], null], [0], 2) // Right(2), the gradient length
 */
export const checkGradients = (
  gradients: unknown,
  present: ReadonlyArray<number>,
  numTasks: number,
): E.Either<StepError, number> => {
  if (!Array.isArray(gradients) || gradients.length !== numTasks) {
    return E.left(
      invalidGradients(
        `expected ${numTasks} gradients (got ${Array.isArray(gradients) ? gradients.length : typeof gradients})`,
      ),
    );
  }
  let length = -1;
  for (const k of present) {
    const g: unknown = gradients[k];
    if (g === null || typeof g !== "object" || typeof (g as ArrayLike<number>).length !== "number") {
      return E.left(
        invalidGradients(
          `task ${k}: expected an array of numbers (got ${g === null ? "null" : typeof g}) for a present task`,
        ),
      );
    }
    const values = g as ArrayLike<number>;
    if (length === -1) length = values.length;
    else if (values.length !== length)
      return E.left(invalidGradients(`task ${k}: expected ${length} entries like the others (got ${values.length})`));
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== "number" || !Number.isFinite(v))
        return E.left(invalidGradients(`task ${k} entry ${i}: expected a finite number (got ${String(v)})`));
    }
  }
  return E.right(Math.max(length, 0));
};

/** The Gramian of per-task gradients (absent tasks: rows and columns of 0), in float64. */
export const gramianOf = (gradients: TaskGradients): number[][] => {
  const k = gradients.length;
  const g = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++) {
    const a = gradients[i];
    if (a === null || a === undefined) continue;
    for (let j = i; j < k; j++) {
      const b = gradients[j];
      if (b === null || b === undefined) continue;
      let s = 0;
      for (let p = 0; p < a.length; p++) s += a[p]! * b[p]!;
      g[i]![j] = s;
      g[j]![i] = s;
    }
  }
  return g;
};

/**
 * Checks a gradient-aware step's input for a method that needs `needs`: the losses as every
 * weighting checks them, then the Gramian (formed from `gradients` when only those are given)
 * and the gradients when needed. Returns the present tasks, their symmetrised sub-Gramian
 * (empty when only losses are needed) and the gradient length (0 unless gradients are given).
 *
 * @example
 * checkGradientInput({ losses: [1, null], gramian: [[1, 0], [0, 0]] }, 2, "gramian") // Right({ present: [0], gramian: [[1]], … })
 */
export const checkGradientInput = (
  input: GradientStepInput,
  numTasks: number,
  needs: GradientNeeds,
  tolerance: number = GRAMIAN_TOLERANCE,
  taskNames?: readonly string[],
): E.Either<StepError, { present: ReadonlyArray<number>; gramian: number[][]; gradientLength: number }> => {
  if (typeof input !== "object" || input === null)
    return E.left(invalidGramian(`expected a step input { losses, gramian } (got ${String(input)})`));
  const losses = input.losses;
  const lossProblem = checkLosses(losses, numTasks, taskNames);
  if (lossProblem !== null) return E.left(lossProblem);
  const present: number[] = [];
  for (let k = 0; k < numTasks; k++) if (losses[k] !== null) present.push(k);
  let gradientLength = 0;
  if (input.gradients !== undefined || needs === "gradients") {
    const checked = checkGradients(input.gradients, present, numTasks);
    if (E.isLeft(checked)) return checked;
    gradientLength = checked.right;
  }
  if (needs === "losses") return E.right({ present, gramian: [], gradientLength });
  const gramian = input.gramian ?? (input.gradients === undefined ? undefined : gramianOf(input.gradients));
  if (gramian === undefined)
    return E.left(
      invalidGramian(
        "this weighting needs the Gramian of the task gradients (or the gradients); the input has neither",
      ),
    );
  return E.map((g: { present: ReadonlyArray<number>; gramian: number[][] }) => ({ ...g, gradientLength }))(
    checkGramian(gramian, present, numTasks, tolerance),
  );
};

/**
 * Spreads the present tasks' coefficients back over all K tasks (0 for absent tasks).
 *
 * @example
 * scatterPresent([0.25, 0.75], [0, 2], 3) // [0.25, 0, 0.75]
 */
export const scatterPresent = (
  values: ReadonlyArray<number>,
  present: ReadonlyArray<number>,
  numTasks: number,
): number[] => {
  const out = new Array<number>(numTasks).fill(0);
  present.forEach((k, i) => (out[k] = values[i]!));
  return out;
};

/**
 * Whether a weighting is gradient-aware (has `needs`: it steps on `{ losses, gramian?, gradients? }`)
 * rather than a loss weighting (steps on the losses alone). Trainers use it to pick their path.
 *
 * @example
 * isGradientWeighting(upgrad()) // true
 * isGradientWeighting(art()) // false
 */
export const isGradientWeighting = (weighting: unknown): weighting is GradientWeighting<unknown> =>
  typeof weighting === "object" &&
  weighting !== null &&
  ["losses", "gramian", "gradients"].includes((weighting as Partial<GradientWeighting<unknown>>).needs as string) &&
  typeof (weighting as Partial<GradientWeighting<unknown>>).step === "function";

/**
 * A loss weighting seen as a gradient-aware one that needs only the losses: its weights become
 * the coefficients (on the simplex), its state is the inner state. So one trainer and one
 * benchmark drive both families. `endEpoch`/`observe` of an epoch-aware or two-phase weighting
 * are not called through this view: drive those with `endEpochEvery` / `observeOnNextStep`.
 *
 * @example
 * const w = fromLossWeighting(dwa());
 * w.step(state, { losses: [0.5, 0.2] }) // Right({ coefficients: DWA's weights, … })
 */
export const fromLossWeighting = <S>(weighting: Weighting<S>): GradientWeighting<S> => ({
  name: weighting.name,
  needs: "losses",
  coefficientsOnSimplex: true,
  init: weighting.init,
  step: (state, input) => {
    if (typeof input !== "object" || input === null)
      return E.left(invalidGramian(`expected a step input { losses } (got ${String(input)})`));
    return E.map((r: WeightingStep<S>): GradientWeightingStep<S> => ({
      state: r.state,
      coefficients: r.weights,
      diagnostics: r.diagnostics,
    }))(weighting.step(state, input.losses));
  },
  stateCodec: weighting.stateCodec,
  numTasks: weighting.numTasks,
});
