/**
 * Independent float64 transcriptions of the projection-type gradient methods, written from the
 * reference Python, not from src/:
 *
 * - LibMTL (github.com/median-research-group/LibMTL, commit 4336804):
 *   `LibMTL/weighting/PCGrad.py`, `GradVac.py` (group type 0, the whole shared vector) and
 *   `GradDrop.py` (`rep_grad` mode), on explicit gradient vectors as LibMTL's `grads` tensor.
 * - TorchJD (github.com/TorchJD/torchjd, commit 46962c2): `src/torchjd/aggregation/_pcgrad.py`
 *   (`PCGradWeighting.forward`, on the Gramian) and `_graddrop.py` (`GradDrop.forward`).
 * - The PCGrad authors' TensorFlow code (github.com/tianheyu927/PCGrad, `PCGrad_tf.py`).
 *
 * Randomness is an input: Python's `random.shuffle` is transcribed with its `randbelow`
 * injected, `torch.randperm` is an injected permutation, `torch.rand_like` an injected array.
 */

/** A random integer in [0, n), Python's `Random._randbelow`. */
export type Randbelow = (n: number) => number;

const dot = (a: readonly number[], b: readonly number[]): number => {
  let s = 0;
  for (let p = 0; p < a.length; p++) s += a[p]! * b[p]!;
  return s;
};
const norm = (a: readonly number[]): number => Math.sqrt(dot(a, a));

/** CPython's `random.shuffle(x)`: for i in reversed(range(1, len(x))): j = randbelow(i + 1); swap. */
export const pythonShuffle = <T>(x: T[], randbelow: Randbelow): void => {
  for (let i = x.length - 1; i >= 1; i--) {
    const j = randbelow(i + 1);
    const xi = x[i] as T;
    x[i] = x[j] as T;
    x[j] = xi;
  }
};

/**
 * LibMTL `PCGrad.backward` (rep_grad False): pc_grads = grads.clone(); for each tn_i a fresh
 * `random.shuffle(list(range(task_num)))` (tn_i included); g_ij = pc_grads[tn_i]·grads[tn_j]; if
 * g_ij < 0: pc_grads[tn_i] -= g_ij grads[tn_j] / (|grads[tn_j]|² + 1e-8) and
 * batch_weight[tn_j] -= g_ij / (|grads[tn_j]|² + 1e-8). new_grads = pc_grads.sum(0).
 */
export const libmtlPcgrad = (
  grads: readonly (readonly number[])[],
  randbelow: Randbelow,
): { direction: number[]; batchWeight: number[]; pcGrads: number[][] } => {
  const taskNum = grads.length;
  const batchWeight = new Array<number>(taskNum).fill(1);
  const pcGrads = grads.map((g) => [...g]);
  for (let tnI = 0; tnI < taskNum; tnI++) {
    const taskIndex = Array.from({ length: taskNum }, (_, k) => k);
    pythonShuffle(taskIndex, randbelow);
    for (const tnJ of taskIndex) {
      const gJ = grads[tnJ]!;
      const gIJ = dot(pcGrads[tnI]!, gJ);
      if (gIJ < 0) {
        const denominator = norm(gJ) ** 2 + 1e-8;
        const pc = pcGrads[tnI]!;
        for (let p = 0; p < pc.length; p++) pc[p] = pc[p]! - (gIJ * gJ[p]!) / denominator;
        batchWeight[tnJ] = batchWeight[tnJ]! - gIJ / denominator;
      }
    }
  }
  const direction = new Array<number>(grads[0]!.length).fill(0);
  for (const pc of pcGrads) for (let p = 0; p < direction.length; p++) direction[p] = direction[p]! + pc[p]!;
  return { direction, batchWeight, pcGrads };
};

/**
 * TorchJD `PCGradWeighting.forward(gramian)`: for each i a `torch.randperm(dimension)`;
 * current_weights = e_i; for j in the permutation, j ≠ i: inner = gramian[j] @ current_weights;
 * if inner < 0: current_weights[j] -= inner / gramian[j, j]; weights += current_weights.
 */
