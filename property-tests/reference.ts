/**
 * An independent float64 transcription of the spec (../shared/art-spec.md), written
 * separately from src/core so that the property and model-based tests compare two
 * implementations. Deliberately plain: objects keyed by task, no shared helpers.
 */
export interface ReferenceOptions {
  preset: "paper" | "official";
  tau: number;
  rate: number;
  lcr: "none" | "raw" | "ema";
  gcw: "none" | "raw" | "log" | "relative-log";
}

export const referenceDefaults = (preset: "paper" | "official"): ReferenceOptions =>
  preset === "paper"
    ? { preset, tau: 3, rate: 0.01, lcr: "ema", gcw: "log" }
    : { preset, tau: 0.1, rate: 0.01, lcr: "ema", gcw: "log" };

/** A mutable reference machine. */
export class ReferenceArt {
  E: number[];
  M: number[];
  P: number[];
  seen: boolean[];
  constructor(
    readonly K: number,
    readonly o: ReferenceOptions,
  ) {
    const start = o.preset === "official" ? 0.1 : NaN;
    this.E = new Array(K).fill(start);
    this.M = new Array(K).fill(start);
    this.P = new Array(K).fill(start);
    this.seen = new Array(K).fill(false);
  }

  step(losses: (number | null)[]): number[] {
    const { o, K } = this;
    const z: number[] = new Array(K).fill(-100000);
    for (let k = 0; k < K; k++) {
      const L = losses[k];
      if (L === null || L === undefined) continue;
      if (o.preset === "paper" && !this.seen[k]) {
        this.E[k] = L;
        this.M[k] = L;
        this.P[k] = L;
        this.seen[k] = true;
      }
      const minBefore = this.M[k]!;
      const minNow = Math.min(minBefore, L);
      // paper: the minimum includes this step (and is stored now); official: the one from before
      if (o.preset === "paper") this.M[k] = minNow;
      const M = o.preset === "paper" ? minNow : minBefore;
      const s = o.lcr === "ema" ? L / this.E[k]! : o.lcr === "raw" ? L / this.P[k]! : 1;
      const r =
        o.gcw === "log"
          ? Math.log(M) / Math.log(L)
          : o.gcw === "raw"
            ? L / M
            : o.gcw === "relative-log"
              ? 1 + Math.log(L / minNow)
              : 1;
      z[k] = (s * r) / o.tau;
    }
    // softmax over all K, absent tasks at -1e5 (as in the released code); logits that
    // overflowed to +Infinity take the limit of the softmax: they share the mass equally and
    // every finite logit gets 0 (the released code would give NaN there: Infinity - Infinity).
    const overflowed = z.filter((v) => v === Infinity).length;
    let alpha: number[];
    if (overflowed > 0) {
      alpha = z.map((v) => (v === Infinity ? 1 / overflowed : 0));
    } else {
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const total = e.reduce((a, b) => a + b, 0);
      alpha = e.map((v) => v / total);
    }
    for (let k = 0; k < K; k++) {
      const L = losses[k];
      if (L === null || L === undefined) continue;
      // Floored at the smallest positive double, as the spec'd rule does (a subnormal EMA can round to 0).
      this.E[k] = Math.max(o.rate * L + (1 - o.rate) * this.E[k]!, Number.MIN_VALUE);
      this.P[k] = L;
      if (o.preset === "official") this.M[k] = Math.min(this.M[k]!, L);
    }
    return alpha;
  }
}
