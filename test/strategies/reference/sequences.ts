/**
 * Fixed loss sequences for the reference-replay tests, from a small self-contained generator
 * (mulberry32), so that the inputs depend on nothing in src/: losses that fall over training
 * with noise, and optionally tasks absent from a share of the steps (never all at once).
 */
export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export interface SequenceSpec {
  readonly seed: number;
  readonly steps: number;
  /** Per task: the loss at the start and at the end of the sequence (a geometric decay). */
  readonly start: readonly number[];
  readonly end: readonly number[];
  /** Relative noise: each loss is multiplied by a uniform draw in [1 - noise, 1 + noise]. */
  readonly noise: number;
  /** Probability that a task is absent from a step (0: always present). */
  readonly absent?: number;
}

/** A sequence of per-step task losses (null = absent), the same for the same spec. */
export const lossSequence = (spec: SequenceSpec): (number | null)[][] => {
  const random = mulberry32(spec.seed);
  const K = spec.start.length;
  return Array.from({ length: spec.steps }, (_, t) => {
    const progress = spec.steps === 1 ? 0 : t / (spec.steps - 1);
    const row: (number | null)[] = Array.from({ length: K }, (_, k): number | null => {
      const present = random() >= (spec.absent ?? 0);
      const trend = spec.start[k]! * (spec.end[k]! / spec.start[k]!) ** progress;
      const loss = trend * (1 - spec.noise + 2 * spec.noise * random());
      return present ? loss : null;
    });
    if (!row.some((v) => v !== null))
      row[t % K] = spec.start[t % K]! * (spec.end[t % K]! / spec.start[t % K]!) ** progress;
    return row;
  });
};
