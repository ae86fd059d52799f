/**
 * Wavelet denoising: the orthonormal Haar (db1) transform, BayesShrink soft thresholds per
 * detail sub-band (Chang, Yu and Vetterli 2000, as scikit-image's `denoise_wavelet(method=
 * 'BayesShrink', mode='soft')`), optional cycle spinning (Coifman and Donoho 1995), and the
 * robust noise estimate sigma = median(|HH1|) / 0.6745 (Donoho and Johnstone 1994) that it and
 * other tools use.
 */
import type { RgbImage } from "../image.js";
import { checkParam, fromPlanes, toPlanes } from "./planes.js";

const SQRT1_2 = Math.SQRT1_2;

/** One padded plane: the data, its side lengths (multiples of 2^levels). */
interface Padded {
  readonly data: Float64Array;
  readonly width: number;
  readonly height: number;
}

/** Half-sample symmetric index (… b a | a b c … c | c b …), pywt's 'symmetric' mode. */
const symmetric = (i: number, n: number): number => {
  const period = 2 * n;
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - 1 - j;
};

/** Pads a plane on the right and bottom, symmetrically, to multiples of `multiple`. */
function padTo(src: Float64Array, width: number, height: number, multiple: number): Padded {
  const pw = Math.ceil(width / multiple) * multiple;
  const ph = Math.ceil(height / multiple) * multiple;
  const data = new Float64Array(pw * ph);
  for (let y = 0; y < ph; y++) {
    const sy = symmetric(y, height) * width;
    for (let x = 0; x < pw; x++) data[y * pw + x] = src[sy + symmetric(x, width)] as number;
  }
  return { data, width: pw, height: ph };
}

/**
 * The 2-D orthonormal Haar transform in place (Mallat layout: after each level the top-left
 * quarter holds the approximation, the other three quarters the details of that level).
 * width and height must be multiples of 2^levels.
 *
 * @example
 * const plane = Float64Array.from([1, 2, 3, 4]);
 * haarForward(plane, 2, 2, 1); // [5, -1, -2, 0]: the mean x 2, then the details
 * haarInverse(plane, 2, 2, 1); // [1, 2, 3, 4] again
 */
export function haarForward(data: Float64Array, width: number, height: number, levels: number): void {
  checkLevels(width, height, levels);
  const tmp = new Float64Array(Math.max(width, height));
  let w = width;
  let h = height;
  for (let level = 0; level < levels; level++) {
    const hw = w / 2;
    const hh = h / 2;
    for (let y = 0; y < h; y++) {
      const row = y * width;
      for (let x = 0; x < hw; x++) {
        const a = data[row + 2 * x] as number;
        const b = data[row + 2 * x + 1] as number;
        tmp[x] = (a + b) * SQRT1_2;
        tmp[hw + x] = (a - b) * SQRT1_2;
      }
      for (let x = 0; x < w; x++) data[row + x] = tmp[x] as number;
    }
    for (let x = 0; x < w; x++) {
      for (let y = 0; y < hh; y++) {
        const a = data[2 * y * width + x] as number;
        const b = data[(2 * y + 1) * width + x] as number;
        tmp[y] = (a + b) * SQRT1_2;
        tmp[hh + y] = (a - b) * SQRT1_2;
      }
      for (let y = 0; y < h; y++) data[y * width + x] = tmp[y] as number;
    }
    w = hw;
    h = hh;
  }
}

/** The inverse of `haarForward` (same layout and levels), in place. */
export function haarInverse(data: Float64Array, width: number, height: number, levels: number): void {
  checkLevels(width, height, levels);
  const tmp = new Float64Array(Math.max(width, height));
  for (let level = levels - 1; level >= 0; level--) {
    const w = width >> level;
    const h = height >> level;
    const hw = w / 2;
    const hh = h / 2;
    for (let x = 0; x < w; x++) {
      for (let y = 0; y < hh; y++) {
        const s = data[y * width + x] as number;
        const d = data[(hh + y) * width + x] as number;
        tmp[2 * y] = (s + d) * SQRT1_2;
        tmp[2 * y + 1] = (s - d) * SQRT1_2;
      }
      for (let y = 0; y < h; y++) data[y * width + x] = tmp[y] as number;
    }
    for (let y = 0; y < h; y++) {
      const row = y * width;
      for (let x = 0; x < hw; x++) {
        const s = data[row + x] as number;
        const d = data[row + hw + x] as number;
        tmp[2 * x] = (s + d) * SQRT1_2;
        tmp[2 * x + 1] = (s - d) * SQRT1_2;
      }
      for (let x = 0; x < w; x++) data[row + x] = tmp[x] as number;
    }
  }
}

