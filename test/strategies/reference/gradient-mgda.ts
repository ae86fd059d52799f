/**
 * Independent float64 transcriptions of the reference code for the `mgda` group of gradient-aware
 * weightings, written from the Python (not from src/), in the Python's own parameterisation:
 *
 * - LibMTL (github.com/median-research-group/LibMTL, commit 4336804):
 *   `LibMTL/weighting/MGDA.py` (`_gradient_normalizers`, `_find_min_norm_element` and its inner
 *   functions, `backward`), the gradient half of `LibMTL/weighting/IMTL.py` and
 *   `LibMTL/weighting/Aligned_MTL.py`, with `AbsWeighting._backward_new_grads`
 *   (`abstract_weighting.py`): the update is Σ_i batch_weight[i] · grads[i], where `grads` are the
 *   (possibly normalised) shared-parameter gradients, or the raw representation gradients with
 *   `rep_grad`. These operate on explicit gradient rows, as the Python does.
 * - TorchJD (github.com/TorchJD/torchjd, commit 46962c2): `MGDAWeighting`, `IMTLGWeighting` and
 *   `AlignedMTLWeighting` (src/torchjd/aggregation/_mgda.py, _imtl_g.py, _aligned_mtl.py), which
 *   operate on the Gramian.
 *
 * The linear algebra PyTorch calls (`symeig`/`eigh`, `inverse`, `linalg.pinv`) is written here
 * from scratch: classical Jacobi (largest off-diagonal pivot first) and Gauss–Jordan.
 * `torch.finfo().eps` is float32's 2⁻²³ (PyTorch's default dtype), as in both libraries.
 *
 * `bruteForceMinNorm` is not a transcription: an exact min-norm point by enumeration of faces,
 * used to check the exact solver.
 */

export type Vector = number[];
export type Matrix = number[][];

/** `torch.finfo().eps` under the default dtype (float32). */
export const TORCH_DEFAULT_EPS = 2 ** -23;

const dot = (a: readonly number[], b: readonly number[]): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** grads.mm(grads.t()). */
export const gramOfRows = (rows: readonly Vector[]): Matrix => rows.map((a) => rows.map((b) => dot(a, b)));

/** Σ_i weights[i] · rows[i] (`_backward_new_grads`' new_grads). */
export const combine = (weights: readonly number[], rows: readonly Vector[]): Vector => {
  const out = new Array<number>(rows[0]!.length).fill(0);
  rows.forEach((row, i) => row.forEach((x, p) => (out[p] = out[p]! + weights[i]! * x)));
  return out;
};

/**
 * A symmetric eigendecomposition by classical Jacobi rotations (the largest off-diagonal entry
 * first), values ascending (as `torch.symeig` / `torch.linalg.eigh`), vectors as columns.
 */
export const jacobiEigen = (input: readonly (readonly number[])[]): { values: Vector; vectors: Matrix } => {
  const n = input.length;
  const a = input.map((row) => [...row]);
  const v = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (__, j): number => (i === j ? 1 : 0)));
  // The Frobenius norm, scaled so that tiny or huge entries neither underflow nor overflow.
  let entry = 0;
  for (const row of a) for (const x of row) entry = Math.max(entry, Math.abs(x));
  let sumOfSquares = 0;
  if (entry > 0) for (const row of a) for (const x of row) sumOfSquares += (x / entry) ** 2;
  const frobenius = entry * Math.sqrt(sumOfSquares);
  for (let iteration = 0; iteration < 200 * n * n + 10; iteration++) {
    let p = 0;
    let q = 1;
    let largest = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (Math.abs(a[i]![j]!) > largest) {
          largest = Math.abs(a[i]![j]!);
          p = i;
          q = j;
        }
      }
    }
    if (largest === 0 || largest <= 1e-20 * frobenius) break;
    const apq = a[p]![q]!;
    const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
    const tangent = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
    const cosine = 1 / Math.sqrt(tangent * tangent + 1);
    const sine = tangent * cosine;
    const tau = sine / (1 + cosine);
    a[p]![p] = a[p]![p]! - tangent * apq;
    a[q]![q] = a[q]![q]! + tangent * apq;
    a[p]![q] = 0;
    a[q]![p] = 0;
    for (let r = 0; r < n; r++) {
      if (r === p || r === q) continue;
      const arp = a[r]![p]!;
      const arq = a[r]![q]!;
      a[r]![p] = arp - sine * (arq + tau * arp);
      a[p]![r] = a[r]![p]!;
      a[r]![q] = arq + sine * (arp - tau * arq);
      a[q]![r] = a[r]![q]!;
    }
    for (let r = 0; r < n; r++) {
      const vrp = v[r]![p]!;
      const vrq = v[r]![q]!;
      v[r]![p] = vrp - sine * (vrq + tau * vrp);
      v[r]![q] = vrq + sine * (vrp - tau * vrq);
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[x]![x]! - a[y]![y]!);
  return { values: order.map((i) => a[i]![i]!), vectors: v.map((row) => order.map((i) => row[i]!)) };
};

