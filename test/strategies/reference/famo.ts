import { torchSoftmax } from "./libmtl.js";
import { TorchAdam, torchAdamDefaults } from "./torch-adam.js";

/**
 * An independent float64 transcription of the FAMO authors' reference module (`famo.py`,
 * github.com/Cranial-XIX/FAMO): logits w start at 0 and are trained by
 * `torch.optim.Adam([w], lr=w_lr, weight_decay=gamma)`; the weighted loss is
 * sum(log(D) z / c) with z = softmax(w), D = L - min + 1e-8, c = sum(z / D) detached, so the
 * coefficient of L_k is z_k / (c D_k); `update(curr)` pushes the log-loss decrease through the
 * softmax's backward (z * (delta - sum(z delta))) into w's gradient and steps Adam. LibMTL's
 * `weighting/FAMO.py` is the same with its own defaults (w_lr 0.025, gamma 1e-3).
 * Kept apart from src/ so the reference-replay tests compare two implementations.
 */
export class ReferenceFamo {
  readonly w: number[];
  readonly w_opt: TorchAdam;
  readonly min_losses: number[];
  private prev_loss: number[] = [];
  constructor(nTasks: number, gamma = 0.01, wLr = 0.025) {
    this.w = new Array<number>(nTasks).fill(0);
    this.min_losses = new Array<number>(nTasks).fill(0);
    this.w_opt = new TorchAdam(this.w, torchAdamDefaults(wLr, gamma));
  }

  /** The coefficients `get_weighted_loss` puts on each L_k (they sum to 1). */
  weights(losses: readonly number[]): number[] {
    this.prev_loss = [...losses];
    const z = torchSoftmax(this.w);
    const D = losses.map((L, k) => L - this.min_losses[k]! + 1e-8);
    const c = z.reduce((sum, zk, k) => sum + zk / D[k]!, 0);
    return z.map((zk, k) => zk / (c * D[k]!));
  }

  /** `update(curr_loss)`: the losses after the model's update. */
  update(currLoss: readonly number[]): void {
    const delta = this.prev_loss.map(
      (p, k) => Math.log(p - this.min_losses[k]! + 1e-8) - Math.log(currLoss[k]! - this.min_losses[k]! + 1e-8),
    );
    const z = torchSoftmax(this.w);
    const dot = z.reduce((sum, zk, k) => sum + zk * delta[k]!, 0);
    this.w_opt.update(z.map((zk, k) => zk * (delta[k]! - dot)));
  }
}
