/**
 * Dehazing by the dark channel prior (He, Sun and Tang, CVPR 2009): in a haze-free outdoor
 * image most patches hold a pixel that is dark in some channel, so the dark channel of a hazy
 * image I = J t + A (1 - t) measures the haze: t = 1 - omega x dark(I / A).
 *
 * Refinement: the 2009 paper refines t by soft matting; here the optional refinement is the
 * guided filter (He, Sun and Tang, ECCV 2010 / TPAMI 2013), the fast replacement the same authors
 * recommend, with the grey image (mean of R, G, B) as the guide. Off when `guidedRadius` is 0.
 */
import type { RgbImage } from "../image.js";
import { boxMean, checkParam, fromPlanes, minFilter, toPlanes } from "./planes.js";

/** Options of `darkChannelPrior` / `dehazeDarkChannel`. */
export interface DarkChannelOptions {
  /** Side of the square patch of the dark channel, odd (the paper: 15 on 600x400 images). */
  readonly patch: number;
  /** Fraction of the haze removed, in (0, 1] (the paper: 0.95; less keeps some haze for depth). */
  readonly omega: number;
  /** Lower bound of the transmission when recovering J (the paper: 0.1). */
  readonly t0: number;
  /** Radius of the guided filter that refines the transmission (0: no refinement; default 0). */
  readonly guidedRadius?: number;
  /** The guided filter's regularization epsilon (default 1e-3, on the [0, 1] scale). */
  readonly guidedEps?: number;
}

/** What `darkChannelPrior` estimates, besides the dehazed image. */
export interface DarkChannelResult {
  readonly image: RgbImage;
  /** The (refined, when asked) transmission t per pixel, before the t0 bound. */
  readonly transmission: Float64Array;
  /** The estimated atmospheric light A, per channel. */
  readonly airlight: readonly [number, number, number];
}

/**
 * The dark channel: min over R, G, B, then min over the patch x patch window around each pixel
 * (cut at the border). One value per pixel.
 *
 * @example
 * const dark = darkChannel(hazy, 15); // Float64Array of width * height
 */
export function darkChannel(img: RgbImage, patch: number): Float64Array {
  checkParam("patch", patch, (v) => Number.isInteger(v) && v >= 1 && v % 2 === 1, "an odd integer >= 1");
  const n = img.width * img.height;
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++)
    m[i] = Math.min(img.data[3 * i] as number, img.data[3 * i + 1] as number, img.data[3 * i + 2] as number);
  return minFilter(m, img.width, img.height, (patch - 1) / 2);
}

/**
 * The atmospheric light as in the paper: among the brightest 0.1% of the dark channel (at least
 * one pixel; ties at the cut taken in pixel order), the input pixel of highest intensity
 * (R + G + B; the first in pixel order among equals); its colour is A.
 *
 * @example
 * const [ar, ag, ab] = estimateAtmosphericLight(hazy, darkChannel(hazy, 15));
 */
export function estimateAtmosphericLight(img: RgbImage, dark: Float64Array): [number, number, number] {
  const n = img.width * img.height;
  const count = Math.max(1, Math.round(n * 0.001));
  // The count-th largest dark value (a numeric typed-array sort), then the pixels above it and,
  // in index order, as many equal to it as the count still allows.
  const threshold = dark.slice(0, n).sort()[n - count] as number;
  let taken = 0;
  for (let i = 0; i < n; i++) if ((dark[i] as number) > threshold) taken++;
  let ties = count - taken;
  let best = -1;
  let bestSum = -Infinity;
  for (let i = 0; i < n; i++) {
    const d = dark[i] as number;
    if (d < threshold || (d === threshold && ties-- <= 0)) continue;
    const sum = (img.data[3 * i] as number) + (img.data[3 * i + 1] as number) + (img.data[3 * i + 2] as number);
    if (sum > bestSum) {
      bestSum = sum;
      best = i;
    }
  }
  return [img.data[3 * best] as number, img.data[3 * best + 1] as number, img.data[3 * best + 2] as number];
}

/**
 * The guided filter (He et al. 2010) of `src` with the grey-level `guide`, window radius r,
 * regularization eps: an edge-preserving smoothing of src that follows the guide's edges.
 *
 * @example
 * const refined = guidedFilter(grey, coarseT, width, height, 8, 1e-3);
 */