/** `torch.inverse` (Gauss–Jordan with partial pivoting); throws where torch raises (an exactly zero pivot). */
export const torchInverse = (m: readonly (readonly number[])[]): Matrix => {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    if (a[pivot]![c] === 0) throw new Error("torch.inverse: singular matrix");
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    const p = a[c]![c]!;
    a[c] = a[c]!.map((x) => x / p);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r]![c]!;
      a[r] = a[r]!.map((x, j) => x - f * a[c]![j]!);
    }
  }
  return a.map((row) => row.slice(n));
};

/**
 * `torch.linalg.pinv(A)` for a symmetric A (not told it is hermitian: through the SVD, whose
 * singular values are |λ|): singular values <= rtol · σ_max are treated as 0, with PyTorch's
 * default rtol = max(rows, cols) · eps(dtype).
 */
export const torchPinvSymmetric = (a: readonly (readonly number[])[], eps: number): Matrix => {
  const n = a.length;
  const { values, vectors } = jacobiEigen(a);
  const sigmaMax = Math.max(...values.map(Math.abs));
  const cutoff = n * eps * sigmaMax;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (__, j) => {
      let s = 0;
      values.forEach((lambda, k) => {
        if (Math.abs(lambda) > cutoff) s += (vectors[i]![k]! * vectors[j]![k]!) / lambda;
      });
      return s;
    }),
  );
};

// ---------------------------------------------------------------------------------------------
// LibMTL MGDA.py

/** `_min_norm_element_from2(v1v1, v1v2, v2v2)` → [gamma, cost]. */
const minNormElementFrom2 = (v1v1: number, v1v2: number, v2v2: number): [number, number] => {
  if (v1v2 >= v1v1) return [0.999, v1v1];
  if (v1v2 >= v2v2) return [0.001, v2v2];
  const gamma = -1.0 * ((v1v2 - v2v2) / (v1v1 + v2v2 - 2 * v1v2));
  const cost = v2v2 + gamma * (v1v2 - v2v2);
  return [gamma, cost];
};

/** `_min_norm_2d(grad_mat)` → [(i, j), c, d]; throws where Python raises (sol unbound). */
const minNorm2d = (gradMat: Matrix): [[number, number], number, number] => {
  let dmin = 1e8;
  let sol: [[number, number], number, number] | undefined;
  for (let i = 0; i < gradMat.length; i++) {
    for (let j = i + 1; j < gradMat.length; j++) {
      const [c, d] = minNormElementFrom2(gradMat[i]![i]!, gradMat[i]![j]!, gradMat[j]![j]!);
      if (d < dmin) {
        dmin = d;
        sol = [[i, j], c, d];
      }
    }
  }
  if (sol === undefined) throw new Error("UnboundLocalError: sol");
  return sol;
};

/** `_projection2simplex(y)`. */
const projection2simplex = (y: Vector): Vector => {
  const m = y.length;
  const sortedY = [...y].sort((a, b) => b - a);
  let tmpsum = 0.0;
  let tmaxF = (y.reduce((a, b) => a + b, 0) - 1.0) / m;
  for (let i = 0; i < m - 1; i++) {
    tmpsum += sortedY[i]!;
    const tmax = (tmpsum - 1) / (i + 1.0);
    if (tmax > sortedY[i + 1]!) {
      tmaxF = tmax;
      break;
    }
  }
  return y.map((x) => Math.max(x - tmaxF, 0));
};

