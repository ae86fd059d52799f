/**
 * Independent float64 transcriptions of the solver-based gradient weightings of LibMTL
 * (github.com/median-research-group/LibMTL, `LibMTL/weighting/CAGrad.py` and
 * `LibMTL/weighting/Nash_MTL.py`; the same code as the authors' repositories
 * github.com/Cranial-XIX/CAGrad `nyuv2/utils.py` and github.com/AvivNavon/nash-mtl
 * `methods/weight_methods.py`).
 *
 * Written from the Python, not from src/: each function takes the explicit per-task gradient
 * vectors as the Python does (`grads`, one row per task), forms `GG = grads @ grads.T`, and
 * returns the update it writes into the shared parameters' `.grad`. Where the Python calls a
 * numerical solver (scipy's SLSQP for CAGrad, cvxpy/ECOS for Nash-MTL), a different, simple
 * method solves the same problem here:
 *
 * - CAGrad: the objective restricted to each face of the simplex has a closed-form stationary
 *   point (a quadratic in the face's multiplier), so every face is enumerated (2^K − 1 of them;
 *   K ≤ 8 here) and the best feasible stationary point is the exact minimiser.
 * - Nash-MTL: each convex subproblem is solved by a log-barrier method whose constraints are
 *   written as sqrt(nf α_i (Ĝα)_i) ≥ 1 (concave geometric means), not as the Python's logs.
 */

type Vector = number[];
type Matrix = number[][];

const dot = (u: ReadonlyArray<number>, v: ReadonlyArray<number>): number => u.reduce((acc, x, i) => acc + x * v[i]!, 0);
const matVec = (m: Matrix, v: ReadonlyArray<number>): Vector => m.map((row) => dot(row, v));
const norm2 = (v: ReadonlyArray<number>): number => Math.sqrt(dot(v, v));
/** `grads @ grads.T`. */
export const gramOf = (grads: Matrix): Matrix => grads.map((a) => grads.map((b) => dot(a, b)));
/** `(grads * w.view(-1, 1)).sum(0)`. */
export const combine = (grads: Matrix, w: ReadonlyArray<number>): Vector =>
  grads[0]!.map((_, p) => grads.reduce((acc, g, k) => acc + w[k]! * g[p]!, 0));

/** Gauss–Jordan inverse with full pivoting; null when (numerically) singular. */
const inverse = (m: Matrix, relativeTolerance: number): Matrix | null => {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  const scale = Math.max(...m.map((row) => Math.max(...row.map(Math.abs))));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    if (!(Math.abs(a[p]![c]!) > relativeTolerance * scale)) return null;
    [a[c], a[p]] = [a[p]!, a[c]!];
    const pivot = a[c]![c]!;
    for (let j = 0; j < 2 * n; j++) a[c]![j] = a[c]![j]! / pivot;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r]![c]!;
      for (let j = 0; j < 2 * n; j++) a[r]![j] = a[r]![j]! - f * a[c]![j]!;
    }
  }
  return a.map((row) => row.slice(n));
};

/**
 * R of the thin QR factorisation of the columns `cols` (modified Gram–Schmidt, applied twice
 * for stability); null when a column is (numerically) in the span of the previous ones.
 */
const qrR = (cols: Matrix): Matrix | null => {
  const n = cols.length;
  const q: Matrix = [];
  const r: Matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    const v = [...cols[j]!];
    const size = norm2(v);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const proj = dot(q[i]!, v);
        r[i]![j] = r[i]![j]! + proj;
        for (let p = 0; p < v.length; p++) v[p] = v[p]! - proj * q[i]![p]!;
      }
    }
    const rest = norm2(v);
    if (!(rest > 1e-13 * size)) return null;
    r[j]![j] = rest;
    q.push(v.map((x) => x / rest));
  }
  return r;
};

