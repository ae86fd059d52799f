import { TorchAdam, torchAdamDefaults } from "./torch-adam.js";

/**
 * Independent float64 transcriptions of LibMTL's loss weightings (github.com/median-research-group/LibMTL,
 * `LibMTL/weighting/{UW,IMTL,GLS,DWA}.py`) as its trainer runs them (`LibMTL/trainer.py`,
 * `LibMTL/config.py`): every learned parameter of a weighting is a parameter of the model, so it
 * is trained by the model's own optimizer, by default `torch.optim.Adam(lr=1e-4,
 * weight_decay=1e-5)`; DWA reads the per-epoch mean training losses.
 *
 * Written from the reference code's formulas, not from src/: each class does what the Python
 * does, in the Python's own parameterisation (UW's L / (2 e^s) + s / 2, autograd's chain rule for
 * GLS, DWA's K-scaled softmax), and `weights` normalises what the trainer applies to the simplex
 * so that it can be compared with `art-mtl replay`. Every task is present at every step (LibMTL
 * has no absent tasks).
 */

/** LibMTL's trainer defaults (`config.py`): Adam, lr 1e-4, weight decay 1e-5. */
export const LIBMTL_LR = 1e-4;
export const LIBMTL_WEIGHT_DECAY = 1e-5;

const normalise = (values: readonly number[]): number[] => {
  const total = values.reduce((a, b) => a + b, 0);
  return values.map((v) => v / total);
};

/** `torch.softmax` over a vector: exp(x - max) / sum. */
export const torchSoftmax = (x: readonly number[]): number[] => {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
};

/**
 * UW.py: `loss_scale` starts at -0.5; the objective is sum(L / (2 exp(s)) + s / 2); the returned
 * batch weight is 1 / (2 exp(s)), computed before the optimizer step.
 */
export class LibmtlUw {
  readonly loss_scale: number[];
  readonly optimizer: TorchAdam;
  constructor(taskNum: number, lr = LIBMTL_LR, weightDecay = LIBMTL_WEIGHT_DECAY) {
    this.loss_scale = new Array<number>(taskNum).fill(-0.5);
    this.optimizer = new TorchAdam(this.loss_scale, torchAdamDefaults(lr, weightDecay));
  }

  /** One training step: the weights the forward pass used (normalised), then `optimizer.step()`. */
  step(losses: readonly number[]): number[] {
    const batchWeight = this.loss_scale.map((s) => 1 / (2 * Math.exp(s)));
    // d/ds (L / (2 e^s) + s / 2) = -L / (2 e^s) + 1 / 2
    const grad = this.loss_scale.map((s, k) => -losses[k]! / (2 * Math.exp(s)) + 0.5);
    this.optimizer.update(grad);
    return normalise(batchWeight);
  }
}

/**
 * IMTL.py, the loss-scale half: `loss_scale` starts at 0, each task's loss becomes
 * exp(s) L - s (backpropagated task by task, so s_k's gradient is exp(s_k) L_k - 1), and the
 * model's optimizer steps s. The scales exp(s) before the step are what art-mtl's `imtl-l`
 * weighs with (IMTL-G's alpha, the gradient half, is not a loss weighting).
 */
export class LibmtlImtlScale {
  readonly loss_scale: number[];
  readonly optimizer: TorchAdam;
  constructor(taskNum: number, lr = LIBMTL_LR, weightDecay = LIBMTL_WEIGHT_DECAY) {
    this.loss_scale = new Array<number>(taskNum).fill(0);
    this.optimizer = new TorchAdam(this.loss_scale, torchAdamDefaults(lr, weightDecay));
  }

  step(losses: readonly number[]): number[] {
    const scale = this.loss_scale.map((s) => Math.exp(s));
    const grad = this.loss_scale.map((s, k) => Math.exp(s) * losses[k]! - 1);
    this.optimizer.update(grad);
    return normalise(scale);
  }
}

/**
 * GLS.py: the loss is prod(L)^(1/K). `applied` are the coefficients autograd gives each L_k
 * (pow's backward times prod's backward: (1/K) P^(1/K - 1) * P / L_k); `returned` is what
 * `GLS.backward` returns and LibMTL logs, L_k / (K P), which is *not* the applied weight.
 */
export const libmtlGls = (losses: readonly number[]): { applied: number[]; returned: number[]; weights: number[] } => {
  const K = losses.length;
  const P = losses.reduce((a, b) => a * b, 1);
  const dPow = (1 / K) * P ** (1 / K - 1);
  const applied = losses.map((L) => dPow * (P / L));
  const returned = losses.map((L) => L / (K * P));
  return { applied, returned, weights: normalise(applied) };
};

/**
 * DWA.py with the trainer's bookkeeping: `train_loss_buffer[:, e]` is task k's mean training
 * loss over epoch e (every batch the same size); in epoch e > 1 the batch weight is
 * K softmax(buffer[:, e-1] / buffer[:, e-2] / T), else 1 for every task.
 */
export class LibmtlDwa {
  readonly train_loss_buffer: number[][] = [];
  epoch = 0;
  private record: number[][] = [];
  constructor(
    readonly taskNum: number,
    readonly T = 2,
  ) {}

  step(losses: readonly number[]): number[] {
    const K = this.taskNum;
    const e = this.epoch;
    let batchWeight: number[];
    if (e > 1) {
      const w = this.train_loss_buffer[e - 1]!.map((v, k) => v / this.train_loss_buffer[e - 2]![k]! / this.T);
      batchWeight = torchSoftmax(w).map((v) => K * v);
    } else {
      batchWeight = new Array<number>(K).fill(1);
    }
    this.record.push([...losses]);
    return normalise(batchWeight);
  }

  /** The end of an epoch: store its mean losses and start the next one. */
  endEpoch(): void {
    const n = this.record.length;
    this.train_loss_buffer.push(
      Array.from({ length: this.taskNum }, (_, k) => this.record.reduce((sum, row) => sum + row[k]!, 0) / n),
    );
    this.record = [];
    this.epoch += 1;
  }
}

/** EW.py: a batch weight of 1 for every task (the plain sum). */
export const libmtlEw = (losses: readonly number[]): number[] => normalise(losses.map(() => 1));
