/**
 * Small-sample statistics for paired comparisons of training runs (e.g. Art vs mixed training
 * over a few seeds): mean ± sample standard deviation, and the 95% confidence interval of the
 * mean paired difference from Student's t distribution.
 */

/** Arithmetic mean (NaN for an empty list). */
export const mean = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;

/** Sample standard deviation with the n - 1 correction (NaN for fewer than two values). */
export const sampleStd = (values: readonly number[]): number => {
  if (values.length < 2) return Number.NaN;
  const m = mean(values);
  return Math.sqrt(values.reduce((acc, v) => acc + (v - m) ** 2, 0) / (values.length - 1));
};

/**
 * ln Γ(x) for x > 0: shift x up to >= 15 with Γ(x + 1) = x Γ(x), then Stirling's series to
 * the x^-9 term (truncation error below 1e-14 there).
 */
const logGamma = (x: number): number => {
  let shift = 0;
  let y = x;
  while (y < 15) {
    shift += Math.log(y);
    y += 1;
  }
  const inv = 1 / y;
  const inv2 = inv * inv;
  const series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))));
  return (y - 0.5) * Math.log(y) - y + 0.5 * Math.log(2 * Math.PI) + series - shift;
};

/** Regularized incomplete beta I_x(a, b) by its continued fraction (Lentz's method). */
const incompleteBeta = (x: number, a: number, b: number): number => {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use symmetry otherwise.
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  // Continued fraction of I_x(a, b), evaluated with the modified Lentz method.
  const tiny = 1e-300;
  const clampTiny = (v: number) => (Math.abs(v) < tiny ? tiny : v);
  let c = 1;
  let d = 1 / clampTiny(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 / clampTiny(1 + even * d);
    c = clampTiny(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 / clampTiny(1 + odd * d);
    c = clampTiny(1 + odd / c);
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (front * h) / a;
};

/** The CDF of Student's t distribution with `df` degrees of freedom. */
export const studentTCdf = (t: number, df: number): number => {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
};

/** The quantile of Student's t (bisection on the CDF; exact to ~1e-12). */
export const studentTQuantile = (p: number, df: number): number => {
  if (!(p > 0 && p < 1) || !(df > 0)) return Number.NaN;
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
};

/** Summary of paired differences `treatment[i] - control[i]`. */
export interface PairedDifference {
  readonly n: number;
  readonly meanDifference: number;
  readonly std: number;
  /** 95% confidence interval of the mean difference (t distribution, n - 1 df); NaN for n < 2. */
  readonly ci95: readonly [number, number];
  /** How many pairs favour the treatment (difference > 0). */
  readonly wins: number;
}

/**
 * Paired comparison over seeds: the mean difference and its 95% t interval.
 *
 * @example
 * pairedDifference([30.1, 29.8, 30.4], [29.9, 29.7, 30.0]) // meanDifference ≈ 0.233, ci95 ≈ [-0.15, 0.62]
 */
export const pairedDifference = (treatment: readonly number[], control: readonly number[]): PairedDifference => {
  if (treatment.length !== control.length) throw new RangeError(`paired samples differ in length: ${treatment.length} vs ${control.length}`);
  const differences = treatment.map((t, i) => t - control[i]!);
  const n = differences.length;
  const m = mean(differences);
  const sd = sampleStd(differences);
  const half = n >= 2 ? (studentTQuantile(0.975, n - 1) * sd) / Math.sqrt(n) : Number.NaN;
  return { n, meanDifference: m, std: sd, ci95: [m - half, m + half], wins: differences.filter((d) => d > 0).length };
};
