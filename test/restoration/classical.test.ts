import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { Rng } from "../../src/core/random.js";
import {
  bilateralFilter,
  clahe,
  darkChannel,
  darkChannelPrior,
  estimateAtmosphericLight,
  estimateNoiseSigma,
  gammaCorrect,
  gaussianSmooth,
  guidedFilter,
  haarForward,
  haarInverse,
  medianFilter,
  nlmDenoise,
  tvDenoise,
  unsharpMask,
  waveletDenoise,
} from "../../src/restoration/classical/index.js";
import { addNoiseWithSigma, applyHaze, gaussianBlur } from "../../src/restoration/degradations/index.js";
import type { RgbImage } from "../../src/restoration/image.js";
import { psnr } from "../../src/restoration/metrics/index.js";
import { constantImage, imageFrom, outOfRange } from "./fixtures.js";

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);

/** Float PSNR (no 8-bit rounding), so small differences are not hidden by quantization. */
const floatPsnr = (a: RgbImage, b: RgbImage) => psnr(a, b, { convention: "skimage" });

/** A piecewise-constant colour image (blocks of 12 px), the usual denoising test scene. */
const blocks = (w: number, h: number): RgbImage =>
  imageFrom(w, h, (x, y, c) => {
    const k = Math.floor(x / 12) * 7 + Math.floor(y / 12) * 3 + c * 5;
    return 0.2 + 0.6 * ((k % 5) / 4);
  });

/** Standard deviation of channel c over the rectangle [x0, x1) x [y0, y1). */
const regionStd = (img: RgbImage, x0: number, x1: number, y0: number, y1: number, c = 0): number => {
  const vals: number[] = [];
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) vals.push(img.data[(y * img.width + x) * 3 + c] as number);
  const m = vals.reduce((a, b) => a + b, 0) / vals.length;
  return Math.sqrt(vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length);
};
const at = (img: RgbImage, x: number, y: number, c = 0) => img.data[(y * img.width + x) * 3 + c] as number;
const maxAbsDiff = (a: RgbImage, b: RgbImage) =>
  a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - (b.data[i] as number))), 0);

const clean = blocks(48, 48);
const noisy = addNoiseWithSigma(clean, Rng.seeded(7), 0.1);
const grey = constantImage(40, 40, 0.4);

test("gammaCorrect: out = in^(1/gamma), by hand", () => {
  const img = imageFrom(3, 2, (x, y) => [0, 0.25, 0.81, 1, -0.2, 1.3][y * 3 + x] as number);
  const out = gammaCorrect(img, 2);
  const expected = [0, 0.5, 0.9, 1, 0, 1];
  expected.forEach((e, i) => close(out.data[i * 3] as number, e, 1e-7, `sample ${i}`));
  close(at(gammaCorrect(img, 0.5), 1, 0), 0.0625, 1e-7, "gamma 0.5 darkens 0.25 to 0.0625");
  assert.equal(maxAbsDiff(gammaCorrect(clean, 1), clean), 0);
  assert.throws(() => gammaCorrect(img, 0), RangeError);
  assert.throws(() => gammaCorrect(img, Number.NaN), RangeError);
});

test("gammaCorrect inverts the low-light degradation J^gamma", () => {
  const dark = imageFrom(8, 8, (x, y, c) => ((x + 8 * y + c) / 70) ** 2.2);
  const back = gammaCorrect(dark, 2.2);
  close(
    maxAbsDiff(
      back,
      imageFrom(8, 8, (x, y, c) => (x + 8 * y + c) / 70),
    ),
    0,
    1e-6,
    "round trip",
  );
});