/** (RᵀR)⁻¹ y by two triangular solves. */
const solveNormal = (r: Matrix, y: ReadonlyArray<number>): Vector => {
  const n = y.length;
  const z = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = y[i]!;
    for (let k = 0; k < i; k++) s -= r[k]![i]! * z[k]!;
    z[i] = s / r[i]![i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < n; k++) s -= r[i]![k]! * x[k]!;
    x[i] = s / r[i]![i]!;
  }
  return x;
};

/**
 * argmin over the simplex of x·A·b + c·sqrt(x·A·x + 1e-8) with A = grads·gradsᵀ (LibMTL's
 * `objfn`), by face enumeration. On the simplex x·A·x + 1e-8 = ‖Σ x_k g'_k‖² with the augmented
 * gradients g'_k = (g_k, 1e-4), since Σx = 1. On a face S whose g'_S are linearly independent
 * (A' = G'_SS = RᵀR from a QR factorisation of the g'_S, better conditioned than A' itself), the
 * stationary point of Ab·x + c·sqrt(x·A'·x) under Σx = 1 is x = (q/c)·A'⁻¹(ν1 − Ab) with ν the
 * larger root of s1 ν² − 2 sa ν + saa − c² = 0 (s1 = 1ᵀA'⁻¹1, sa = 1ᵀA'⁻¹Ab,
 * saa = AbᵀA'⁻¹Ab) and q = c / (s1 ν − sa). The minimiser is the feasible (x ≥ 0) stationary
 * point of lowest objective.
 */
export const cagradFaceSolver = (grads: Matrix, c: number): Vector => {
  const A = gramOf(grads);
  const k = A.length;
  const b = new Array<number>(k).fill(1 / k);
  const Ab = matVec(A, b);
  const augmented = grads.map((g) => [...g, 1e-4]);
  const objective = (x: ReadonlyArray<number>): number =>
    dot(x, Ab) + c * Math.sqrt(Math.max(dot(x, matVec(A, x)), 0) + 1e-8);
  let best: Vector = b;
  let bestValue = objective(b);
  for (let mask = 1; mask < 1 << k; mask++) {
    const face = Array.from({ length: k }, (_, i) => i).filter((i) => (mask >> i) & 1);
    const r = qrR(face.map((i) => augmented[i]!));
    if (r === null) continue;
    const abFace = face.map((i) => Ab[i]!);
    const invOne = solveNormal(
      r,
      face.map(() => 1),
    );
    const invAb = solveNormal(r, abFace);
    const s1 = invOne.reduce((s, v) => s + v, 0);
    const sa = invAb.reduce((s, v) => s + v, 0);
    const saa = dot(abFace, invAb);
    const disc = sa * sa - s1 * (saa - c * c);
    if (!(disc >= 0) || !(s1 > 0)) continue;
    const nu = (sa + Math.sqrt(disc)) / s1;
    const q = c / (s1 * nu - sa);
    if (!(q > 0) || !Number.isFinite(q)) continue;
    const xFace = invOne.map((v, i) => (q / c) * (nu * v - invAb[i]!));
    if (xFace.some((v) => v < -1e-12)) continue;
    const x = new Array<number>(k).fill(0);
    face.forEach((i, j) => (x[i] = Math.max(xFace[j]!, 0)));
    const sum = x.reduce((s, v) => s + v, 0);
    const normalised = x.map((v) => v / sum);
    const value = objective(normalised);
    if (value < bestValue) {
      best = normalised;
      bestValue = value;
    }
  }
  return best;
};

/**
 * LibMTL `CAGrad.backward` (rep_grad False): the new shared gradient `new_grads` from the
 * per-task gradients, and the simplex weights `w_cpu` it returns.
 */