export function guidedFilter(
  guide: Float64Array,
  src: Float64Array,
  width: number,
  height: number,
  radius: number,
  eps: number,
): Float64Array {
  checkParam("radius", radius, (v) => Number.isInteger(v) && v >= 0, "an integer >= 0");
  checkParam("eps", eps, (v) => v > 0, "a finite number > 0");
  const n = width * height;
  const meanI = boxMean(guide, width, height, radius);
  const meanP = boxMean(src, width, height, radius);
  const ii = new Float64Array(n);
  const ip = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    ii[k] = (guide[k] as number) * (guide[k] as number);
    ip[k] = (guide[k] as number) * (src[k] as number);
  }
  const corrI = boxMean(ii, width, height, radius);
  const corrIp = boxMean(ip, width, height, radius);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const mi = meanI[k] as number;
    const varI = (corrI[k] as number) - mi * mi;
    const cov = (corrIp[k] as number) - mi * (meanP[k] as number);
    a[k] = cov / (varI + eps);
    b[k] = (meanP[k] as number) - (a[k] as number) * mi;
  }
  const meanA = boxMean(a, width, height, radius);
  const meanB = boxMean(b, width, height, radius);
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = (meanA[k] as number) * (guide[k] as number) + (meanB[k] as number);
  return out;
}

/**
 * Dark-channel-prior dehazing, with what it estimated: A from the brightest 0.1% of the dark
 * channel, t = 1 - omega x dark(I / A) (optionally refined by the guided filter), and
 * J = (I - A) / max(t, t0) + A, clamped to [0, 1].
 *
 * @example
 * const { image, transmission, airlight } = darkChannelPrior(hazy, { patch: 15, omega: 0.95, t0: 0.1, guidedRadius: 8 });
 */
export function darkChannelPrior(img: RgbImage, options: DarkChannelOptions): DarkChannelResult {
  const { patch, omega, t0 } = options;
  const guidedRadius = options.guidedRadius ?? 0;
  const guidedEps = options.guidedEps ?? 1e-3;
  checkParam("omega", omega, (v) => v > 0 && v <= 1, "in (0, 1]");
  checkParam("t0", t0, (v) => v > 0 && v <= 1, "in (0, 1]");
  checkParam("guidedRadius", guidedRadius, (v) => Number.isInteger(v) && v >= 0, "an integer >= 0");
  const { width, height } = img;
  const n = width * height;
  const airlight = estimateAtmosphericLight(img, darkChannel(img, patch));
  const safe = airlight.map((a) => Math.max(a, 1e-3)) as [number, number, number];
  const normalized = new Float32Array(img.data.length);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++) normalized[3 * i + c] = (img.data[3 * i + c] as number) / (safe[c] as number);
  const darkNorm = darkChannel({ width, height, data: normalized }, patch);
  let transmission: Float64Array = new Float64Array(n);
  for (let i = 0; i < n; i++) transmission[i] = 1 - omega * (darkNorm[i] as number);
  if (guidedRadius > 0) {
    const grey = new Float64Array(n);
    for (let i = 0; i < n; i++)
      grey[i] = ((img.data[3 * i] as number) + (img.data[3 * i + 1] as number) + (img.data[3 * i + 2] as number)) / 3;
    transmission = guidedFilter(grey, transmission, width, height, guidedRadius, guidedEps);
  }
  const planes = toPlanes(img);
  for (let c = 0; c < 3; c++) {
    const p = planes[c] as Float64Array;
    const a = airlight[c] as number;
    for (let i = 0; i < n; i++) p[i] = ((p[i] as number) - a) / Math.max(transmission[i] as number, t0) + a;
  }
  return { image: fromPlanes(planes, width, height), transmission, airlight };
}

/**
 * Dark-channel-prior dehazing (see `darkChannelPrior`), the image only.
 *
 * @example
 * const clear = dehazeDarkChannel(hazy, { patch: 15, omega: 0.95, t0: 0.1 });
 */
export const dehazeDarkChannel = (img: RgbImage, options: DarkChannelOptions): RgbImage =>
  darkChannelPrior(img, options).image;
