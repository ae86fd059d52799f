import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/core/random.js";
import { proceduralImage } from "../../src/restoration/data/procedural.js";
import type { RgbImage } from "../../src/restoration/image.js";
import { metricToJson, psnr, ssim } from "../../src/restoration/metrics/index.js";
import { addNoiseWithSigma } from "../../src/restoration/degradations/noise.js";
import { constantImage, imageFrom } from "./fixtures.js";
import { assertAllClose } from "../support/all-close.js";

// ---- Independent float64 references, written straight from the published formulas ----

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

function refPsnr(a: RgbImage, b: RgbImage, quantize: boolean, crop = 0, yChannel = false): number {
  const pa = refPlanes(a, quantize, crop, yChannel);
  const pb = refPlanes(b, quantize, crop, yChannel);
  let sum = 0;
  let n = 0;
  pa.forEach((row, y) => row.forEach((px, x) => px.forEach((v, c) => {
    sum += (v - pb[y]![x]![c]!) ** 2;
    n++;
  })));
  const peak = quantize ? 255 : 1;
  return 10 * Math.log10((peak * peak) / (sum / n));
}

/** SSIM by the definition: for each valid window, weighted means, variances and covariance. */
function refSsim(a: RgbImage, b: RgbImage, convention: "basicsr" | "skimage", crop = 0, yChannel = false): number {
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
        for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) {
          mx += weights[i]![j]! * pa[y + i]![x + j]![c]!;
          my += weights[i]![j]! * pb[y + i]![x + j]![c]!;
        }
        let vx = 0;
        let vy = 0;
        let cxy = 0;
        for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) {
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

const clean = proceduralImage(Rng.seeded(21), 29, 23);
const noisy = addNoiseWithSigma(clean, Rng.seeded(22), 20 / 255);
const close = (actual: number, expected: number, tol: number, what: string) => assertAllClose([actual], [expected], { atol: tol, rtol: 0 }, what);

test("identical images: PSNR +Infinity, SSIM 1, in both conventions; JSON writes 'Infinity'", () => {
  for (const convention of ["basicsr", "skimage"] as const) {
    assert.equal(psnr(clean, clean, { convention }), Infinity);
    close(ssim(clean, clean, { convention }), 1, 1e-12, convention);
  }
  assert.equal(metricToJson(Infinity), "Infinity");
  assert.equal(Number(metricToJson(Infinity)), Infinity);
  assert.equal(metricToJson(31.5), 31.5);
});

test("a uniform difference of d/255 gives PSNR 20 log10(255 / d) (BasicSR) and 20 log10(1 / delta) (skimage)", () => {
  for (const d of [1, 2, 5, 10]) {
    const a = constantImage(16, 16, 100 / 255);
    const b = constantImage(16, 16, (100 + d) / 255);
    close(psnr(a, b), 20 * Math.log10(255 / d), 1e-9, `d = ${d}`);
  }
  const a = constantImage(8, 8, 0.25);
  const b = constantImage(8, 8, 0.35);
  close(psnr(a, b, { convention: "skimage" }), 20 * Math.log10(1 / (Math.fround(0.35) - Math.fround(0.25))), 1e-9, "skimage");
});

test("BasicSR rounds to 8 bits first: differences below half a level vanish", () => {
  const a = constantImage(12, 12, 100 / 255);
  const b = constantImage(12, 12, 100.4 / 255);
  assert.equal(psnr(a, b), Infinity);
  assert.ok(Number.isFinite(psnr(a, b, { convention: "skimage" })));
});

test("Y channel: gray levels g map to 16 + 219 g / 255, so a gray step of d gives Y step 219 d / 255 (approx.)", () => {
  const a = constantImage(12, 12, 60 / 255);
  const b = constantImage(12, 12, 70 / 255);
  const yStep = (10 * (65.481 + 128.553 + 24.966)) / 255;
  close(psnr(a, b, { yChannel: true }), 20 * Math.log10(255 / yStep), 1e-9, "Y PSNR");
});

test("SSIM of two constant images is (2ab + c1) / (a^2 + b^2 + c1)", () => {
  const a = constantImage(16, 16, 50 / 255);
  const b = constantImage(16, 16, 80 / 255);
  const c1 = (0.01 * 255) ** 2;
  close(ssim(a, b), (2 * 50 * 80 + c1) / (50 * 50 + 80 * 80 + c1), 1e-12, "basicsr constant");
});

test("PSNR matches the reference in every convention, with and without crop and Y", () => {
  for (const convention of ["basicsr", "skimage"] as const) {
    for (const [crop, yChannel] of [[0, false], [3, false], [0, true], [4, true]] as const) {
      close(psnr(clean, noisy, { convention, cropBorder: crop, yChannel }), refPsnr(clean, noisy, convention === "basicsr", crop, yChannel), 1e-9, `${convention} crop ${crop} y ${yChannel}`);
    }
  }
});

test("SSIM matches the naive reference (BasicSR: Gaussian 11x11; skimage: uniform 7x7, sample covariance)", () => {
  for (const convention of ["basicsr", "skimage"] as const) {
    for (const [crop, yChannel] of [[0, false], [2, true]] as const) {
      const got = ssim(clean, noisy, { convention, cropBorder: crop, yChannel });
      close(got, refSsim(clean, noisy, convention, crop, yChannel), 1e-9, `${convention} crop ${crop} y ${yChannel}`);
      assert.ok(got > 0 && got < 1);
    }
  }
});

test("a fixed vector: a ramp against the ramp plus a checkerboard of +-4 levels", () => {
  const a = imageFrom(16, 16, (x, y, c) => (40 + 8 * x + 4 * y + 10 * c) / 255);
  const b = imageFrom(16, 16, (x, y, c) => (40 + 8 * x + 4 * y + 10 * c + ((x + y) % 2 === 0 ? 4 : -4)) / 255);
  // Every sample differs by exactly 4 levels: PSNR = 20 log10(255 / 4).
  close(psnr(a, b), 20 * Math.log10(255 / 4), 1e-9, "checkerboard PSNR");
  close(ssim(a, b), refSsim(a, b, "basicsr"), 1e-12, "checkerboard SSIM basicsr");
  close(ssim(a, b, { convention: "skimage" }), refSsim(a, b, "skimage"), 1e-12, "checkerboard SSIM skimage");
});

test("metric arguments are checked", () => {
  assert.throws(() => psnr(clean, constantImage(5, 5, 0)), /differ in size/);
  assert.throws(() => ssim(constantImage(10, 10, 0), constantImage(10, 10, 0)), /at least 11x11/);
  assert.throws(() => psnr(clean, noisy, { cropBorder: -1 }), /cropBorder/);
  assert.throws(() => psnr(clean, noisy, { cropBorder: 20 }), /leaves nothing/);
});