export const libmtlCagrad = (grads: Matrix, calpha = 0.5, rescale: 0 | 1 | 2 = 1): { newGrads: Vector; w: Vector } => {
  const taskNum = grads.length;
  const GG = gramOf(grads);
  const mean = GG.flat().reduce((s, v) => s + v, 0) / (taskNum * taskNum);
  const g0Norm = Math.sqrt(mean + 1e-8); // norm of the average gradient
  const c = calpha * g0Norm + 1e-8;
  const w = cagradFaceSolver(grads, c);
  const gw = combine(grads, w);
  const gwNorm = norm2(gw);
  const lmbda = c / (gwNorm + 1e-8);
  const mean0 = combine(grads, new Array<number>(taskNum).fill(1 / taskNum));
  const g = mean0.map((v, p) => v + lmbda * gw[p]!);
  const divisor = rescale === 0 ? 1 : rescale === 1 ? 1 + calpha ** 2 : 1 + calpha;
  return { newGrads: g.map((v) => v / divisor), w };
};

/**
 * The min-norm point of the convex hull of the gradients, argmin over the simplex of xᵀAx, by
 * face enumeration: on a face S with A_SS (+ 1e-6 × max diag × 11ᵀ, which changes nothing on the
 * simplex but makes duplicate gradients' faces solvable) invertible, x_S = A⁻¹1 / 1ᵀA⁻¹1.
 */
export const minNormPoint = (A: Matrix): Vector => {
  const k = A.length;
  const scale = Math.max(...A.map((row, i) => row[i]!));
  let best: Vector = new Array<number>(k).fill(1 / k);
  let bestValue = dot(best, matVec(A, best));
  for (let mask = 1; mask < 1 << k; mask++) {
    const face = Array.from({ length: k }, (_, i) => i).filter((i) => (mask >> i) & 1);
    const inv = inverse(
      face.map((i) => face.map((j) => A[i]![j]! + 1e-6 * scale)),
      1e-13,
    );
    if (inv === null) continue;
    const invOne = inv.map((row) => row.reduce((s, v) => s + v, 0));
    const total = invOne.reduce((s, v) => s + v, 0);
    if (!(total > 0) || invOne.some((v) => v / total < 0)) continue;
    const x = new Array<number>(k).fill(0);
    face.forEach((i, j) => (x[i] = invOne[j]! / total));
    const value = dot(x, matVec(A, x));
    if (value < bestValue) {
      best = x;
      bestValue = value;
    }
  }
  return best;
};

/** All size-r subsets of 0..n-1, in lexicographic order. */
const subsets = (n: number, r: number): number[][] => {
  if (r === 0) return [[]];
  const out: number[][] = [];
  for (let first = 0; first <= n - r; first++)
    for (const rest of subsets(n - first - 1, r - 1)) out.push([first, ...rest.map((x) => x + first + 1)]);
  return out;
};

/**
 * min cᵀv over the polytope {v ≥ 0, Gv ≥ 0, Σv = 1} by vertex enumeration (every choice of K − 1
 * active inequalities plus the equality; Infinity when the polytope is empty). A Nash-MTL
 * subproblem is unbounded exactly when this is negative: {v ≥ 0, Gv ≥ 0} is the recession cone
 * of its feasible set.
 */
export const recessionMinimum = (G: Matrix, c: Vector): number => {
  const k = G.length;
  const rows: Vector[] = [...G.map((_, i) => G.map((__, j) => (i === j ? 1 : 0))), ...G.map((row) => [...row])];
  const scale = Math.max(...G.map((row) => Math.max(...row.map(Math.abs))));
  let best = Infinity;
  for (const active of subsets(2 * k, k - 1)) {
    const system = [...active.map((a) => rows[a]!), new Array<number>(k).fill(1)];
    const inv = inverse(system, 1e-12);
    if (inv === null) continue;
    const rhs = [...active.map(() => 0), 1];
    const v = matVec(inv, rhs);
    if (rows.some((row) => dot(row, v) < -1e-12 * Math.max(scale, 1))) continue;
    best = Math.min(best, dot(c, v));
  }
  return best;
};