export const torchjdPcgradWeights = (
  gramian: readonly (readonly number[])[],
  randperm: (n: number) => number[],
): number[] => {
  const dimension = gramian.length;
  let weights = new Array<number>(dimension).fill(0);
  for (let i = 0; i < dimension; i++) {
    const permutation = randperm(dimension);
    const current = new Array<number>(dimension).fill(0);
    current[i] = 1;
    for (const j of permutation) {
      if (j === i) continue;
      const inner = dot(gramian[j]!, current);
      if (inner < 0) current[j] = current[j]! - inner / gramian[j]![j]!;
    }
    weights = weights.map((w, k) => w + current[k]!);
  }
  return weights;
};

/**
 * The authors' `PCGrad_tf.py`, `compute_gradients`: its `tf.random.shuffle(loss)` result is
 * discarded, so every task is projected on grads_task[0], …, [K−1] in order (itself included):
 * grad_task -= min(inner / |g_k|², 0) g_k; the projected gradients are summed.
 */
export const authorsPcgradTf = (grads: readonly (readonly number[])[]): number[] => {
  const numTasks = grads.length;
  const projected = grads.map((gradTask) => {
    let g = [...gradTask];
    for (let k = 0; k < numTasks; k++) {
      const gk = grads[k]!;
      const projDirection = dot(g, gk) / dot(gk, gk);
      const factor = Math.min(projDirection, 0);
      g = g.map((v, p) => v - factor * gk[p]!);
    }
    return g;
  });
  return projected[0]!.map((_, p) => projected.reduce((s, g) => s + g[p]!, 0));
};

/**
 * LibMTL `GradVac` with `GradVac_group_type` 0 (k_idx = [-1]: one group, the whole vector).
 * `rho_T` starts at zeros(task_num, task_num); each backward: pc_grads = grads.clone(); for each
 * tn_i, task_index = range(task_num) without tn_i, `random.shuffle`d; for tn_j:
 * rho = pc_i·g_j / (|pc_i||g_j| + 1e-8); if rho < rho_T[i][j]:
 * w = |pc_i| (rho_T √(1−rho²) − rho √(1−rho_T²)) / (|g_j| √(1−rho_T²) + 1e-8), pc_i += w g_j;
 * then rho_T[i][j] = (1−beta) rho_T[i][j] + beta rho. new_grads = pc_grads.sum(0).
 * `batchWeight` is what LibMTL's commented-out `batch_weight[tn_j] += w.item()` would give.
 */
export class LibmtlGradVac {
  readonly rho_T: number[][];
  step = 0;
  constructor(
    readonly taskNum: number,
    readonly beta = 0.5,
  ) {
    this.rho_T = Array.from({ length: taskNum }, () => new Array<number>(taskNum).fill(0));
  }

  backward(
    grads: readonly (readonly number[])[],
    randbelow: Randbelow,
  ): { direction: number[]; batchWeight: number[]; pcGrads: number[][] } {
    const beta = this.beta;
    const batchWeight = new Array<number>(this.taskNum).fill(1);
    const pcGrads = grads.map((g) => [...g]);
    for (let tnI = 0; tnI < this.taskNum; tnI++) {
      const taskIndex = Array.from({ length: this.taskNum }, (_, k) => k).filter((k) => k !== tnI);
      pythonShuffle(taskIndex, randbelow);
      for (const tnJ of taskIndex) {
        const pc = pcGrads[tnI]!;
        const gJ = grads[tnJ]!;
        const rhoIJ = dot(pc, gJ) / (norm(pc) * norm(gJ) + 1e-8);
        const target = this.rho_T[tnI]![tnJ]!;
        if (rhoIJ < target) {
          const w =
            (norm(pc) * (target * Math.sqrt(1 - rhoIJ ** 2) - rhoIJ * Math.sqrt(1 - target ** 2))) /
            (norm(gJ) * Math.sqrt(1 - target ** 2) + 1e-8);
          for (let p = 0; p < pc.length; p++) pc[p] = pc[p]! + gJ[p]! * w;
          batchWeight[tnJ] = batchWeight[tnJ]! + w;
        }
        this.rho_T[tnI]![tnJ] = (1 - beta) * target + beta * rhoIJ;
      }
    }
    const direction = new Array<number>(grads[0]!.length).fill(0);
    for (const pc of pcGrads) for (let p = 0; p < direction.length; p++) direction[p] = direction[p]! + pc[p]!;
    this.step += 1;
    return { direction, batchWeight, pcGrads };
  }
}

