import { readFileSync } from "node:fs";
import { PNG } from "pngjs";

import type { RgbImage } from "../../../src/restoration/image.js";

/**
 * Independent float64 references of PSNR and SSIM, written straight from the published formulas
 * (BasicSR's calculate_psnr / calculate_ssim and scikit-image's peak_signal_noise_ratio /
 * structural_similarity), kept apart from src/restoration/metrics so that tests compare two
 * implementations. Deliberately naive: nested arrays, every window summed directly. The same
 * definitions as the ones inside test/restoration/metrics.test.ts.
 */

/** Reads an 8-bit PNG with pngjs directly (not through src/restoration/io): samples byte / 255. */
export function readPngReference(path: string): RgbImage {
  const png = PNG.sync.read(readFileSync(path));
  const data = new Float32Array(png.width * png.height * 3);
  for (let p = 0; p < png.width * png.height; p++) {
    for (let c = 0; c < 3; c++) data[p * 3 + c] = (png.data[p * 4 + c] as number) / 255;
  }
  return { width: png.width, height: png.height, data };
}

/** Channel planes as the convention sees them (8-bit rounded for BasicSR), optionally Y, cropped. */
function refPlanes(img: RgbImage, quantize: boolean, crop: number, yChannel: boolean): number[][][] {
  const rows: number[][][] = [];
  for (let y = crop; y < img.height - crop; y++) {
    const row: number[][] = [];
    for (let x = crop; x < img.width - crop; x++) {
      const rgb = [0, 1, 2].map((c) => {
        const v = Math.min(1, Math.max(0, img.data[(y * img.width + x) * 3 + c] as number));
        return quantize ? Math.round(v * 255) : v;
      });
      if (!yChannel) row.push(rgb);
      else {
        const [r, g, b] = quantize ? rgb.map((v) => v / 255) : rgb;
        const luma = 16 + 65.481 * r! + 128.553 * g! + 24.966 * b!; // BT.601 studio range, 0-255 scale
        row.push([quantize ? luma : luma / 255]);
      }
    }
    rows.push(row);
  }
  return rows; // [y][x][c]
}

export function refPsnr(a: RgbImage, b: RgbImage, quantize: boolean, crop = 0, yChannel = false): number {
  const pa = refPlanes(a, quantize, crop, yChannel);
  const pb = refPlanes(b, quantize, crop, yChannel);
  let sum = 0;
  let n = 0;
  pa.forEach((row, y) =>
    row.forEach((px, x) =>
      px.forEach((v, c) => {
        sum += (v - pb[y]![x]![c]!) ** 2;
        n++;
      }),
    ),
  );
  const peak = quantize ? 255 : 1;
  return 10 * Math.log10((peak * peak) / (sum / n));
}

/** SSIM by the definition: for each valid window, weighted means, variances and covariance. */
export function refSsim(
  a: RgbImage,
  b: RgbImage,
  convention: "basicsr" | "skimage",
  crop = 0,
  yChannel = false,
): number {
  const quantize = convention === "basicsr";
  const pa = refPlanes(a, quantize, crop, yChannel);
  const pb = refPlanes(b, quantize, crop, yChannel);
  const size = quantize ? 11 : 7;
  const weights: number[][] = [];
  if (quantize) {
    // 2-D Gaussian, sigma 1.5, normalized over the 11x11 window.
    let total = 0;
    for (let i = 0; i < size; i++) {
      weights.push([]);
      for (let j = 0; j < size; j++) {
        const w = Math.exp(-((i - 5) ** 2 + (j - 5) ** 2) / (2 * 1.5 * 1.5));
        weights[i]!.push(w);
        total += w;
      }
    }
    for (const row of weights) row.forEach((w, j) => (row[j] = w / total));
  } else {
    for (let i = 0; i < size; i++) weights.push(Array(size).fill(1 / (size * size)));
  }
  const L = quantize ? 255 : 1;
  const c1 = (0.01 * L) ** 2;
  const c2 = (0.03 * L) ** 2;
  const channels = pa[0]![0]!.length;
  const h = pa.length;
  const w = pa[0]!.length;
  let total = 0;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    let count = 0;
    for (let y = 0; y + size <= h; y++) {
      for (let x = 0; x + size <= w; x++) {
        let mx = 0;
        let my = 0;
        for (let i = 0; i < size; i++)
          for (let j = 0; j < size; j++) {
            mx += weights[i]![j]! * pa[y + i]![x + j]![c]!;
            my += weights[i]![j]! * pb[y + i]![x + j]![c]!;
          }
        let vx = 0;
        let vy = 0;
        let cxy = 0;
        for (let i = 0; i < size; i++)
          for (let j = 0; j < size; j++) {
            const dx = pa[y + i]![x + j]![c]! - mx;
            const dy = pb[y + i]![x + j]![c]! - my;
            vx += weights[i]![j]! * dx * dx;
            vy += weights[i]![j]! * dy * dy;
            cxy += weights[i]![j]! * dx * dy;
          }
        if (!quantize) {
          // scikit-image's sample covariance: N / (N - 1) with N = 49.
          const norm = (size * size) / (size * size - 1);
          vx *= norm;
          vy *= norm;
          cxy *= norm;
        }
        sum += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
        count++;
      }
    }
    total += sum / count;
  }
  return total / channels;
}