/**
 * One Nash-MTL subproblem (`self.prob` with its parameters set): minimise
 * sum(Ĝα) + φ'(α_p)·(α − α_p) / nf subject to α_i · nf · (Ĝα)_i ≥ 1, with
 * φ'(α_p) = 1/α_p + (1/(Ĝα_p)) @ Ĝ. Barrier: t·objective − Σ log(sqrt(nf α_i (Ĝα)_i) − 1),
 * Newton with backtracking, t × 10 until 2K/t < 1e-15 of the objective's scale, from a strictly
 * feasible start (α_p, ones or the min-norm point, scaled up). Null when the problem is unbounded
 * (vertex enumeration of its recession cone, `recessionMinimum`) or has no feasible point: what
 * leaves cvxpy's value None.
 */
export const nashSubproblem = (G: Matrix, nf: number, prev: Vector): Vector | null => {
  const k = G.length;
  const Gprev = matVec(G, prev);
  const tag = prev.map((a, i) => 1 / a + G.reduce((s, row, j) => s + row[i]! / Gprev[j]!, 0));
  const ones = new Array<number>(k).fill(1);
  const cost = matVec(G, ones).map((v, i) => v + tag[i]! / nf);
  if (!cost.every(Number.isFinite)) return null;
  // Unbounded (cvxpy: status "unbounded", value None).
  if (recessionMinimum(G, cost) < -1e-10 * Math.max(...cost.map(Math.abs))) return null;
  const slack = (a: Vector): Vector | null => {
    const Ga = matVec(G, a);
    const s = a.map((ai, i) => (ai > 0 && Ga[i]! > 0 ? Math.sqrt(nf * ai * Ga[i]!) - 1 : -1));
    return s.every((v) => v > 0) ? s : null;
  };
  // A strictly feasible start: a point with α > 0 and Ĝα > 0, scaled up until every constraint
  // holds. Besides α_p and ones: the min-norm point m of the convex hull (face enumeration), where
  // (Ĝm)_i ≥ mᵀĜm > 0 for every i whenever the feasible set is not empty, nudged inside α > 0.
  const candidates: Vector[] = [prev, ones];
  const minNorm = minNormPoint(G);
  for (let delta = 1e-3; delta > 1e-15; delta /= 10)
    candidates.push(minNorm.map((v) => v + delta * Math.max(...minNorm)));
  let x: Vector | null = null;
  for (const candidate of candidates) {
    const Ga = matVec(G, candidate);
    if (!Ga.every((v) => v > 0) || !candidate.every((v) => v > 0)) continue;
    const need = Math.max(...candidate.map((a, i) => 1 / Math.sqrt(nf * a * Ga[i]!)));
    x = candidate.map((a) => a * need * 2);
    break;
  }
  if (x === null) return null;
  let point: Vector = x;
  const phi = (a: Vector, t: number): number => {
    const s = slack(a);
    return s === null ? Infinity : t * dot(cost, a) - s.reduce((acc, v) => acc + Math.log(v), 0);
  };
  const limit = 1e9 * Math.max(...point);
  let t = 1 / Math.max(Math.abs(dot(cost, point)), 1e-12);
  for (let round = 0; round < 80; round++) {
    for (let it = 0; it < 100; it++) {
      const Ga = matVec(G, point);
      const grad = cost.map((v) => t * v);
      const hess: Matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
      for (let i = 0; i < k; i++) {
        const r = Math.sqrt(nf * point[i]! * Ga[i]!);
        const u = r - 1;
        // ∇r = nf (Ga_i e_i + x_i G_i) / (2r); ∇²r = [nf (e_i G_iᵀ + G_i e_iᵀ) − 2 ∇r∇rᵀ] / (2r).
        const dr = G[i]!.map((v, j) => (nf * (point[i]! * v + (j === i ? Ga[i]! : 0))) / (2 * r));
        for (let a = 0; a < k; a++) {
          grad[a] = grad[a]! - dr[a]! / u;
          for (let b = 0; b < k; b++) {
            const cross = nf * ((a === i ? G[i]![b]! : 0) + (b === i ? G[i]![a]! : 0));
            const d2r = (cross - 2 * dr[a]! * dr[b]!) / (2 * r);
            hess[a]![b] = hess[a]![b]! + (dr[a]! * dr[b]!) / (u * u) - d2r / u;
          }
        }
      }
      const inv = inverse(hess, 1e-300);
      if (inv === null) break;
      const step = matVec(inv, grad).map((v) => -v);
      const decrement = -dot(grad, step);
      const start = phi(point, t);
      // Stop when the decrease the Newton step promises is below the rounding of phi's value.
      if (!(decrement > 1e-13 * (Math.abs(start) + Math.abs(t * dot(cost, point)) + 1))) break;
      let size = 1;
      for (let tries = 0; tries < 100; tries++) {
        if (
          phi(
            point.map((v, i) => v + size * step[i]!),
            t,
          ) <=
          start - 0.3 * size * decrement
        )
          break;
        size *= 0.5;
      }
      const next = point.map((v, i) => v + size * step[i]!);
      if (slack(next) === null) break;
      point = next;
      if (!(Math.max(...point) < limit)) return null;
    }
    if ((2 * k) / t < 1e-15 * Math.max(1, Math.abs(dot(cost, point)))) break;
    t *= 10;
  }
  return point;
};

