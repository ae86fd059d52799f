/**
 * Non-local means (Buades, Coll and Morel 2005), in the fast form of Darbon et al. 2008 that
 * scikit-image's `denoise_nl_means(fast_mode=True)` uses: for every offset of the search window
 * the squared differences to the shifted image are box-summed over the patch with prefix sums,
 * so the cost is O(pixels x search^2), whatever the patch size (a 96x96 image with a 21x21
 * search window takes about a tenth of a second).
 *
 * Weights: w = exp(-max(d^2 - 2 sigma^2, 0) / h^2), d^2 the mean squared difference of the two
 * patches over their pixels and the three channels (the patch distance is shared by R, G, B),
 * the centre pixel's own weight included; borders reflect-101.
 */
import { reflect101 } from "../degradations/filters.js";
import type { RgbImage } from "../image.js";
import { checkParam } from "./planes.js";

/** Options of `nlmDenoise`. */
export interface NlmOptions {
  /** Patch side, odd (5 or 7 are usual). */
  readonly patch: number;
  /** Search window side, odd (e.g. 11 or 21): the offsets compared are within (search - 1) / 2. */
  readonly search: number;
  /** Filter strength h on the [0, 1] scale: larger averages more (about 0.4 to 1 x sigma). */
  readonly h: number;
  /** The noise sigma subtracted from the distances (2 sigma^2), as scikit-image's `sigma` (default 0). */
  readonly sigma?: number;
}

/**
 * Non-local means denoising of an RGB image; output clamped to [0, 1].
 *
 * @example
 * const sigma = estimateNoiseSigma(noisy);
 * const clean = nlmDenoise(noisy, { patch: 5, search: 11, h: 0.8 * sigma, sigma });
 */
export function nlmDenoise(img: RgbImage, options: NlmOptions): RgbImage {
  const { patch, search, h } = options;
  const sigma = options.sigma ?? 0;
  checkParam("patch", patch, (v) => Number.isInteger(v) && v >= 1 && v % 2 === 1, "an odd integer >= 1");
  checkParam("search", search, (v) => Number.isInteger(v) && v >= 1 && v % 2 === 1, "an odd integer >= 1");
  checkParam("h", h, (v) => v > 0, "a finite number > 0");
  checkParam("sigma", sigma, (v) => v >= 0, "a finite number >= 0");
  const { width, height, data } = img;
  const pr = (patch - 1) / 2;
  const sr = (search - 1) / 2;
  const margin = pr + sr;
  // The image padded by patch + search radius, planar, so every shifted patch reads inside it.
  const pw = width + 2 * margin;
  const ph = height + 2 * margin;
  const padded = [new Float64Array(pw * ph), new Float64Array(pw * ph), new Float64Array(pw * ph)] as const;
  for (let y = 0; y < ph; y++) {
    const sy = reflect101(y - margin, height) * width;
    for (let x = 0; x < pw; x++) {
      const s = (sy + reflect101(x - margin, width)) * 3;
      const d = y * pw + x;
      padded[0][d] = data[s] as number;
      padded[1][d] = data[s + 1] as number;
      padded[2][d] = data[s + 2] as number;
    }
  }
  // The region whose patch distances are needed: the image plus the patch radius around it.
  const rw = width + 2 * pr;
  const rh = height + 2 * pr;
  const diff = new Float64Array(rw * rh);
  const integral = new Float64Array((rw + 1) * (rh + 1));
  const acc = [
    new Float64Array(width * height),
    new Float64Array(width * height),
    new Float64Array(width * height),
  ] as const;
  const weights = new Float64Array(width * height);
  const norm = 1 / (3 * patch * patch);
  const invH2 = 1 / (h * h);
  const bias = 2 * sigma * sigma;
  const [p0, p1, p2] = padded;
  const [a0, a1, a2] = acc;
  for (let oy = -sr; oy <= sr; oy++) {
    for (let ox = -sr; ox <= sr; ox++) {
      // Squared differences between the region and its shifted twin, summed over the channels.
      for (let y = 0; y < rh; y++) {
        const base = (y + sr) * pw + sr;
        const shifted = base + oy * pw + ox;
        const row = y * rw;
        for (let x = 0; x < rw; x++) {
          const i = base + x;
          const j = shifted + x;
          const d0 = (p0[i] as number) - (p0[j] as number);
          const d1 = (p1[i] as number) - (p1[j] as number);
          const d2 = (p2[i] as number) - (p2[j] as number);
          diff[row + x] = d0 * d0 + d1 * d1 + d2 * d2;
        }
      }
      // 2-D prefix sums: integral[(y + 1) (rw + 1) + x + 1] = sum of diff over [0, y] x [0, x].
      for (let y = 0; y < rh; y++) {
        let rowSum = 0;
        const above = y * (rw + 1);
        const here = (y + 1) * (rw + 1);
        for (let x = 0; x < rw; x++) {
          rowSum += diff[y * rw + x] as number;
          integral[here + x + 1] = (integral[above + x + 1] as number) + rowSum;
        }
      }
      for (let y = 0; y < height; y++) {
        const top = y * (rw + 1);
        const bottom = (y + patch) * (rw + 1);
        const source = (y + margin + oy) * pw + margin + ox;
        for (let x = 0; x < width; x++) {
          const box =
            (integral[bottom + x + patch] as number) -
            (integral[top + x + patch] as number) -
            (integral[bottom + x] as number) +
            (integral[top + x] as number);
          const excess = box * norm - bias;
          const w = excess > 0 ? Math.exp(-excess * invH2) : 1;
          const o = y * width + x;
          const s = source + x;
          weights[o] = (weights[o] as number) + w;
          a0[o] = (a0[o] as number) + w * (p0[s] as number);
          a1[o] = (a1[o] as number) + w * (p1[s] as number);
          a2[o] = (a2[o] as number) + w * (p2[s] as number);
        }
      }
    }
  }
  const out = new Float32Array(data.length);
  for (let o = 0; o < width * height; o++) {
    const k = 1 / (weights[o] as number);
    for (let c = 0; c < 3; c++) {
      const v = ((acc[c] as Float64Array)[o] as number) * k;
      out[3 * o + c] = v > 0 ? (v < 1 ? v : 1) : 0;
    }
  }
  return { width, height, data: out };
}