function checkLevels(width: number, height: number, levels: number): void {
  checkParam("levels", levels, (v) => Number.isInteger(v) && v >= 1, "an integer >= 1");
  const m = 2 ** levels;
  if (width % m !== 0 || height % m !== 0)
    throw new RangeError(
      `a ${levels}-level Haar transform needs sides that are multiples of ${m}, got ${width}x${height}`,
    );
}

const median = (values: Float64Array): number => {
  const sorted = values.slice().sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** median(|HH1|) / 0.6745 of one plane: the finest diagonal Haar details (sides padded to even). */
function planeSigma(plane: Float64Array, width: number, height: number): number {
  const p = padTo(plane, width, height, 2);
  const hw = p.width / 2;
  const hh = p.height / 2;
  const hh1 = new Float64Array(hw * hh);
  for (let y = 0; y < hh; y++) {
    for (let x = 0; x < hw; x++) {
      const i = 2 * y * p.width + 2 * x;
      const a = p.data[i] as number;
      const b = p.data[i + 1] as number;
      const c = p.data[i + p.width] as number;
      const d = p.data[i + p.width + 1] as number;
      hh1[y * hw + x] = Math.abs((a - b - c + d) / 2);
    }
  }
  return median(hh1) / 0.6745;
}

/**
 * The noise standard deviation of an image (on the [0, 1] scale), estimated per channel as
 * median(|HH1|) / 0.6745 over the finest diagonal Haar details, averaged over R, G, B.
 * Exact for white Gaussian noise on a flat image; textured images read somewhat high.
 *
 * @example
 * estimateNoiseSigma(noisy) * 255; // about 25 for noise of sigma 25/255 on a smooth image
 */
export function estimateNoiseSigma(img: RgbImage): number {
  const planes = toPlanes(img);
  return planes.reduce((sum, p) => sum + planeSigma(p, img.width, img.height), 0) / 3;
}

/** Options of `waveletDenoise`. */
export interface WaveletOptions {
  /** Decomposition levels (default 3). */
  readonly levels?: number;
  /**
   * 'rgb' (default): each of R, G, B on its own. 'ycbcr': the full-range BT.601 YCbCr channels
   * (JPEG's), each on its own, converted back after (scikit-image's `convert2ycbcr`).
   */
  readonly colorSpace?: "rgb" | "ycbcr";
  /**
   * Cycle spinning: average the result over shifts 0..n-1 in x and in y (n x n circular
   * shifts; 1, the default, is no spinning). Removes most of Haar's blocking.
   */
  readonly shifts?: number;
  /** The noise sigma, when known (default: estimated per channel as `estimateNoiseSigma` does). */
  readonly sigma?: number;
}

/** BayesShrink soft-thresholding of one padded plane in place (details of every level). */
function bayesShrink(p: Padded, levels: number, sigma: number): void {
  const { data, width } = p;
  const variance = sigma * sigma;
  for (let level = 0; level < levels; level++) {
    const hw = p.width >> (level + 1);
    const hh = p.height >> (level + 1);
    // The three detail bands of this level: (x0, y0) of their top-left corners.
    for (const [x0, y0] of [
      [hw, 0],
      [0, hh],
      [hw, hh],
    ] as const) {
      let sum = 0;
      for (let y = 0; y < hh; y++) for (let x = 0; x < hw; x++) sum += (data[(y0 + y) * width + x0 + x] as number) ** 2;
      const signal = Math.sqrt(Math.max(sum / (hw * hh) - variance, 0));
      // No signal left above the noise: the threshold is infinite (the band is zeroed).
      const threshold = signal > 0 ? variance / signal : Infinity;
      for (let y = 0; y < hh; y++) {
        for (let x = 0; x < hw; x++) {
          const i = (y0 + y) * width + x0 + x;
          const c = data[i] as number;
          const m = Math.abs(c) - threshold;
          data[i] = m > 0 ? Math.sign(c) * m : 0;
        }
      }
    }
  }
}

/** Denoises one plane (no spinning): pad, transform, threshold, invert, crop. */
function denoisePlane(
  plane: Float64Array,
  width: number,
  height: number,
  levels: number,
  sigma: number | undefined,
): Float64Array {
  const s = sigma ?? planeSigma(plane, width, height);
  const p = padTo(plane, width, height, 2 ** levels);
  haarForward(p.data, p.width, p.height, levels);
  if (s > 0) bayesShrink(p, levels, s);
  haarInverse(p.data, p.width, p.height, levels);
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) out[y * width + x] = p.data[y * p.width + x] as number;
  return out;
}

