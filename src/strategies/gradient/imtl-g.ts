import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { invalidGramian, type StepError } from "../../core/errors.js";
import { symmetricEigen } from "../../core/gradient-weighting.js";
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
 * IMTL-G, the gradient half of IMTL (Liu et al. 2021, "Towards Impartial Multi-task
 * Learning"): the coefficients c sum to 1 and make the direction d = Σ c_k g_k project equally
 * on every unit task gradient u_k = g_k / ‖g_k‖ (d·u_i = d·u_j).
 *
 * LibMTL (LibMTL/weighting/IMTL.py) solves it in closed form with D_i = g_1 − g_{i+1} and
 * U_i = u_1 − u_{i+1}: α = g_1 Uᵀ (D Uᵀ)⁻¹, c = [1 − Σα, α]; a singular D Uᵀ (linearly dependent
 * gradients, a zero gradient) makes `torch.inverse` fail or return garbage. TorchJD's
 * `IMTLGWeighting` (src/torchjd/aggregation/_imtl_g.py) states the same solution through the
 * Gramian, v = G⁺ n with n_k = ‖g_k‖ and c = v / Σv (0 when Σv is 0), and so also covers
 * rank-deficient gradients: that is the default here. `referenceInverse: true` runs LibMTL's
 * closed form instead and returns `Left` where its system is singular.
 */

const EPSILON = 2 ** -52;

/**
 * float32's machine epsilon, `torch.finfo().eps` under PyTorch's default dtype.
 *
 * @example
 * FLOAT32_EPSILON // 1.1920928955078125e-7
 */
export const FLOAT32_EPSILON = 2 ** -23;

/**
 * `symmetricEigen` of a Gramian scaled by a power of two first (exact), so that neither the
 * rotations' sums of squares underflow for tiny gradients nor overflow for huge ones; the
 * eigenvalues are scaled back (vectors[i][k] is column k, values ascending).
 *
 * @example
 * scaledSymmetricEigen([[4e-200, 0], [0, 1e-200]]).values // [1e-200, 4e-200]
 */
export const scaledSymmetricEigen = (
  gramian: ReadonlyArray<ReadonlyArray<number>>,
): { values: number[]; vectors: number[][] } => {
  let largest = 0;
  for (const row of gramian) for (const x of row) largest = Math.max(largest, Math.abs(x));
  if (!(largest > 0) || !Number.isFinite(largest)) return symmetricEigen(gramian);
  // 2^e in two factors: for a subnormal largest entry 2^e alone would overflow.
  const exponent = -Math.round(Math.log2(largest));
  const first = 2 ** Math.trunc(exponent / 2);
  const second = 2 ** (exponent - Math.trunc(exponent / 2));
  const { values, vectors } = symmetricEigen(gramian.map((row) => row.map((x) => x * first * second)));
  return { values: values.map((x) => x / first / second), vectors };
};

const optionProps = {
  referenceInverse: t.boolean,
  rankEpsilon: t.number,
};

/** A number in (0, 1). */
const OpenUnit = t.refinement(t.number, (n) => n > 0 && n < 1, "number in (0, 1)");

/**
 * Options of `imtlG` (all optional): `referenceInverse` (false: TorchJD's pseudo-inverse form;
 * true: LibMTL's `torch.inverse` of D Uᵀ) and `rankEpsilon` (eigenvalues of G at most
 * K × rankEpsilon × the largest are treated as 0 in G⁺; default 2⁻²³, TorchJD's
 * `torch.linalg.pinv` default on a float32 Gramian).
 *
 * @example
 * ImtlGOptions.decode({ referenceInverse: true }) // Right
 */
export const ImtlGOptions = strictPartial(optionProps, "ImtlGOptions");
/** What a user writes. */
export type ImtlGOptions = t.OutputOf<typeof ImtlGOptions>;

/**
 * IMTL-G's checked configuration.
 *
 * @example
 * unwrap(imtlG().init(2)).config.rankEpsilon // 2 ** -23
 */
export interface ImtlGConfig {
  readonly referenceInverse: boolean;
  readonly rankEpsilon: number;
}

/**
 * IMTL-G's defaults: TorchJD's pseudo-inverse form with its float32 rank cut-off.
 *
 * @example
 * IMTL_G_DEFAULTS.referenceInverse // false
 */
export const IMTL_G_DEFAULTS: ImtlGConfig = { referenceInverse: false, rankEpsilon: FLOAT32_EPSILON };

/**
 * TorchJD's `IMTLGWeighting` on a Gramian: v = G⁺ n (n_k = ‖g_k‖; G⁺ keeps the eigenvalues
 * whose magnitude exceeds K × rankEpsilon × the largest magnitude, as `torch.linalg.pinv` keeps
 * singular values) and c = v / Σv. Σv counts as 0, and c = 0, when |Σv| × max_k ‖g_k‖ < 1e-12:
 * TorchJD's absolute threshold |Σv| < 1e-12, measured in units of the largest gradient norm so
 * that c does not change when every gradient is scaled (the two rules agree when max ‖g_k‖ = 1).
 * A single task gets c = [1] (LibMTL's answer; TorchJD's is [0] for a zero gradient).
 *
 * @example
 * imtlGCoefficients([[1, 0], [0, 4]], 2 ** -23) // [2/3, 1/3]: d = (2/3, 2/3) projects 2/3 on both
 */
export const imtlGCoefficients = (gramian: ReadonlyArray<ReadonlyArray<number>>, rankEpsilon: number): number[] => {
  const k = gramian.length;
  // One task: the only coefficients that sum to 1 (LibMTL's answer; TorchJD's is 0 for a zero
  // gradient, where the direction is 0 anyway). This keeps c unchanged when a tiny gradient's
  // Gramian underflows to 0 at one scale and not at another.
  if (k === 1) return [1];
  const norms = gramian.map((row, i) => Math.sqrt(Math.max(row[i]!, 0)));
  const { values, vectors } = scaledSymmetricEigen(gramian);
  const largest = values.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const cutoff = k * rankEpsilon * largest;
  const v = new Array<number>(k).fill(0);
  values.forEach((lambda, e) => {
    if (!(Math.abs(lambda) > cutoff)) return;
    let along = 0;
    for (let i = 0; i < k; i++) along += vectors[i]![e]! * norms[i]!;
    const factor = along / lambda;
    for (let i = 0; i < k; i++) v[i] = v[i]! + factor * vectors[i]![e]!;
  });
  const sum = v.reduce((s, x) => s + x, 0);
  const largestNorm = norms.reduce((m, x) => Math.max(m, x), 0);
  if (!(Math.abs(sum) * largestNorm >= 1e-12)) return new Array<number>(k).fill(0);
  return v.map((x) => x / sum);
};

/**
 * LibMTL's closed form on a Gramian: with n_k = ‖g_k‖, the (K−1)-vector b_j = g_1·U_j and the
 * (K−1)×(K−1) matrix M_ij = D_i·U_j (D_i = g_1 − g_{i+1}, U_j = u_1 − u_{j+1}), α = b M⁻¹
 * (M⁻¹ by Gauss–Jordan elimination with partial pivoting, as an LU inverse) and
 * c = [1 − Σα, α]. `Left` where LibMTL's result is undefined: a zero gradient (u = g/0), or M
 * singular to working precision (a pivot at most 1024 (K−1) ε max|M|).
 *
 * @example
 * libmtlImtlGCoefficients([[1, 0], [0, 4]]) // Right([2/3, 1/3])
 */
export const libmtlImtlGCoefficients = (gramian: ReadonlyArray<ReadonlyArray<number>>): E.Either<string, number[]> => {
  const k = gramian.length;
  if (k === 1) return E.right([1]);
  const norms = gramian.map((row, i) => Math.sqrt(Math.max(row[i]!, 0)));
  const zero = norms.findIndex((x) => !(x > 0));
  if (zero >= 0)
    return E.left(
      `IMTL-G (LibMTL's closed form): present task ${zero} has a zero gradient, so its unit gradient g/‖g‖ is undefined`,
    );
  const m = k - 1;
  // g_1·u_j and g_i·u_j through the Gramian: G_ij / n_j.
  const dotUnit = (i: number, j: number): number => gramian[i]![j]! / norms[j]!;
  const b = Array.from({ length: m }, (_, j) => dotUnit(0, 0) - dotUnit(0, j + 1));
  const a = Array.from({ length: m }, (_, i) =>
    Array.from({ length: m }, (__, j) => dotUnit(0, 0) - dotUnit(0, j + 1) - dotUnit(i + 1, 0) + dotUnit(i + 1, j + 1)),
  );
  const inverse = invert(a);
  if (inverse === null) {
    return E.left(
      "IMTL-G (LibMTL's closed form): D Uᵀ is singular to working precision (linearly dependent task gradients), where torch.inverse fails; the default (TorchJD's pseudo-inverse form) covers this case",
    );
  }
  const alpha = Array.from({ length: m }, (_, j) => {
    let s = 0;
    for (let i = 0; i < m; i++) s += b[i]! * inverse[i]![j]!;
    return s;
  });
  return E.right([1 - alpha.reduce((s, x) => s + x, 0), ...alpha]);
};

/**
 * The inverse of a square matrix by Gauss–Jordan elimination with partial pivoting, or null when
 * a pivot is at most 1024 n ε max|a|: singular to working precision (on the tested sets the
 * pivots of dependent gradients' D Uᵀ are below 4e-15 × max|a|, the others above 3e-7).
 */
const invert = (matrix: ReadonlyArray<ReadonlyArray<number>>): number[][] | null => {
  const n = matrix.length;
  let scale = 0;
  for (const row of matrix) for (const x of row) scale = Math.max(scale, Math.abs(x));
  const threshold = 1024 * n * EPSILON * scale;
  const a = matrix.map((row, i) => [...row, ...Array.from({ length: n }, (_, j): number => (i === j ? 1 : 0))]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (!(Math.abs(a[pivot]![col]!) > threshold)) return null;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const row = a[col]!;
    const p = row[col]!;
    for (let c = 0; c < 2 * n; c++) row[c] = row[c]! / p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = a[r]![col]!;
      if (factor === 0) continue;
      for (let c = 0; c < 2 * n; c++) a[r]![c] = a[r]![c]! - factor * row[c]!;
    }
  }
  const inverse = a.map((row) => row.slice(n));
  return inverse.every((row) => row.every(Number.isFinite)) ? inverse : null;
};

