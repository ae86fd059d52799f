import { LIBMTL_LR, LIBMTL_WEIGHT_DECAY, torchSoftmax } from "./libmtl.js";
import { TorchAdam, torchAdamDefaults } from "./torch-adam.js";

/**
 * Independent float64 transcriptions of LibMTL's gradient-aware weightings GradNorm, DB-MTL and
 * STCH (github.com/median-research-group/LibMTL, `LibMTL/weighting/{GradNorm,DB_MTL,STCH}.py`,
 * commit 4336804) as its trainer drives them (`LibMTL/trainer.py`: `zero_grad`,
 * `model.backward(losses, **weight_args)`, `optimizer.step()` per batch; at the end of each epoch
 * `train_loss_buffer[:, epoch]` = the epoch's mean training loss per task; `epoch` is read by the
 * weightings).
 *
 * Written from the Python, not from src/: each class keeps the Python's names and state, takes
 * the per-task gradients of the shared parameters as plain vectors (what `_get_grads` /
 * `_compute_grad` return) and returns what the weighting hands back: the batch weight and the
 * new shared gradient it writes into `param.grad`, or, for STCH (which calls `loss.backward()`
 * on a scalar of the losses), the factor autograd multiplies each task's gradient by, taken
 * through the backward of each operation in turn. Every task is present at every step (LibMTL
 * has no absent tasks); tensors are float64 here, float32 in LibMTL.
 */

const dot = (a: readonly number[], b: readonly number[]): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** `torch.norm(x, p=2)`. */
const norm2 = (x: readonly number[]): number => Math.sqrt(dot(x, x));

/** `tensor.mean()`. */
const mean = (x: readonly number[]): number => x.reduce((a, b) => a + b, 0) / x.length;

/** Python's `sum([w[i] * g[i] for i in range(n)])`: 0 + w_0 g_0 + w_1 g_1 + …, row by row. */
const weightedSum = (weights: readonly number[], rows: readonly (readonly number[])[]): number[] => {
  let total = rows[0]!.map(() => 0);
  rows.forEach((row, i) => (total = total.map((t, p) => t + weights[i]! * row[p]!)));
  return total;
};

/** The trainer's per-epoch bookkeeping: `train_loss_buffer[:, e]` is epoch e's mean loss per task. */
class EpochMeter {
  readonly train_loss_buffer: number[][] = []; // [epoch][task]
  epoch = 0;
  private record: number[][] = [];

  recordLosses(losses: readonly number[]): void {
    this.record.push([...losses]);
  }

  /** The end of an epoch (batches of equal size: the meter's weighted mean is the plain mean). */
  endEpoch(): void {
    const n = this.record.length;
    this.train_loss_buffer.push(this.record[0]!.map((_, tn) => this.record.reduce((s, row) => s + row[tn]!, 0) / n));
    this.record = [];
    this.epoch += 1;
  }
}

/**
 * GradNorm.py. `loss_scale` (an `nn.Parameter` of ones) is a parameter of the model, so the
 * trainer's optimizer (Adam, lr 1e-4, weight decay 1e-5 by default) steps it after `backward`;
 * during epoch 0 it gets no gradient, so Adam skips it (no step, no decay). From epoch 1:
 * loss_scale = K softmax(θ); G_i = ||loss_scale_i g_i||; the constant term G.mean() r_i^α is
 * detached; `L_grad = Σ |G_i − constant_i|` is backpropagated into θ only (the gradients g_i are
 * data); the shared gradient becomes Σ loss_scale_i g_i with loss_scale detached.
 */
export class LibmtlGradNorm {
  readonly loss_scale: number[];
  readonly optimizer: TorchAdam;
  readonly meter = new EpochMeter();
  constructor(
    readonly task_num: number,
    readonly alpha = 1.5,
    lr = LIBMTL_LR,
    weightDecay = LIBMTL_WEIGHT_DECAY,
  ) {
    this.loss_scale = new Array<number>(task_num).fill(1.0);
    this.optimizer = new TorchAdam(this.loss_scale, torchAdamDefaults(lr, weightDecay));
  }

  /** One batch: `model.backward` then `optimizer.step()`. */
  step(
    losses: readonly number[],
    grads: readonly (readonly number[])[],
  ): { batchWeight: number[]; newGrads: number[] } {
    this.meter.recordLosses(losses);
    const K = this.task_num;
    if (this.meter.epoch >= 1) {
      const softmax = torchSoftmax(this.loss_scale);
      const loss_scale = softmax.map((s) => K * s);
      const scaled = grads.map((g, i) => g.map((x) => loss_scale[i]! * x)); // loss_scale.unsqueeze(1) * grads
      const G_per_loss = scaled.map(norm2);
      const G = mean(G_per_loss);
      const L_i = losses.map((l, tn) => l / this.meter.train_loss_buffer[0]![tn]!);
      const L_mean = mean(L_i);
      const r_i = L_i.map((l) => l / L_mean);
      const constant_term = r_i.map((r) => G * r ** this.alpha);
      // L_grad.backward(): abs → sign; norm → x / ||x|| (0 at 0); mul → Σ_p grads_ip · (·)_ip;
      // loss_scale = K · softmax(θ) → softmax's backward s ⊙ (u − <u, s>) of u = K · (·).
      const dG = G_per_loss.map((g, i) => Math.sign(g - constant_term[i]!));
      const dLossScale = dG.map((d, i) =>
        G_per_loss[i] === 0
          ? 0
          : dot(
              grads[i]!,
              scaled[i]!.map((x) => (d * x) / G_per_loss[i]!),
            ),
      );
      const u = dLossScale.map((v) => K * v);
      const us = dot(u, softmax);
      this.optimizer.update(softmax.map((s, j) => s * (u[j]! - us)));
      return { batchWeight: loss_scale, newGrads: weightedSum(loss_scale, grads) };
    }
    return { batchWeight: new Array<number>(K).fill(1), newGrads: weightedSum(new Array<number>(K).fill(1), grads) };
  }

