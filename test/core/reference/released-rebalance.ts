/**
 * An independent float64 transcription of Art as the authors released it: the loss
 * `Rebalance_L1.forward` (basicsr/losses/rebalance_loss.py) plus the update block of
 * `IRModel_TransWeather_Rebalance.optimize_parameters` (Transweather_rebalance_model.py).
 * Written from that code's logic, not from src/, so the tests compare two implementations.
 *
 * Three tasks in the released order: 0 dehaze, 1 derain, 2 snow. Per task the model keeps a
 * "last" value E (an EMA of the loss, rate a = ema_loss = 0.01) and a minimum M, both starting
 * at 0.1. The forward pass gives a present task z = (L * log10(M) / E) / log10(L) / T (E and M
 * from before this step) and an absent one -100000, and takes a softmax over all three. Then,
 * for each present task (loss != 0), the model updates E and M:
 * - dehaze and derain: E <- a L + (1 - a) E; M <- L if L < M.
 * - snow, as released: the EMA is assigned to an attribute nothing reads (`loss_denoise_50`),
 *   so E_snow is never updated and stays 0.1; its minimum is updated.
 * `snowEmaFixed: true` gives the intended snow branch (E_snow updated like the others).
 */
export class ReleasedRebalance {
  readonly last = [0.1, 0.1, 0.1]; // loss_dehaze, loss_derain, loss_snow
  readonly min = [0.1, 0.1, 0.1]; // loss_dehaze_min, loss_derain_min, loss_snow_min
  /** Where the released snow branch writes its EMA; never read back. */
  loss_denoise_50: number | null = null;
  constructor(
    readonly T = 0.1,
    readonly a = 0.01,
    readonly snowEmaFixed = false,
  ) {}

  /** One training step; `null` = no sample of that task in the batch. Returns the weights. */
  step(losses: readonly (number | null)[]): number[] {
    const z = [-100000, -100000, -100000];
    // The forward pass visits snow, derain, dehaze; the order does not change the values.
    for (const k of [2, 1, 0]) {
      const L = losses[k];
      if (L === null || L === undefined) continue;
      z[k] = (L * Math.log10(this.min[k]!)) / this.last[k]! / Math.log10(L) / this.T;
    }
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const total = e[0]! + e[1]! + e[2]!;
    const weights = e.map((v) => v / total);

    const a = this.a;
    const snow = losses[2];
    if (snow !== null && snow !== undefined) {
      const ema = a * snow + (1 - a) * this.last[2]!;
      if (this.snowEmaFixed) this.last[2] = ema;
      else this.loss_denoise_50 = ema;
      if (snow < this.min[2]!) this.min[2] = snow;
    }
    for (const k of [1, 0]) {
      const L = losses[k];
      if (L === null || L === undefined) continue;
      this.last[k] = a * L + (1 - a) * this.last[k]!;
      if (L < this.min[k]!) this.min[k] = L;
    }
    return weights;
  }
}