/** `_next_point(cur_val, grad, n)`. */
const nextPoint = (curVal: Vector, grad: Vector, n: number): Vector => {
  const gradSum = grad.reduce((a, b) => a + b, 0);
  const projGrad = grad.map((g) => g - gradSum / n);
  const tm1: number[] = [];
  const tm2: number[] = [];
  projGrad.forEach((p, i) => {
    if (p < 0) tm1.push((-1.0 * curVal[i]!) / p);
  });
  projGrad.forEach((p, i) => {
    if (p > 0) tm2.push((1.0 - curVal[i]!) / p);
  });
  let t = 1;
  const tm1Big = tm1.filter((x) => x > 1e-7);
  const tm2Big = tm2.filter((x) => x > 1e-7);
  if (tm1Big.length > 0) t = Math.min(...tm1Big);
  if (tm2Big.length > 0) t = Math.min(t, Math.min(...tm2Big));
  const next = projGrad.map((p, i) => p * t + curVal[i]!);
  return projection2simplex(next);
};

/** Σ over an n×n table of a_i b_j M_ij, as `torch.sum(a.unsqueeze(1).repeat(1, n) * b.unsqueeze(0).repeat(n, 1) * M)`. */
const quadratic = (a: Vector, b: Vector, m: Matrix): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) s += a[i]! * b[j]! * m[i]![j]!;
  return s;
};

/** `_find_min_norm_element(grads)` on gradient rows. */
export const libmtlFindMinNormElement = (grads: readonly Vector[]): Vector => {
  const MAX_ITER = 250;
  const STOP_CRIT = 1e-5;
  const gradMat = gramOfRows(grads);
  const initSol = minNorm2d(gradMat);
  const n = grads.length;
  let solVec = new Array<number>(n).fill(0);
  solVec[initSol[0][0]] = initSol[1];
  solVec[initSol[0][1]] = 1 - initSol[1];
  if (n < 3) return solVec;
  let iterCount = 0;
  while (iterCount < MAX_ITER) {
    const gradDir = gradMat.map((row) => -1.0 * dot(row, solVec));
    const newPoint = nextPoint(solVec, gradDir, n);
    const v1v1 = quadratic(solVec, solVec, gradMat);
    const v1v2 = quadratic(solVec, newPoint, gradMat);
    const v2v2 = quadratic(newPoint, newPoint, gradMat);
    const [nc] = minNormElementFrom2(v1v1, v1v2, v2v2);
    const newSolVec = solVec.map((x, i) => nc * x + (1 - nc) * newPoint[i]!);
    const change = newSolVec.map((x, i) => x - solVec[i]!);
    if (change.reduce((s, x) => s + Math.abs(x), 0) < STOP_CRIT) return solVec;
    solVec = newSolVec;
    iterCount += 1;
  }
  return solVec;
};

/** `_gradient_normalizers(grads, loss_data, ntype)`: the normalised gradient rows. */
export const libmtlGradientNormalizers = (
  grads: readonly Vector[],
  lossData: readonly number[],
  ntype: "none" | "l2" | "loss" | "loss+",
): Vector[] => {
  const l2 = grads.map((g) => Math.sqrt(g.reduce((s, x) => s + x ** 2, 0)));
  const gn = grads.map((_, i) =>
    ntype === "l2" ? l2[i]! : ntype === "loss" ? lossData[i]! : ntype === "loss+" ? lossData[i]! * l2[i]! : 1,
  );
  return grads.map((g, i) => g.map((x) => x / gn[i]!));
};

/**
 * `MGDA.backward`: sol (returned) and the update LibMTL applies: Σ sol_i · grads_i with the
 * normalised shared-parameter gradients, or with the raw representation gradients (`repGrad`).
 */
export const libmtlMgda = (
  grads: readonly Vector[],
  losses: readonly number[],
  mgdaGn: "none" | "l2" | "loss" | "loss+",
  repGrad = false,
): { sol: Vector; update: Vector } => {
  const normalised = libmtlGradientNormalizers(grads, losses, mgdaGn);
  const sol = libmtlFindMinNormElement(normalised);
  return { sol, update: combine(sol, repGrad ? (grads as Vector[]) : normalised) };
};