/** IMTL-G's step on the present tasks. */
const solveImtlG = (
  config: ImtlGConfig,
  _memory: null,
  problem: GradientProblem,
): E.Either<StepError, GradientSolution<null>> => {
  const g = problem.gramian;
  const solved = config.referenceInverse
    ? libmtlImtlGCoefficients(g)
    : E.right(imtlGCoefficients(g, config.rankEpsilon));
  if (E.isLeft(solved)) return E.left(invalidGramian(solved.left));
  const coefficients = solved.right;
  if (!coefficients.every(Number.isFinite))
    return E.left(invalidGramian(`IMTL-G's coefficients are not finite (${coefficients.join(", ")})`));
  // d·u_i = (G c)_i / ‖g_i‖: equal across tasks when the method's system has a solution.
  const unitProjection = g.map((row, i) => {
    const norm = Math.sqrt(Math.max(row[i]!, 0));
    return norm > 0 ? row.reduce((s, x, j) => s + x * coefficients[j]!, 0) / norm : 0;
  });
  return E.right({ coefficients, memory: null, diagnostics: { unitProjection } });
};

/**
 * IMTL-G's definition for `gradientWeighting`.
 *
 * @example
 * gradientWeighting(IMTL_G_METHOD, { referenceInverse: true }).name // "imtl-g"
 */
