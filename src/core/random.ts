/**
 * A small seeded pseudo-random generator (xoshiro128**) whose whole state is four uint32s,
 * so it can live inside a JSON checkpoint and be replayed exactly.
 *
 * `Rng` is mutable for speed in hot loops (noise synthesis); pure code snapshots it with
 * `rng.state()` and rebuilds it with `Rng.fromState(state)`, so a pure step never mutates its input.
 *
 * @example
 * const a = Rng.seeded(42);
 * const x = a.uniform();
 * const b = Rng.fromState(a.state());
 * b.uniform() === a.uniform(); // true
 */
export type RngState = readonly [number, number, number, number];

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** splitmix32: spreads a small integer seed over the four state words (none of them zero). */
const splitmix32 = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
};

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(state: RngState) {
    [this.s0, this.s1, this.s2, this.s3] = state;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** A generator seeded from any integer (only its low 32 bits matter). */
  static seeded(seed: number): Rng {
    const next = splitmix32(seed);
    return new Rng([next(), next(), next(), next()]);
  }

  /** Rebuilds a generator from a snapshot taken with `state()`. */
  static fromState(state: RngState): Rng {
    return new Rng(state);
  }

  /** A JSON-safe snapshot of the generator. */
  state(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** An independent generator derived from this one (advances this one by one draw). */
  fork(): Rng {
    return Rng.seeded(this.nextUint32() ^ 0x5bd1e995);
  }

  /** A uniform uint32. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [lo, hi) with 53 random bits. */
  uniform(lo = 0, hi = 1): number {
    const hiBits = this.nextUint32() >>> 5; // 27 bits
    const loBits = this.nextUint32() >>> 6; // 26 bits
    const u = (hiBits * 67108864 + loBits) / 9007199254740992;
    return lo + (hi - lo) * u;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A standard normal draw (Box-Muller; one draw per call, the pair's twin is discarded for simplicity of state). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** One element chosen uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Rng.pick: empty list");
    return items[this.int(items.length)] as T;
  }
}