// ---------------------------------------------------------------------------------------------
// LibMTL IMTL.py (the gradient half: the losses' exp(s) scaling is IMTL-L's business)

/** `IMTL.backward` after `_get_grads`: alpha and the update Σ alpha_i grads_i. Throws where torch.inverse raises. */
export const libmtlImtl = (grads: readonly Vector[]): { alpha: Vector; update: Vector } => {
  const taskNum = grads.length;
  const gradsUnit = grads.map((g) => {
    const norm = Math.sqrt(dot(g, g));
    return g.map((x) => x / norm);
  });
  const D = grads.slice(1).map((g) => grads[0]!.map((x, p) => x - g[p]!));
  const U = gradsUnit.slice(1).map((u) => gradsUnit[0]!.map((x, p) => x - u[p]!));
  const g0Ut = U.map((u) => dot(grads[0]!, u));
  const DUt = D.map((d) => U.map((u) => dot(d, u)));
  const inverse = taskNum > 1 ? torchInverse(DUt) : [];
  const alphaTail = g0Ut.map((_, j) => g0Ut.reduce((s, b, i) => s + b * inverse[i]![j]!, 0));
  const alpha = [1 - alphaTail.reduce((a, b) => a + b, 0), ...alphaTail];
  return { alpha, update: combine(alpha, grads) };
};

// ---------------------------------------------------------------------------------------------
// LibMTL Aligned_MTL.py

/** `Aligned_MTL.backward` after `_get_grads`: alpha = B.sum(0) and the update Σ alpha_i grads_i. Throws where LibMTL fails (rank 0). */
export const libmtlAlignedMtl = (grads: readonly Vector[]): { alpha: Vector; update: Vector } => {
  const M = gramOfRows(grads);
  const { values, vectors } = jacobiEigen(M);
  const tol = Math.max(...values) * M.length * TORCH_DEFAULT_EPS;
  const rank = values.filter((l) => l > tol).length;
  if (rank === 0) throw new Error("IndexError: lmbda[-1] of an empty tensor");
  const order = values.map((_, i) => i).sort((x, y) => values[y]! - values[x]!);
  const lmbda = order.slice(0, rank).map((i) => values[i]!);
  const V = vectors.map((row) => order.slice(0, rank).map((i) => row[i]!));
  const sigma = lmbda.map((l) => 1 / Math.sqrt(l));
  const VSigma = V.map((row) => row.map((x, k) => x * sigma[k]!));
  const root = Math.sqrt(lmbda[lmbda.length - 1]!);
  const B = V.map((_, i) => V.map((__, j) => root * VSigma[i]!.reduce((s, x, k) => s + x * V[j]![k]!, 0)));
  const alpha = B[0]!.map((_, j) => B.reduce((s, row) => s + row[j]!, 0));
  return { alpha, update: combine(alpha, grads) };
};

// ---------------------------------------------------------------------------------------------
// TorchJD

/** `MGDAWeighting(epsilon=0.001, max_iters=100).forward(gramian)`. */
export const torchjdMgdaWeighting = (gramian: Matrix, epsilon = 0.001, maxIters = 100): Vector => {
  const n = gramian.length;
  let alpha = new Array<number>(n).fill(1 / n);
  for (let iter = 0; iter < maxIters; iter++) {
    const galpha = gramian.map((row) => dot(row, alpha));
    let t = 0;
    for (let i = 1; i < n; i++) if (galpha[i]! < galpha[t]!) t = i;
    const a = dot(
      alpha,
      gramian.map((row) => row[t]!),
    );
    const b = dot(alpha, galpha);
    const c = gramian[t]![t]!;
    const gamma = c <= a ? 1.0 : b <= a ? 0.0 : (b - a) / (b + c - 2 * a);
    alpha = alpha.map((x, i) => (1 - gamma) * x + (i === t ? gamma : 0));
    if (gamma < epsilon) break;
  }
  return alpha;
};

