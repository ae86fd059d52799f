/**
 * Small-sample statistics for paired comparisons of training runs (e.g. Art vs mixed training
 * over a few seeds): mean ± sample standard deviation, and the 95% confidence interval of the
 * mean paired difference from Student's t distribution.
 */

import { Rng } from "../../core/random.js";

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
  if (treatment.length !== control.length)
    throw new RangeError(`paired samples differ in length: ${treatment.length} vs ${control.length}`);
  const differences = treatment.map((t, i) => t - control[i]!);
  const n = differences.length;
  const m = mean(differences);
  const sd = sampleStd(differences);
  const half = n >= 2 ? (studentTQuantile(0.975, n - 1) * sd) / Math.sqrt(n) : Number.NaN;
  return { n, meanDifference: m, std: sd, ci95: [m - half, m + half], wins: differences.filter((d) => d > 0).length };
};

/** Two-sided p value of the paired t test of `pairedDifference` (H0: mean difference 0); NaN for n < 2. */
export const pairedPValue = (d: PairedDifference): number => {
  if (d.n < 2) return Number.NaN;
  if (d.std === 0) return d.meanDifference === 0 ? 1 : 0;
  const t = d.meanDifference / (d.std / Math.sqrt(d.n));
  return 2 * (1 - studentTCdf(Math.abs(t), d.n - 1));
};

/**
 * The standard normal CDF Φ(x), through erfc (Numerical Recipes' Chebyshev fit, relative error
 * below 1.2e-7 everywhere: ample for a power calculation).
 */
const normalCdf = (x: number): number => {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
};

/**
 * The power of the two-sided paired t test at level `alpha` with `n` pairs when the true mean
 * difference is `effect` standard deviations of the differences: P(|T'| > t_crit) for the
 * noncentral t with n − 1 degrees of freedom and noncentrality effect·√n, integrated over the
 * chi-square variable (Simpson's rule on 4,000 intervals; accurate to ~1e-6).
 *
 * @example
 * pairedTestPower(1, 10) // ≈ 0.80 (ten pairs detect a one-σ_d effect four times in five)
 */
export const pairedTestPower = (effect: number, n: number, alpha = 0.05): number => {
  if (!(n >= 2) || !Number.isFinite(effect)) return Number.NaN;
  const df = n - 1;
  const critical = studentTQuantile(1 - alpha / 2, df);
  const shift = effect * Math.sqrt(n);
  const logNorm = -(df / 2) * Math.log(2) - logGamma(df / 2);
  const density = (v: number) =>
    v <= 0 ? (df === 2 ? 0.5 : 0) : Math.exp(logNorm + (df / 2 - 1) * Math.log(v) - v / 2);
  // Reject when Z + shift > c·√(V/df) or Z + shift < −c·√(V/df), Z ~ N(0,1), V ~ χ²(df).
  const rejectGiven = (v: number) => {
    const bound = critical * Math.sqrt(v / df);
    return 1 - normalCdf(bound - shift) + normalCdf(-bound - shift);
  };
  const upper = df + 60 * Math.sqrt(2 * df) + 60;
  const steps = 4000;
  const h = upper / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const v = i * h;
    const weight = i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2;
    sum += weight * density(v) * rejectGiven(v);
  }
  return (sum * h) / 3;
};

/**
 * The minimum detectable difference of a paired t test: the smallest true mean difference
 * found with probability `power` at level `alpha` (two-sided) with `n` pairs whose differences
 * have standard deviation `std` (the exact noncentral-t power, solved by bisection).
 *
 * @example
 * minimumDetectableDifference(1, 3) // ≈ 3.26: three pairs need a 3.26·σ_d effect for 80% power
 */
export const minimumDetectableDifference = (std: number, n: number, power = 0.8, alpha = 0.05): number => {
  if (!(n >= 2) || !(std >= 0)) return Number.NaN;
  let lo = 0;
  let hi = 1;
  while (pairedTestPower(hi, n, alpha) < power) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (pairedTestPower(mid, n, alpha) < power) lo = mid;
    else hi = mid;
  }
  return ((lo + hi) / 2) * std;
};

/**
 * Holm's step-down adjustment of p values for a family of comparisons (returned in the input's
 * order): the i-th smallest p times (m − i + 1), made monotone, capped at 1.
 *
 * @example
 * holmAdjust([0.01, 0.04, 0.03]) // [0.03, 0.06, 0.06]
 */
export const holmAdjust = (pValues: readonly number[]): number[] => {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
};

/**
 * A percentile bootstrap interval over resampled units (e.g. the images of an evaluation set):
 * each of `draws` resamples draws `units` indices with replacement (seeded, reproducible) and
 * hands `statistic` how many times each unit was drawn; returns the 2.5th and 97.5th
 * percentiles of the statistic (linear interpolation between order statistics).
 *
 * @example
 * bootstrapInterval(8, (counts) => counts.reduce((s, c, i) => s + c * values[i], 0) / 8) // 95% interval of the mean of 8 values
 */
export const bootstrapInterval = (
  units: number,
  statistic: (counts: readonly number[]) => number,
  options: { readonly draws?: number; readonly seed?: number } = {},
): readonly [number, number] => {
  const draws = options.draws ?? 10_000;
  // The project's seeded generator: the interval is reproducible run to run.
  const rng = Rng.seeded(options.seed ?? 1);
  const values: number[] = [];
  const counts = new Array<number>(units);
  for (let d = 0; d < draws; d++) {
    counts.fill(0);
    for (let u = 0; u < units; u++) counts[Math.floor(rng.uniform() * units)]! += 1;
    values.push(statistic(counts));
  }
  values.sort((a, b) => a - b);
  const at = (q: number) => {
    const position = q * (values.length - 1);
    const below = Math.floor(position);
    const above = Math.min(values.length - 1, below + 1);
    return values[below]! + (position - below) * (values[above]! - values[below]!);
  };
  return [at(0.025), at(0.975)];
};
