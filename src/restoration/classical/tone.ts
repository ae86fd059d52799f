/**
 * Classical low-light tools: a fixed gamma correction and CLAHE (contrast-limited adaptive
 * histogram equalization, Zuiderveld 1994, in OpenCV's form).
 */
import type { RgbImage } from "../image.js";
import { checkParam } from "./planes.js";

/**
 * Gamma correction with one exponent: out = in^(1 / gamma) on every sample (inputs clamped to
 * [0, 1] first). gamma > 1 brightens (the inverse of the low-light degradation J^gamma), gamma < 1
 * darkens, gamma = 1 is the identity.
 *
 * @example
 * gammaCorrect(img, 2); // 0.25 -> 0.5, 0.81 -> 0.9, 0 and 1 unchanged
 */
export function gammaCorrect(img: RgbImage, gamma: number): RgbImage {
  checkParam("gamma", gamma, (g) => g > 0, "a finite number > 0");
  const e = 1 / gamma;
  const src = img.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i] as number;
    out[i] = v > 0 ? (v < 1 ? Math.pow(v, e) : 1) : 0;
  }
  return { width: img.width, height: img.height, data: out };
}

/** Options of `clahe`. */
export interface ClaheOptions {
  /**
   * Clip limit as a multiple of a tile's mean bin height (OpenCV's `clipLimit`): histogram bins
   * are cut at clipLimit x pixels / bins and the excess spread evenly over all bins. At 1 (the
   * least; smaller values count as 1) every histogram is cut to nearly uniform, so the mapping
   * stays near the identity; larger values allow stronger equalization. Typical: 2 to 4.
   */
  readonly clipLimit: number;
  /** Tiles per side (OpenCV's `tileGridSize` n x n); 1 is one global, clipped equalization. */
  readonly tiles: number;
  /** Histogram bins (default 256). */
  readonly bins?: number;
}

/** The tile boundaries along one axis: n tiles of floor-divided, near-equal length. */
const tileBounds = (length: number, n: number): number[] =>
  Array.from({ length: n + 1 }, (_, i) => Math.floor((i * length) / n));

/** The clipped-histogram mapping of one tile: value bin -> output in [0, 1] (mid-rank of the bin). */
function tileLut(
  values: Float64Array,
  width: number,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  bins: number,
  clipLimit: number,
): Float64Array {
  const hist = new Float64Array(bins);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const v = values[y * width + x] as number;
      const b = Math.min(bins - 1, Math.floor(v * bins));
      hist[b] = (hist[b] as number) + 1;
    }
  }
  const count = (x1 - x0) * (y1 - y0);
  const limit = Math.max(clipLimit * (count / bins), count / bins);
  let excess = 0;
  for (let b = 0; b < bins; b++) {
    const h = hist[b] as number;
    if (h > limit) {
      excess += h - limit;
      hist[b] = limit;
    }
  }
  const share = excess / bins;
  const lut = new Float64Array(bins);
  let below = 0;
  for (let b = 0; b < bins; b++) {
    const h = (hist[b] as number) + share;
    // Mid-rank: a uniform histogram maps each bin to its own centre (the identity).
    lut[b] = (below + h / 2) / count;
    below += h;
  }
  return lut;
}

/**
 * CLAHE on the value channel V = max(R, G, B): V is equalized tile by tile with clipped
 * histograms, each pixel's new V bilinearly interpolated between the mappings of the four
 * nearest tile centres (as OpenCV), and R, G, B are scaled by V' / V, which keeps hue and
 * saturation (the same as scikit-image's `equalize_adapthist` working on HSV's V). Output in
 * [0, 1]. Tiles are floor(i x side / tiles) wide, so any image size works.
 *
 * @example
 * const brighter = clahe(dark, { clipLimit: 2, tiles: 4 });
 */
export function clahe(img: RgbImage, options: ClaheOptions): RgbImage {
  const bins = options.bins ?? 256;
  checkParam("clipLimit", options.clipLimit, (v) => v > 0, "a finite number > 0");
  checkParam("tiles", options.tiles, (v) => Number.isInteger(v) && v >= 1, "an integer >= 1");
  checkParam("bins", bins, (v) => Number.isInteger(v) && v >= 2, "an integer >= 2");
  const { width, height, data } = img;
  const n = width * height;
  const value = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.max(data[3 * i] as number, data[3 * i + 1] as number, data[3 * i + 2] as number);
    value[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  const tx = Math.min(options.tiles, width);
  const ty = Math.min(options.tiles, height);
  const bx = tileBounds(width, tx);
  const by = tileBounds(height, ty);
  const luts: Float64Array[] = [];
  for (let j = 0; j < ty; j++) {
    for (let i = 0; i < tx; i++)
      luts.push(
        tileLut(
          value,
          width,
          bx[i] as number,
          bx[i + 1] as number,
          by[j] as number,
          by[j + 1] as number,
          bins,
          options.clipLimit,
        ),
      );
  }
  // Tile centres, in pixel coordinates; a pixel between centres i and i + 1 blends their mappings.
  const cx = Array.from({ length: tx }, (_, i) => ((bx[i] as number) + (bx[i + 1] as number) - 1) / 2);
  const cy = Array.from({ length: ty }, (_, j) => ((by[j] as number) + (by[j + 1] as number) - 1) / 2);
  const locate = (centres: number[], p: number): [number, number, number] => {
    const last = centres.length - 1;
    if (p <= (centres[0] as number)) return [0, 0, 0];
    if (p >= (centres[last] as number)) return [last, last, 0];
    let k = 0;
    while (p > (centres[k + 1] as number)) k++;
    return [k, k + 1, (p - (centres[k] as number)) / ((centres[k + 1] as number) - (centres[k] as number))];
  };
  const xs = Array.from({ length: width }, (_, x) => locate(cx, x));
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    const [j0, j1, fy] = locate(cy, y);
    for (let x = 0; x < width; x++) {
      const [i0, i1, fx] = xs[x] as [number, number, number];
      const p = y * width + x;
      const v = value[p] as number;
      const b = Math.min(bins - 1, Math.floor(v * bins));
      const top =
        (1 - fx) * ((luts[j0 * tx + i0] as Float64Array)[b] as number) +
        fx * ((luts[j0 * tx + i1] as Float64Array)[b] as number);
      const bottom =
        (1 - fx) * ((luts[j1 * tx + i0] as Float64Array)[b] as number) +
        fx * ((luts[j1 * tx + i1] as Float64Array)[b] as number);
      const mapped = (1 - fy) * top + fy * bottom;
      for (let c = 0; c < 3; c++) {
        const s = data[3 * p + c] as number;
        const o = v > 1e-6 ? ((s > 0 ? s : 0) * mapped) / v : mapped;
        out[3 * p + c] = o > 0 ? (o < 1 ? o : 1) : 0;
      }
    }
  }
  return { width, height, data: out };
}