export const IMTL_G_METHOD: GradientMethod<ImtlGOptions, ImtlGConfig, null> = {
  name: "imtl-g",
  needs: "gramian",
  coefficientsOnSimplex: false,
  optionsCodec: ImtlGOptions,
  configOf: (options) => {
    const config = { ...IMTL_G_DEFAULTS, ...options };
    return OpenUnit.is(config.rankEpsilon)
      ? E.right(config)
      : E.left([`rankEpsilon: expected a number in (0, 1) (got ${String(config.rankEpsilon)})`]);
  },
  configProps: { referenceInverse: t.boolean, rankEpsilon: OpenUnit },
  initMemory: () => null,
  memoryCodec: NoMemory,
  solve: solveImtlG,
};

/**
 * IMTL-G as a gradient-aware weighting: coefficients summing to 1 (not necessarily ≥ 0) whose
 * direction projects equally on every unit task gradient. Diagnostics: `unitProjection`, d·u_k.
 *
 * @example
 * const w = imtlG();
 * const r = unwrap(w.step(unwrap(w.init(2)), { losses: [1, 1], gramian: [[1, 0], [0, 4]] }));
 * r.coefficients // [2/3, 1/3]
 */
export const imtlG = (options: ImtlGOptions = {}) => gradientWeighting(IMTL_G_METHOD, options);

/** The state of `imtlG()` (the common envelope, no memory). */
export type ImtlGState = GradientMethodState<ImtlGConfig, null>;

/**
 * IMTL-G's command-line flags (`--reference-inverse --rank-epsilon 1e-7`).
 *
 * @example
 * imtlGFlags["reference-inverse"] // { key: "referenceInverse", kind: "boolean" }
 */
export const imtlGFlags: Record<string, FlagSpec> = {
  "reference-inverse": { key: "referenceInverse", kind: "boolean" },
  "rank-epsilon": { key: "rankEpsilon", kind: "number" },
};