  endEpoch(): void {
    this.meter.endEpoch();
  }
}

/**
 * DB_MTL.py. `step` counts calls from 1; the per-task gradients are those of log(losses + 1e-8)
 * (autograd: each g_k times 1 / (L_k + 1e-8)); `grad_buffer` starts at zeros and moves as
 * `batch + (beta / step**beta_sigma) * (buffer - batch)`; alpha = max ||buffer|| / (||buffer_k|| + 1e-8);
 * the shared gradient is Σ alpha_k buffer_k; the returned batch weight is ones.
 */
export class LibmtlDbMtl {
  step = 0;
  grad_buffer: number[][] | null = null;
  constructor(
    readonly task_num: number,
    readonly DB_beta = 0.9,
    readonly DB_beta_sigma = 0,
  ) {}

  backward(
    losses: readonly number[],
    grads: readonly (readonly number[])[],
  ): { batchWeight: number[]; alpha: number[]; newGrads: number[] } {
    this.step += 1;
    const buffer = this.grad_buffer ?? grads.map((g) => g.map(() => 0));
    const batch_grads = grads.map((g, tn) => {
      const dLog = 1 / (losses[tn]! + 1e-8); // log's backward
      return g.map((x) => x * dLog);
    });
    const factor = this.DB_beta / this.step ** this.DB_beta_sigma;
    this.grad_buffer = batch_grads.map((b, tn) => b.map((x, p) => x + factor * (buffer[tn]![p]! - x)));
    const u_grad = this.grad_buffer.map(norm2);
    const largest = Math.max(...u_grad);
    const alpha = u_grad.map((u) => largest / (u + 1e-8));
    return {
      batchWeight: new Array<number>(this.task_num).fill(1),
      alpha,
      newGrads: weightedSum(alpha, this.grad_buffer),
    };
  }
}

/**
 * STCH.py. Epochs before `STCH_warmup_epoch`: `loss = Σ log(L + 1e-20)`; the epoch equal to it:
 * the same, while `average_loss` sums the losses; later: the nadir vector (average, fixed at
 * the first such step), `losses = log(L / nadir + 1e-20)`, `reg = losses − max` (max detached)
 * and `loss = mu · log Σ exp(reg / mu) · task_num`. `backward` returns ∂loss/∂L_k, each op's
 * backward in turn (so the shared gradient is Σ_k (∂loss/∂L_k) g_k).
 */
export class LibmtlStch {
  step = 0;
  epoch = 0;
  nadir_vector: number[] | null = null;
  average_loss: number[];
  average_loss_count = 0;
  constructor(
    readonly task_num: number,
    readonly STCH_mu = 1.0,
    readonly STCH_warmup_epoch = 4,
  ) {
    this.average_loss = new Array<number>(task_num).fill(0);
  }

  backward(losses: readonly number[]): number[] {
    this.step += 1;
    const mu = this.STCH_mu;
    if (this.epoch < this.STCH_warmup_epoch) return losses.map((l) => 1 / (l + 1e-20));
    if (this.epoch === this.STCH_warmup_epoch) {
      this.average_loss = this.average_loss.map((a, k) => a + losses[k]!);
      this.average_loss_count += 1;
      return losses.map((l) => 1 / (l + 1e-20));
    }
    if (this.nadir_vector === null) this.nadir_vector = this.average_loss.map((a) => a / this.average_loss_count);
    const nadir = this.nadir_vector;
    const inner = losses.map((l, k) => l / nadir[k]! + 1e-20);
    const logLosses = inner.map(Math.log);
    const max_term = Math.max(...logLosses);
    const reg_losses = logLosses.map((l) => l - max_term);
    const exps = reg_losses.map((r) => Math.exp(r / mu));
    const total = exps.reduce((a, b) => a + b, 0);
    // loss = mu · log(total) · K: d/d total = mu · K / total; exp: · e_k; /mu: / mu; − max: 1;
    // log: / inner_k; + 1e-20: 1; / nadir: / nadir_k.
    const dTotal = (mu * this.task_num) / total;
    return exps.map((e, k) => (dTotal * e) / mu / inner[k]! / nadir[k]!);
  }

  endEpoch(): void {
    this.epoch += 1;
  }
}