test("CLAHE: output in [0, 1], raises the contrast of a low-contrast image, keeps hue", () => {
  // A dim, low-contrast scene: values in [0.1, 0.2], red twice green, blue 0.
  const low = imageFrom(64, 64, (x, y, c) => {
    const v = 0.1 + 0.1 * (0.5 + 0.5 * Math.sin(x / 5) * Math.cos(y / 7));
    return c === 0 ? v : c === 1 ? v / 2 : 0;
  });
  for (const tiles of [1, 4, 8]) {
    const out = clahe(low, { clipLimit: 3, tiles });
    assert.equal(outOfRange(out), undefined);
    const before = regionStd(low, 0, 64, 0, 64);
    const after = regionStd(out, 0, 64, 0, 64);
    assert.ok(after > 1.5 * before, `tiles ${tiles}: std ${after} should be > 1.5 x ${before}`);
    // Hue and saturation kept: R, G, B scaled together.
    close(at(out, 10, 20, 1) / at(out, 10, 20, 0), 0.5, 1e-5, "G / R");
    assert.equal(at(out, 10, 20, 2), 0);
  }
  // A higher clip limit equalizes more.
  assert.ok(
    regionStd(clahe(low, { clipLimit: 8, tiles: 4 }), 0, 64, 0, 64) >
      regionStd(clahe(low, { clipLimit: 1.5, tiles: 4 }), 0, 64, 0, 64),
  );
  // Odd sizes, random content: still in range.
  const rough = imageFrom(37, 23, (x, y, c) => ((x * 31 + y * 17 + c * 7) % 13) / 12);
  assert.equal(outOfRange(clahe(rough, { clipLimit: 2, tiles: 8 })), undefined);
  assert.throws(() => clahe(low, { clipLimit: 2, tiles: 0 }), RangeError);
});

test("dark channel prior: recovers a synthetic hazy scene made with known transmission and airlight", () => {
  const w = 64;
  const h = 64;
  const sky = 6; // rows 0..5: sky, J = A (the brightest dark channel: where A is read)
  const A = 0.9;
  const rng = Rng.seeded(3);
  // Below the sky: saturated colours, one channel 0 in every pixel (the prior holds exactly).
  const scene = imageFrom(w, h, () => 0);
  for (let p = 0; p < w * h; p++) {
    const zero = Math.floor(rng.uniform(0, 3));
    for (let c = 0; c < 3; c++) scene.data[p * 3 + c] = p < sky * w ? A : c === zero ? 0 : rng.uniform(0.2, 1);
  }
  assert.ok(
    darkChannel(scene, 3)
      .slice((sky + 1) * w)
      .every((v) => v === 0),
    "haze-free dark channel is 0 below the sky",
  );
  // Transmission 0.3 at the top to 0.9 at the bottom: t = exp(-beta d) with beta = 1, d = -ln t.
  const t = (y: number) => 0.3 + (0.6 * y) / (h - 1);
  const depth = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) depth[y * w + x] = -Math.log(t(y));
  const hazy = applyHaze(scene, depth, 1, A);
  const { image, transmission, airlight } = darkChannelPrior(hazy, { patch: 3, omega: 1, t0: 0.1 });
  airlight.forEach((a) => close(a, A, 1e-6, "airlight"));
  // Away from the sky's edge (one patch radius), t and J come back closely.
  const from = sky + 2;
  let worstT = 0;
  for (let y = from; y < h; y++)
    for (let x = 0; x < w; x++) worstT = Math.max(worstT, Math.abs((transmission[y * w + x] as number) - t(y)));
  assert.ok(worstT < 0.012, `transmission error ${worstT}`);
  const crop = (img: RgbImage) => ({ width: w, height: h - from, data: img.data.slice(from * w * 3) });
  const recovered = floatPsnr(crop(image), crop(scene));
  assert.ok(recovered > 35, `dehazed PSNR ${recovered}`);
  const input = floatPsnr(crop(hazy), crop(scene));
  assert.ok(recovered > input + 20, `hazy input ${input} dB, dehazed ${recovered} dB`);
  // The guided-filter refinement keeps it close on this smooth transmission.
  const refined = darkChannelPrior(hazy, { patch: 3, omega: 1, t0: 0.1, guidedRadius: 4, guidedEps: 1e-3 });
  assert.ok(floatPsnr(crop(refined.image), crop(scene)) > 25);
  assert.throws(() => darkChannelPrior(hazy, { patch: 4, omega: 1, t0: 0.1 }), RangeError);
});

test("atmospheric light: the brightest input pixel among the top 0.1% of the dark channel (naive reference)", () => {
  for (const seed of [1, 2, 3]) {
    const rng = Rng.seeded(seed);
    // Quantized values, so the dark channel has many ties.
    const img = imageFrom(100, 70, () => Math.round(rng.uniform(0, 1) * 20) / 20);
    const dark = darkChannel(img, 5);
    const count = Math.round(100 * 70 * 0.001);
    const top = Array.from(dark.keys())
      .sort((a, b) => (dark[b] as number) - (dark[a] as number) || a - b)
      .slice(0, count);
    const sum = (i: number) =>
      (img.data[3 * i] as number) + (img.data[3 * i + 1] as number) + (img.data[3 * i + 2] as number);
    const best = top.reduce((b, i) => (sum(i) > sum(b) || (sum(i) === sum(b) && i < b) ? i : b));
    const expected = [0, 1, 2].map((c) => img.data[3 * best + c] as number);
    assert.deepEqual(estimateAtmosphericLight(img, dark), expected, `seed ${seed}`);
  }
});

