/**
 * An independent float64 transcription of `torch.optim.Adam`'s update for one parameter
 * tensor (the single-tensor path, no amsgrad, no maximize), written from PyTorch's documented
 * algorithm and kept apart from src/ so that the reference-replay tests compare two
 * implementations. Deliberately plain and mutable: one instance holds the parameter vector,
 * its moments and the shared step count, exactly as PyTorch keeps them per tensor.
 *
 * Differences from src/strategies/adam.ts are on purpose: PyTorch moves the first moment with
 * `lerp` (m + (1 - beta1)(g - m)) and counts steps per tensor, not per element.
 */
export interface TorchAdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** PyTorch's defaults for `torch.optim.Adam` (lr aside). */
export const torchAdamDefaults = (lr: number, weightDecay = 0): TorchAdamOptions => ({
  lr,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay,
});

/** `torch.lerp(start, end, weight)` as the CPU kernel computes it (two formulas around 0.5). */
const lerp = (start: number, end: number, weight: number): number =>
  weight < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight);

export class TorchAdam {
  readonly exp_avg: number[];
  readonly exp_avg_sq: number[];
  step = 0;
  constructor(
    readonly param: number[],
    readonly o: TorchAdamOptions,
  ) {
    this.exp_avg = param.map(() => 0);
    this.exp_avg_sq = param.map(() => 0);
  }

  /** One `optimizer.step()` with `param.grad = grad` (every element has a gradient). */
  update(grad: readonly number[]): void {
    const { lr, beta1, beta2, eps, weightDecay } = this.o;
    this.step += 1;
    const biasCorrection1 = 1 - beta1 ** this.step;
    const biasCorrection2 = 1 - beta2 ** this.step;
    const stepSize = lr / biasCorrection1;
    const biasCorrection2Sqrt = biasCorrection2 ** 0.5;
    for (let i = 0; i < this.param.length; i++) {
      // L2 weight decay: added to the gradient (Adam, not AdamW).
      const g = weightDecay !== 0 ? grad[i]! + weightDecay * this.param[i]! : grad[i]!;
      this.exp_avg[i] = lerp(this.exp_avg[i]!, g, 1 - beta1);
      this.exp_avg_sq[i] = this.exp_avg_sq[i]! * beta2 + (1 - beta2) * g * g;
      const denom = Math.sqrt(this.exp_avg_sq[i]!) / biasCorrection2Sqrt + eps;
      this.param[i] = this.param[i]! + -stepSize * (this.exp_avg[i]! / denom);
    }
  }
}
