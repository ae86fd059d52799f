/**
 * An independent transcription of xoshiro128** (Blackman & Vigna, xoshiro128starstar.c) and of
 * the splitmix32 seeding that src/core/random.ts documents (murmur3's fmix32 over a Weyl
 * sequence with step 0x9e3779b9), in BigInt arithmetic modulo 2^32 so that it shares no
 * 32-bit tricks (>>> 0, Math.imul) with the implementation under test.
 */
const M32 = (1n << 32n) - 1n;
const u32 = (x: bigint): bigint => x & M32;
const rotl = (x: bigint, k: bigint): bigint => u32((x << k) | (x >> (32n - k)));

export class ReferenceXoshiro128 {
  s: [bigint, bigint, bigint, bigint];
  constructor(state: readonly number[]) {
    this.s = state.map((x) => BigInt(x)) as [bigint, bigint, bigint, bigint];
    if (this.s.every((x) => x === 0n)) this.s[0] = 1n;
  }

  static seeded(seed: number): ReferenceXoshiro128 {
    let s = u32(BigInt(seed));
    const next = (): number => {
      s = u32(s + 0x9e3779b9n);
      let z = s;
      z = u32((z ^ (z >> 16n)) * 0x85ebca6bn);
      z = u32((z ^ (z >> 13n)) * 0xc2b2ae35n);
      return Number(z ^ (z >> 16n));
    };
    return new ReferenceXoshiro128([next(), next(), next(), next()]);
  }

  next(): number {
    const [s0, s1, s2, s3] = this.s;
    const result = u32(rotl(u32(s1 * 5n), 7n) * 9n);
    const t = u32(s1 << 9n);
    let n2 = s2 ^ s0;
    let n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    n2 ^= t;
    n3 = rotl(n3, 11n);
    this.s = [n0, n1, n2, n3];
    return Number(result);
  }

  /** 53 random bits: the top 27 bits of one draw and the top 26 of the next, over 2^53. */
  uniform(): number {
    const hi = BigInt(this.next()) >> 5n;
    const lo = BigInt(this.next()) >> 6n;
    return Number((hi << 26n) | lo) / 2 ** 53;
  }
}