test("guided filter: a constant input stays constant, an input equal to the guide is kept at small eps", () => {
  const n = 30 * 20;
  const guide = Float64Array.from({ length: n }, (_, i) => ((i * 37) % 11) / 10);
  const flat = guidedFilter(guide, new Float64Array(n).fill(0.3), 30, 20, 3, 1e-3);
  assert.ok(flat.every((v) => Math.abs(v - 0.3) < 1e-9));
  const self = guidedFilter(guide, guide, 30, 20, 3, 1e-6);
  assert.ok(self.every((v, i) => Math.abs(v - (guide[i] as number)) < 1e-3));
});

test("TV (Chambolle): removes known noise by a clear margin; a constant image stays constant", () => {
  const before = floatPsnr(noisy, clean);
  const after = floatPsnr(tvDenoise(noisy, { weight: 0.1 }), clean);
  assert.ok(after > before + 6, `TV: ${before.toFixed(2)} -> ${after.toFixed(2)} dB`);
  assert.equal(maxAbsDiff(tvDenoise(grey, { weight: 0.2 }), grey), 0);
  assert.equal(maxAbsDiff(tvDenoise(noisy, { weight: 0 }), noisy), 0);
  // More weight, smoother.
  assert.ok(
    regionStd(tvDenoise(noisy, { weight: 0.2 }), 14, 22, 14, 22) <
      regionStd(tvDenoise(noisy, { weight: 0.05 }), 14, 22, 14, 22),
  );
});

test("Haar: perfect reconstruction, orthonormal, the documented 2x2 example", () => {
  const plane = Float64Array.from([1, 2, 3, 4]);
  haarForward(plane, 2, 2, 1);
  assert.deepEqual(
    Array.from(plane).map((v) => Number(v.toFixed(12))),
    [5, -1, -2, 0],
  );
  const data = Float64Array.from({ length: 32 * 16 }, (_, i) => Math.sin(i * 0.37) + ((i * 13) % 7));
  const copy = data.slice();
  haarForward(data, 32, 16, 3);
  const energy = (a: Float64Array) => a.reduce((s, v) => s + v * v, 0);
  close(energy(data), energy(copy), 1e-8 * energy(copy), "energy");
  haarInverse(data, 32, 16, 3);
  assert.ok(data.every((v, i) => Math.abs(v - (copy[i] as number)) < 1e-12));
  assert.throws(() => haarForward(new Float64Array(12 * 8), 12, 8, 3), RangeError);
});

test("noise estimate: median(|HH1|) / 0.6745 reads the sigma of white noise on a flat image", () => {
  for (const sigma of [0.05, 0.1]) {
    const img = addNoiseWithSigma(constantImage(96, 96, 0.5), Rng.seeded(11), sigma);
    close(estimateNoiseSigma(img), sigma, 0.1 * sigma, `sigma ${sigma}`);
  }
  assert.equal(estimateNoiseSigma(grey), 0);
});

test("wavelet BayesShrink: removes known noise by a clear margin, any size; a constant image stays constant", () => {
  const before = floatPsnr(noisy, clean);
  for (const options of [{ levels: 3 }, { levels: 2, colorSpace: "ycbcr" as const, shifts: 4 }]) {
    const after = floatPsnr(waveletDenoise(noisy, options), clean);
    assert.ok(after > before + 5, `${JSON.stringify(options)}: ${before.toFixed(2)} -> ${after.toFixed(2)} dB`);
  }
  assert.ok(maxAbsDiff(waveletDenoise(grey, { levels: 3, colorSpace: "ycbcr", shifts: 2 }), grey) < 1e-6);
  // Odd sizes are padded symmetrically and cropped back.
  const odd = addNoiseWithSigma(blocks(37, 29), Rng.seeded(5), 0.1);
  const out = waveletDenoise(odd, { levels: 3 });
  assert.equal(out.width, 37);
  assert.equal(out.height, 29);
  assert.ok(floatPsnr(out, blocks(37, 29)) > floatPsnr(odd, blocks(37, 29)) + 3);
});