/** `IMTLGWeighting.forward(gramian)`, with torch.linalg.pinv's rtol from `eps`. */
export const torchjdImtlgWeighting = (gramian: Matrix, eps = TORCH_DEFAULT_EPS): Vector => {
  const d = gramian.map((row, i) => Math.sqrt(row[i]!));
  const pinv = torchPinvSymmetric(gramian, eps);
  const v = pinv.map((row) => dot(row, d));
  const vSum = v.reduce((a, b) => a + b, 0);
  return Math.abs(vSum) < 1e-12 ? v.map(() => 0) : v.map((x) => x / vSum);
};

/** `AlignedMTLWeighting(pref_vector, scale_mode).forward(gramian)` (pref_vector null: MeanWeighting, 1/m). */
export const torchjdAlignedMtlWeighting = (
  gramian: Matrix,
  prefVector: Vector | null = null,
  scaleMode: "min" | "median" | "rmse" = "min",
): Vector => {
  const m = gramian.length;
  const w = prefVector ?? new Array<number>(m).fill(1 / m);
  const { values, vectors } = jacobiEigen(gramian);
  const tol = Math.max(...values) * m * TORCH_DEFAULT_EPS;
  const rank = values.filter((l) => l > tol).length;
  if (rank === 0) return [...w];
  const order = values.map((_, i) => i).sort((x, y) => values[y]! - values[x]!);
  const lambda = order.slice(0, rank).map((i) => values[i]!);
  const V = vectors.map((row) => order.slice(0, rank).map((i) => row[i]!));
  const sigmaInv = lambda.map((l) => 1 / Math.sqrt(l));
  let scale: number;
  if (scaleMode === "min") scale = lambda[lambda.length - 1]!;
  else if (scaleMode === "median") {
    // torch.median: the lower of the two middle values for an even count.
    const ascending = [...lambda].sort((a, b) => a - b);
    scale = ascending[Math.floor((ascending.length - 1) / 2)]!;
  } else scale = lambda.reduce((a, b) => a + b, 0) / lambda.length;
  const B = V.map((rowI) =>
    V.map((rowJ) => Math.sqrt(scale) * rowI.reduce((s, x, k) => s + x * sigmaInv[k]! * rowJ[k]!, 0)),
  );
  return B.map((row) => dot(row, w));
};

// ---------------------------------------------------------------------------------------------
// An exact min-norm point by enumeration (not a transcription)

/**
 * The min-norm point of the convex hull of `points` by enumeration: for every subset S, the
 * affine minimiser of S (the KKT system [[G_SS, 1], [1ᵀ, 0]], skipped when exactly singular); among
 * those with all weights >= 0, the one of least norm. Exponential in K: K <= 8.
 */
export const bruteForceMinNorm = (
  points: readonly Vector[],
): { weights: Vector; point: Vector; squaredNorm: number } => {
  const k = points.length;
  const gram = gramOfRows(points);
  let best: { weights: Vector; point: Vector; squaredNorm: number } | null = null;
  for (let mask = 1; mask < 1 << k; mask++) {
    const subset = Array.from({ length: k }, (_, i) => i).filter((i) => (mask >> i) & 1);
    const size = subset.length + 1;
    const system = Array.from({ length: size }, (_, r) =>
      Array.from({ length: size }, (__, c) =>
        r < size - 1 && c < size - 1 ? gram[subset[r]!]![subset[c]!]! : r === size - 1 && c === size - 1 ? 0 : 1,
      ),
    );
    let inverse: Matrix;
    try {
      inverse = torchInverse(system);
    } catch {
      continue;
    }
    // A near-singular subset may give an inaccurate v; once clipped to the simplex it is still a
    // point of the hull, so it can only be an upper bound: the optimum's own face decides.
    const v = subset.map((_, r) => inverse[r]![size - 1]!);
    if (!v.every(Number.isFinite) || v.some((x) => x < -1e-13)) continue;
    const weights = new Array<number>(k).fill(0);
    subset.forEach((i, r) => (weights[i] = Math.max(v[r]!, 0)));
    const total = weights.reduce((a, b) => a + b, 0);
    const normalised = weights.map((x) => x / total);
    const point = combine(normalised, points as Vector[]);
    const squaredNorm = dot(point, point);
    if (best === null || squaredNorm < best.squaredNorm) best = { weights: normalised, point, squaredNorm };
  }
  if (best === null) throw new Error("bruteForceMinNorm: no face");
  return best;
};