/** The plane circularly shifted by (dx, dy) (dx, dy >= 0). */
function roll(plane: Float64Array, width: number, height: number, dx: number, dy: number): Float64Array {
  const out = new Float64Array(plane.length);
  for (let y = 0; y < height; y++) {
    const sy = (y + height - (dy % height)) % height;
    for (let x = 0; x < width; x++)
      out[y * width + x] = plane[sy * width + ((x + width - (dx % width)) % width)] as number;
  }
  return out;
}

const toYcbcr = (r: number, g: number, b: number): [number, number, number] => [
  0.299 * r + 0.587 * g + 0.114 * b,
  -0.168736 * r - 0.331264 * g + 0.5 * b + 0.5,
  0.5 * r - 0.418688 * g - 0.081312 * b + 0.5,
];
const fromYcbcr = (y: number, cb: number, cr: number): [number, number, number] => [
  y + 1.402 * (cr - 0.5),
  y - 0.344136 * (cb - 0.5) - 0.714136 * (cr - 0.5),
  y + 1.772 * (cb - 0.5),
];

/**
 * Haar wavelet denoising with BayesShrink soft thresholds: per channel (R, G, B or Y, Cb, Cr),
 * sigma estimated per channel unless given, each detail sub-band thresholded at
 * sigma^2 / sqrt(max(var(band) - sigma^2, 0)), the approximation kept. Output clamped to [0, 1].
 *
 * @example
 * const clean = waveletDenoise(noisy, { levels: 3, colorSpace: "ycbcr", shifts: 4 });
 */
export function waveletDenoise(img: RgbImage, options: WaveletOptions = {}): RgbImage {
  const levels = options.levels ?? 3;
  const shifts = options.shifts ?? 1;
  checkParam("levels", levels, (v) => Number.isInteger(v) && v >= 1 && v <= 12, "an integer in [1, 12]");
  checkParam("shifts", shifts, (v) => Number.isInteger(v) && v >= 1, "an integer >= 1");
  if (options.sigma !== undefined) checkParam("sigma", options.sigma, (v) => v >= 0, "a finite number >= 0");
  const { width, height } = img;
  const n = width * height;
  const planes = toPlanes(img);
  const ycbcr = (options.colorSpace ?? "rgb") === "ycbcr";
  if (ycbcr) {
    for (let i = 0; i < n; i++) {
      const [y, cb, cr] = toYcbcr(planes[0][i] as number, planes[1][i] as number, planes[2][i] as number);
      planes[0][i] = y;
      planes[1][i] = cb;
      planes[2][i] = cr;
    }
  }
  const denoised = planes.map((plane) => {
    // The sigma of the unshifted plane serves every shift.
    const sigma = options.sigma ?? planeSigma(plane, width, height);
    if (shifts === 1) return denoisePlane(plane, width, height, levels, sigma);
    const acc = new Float64Array(n);
    for (let dy = 0; dy < shifts; dy++) {
      for (let dx = 0; dx < shifts; dx++) {
        const back = roll(
          denoisePlane(roll(plane, width, height, dx, dy), width, height, levels, sigma),
          width,
          height,
          width - (dx % width),
          height - (dy % height),
        );
        for (let i = 0; i < n; i++) acc[i] = (acc[i] as number) + (back[i] as number);
      }
    }
    const k = 1 / (shifts * shifts);
    for (let i = 0; i < n; i++) acc[i] = (acc[i] as number) * k;
    return acc;
  });
  if (ycbcr) {
    for (let i = 0; i < n; i++) {
      const [r, g, b] = fromYcbcr(denoised[0]?.[i] as number, denoised[1]?.[i] as number, denoised[2]?.[i] as number);
      (denoised[0] as Float64Array)[i] = r;
      (denoised[1] as Float64Array)[i] = g;
      (denoised[2] as Float64Array)[i] = b;
    }
  }
  return fromPlanes(denoised, width, height);
}
