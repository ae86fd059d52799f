/**
 * An independent float64 transcription of TorchJD's UPGrad and DualProj
 * (github.com/TorchJD/torchjd, `src/torchjd/aggregation/_upgrad.py`, `_dualproj.py`, their
 * helpers `_utils/dual_cone.py`, `_utils/pref_vector.py`, `_mean.py` and
 * `src/torchjd/_linalg/_gramian.py`), written from the Python, not from src/: the Jacobian's
 * Gramian → `normalize` → `regularize` → the weighting (mean or preference vector) →
 * `project_weights`, then the aggregation Jᵀw.
 *
 * TorchJD hands the QP `min vᵀGv s.t. v >= u` to quadprog. Here it is solved by a different,
 * deliberately naive method, so that a comparison tests the formulation rather than one solver
 * against itself: every active set A ⊆ {0..m−1} is tried (2^m of them; m <= 10), v_A = u_A and
 * v_F solving G_FF v_F = −G_FA u_A by Gaussian elimination with partial pivoting, and the
 * candidate with the smallest KKT violation is returned (for a positive definite G exactly one
 * candidate satisfies the KKT conditions).
 */

/** A matrix as rows. */
export type Matrix = number[][];

/** `compute_gramian(J)`: J Jᵀ for a Jacobian with one row per task. */
export const computeGramian = (jacobian: Matrix): Matrix =>
  jacobian.map((a) => jacobian.map((b) => a.reduce((s, x, p) => s + x * b[p]!, 0)));

/** `normalize(G, eps)`: G / trace(G), or zeros when trace(G) < eps (torch.where on the condition). */
export const normalize = (gramian: Matrix, eps: number): Matrix => {
  const squaredFrobeniusNorm = gramian.reduce((s, row, i) => s + row[i]!, 0);
  const condition = squaredFrobeniusNorm < eps;
  return gramian.map((row) => row.map((g) => (condition ? 0 : g / squaredFrobeniusNorm)));
};

/** `regularize(G, eps)`: G + eps I. */
export const regularize = (gramian: Matrix, eps: number): Matrix =>
  gramian.map((row, i) => row.map((g, j) => g + (i === j ? eps : 0)));

/** `MeanWeighting` (1/m each) or `ConstantWeighting(pref_vector)`. */
export const preferenceWeighting = (m: number, prefVector?: readonly number[]): number[] => {
  if (prefVector === undefined) return new Array<number>(m).fill(1 / m);
  if (prefVector.length !== m) throw new Error(`pref_vector has ${prefVector.length} entries, the matrix ${m} rows`);
  return [...prefVector];
};

/** Solves A x = b by Gaussian elimination with partial pivoting (A square, copied). */
const gaussSolve = (a: Matrix, b: number[]): number[] => {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = col + 1; r < n; r++) {
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let c = r + 1; c < n; c++) s -= m[r]![c]! * x[c]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
};

/** The KKT violation of v for min vᵀGv s.t. v >= u, scaled by the problem's size. */
export const kktViolation = (g: Matrix, u: readonly number[], v: readonly number[]): number => {
  const gv = g.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
  const scale = Math.max(1e-300, ...u.map(Math.abs), ...v.map(Math.abs));
  const gScale = Math.max(1e-300, ...g.map((row) => row.reduce((s, x) => s + Math.abs(x), 0)));
  let worst = 0;
  for (let i = 0; i < u.length; i++) {
    worst = Math.max(
      worst,
      (u[i]! - v[i]!) / scale,
      -gv[i]! / (gScale * scale),
      Math.abs((v[i]! - u[i]!) * gv[i]!) / (gScale * scale * scale),
    );
  }
  return worst;
};

/** `_project_weight_vector(u, G)`: argmin vᵀGv s.t. u <= v, by enumerating the active sets. */
export const projectWeightVector = (u: readonly number[], g: Matrix): number[] => {
  const m = u.length;
  if (m > 10) throw new Error("the brute-force QP is for m <= 10");
  let best: number[] | null = null;
  let bestViolation = Infinity;
  for (let mask = 0; mask < 1 << m; mask++) {
    const free: number[] = [];
    const fixed: number[] = [];
    for (let i = 0; i < m; i++) (mask & (1 << i) ? fixed : free).push(i);
    const v = new Array<number>(m).fill(0);
    for (const i of fixed) v[i] = u[i]!;
    if (free.length > 0) {
      const rhs = free.map((i) => -fixed.reduce((s, a) => s + g[i]![a]! * u[a]!, 0));
      const solution = gaussSolve(
        free.map((i) => free.map((j) => g[i]![j]!)),
        rhs,
      );
      free.forEach((i, f) => (v[i] = solution[f]!));
    }
    if (!v.every(Number.isFinite)) continue;
    const violation = kktViolation(g, u, v);
    if (violation < bestViolation) {
      bestViolation = violation;
      best = v;
    }
  }
  if (best === null) throw new Error("Failed to solve the quadratic programming problem.");
  return best;
};

/** `project_weights(U, G)`: each row of U projected. */
export const projectWeights = (rows: Matrix, g: Matrix): Matrix => rows.map((u) => projectWeightVector(u, g));

/** Options as TorchJD's constructors take them. */
export interface TorchjdDualConeOptions {
  readonly prefVector?: readonly number[];
  readonly normEps?: number;
  readonly regEps?: number;
}

/** `UPGradWeighting.forward(gramian)`: U = diag(weighting), W = project_weights(U, G'), sum over rows. */
export const upgradWeighting = (
  gramian: Matrix,
  { prefVector, normEps = 0.0001, regEps = 0.0001 }: TorchjdDualConeOptions = {},
): number[] => {
  const m = gramian.length;
  const weights = preferenceWeighting(m, prefVector);
  const U = weights.map((w, i) => weights.map((_, j) => (i === j ? w : 0)));
  const G = regularize(normalize(gramian, normEps), regEps);
  const W = projectWeights(U, G);
  return weights.map((_, k) => W.reduce((s, row) => s + row[k]!, 0));
};

/** `DualProjWeighting.forward(gramian)`: w = project_weights(u, G'). */
export const dualProjWeighting = (
  gramian: Matrix,
  { prefVector, normEps = 0.0001, regEps = 0.0001 }: TorchjdDualConeOptions = {},
): number[] => {
  const u = preferenceWeighting(gramian.length, prefVector);
  const G = regularize(normalize(gramian, normEps), regEps);
  return projectWeightVector(u, G);
};

/** `WeightedAggregator`: Jᵀw, the aggregated update direction. */
export const aggregate = (jacobian: Matrix, weights: readonly number[]): number[] =>
  jacobian[0]!.map((_, p) => jacobian.reduce((s, row, i) => s + weights[i]! * row[p]!, 0));

/** `UPGrad()(J)` and `DualProj()(J)`: the direction, from the Jacobian. */
export const upgradAggregate = (jacobian: Matrix, options?: TorchjdDualConeOptions): number[] =>
  aggregate(jacobian, upgradWeighting(computeGramian(jacobian), options));
export const dualProjAggregate = (jacobian: Matrix, options?: TorchjdDualConeOptions): number[] =>
  aggregate(jacobian, dualProjWeighting(computeGramian(jacobian), options));