test("non-local means: removes known noise by a clear margin; a constant image stays constant", () => {
  const before = floatPsnr(noisy, clean);
  const after = floatPsnr(nlmDenoise(noisy, { patch: 5, search: 11, h: 0.08, sigma: 0.1 }), clean);
  assert.ok(after > before + 6, `NLM: ${before.toFixed(2)} -> ${after.toFixed(2)} dB`);
  assert.ok(maxAbsDiff(nlmDenoise(grey, { patch: 7, search: 11, h: 0.05 }), grey) < 1e-6);
  const odd = nlmDenoise(addNoiseWithSigma(blocks(23, 17), Rng.seeded(2), 0.1), {
    patch: 5,
    search: 7,
    h: 0.1,
    sigma: 0.1,
  });
  assert.equal(odd.width * odd.height, 23 * 17);
  assert.equal(outOfRange(odd), undefined);
  assert.throws(() => nlmDenoise(noisy, { patch: 4, search: 11, h: 0.1 }), RangeError);
});

/** A vertical step edge: 0.2 left of x = 24, 0.8 from it on. */
const step = imageFrom(48, 16, (x) => (x < 24 ? 0.2 : 0.8));

test("unsharp mask: sharpens a blurred step edge; amount 0 is the identity", () => {
  const blurred = gaussianBlur(step, 9, 1.5);
  const sharpened = unsharpMask(blurred, { sigma: 1.5, amount: 1.5 });
  const slope = (img: RgbImage) => at(img, 24, 8) - at(img, 23, 8);
  assert.ok(slope(sharpened) > 1.3 * slope(blurred), `edge slope ${slope(blurred)} -> ${slope(sharpened)}`);
  assert.ok(floatPsnr(sharpened, step) > floatPsnr(blurred, step) + 1);
  assert.ok(maxAbsDiff(unsharpMask(blurred, { sigma: 2, amount: 0 }), blurred) < 1e-7);
  assert.equal(outOfRange(sharpened), undefined);
});

test("bilateral: keeps a step edge and smooths flat noise better than a Gaussian of the same spatial sigma", () => {
  const noisyStep = addNoiseWithSigma(step, Rng.seeded(9), 0.04);
  const bilateral = bilateralFilter(noisyStep, { sigmaSpace: 2, sigmaColor: 0.15 });
  const gaussian = gaussianSmooth(noisyStep, 2);
  assert.ok(
    floatPsnr(bilateral, step) > floatPsnr(gaussian, step) + 5,
    `bilateral ${floatPsnr(bilateral, step)} vs Gaussian ${floatPsnr(gaussian, step)}`,
  );
  // The edge: the two columns beside it keep their levels.
  close(at(bilateral, 23, 8), 0.2, 0.05, "left of the edge");
  close(at(bilateral, 24, 8), 0.8, 0.05, "right of the edge");
  // The flat regions: noise well down.
  assert.ok(regionStd(bilateral, 2, 18, 2, 14) < 0.5 * regionStd(noisyStep, 2, 18, 2, 14));
  assert.ok(maxAbsDiff(bilateralFilter(grey, { sigmaSpace: 1, sigmaColor: 0.1 }), grey) < 1e-6);
});

test("median and Gaussian smoothing: an isolated streak pixel is removed, a constant image stays constant", () => {
  const spotted = imageFrom(16, 16, (x, y) => (x === 8 && y === 8 ? 1 : 0.3));
  assert.ok(maxAbsDiff(medianFilter(spotted, 3), constantImage(16, 16, 0.3)) < 1e-7);
  assert.ok(maxAbsDiff(medianFilter(grey, 5), grey) === 0);
  assert.ok(maxAbsDiff(gaussianSmooth(grey, 1.5), grey) < 1e-6);
  assert.ok(floatPsnr(gaussianSmooth(noisy, 0.8), clean) > floatPsnr(noisy, clean) + 3);
  assert.ok(floatPsnr(medianFilter(noisy, 3), clean) > floatPsnr(noisy, clean) + 3);
  assert.throws(() => medianFilter(grey, 4), RangeError);
});

test("the classical tools import neither tfjs nor Node built-ins (pure image math)", () => {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "restoration", "classical");
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
  assert.ok(files.length >= 8, `found ${files.join(", ")}`);
  for (const file of files) {
    const imports = [...readFileSync(join(dir, file), "utf8").matchAll(/\bfrom\s+"([^"]+)"/g)].map(
      (m) => m[1] as string,
    );
    for (const spec of imports) {
      assert.ok(spec.startsWith("."), `${file} imports ${spec}: only relative (kit) imports allowed`);
      assert.ok(!/tfjs|tensorflow|platform|train\/|models\//.test(spec), `${file} imports ${spec}`);
    }
  }
});
