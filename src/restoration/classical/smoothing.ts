/**
 * Classical smoothing filters: Gaussian, median and bilateral (Tomasi and Manduchi 1998).
 * Borders reflect-101 (OpenCV's default), every filter on the [0, 1] float scale.
 */
import { convolveSeparable, gaussianKernel1d, reflect101 } from "../degradations/filters.js";
import type { RgbImage } from "../image.js";
import { checkParam } from "./planes.js";

/** The radius of a Gaussian kernel truncated at 3 sigma (at least 1). */
export const gaussianRadius = (sigma: number): number => Math.max(1, Math.ceil(3 * sigma));

/**
 * Gaussian smoothing of each channel, kernel of 2 ceil(3 sigma) + 1 taps, reflect-101 borders.
 * Output clamped to [0, 1].
 *
 * @example
 * const soft = gaussianSmooth(img, 1.5);
 */
export function gaussianSmooth(img: RgbImage, sigma: number): RgbImage {
  checkParam("sigma", sigma, (v) => v > 0, "a finite number > 0");
  const k = gaussianKernel1d(2 * gaussianRadius(sigma) + 1, sigma);
  const data = convolveSeparable(img.data, img.width, img.height, 3, k, k);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    data[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  return { width: img.width, height: img.height, data };
}

/** k-th smallest of values[0..n) (quickselect, reorders values). */
function select(values: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const t = values[i] as number;
        values[i] = values[j] as number;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k] as number;
  }
  return values[k] as number;
}

/**
 * The median of the size x size window of each channel (each channel on its own),
 * reflect-101 borders.
 *
 * @example
 * const despeckled = medianFilter(img, 3);
 */
export function medianFilter(img: RgbImage, size: number): RgbImage {
  checkParam("size", size, (v) => Number.isInteger(v) && v >= 1 && v % 2 === 1, "an odd integer >= 1");
  const { width, height, data } = img;
  const r = (size - 1) / 2;
  const count = size * size;
  const window = new Float64Array(count);
  const out = new Float32Array(data.length);
  const mid = count >> 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let k = 0;
        for (let dy = -r; dy <= r; dy++) {
          const row = reflect101(y + dy, height) * width;
          for (let dx = -r; dx <= r; dx++) window[k++] = data[(row + reflect101(x + dx, width)) * 3 + c] as number;
        }
        out[(y * width + x) * 3 + c] = select(window, count, mid);
      }
    }
  }
  return { width, height, data: out };
}

/** Options of `bilateralFilter`. */
export interface BilateralOptions {
  /** Spatial Gaussian sigma in pixels; the window reaches ceil(3 sigma) pixels each way. */
  readonly sigmaSpace: number;
  /** Range Gaussian sigma on the [0, 1] scale, applied to the Euclidean RGB distance. */
  readonly sigmaColor: number;
}

/**
 * The bilateral filter: each pixel the average of its window weighted by
 * exp(-|dp|^2 / (2 sigmaSpace^2)) x exp(-|dI|^2 / (2 sigmaColor^2)), |dI| the Euclidean distance
 * between the two RGB values (the channels share one weight, as scikit-image's
 * `denoise_bilateral`), reflect-101 borders. Smooths flat regions, keeps edges higher than
 * sigmaColor.
 *
 * @example
 * const smooth = bilateralFilter(img, { sigmaSpace: 2, sigmaColor: 0.1 });
 */
export function bilateralFilter(img: RgbImage, options: BilateralOptions): RgbImage {
  const { sigmaSpace, sigmaColor } = options;
  checkParam("sigmaSpace", sigmaSpace, (v) => v > 0, "a finite number > 0");
  checkParam("sigmaColor", sigmaColor, (v) => v > 0, "a finite number > 0");
  const { width, height, data } = img;
  const r = gaussianRadius(sigmaSpace);
  const side = 2 * r + 1;
  const spatial = new Float64Array(side * side);
  for (let dy = -r; dy <= r; dy++)
    for (let dx = -r; dx <= r; dx++)
      spatial[(dy + r) * side + dx + r] = Math.exp(-(dx * dx + dy * dy) / (2 * sigmaSpace * sigmaSpace));
  const rangeScale = -1 / (2 * sigmaColor * sigmaColor);
  const cols = Int32Array.from({ length: width + 2 * r }, (_, i) => reflect101(i - r, width));
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const centre = (y * width + x) * 3;
      const cr = data[centre] as number;
      const cg = data[centre + 1] as number;
      const cb = data[centre + 2] as number;
      let sr = 0;
      let sg = 0;
      let sb = 0;
      let sw = 0;
      for (let dy = -r; dy <= r; dy++) {
        const row = reflect101(y + dy, height) * width;
        const srow = (dy + r) * side + r;
        for (let dx = -r; dx <= r; dx++) {
          const s = (row + (cols[x + dx + r] as number)) * 3;
          const vr = data[s] as number;
          const vg = data[s + 1] as number;
          const vb = data[s + 2] as number;
          const d2 = (vr - cr) * (vr - cr) + (vg - cg) * (vg - cg) + (vb - cb) * (vb - cb);
          const w = (spatial[srow + dx] as number) * Math.exp(d2 * rangeScale);
          sr += w * vr;
          sg += w * vg;
          sb += w * vb;
          sw += w;
        }
      }
      out[centre] = sr / sw;
      out[centre + 1] = sg / sw;
      out[centre + 2] = sb / sw;
    }
  }
  return { width, height, data: out };
}