/** `torch.sign`: −1, 0 or 1. */
const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0);

/**
 * LibMTL `GradDrop.backward` with `rep_grad` True and one shared representation `rep`
 * [batch][features]: per_grads [task][batch][features]; grads = (per_grads · sign(rep)).sum(1)
 * [task][features]; P = ½ (1 + grads.sum(0) / (|grads|.sum(0) + 1e-7)); U = rand_like(P);
 * M = (P > U)(grads > 0) + (P < U)(grads < 0), repeated over the batch;
 * transformed = per_grads (leak + (1 − leak) M); rep.backward(transformed.sum(0)).
 */
export const libmtlGradDrop = (
  perGrads: readonly (readonly (readonly number[])[])[],
  rep: readonly (readonly number[])[],
  U: readonly number[],
  leak: number,
): { backward: number[][]; mask: number[][] } => {
  const taskNum = perGrads.length;
  const batch = rep.length;
  const features = rep[0]!.length;
  const grads = perGrads.map((g) =>
    Array.from({ length: features }, (_, f) => {
      let s = 0;
      for (let b = 0; b < batch; b++) s += g[b]![f]! * sign(rep[b]![f]!);
      return s;
    }),
  );
  const P = Array.from({ length: features }, (_, f) => {
    let sum = 0;
    let abs = 0;
    for (let k = 0; k < taskNum; k++) {
      sum += grads[k]![f]!;
      abs += Math.abs(grads[k]![f]!);
    }
    return 0.5 * (1 + sum / (abs + 1e-7));
  });
  const mask = grads.map((g) =>
    g.map((v, f) => (P[f]! > U[f]! ? 1 : 0) * (v > 0 ? 1 : 0) + (P[f]! < U[f]! ? 1 : 0) * (v < 0 ? 1 : 0)),
  );
  const backward = Array.from({ length: batch }, (_, b) =>
    Array.from({ length: features }, (_, f) => {
      let s = 0;
      for (let k = 0; k < taskNum; k++) s += perGrads[k]![b]![f]! * (leak + (1 - leak) * mask[k]![f]!);
      return s;
    }),
  );
  return { backward, mask };
};

/**
 * TorchJD `GradDrop.forward(matrix)` with f the identity: P = ½ (1 + matrix.sum(0) /
 * |matrix|.sum(0)) (no ε); U = rand(P.shape); vector += (leak[i] + (1 − leak[i]) M_i) matrix[i].
 */
export const torchjdGradDrop = (
  matrix: readonly (readonly number[])[],
  U: readonly number[],
  leak: readonly number[],
): number[] => {
  const n = matrix[0]!.length;
  const P = Array.from({ length: n }, (_, p) => {
    let sum = 0;
    let abs = 0;
    for (const row of matrix) {
      sum += row[p]!;
      abs += Math.abs(row[p]!);
    }
    return 0.5 * (1 + sum / abs);
  });
  const vector = new Array<number>(n).fill(0);
  matrix.forEach((row, i) => {
    for (let p = 0; p < n; p++) {
      const M = (P[p]! > U[p]! ? 1 : 0) * (row[p]! > 0 ? 1 : 0) + (P[p]! < U[p]! ? 1 : 0) * (row[p]! < 0 ? 1 : 0);
      vector[p] = vector[p]! + (leak[i]! + (1 - leak[i]!) * M) * row[p]!;
    }
  });
  return vector;
};