/**
 * LibMTL `Nash_MTL` (rep_grad False), with its state across steps: `step`, `prvs_alpha` (ones at
 * first). `backward(grads)` returns the shared gradient after `torch.nn.utils.clip_grad_norm_`
 * (factor min(1, max_norm / (‖d‖ + 1e-6))) and the alpha it returns.
 */
export class LibmtlNashMtl {
  step = 0;
  prvs_alpha: Vector;
  constructor(
    readonly taskNum: number,
    readonly update_weights_every = 1,
    readonly optim_niter = 20,
    readonly max_norm = 1.0,
  ) {
    this.prvs_alpha = new Array<number>(taskNum).fill(1);
  }

  private stopCriteria(gtg: Matrix, alphaT: Vector, value: Vector | null, prvs: Vector): boolean {
    if (value === null) return true;
    const Ga = matVec(gtg, alphaT);
    if (norm2(Ga.map((v, i) => v - 1 / (alphaT[i]! + 1e-10))) < 1e-3) return true;
    return norm2(value.map((v, i) => v - prvs[i]!)) < 1e-6;
  }

  solveOptimization(gtg: Matrix, normalizationFactor: number): Vector {
    let alphaT = this.prvs_alpha;
    for (let i = 0; i < this.optim_niter; i++) {
      const prvsParam = alphaT;
      const value = nashSubproblem(gtg, normalizationFactor, prvsParam);
      if (this.stopCriteria(gtg, alphaT, value, prvsParam)) break;
      alphaT = value!;
    }
    this.prvs_alpha = alphaT;
    return this.prvs_alpha;
  }

  backward(grads: Matrix): { newGrads: Vector; alpha: Vector } {
    let alpha: Vector;
    if (this.step % this.update_weights_every === 0) {
      this.step += 1;
      const GTG = gramOf(grads);
      const nf = Math.sqrt(GTG.flat().reduce((s, v) => s + v * v, 0));
      alpha = this.solveOptimization(
        GTG.map((row) => row.map((v) => v / nf)),
        nf,
      );
    } else {
      this.step += 1;
      alpha = this.prvs_alpha;
    }
    let d = combine(grads, alpha);
    if (this.max_norm > 0) {
      const total = norm2(d);
      const coef = Math.min(1, this.max_norm / (total + 1e-6));
      d = d.map((v) => v * coef);
    }
    return { newGrads: d, alpha };
  }
}
