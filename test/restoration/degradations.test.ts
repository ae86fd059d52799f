import assert from "node:assert/strict";
import { test } from "node:test";

import { Rng } from "../../src/core/random.js";
import { proceduralImage } from "../../src/restoration/data/procedural.js";
import {
  addBicubicDownUp,
  addGaussianBlur,
  addGaussianNoise,
  addHaze,
  addJpegArtifacts,
  addJpegArtifactsJpegJs,
  addLowLight,
  addNoiseWithSigma,
  addRain,
  AIRNET_TASKS,
  applyGamma,
  applyHaze,
  bicubicDownUp,
  BLUR_KERNEL_SIZES,
  convolveSeparable,
  cubicWeight,
  DEGRADATIONS,
  degrade,
  fixedSigmaNoise,
  gaussianBlur,
  gaussianKernel1d,
  isTaskName,
  jpegArtifactsModel,
  jpegRoundTrip,
  MIOIR_TASKS,
  rainLayer,
  reflect101,
  resizeBicubic,
} from "../../src/restoration/degradations/index.js";
import type { RgbImage } from "../../src/restoration/image.js";
import { psnr } from "../../src/restoration/metrics/index.js";
import { constantImage, imageFrom, mean, outOfRange } from "./fixtures.js";

const clean = proceduralImage(Rng.seeded(31), 64, 64);
const small = proceduralImage(Rng.seeded(32), 16, 16);

test("registry: the MiOIR and AirNet task lists are registered with descriptions", () => {
  assert.deepEqual([...MIOIR_TASKS], ["sr", "blur", "noise", "jpeg", "rain", "haze", "lowlight"]);
  assert.deepEqual([...AIRNET_TASKS], ["noise15", "noise25", "noise50", "rain", "haze"]);
  for (const task of [...MIOIR_TASKS, ...AIRNET_TASKS]) {
    assert.ok(isTaskName(task));
    assert.equal(DEGRADATIONS[task].task, task);
    assert.ok(DEGRADATIONS[task].description.length > 10);
  }
  assert.ok(!isTaskName("snow"));
  assert.ok(!isTaskName("toString"));
});

test("every task: deterministic per seed, same size, float32 in [0, 1], input untouched, changes the image", () => {
  const before = clean.data.slice();
  for (const task of [...MIOIR_TASKS, ...AIRNET_TASKS]) {
    const a = degrade(task, clean, Rng.seeded(7));
    const b = degrade(task, clean, Rng.seeded(7));
    assert.deepEqual(a.image.data, b.image.data, `${task} is deterministic`);
    assert.deepEqual(a.params, b.params);
    assert.ok(a.image.data instanceof Float32Array);
    assert.deepEqual([a.image.width, a.image.height], [64, 64]);
    assert.equal(outOfRange(a.image), undefined, task);
    assert.ok(psnr(clean, a.image, { convention: "skimage" }) < 45, `${task} degrades`);
    if (task !== "sr") {
      const c = degrade(task, clean, Rng.seeded(8));
      assert.notDeepEqual(c.image.data, a.image.data, `${task} depends on the seed`);
    }
  }
  assert.deepEqual(clean.data, before);
});

test("drawn parameters stay in their documented ranges", () => {
  const kernelSizes = new Set<number>();
  const qualities = new Set<number>();
  const lengths = new Set<number>();
  for (let seed = 0; seed < 300; seed++) {
    const noise = addGaussianNoise(small, Rng.seeded(seed)).params;
    assert.ok(noise.sigma >= 15 / 255 && noise.sigma < 50 / 255);
    const blur = addGaussianBlur(small, Rng.seeded(seed)).params;
    assert.ok(BLUR_KERNEL_SIZES.includes(blur.kernelSize) && blur.sigma >= 1 && blur.sigma < 3);
    kernelSizes.add(blur.kernelSize);
    const jpeg = addJpegArtifacts(small, Rng.seeded(seed)).params;
    assert.ok(Number.isInteger(jpeg.quality) && jpeg.quality >= 30 && jpeg.quality <= 70);
    qualities.add(jpeg.quality);
    const rain = addRain(small, Rng.seeded(seed)).params;
    assert.ok(rain.angle >= -45 && rain.angle < 45 && rain.density >= 0.002 && rain.density < 0.01);
    assert.ok(Number.isInteger(rain.length) && rain.length >= 20 && rain.length <= 40);
    lengths.add(rain.length);
    const haze = addHaze(small, Rng.seeded(seed)).params;
    assert.ok(haze.beta >= 0.5 && haze.beta < 2.5 && haze.airlight >= 0.8 && haze.airlight < 1);
    const light = addLowLight(small, Rng.seeded(seed)).params;
    assert.ok(light.gamma >= 1 && light.gamma < 3);
  }
  assert.deepEqual(
    [...kernelSizes].sort((a, b) => a - b),
    [7, 9, 11, 13, 15, 17, 19, 21],
  );
  assert.ok(qualities.has(30) && qualities.has(70), "both ends of the quality range are reachable");
  assert.ok(lengths.has(20) && lengths.has(40));
  for (const [task, sigma] of [
    ["noise15", 15],
    ["noise25", 25],
    ["noise50", 50],
  ] as const) {
    assert.equal(degrade(task, small, Rng.seeded(1)).params.sigma, sigma / 255);
  }
});

test("noise: the residual's standard deviation is sigma (mid-grey image, clipping negligible)", () => {
  const grey = constantImage(128, 128, 0.5);
  for (const sigma255 of [15, 25]) {
    const { image } = fixedSigmaNoise(sigma255)(grey, Rng.seeded(sigma255));
    let s = 0;
    let s2 = 0;
    for (const v of image.data) {
      s += v - 0.5;
      s2 += (v - 0.5) ** 2;
    }
    const n = image.data.length;
    const std = Math.sqrt(s2 / n - (s / n) ** 2);
    assert.ok(Math.abs(std - sigma255 / 255) < 0.02 * (sigma255 / 255), `sigma ${sigma255}: std ${std * 255}`);
    assert.ok(Math.abs(s / n) < 0.002, "zero mean");
  }
});

/** Energy of the discrete Laplacian: a measure of high-frequency content. */
function laplacianEnergy(img: RgbImage): number {
  let e = 0;
  for (let y = 1; y < img.height - 1; y++) {
    for (let x = 1; x < img.width - 1; x++) {
      for (let c = 0; c < 3; c++) {
        const at = (xx: number, yy: number) => img.data[(yy * img.width + xx) * 3 + c] as number;
        const l = 4 * at(x, y) - at(x - 1, y) - at(x + 1, y) - at(x, y - 1) - at(x, y + 1);
        e += l * l;
      }
    }
  }
  return e;
}

test("blur: reduces high-frequency energy, more for larger sigma; keeps constants; reflect-101 borders", () => {
  const base = laplacianEnergy(clean);
  const light = laplacianEnergy(gaussianBlur(clean, 7, 1));
  const heavy = laplacianEnergy(gaussianBlur(clean, 21, 3));
  assert.ok(light < 0.5 * base && heavy < light, `${base} ${light} ${heavy}`);
  const flat = gaussianBlur(constantImage(9, 9, 0.3), 21, 3);
  assert.ok(
    flat.data.every((v) => Math.abs(v - Math.fround(0.3)) < 1e-6),
    "a kernel larger than the image still normalizes",
  );
  assert.deepEqual(
    [-2, -1, 0, 4, 5, 6, 13].map((i) => reflect101(i, 5)),
    [2, 1, 0, 4, 3, 2, 3],
  );
  // A single bright pixel on the left edge spreads symmetrically inward (mirrored, edge not repeated).
  const dot = imageFrom(9, 1, (x) => (x === 0 ? 1 : 0));
  const spread = gaussianBlur(dot, 3, 1);
  const w = Math.exp(-0.5) / (1 + 2 * Math.exp(-0.5));
  assert.ok(
    Math.abs((spread.data[0] as number) - (1 - 2 * w)) < 1e-6 && Math.abs((spread.data[3] as number) - w) < 1e-6,
  );
});

test("separable convolution equals the naive 2-D sum with reflect-101 borders (symmetric, asymmetric, oversized kernels)", () => {
  const w = 23;
  const h = 17;
  const src = Float32Array.from({ length: w * h * 3 }, (_, i) => Math.sin(i * 0.37) * 0.5 + 0.5);
  const pairs = [
    [gaussianKernel1d(7, 1.3), gaussianKernel1d(21, 3)],
    [Float64Array.of(0.1, 0.5, 0.4), Float64Array.of(0.2, 0.3, 0.5)],
    [gaussianKernel1d(31, 5), gaussianKernel1d(3, 0.8)],
  ] as const;
  for (const [kx, ky] of pairs) {
    const out = convolveSeparable(src, w, h, 3, kx, ky);
    const rx = (kx.length - 1) / 2;
    const ry = (ky.length - 1) / 2;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 3; c++) {
          let expected = 0;
          for (let j = 0; j < ky.length; j++) {
            for (let i = 0; i < kx.length; i++)
              expected +=
                (ky[j] as number) *
                (kx[i] as number) *
                (src[(reflect101(y + j - ry, h) * w + reflect101(x + i - rx, w)) * 3 + c] as number);
          }
          assert.ok(Math.abs(expected - (out[(y * w + x) * 3 + c] as number)) < 1e-6);
        }
      }
    }
  }
});

test("SR x4: a constant image stays constant; sizes not divisible by 4 keep their size", () => {
  const flat = bicubicDownUp(constantImage(30, 26, 0.42), 4);
  assert.ok(flat.data.every((v) => Math.abs(v - Math.fround(0.42)) < 1e-6));
  assert.deepEqual(
    [bicubicDownUp(clean, 4).width, bicubicDownUp(proceduralImage(Rng.seeded(3), 37, 23), 4).height],
    [64, 23],
  );
  assert.deepEqual(addBicubicDownUp(clean, Rng.seeded(1)).params, { scale: 4 });
});

test("bicubic of a linear ramp: the x4 downscale is exact inside (it samples at 4x + 1.5, midway)", () => {
  const ramp = imageFrom(64, 48, (x, y, c) => 0.1 + 0.006 * x + 0.004 * y + 0.05 * c);
  const low = resizeBicubic(ramp.data, 64, 48, 3, 16, 12, 0.25, 0.25);
  for (let y = 1; y < 11; y++) {
    for (let x = 1; x < 15; x++) {
      for (let c = 0; c < 3; c++) {
        const expected = 0.1 + 0.006 * (4 * x + 1.5) + 0.004 * (4 * y + 1.5) + 0.05 * c;
        assert.ok(Math.abs((low[(y * 16 + x) * 3 + c] as number) - expected) < 1e-6, `(${x}, ${y}, ${c})`);
      }
    }
  }
  // The x4 upscale samples at fractions 1/8, 3/8, 5/8, 7/8, where Keys' a = -0.75 kernel is not
  // linear-exact (only a = -0.5 is): the down-up ramp error stays periodic and below 0.17 of a step.
  const out = bicubicDownUp(ramp, 4);
  for (let y = 8; y < 40; y++) {
    for (let x = 8; x < 56; x++) {
      const i = (y * 64 + x) * 3;
      assert.ok(Math.abs((out.data[i] as number) - (ramp.data[i] as number)) < 0.17 * (0.006 + 0.004), `(${x}, ${y})`);
    }
  }
  // Keys' kernel reproduces linear functions for a = -0.5 at every fraction, and for a = -0.75 at 0.5.
  for (const t of [0.125, 0.375, 0.5, 0.875]) {
    const first = (a: number) => [-1, 0, 1, 2].reduce((s, k) => s + k * cubicWeight(t - k, a), 0);
    assert.ok(Math.abs(first(-0.5) - t) < 1e-12);
    if (t === 0.5) assert.ok(Math.abs(first(-0.75) - t) < 1e-12);
  }
  // And the resampler hits known samples: downscaling 8 -> 2 of a ramp samples at 1.5 and 5.5.
  const down = resizeBicubic(
    Float32Array.from({ length: 8 }, (_, i) => i),
    8,
    1,
    1,
    2,
    1,
  );
  assert.ok(Math.abs((down[0] as number) - 1.5) < 1e-6 && Math.abs((down[1] as number) - 5.5) < 1e-6);
});

test("JPEG: output is on the 8-bit grid, differs from the input, and shows 8x8 block structure", () => {
  const smooth = gaussianBlur(clean, 9, 2);
  const { image } = addJpegArtifacts(smooth, Rng.seeded(4), { quality: 30 });
  assert.ok(image.data.every((v) => Math.abs(v * 255 - Math.round(v * 255)) < 1e-4));
  assert.notDeepEqual(image.data, smooth.data);
  // Mean jump of the error across block boundaries vs. inside blocks.
  let across = 0;
  let inside = 0;
  let nAcross = 0;
  let nInside = 0;
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 63; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * 64 + x) * 3 + c;
        const e0 = (image.data[i] as number) - (smooth.data[i] as number);
        const e1 = (image.data[i + 3] as number) - (smooth.data[i + 3] as number);
        if (x % 8 === 7) {
          across += Math.abs(e1 - e0);
          nAcross++;
        } else {
          inside += Math.abs(e1 - e0);
          nInside++;
        }
      }
    }
  }
  assert.ok(across / nAcross > 1.3 * (inside / nInside), `blockiness ${across / nAcross} vs ${inside / nInside}`);
});

test("JPEG: the fast model agrees with jpeg-js's real encoder and decoder", () => {
  for (const [img, quality] of [
    [clean, 30],
    [clean, 70],
    [proceduralImage(Rng.seeded(5), 37, 21), 50],
  ] as const) {
    const model = jpegArtifactsModel(img, quality);
    const real = jpegRoundTrip(img, quality);
    // jpeg-js truncates its final colour conversion (the model rounds like libjpeg): ~half a level apart.
    assert.ok(psnr(model, real) > 44, `model vs jpeg-js at q${quality}: ${psnr(model, real)} dB`);
    assert.ok(
      Math.abs(psnr(img, model) - psnr(img, real)) < 0.6,
      `PSNR to clean: ${psnr(img, model)} vs ${psnr(img, real)}`,
    );
  }
  const viaJpegJs = addJpegArtifactsJpegJs(clean, Rng.seeded(9));
  assert.equal(
    viaJpegJs.params.quality,
    addJpegArtifacts(clean, Rng.seeded(9)).params.quality,
    "both draw the same quality",
  );
});

test("rain: brightens, is achromatic, and streaks follow the angle", () => {
  const { image } = addRain(clean, Rng.seeded(6));
  assert.ok(mean(image.data) > mean(clean.data));
  for (let i = 0; i < image.data.length; i++) assert.ok((image.data[i] as number) >= (clean.data[i] as number) - 1e-7);
  // Vertical streaks (angle 0): neighbours along y are far more alike than along x.
  const layer = rainLayer(96, 96, Rng.seeded(2), 0.01, 0, 30);
  let vertical = 0;
  let horizontal = 0;
  for (let y = 0; y < 95; y++) {
    for (let x = 0; x < 95; x++) {
      const v = layer[y * 96 + x] as number;
      vertical += Math.abs(v - (layer[(y + 1) * 96 + x] as number));
      horizontal += Math.abs(v - (layer[y * 96 + x + 1] as number));
    }
  }
  assert.ok(vertical < 0.5 * horizontal, `vertical ${vertical} vs horizontal ${horizontal}`);
  const max = layer.reduce((m, v) => Math.max(m, v), 0);
  assert.equal(max, 1, "the layer is min-max normalized");
  assert.ok(
    rainLayer(32, 32, Rng.seeded(1), 0, 10, 20).every((v) => v === 0),
    "no seeds, no rain",
  );
});

/** Mean of the per-pixel minimum over R, G, B (the dark channel with a 1-pixel patch). */
function darkChannelMean(img: RgbImage): number {
  let s = 0;
  for (let p = 0; p < img.width * img.height; p++)
    s += Math.min(img.data[p * 3] as number, img.data[p * 3 + 1] as number, img.data[p * 3 + 2] as number);
  return s / (img.width * img.height);
}

test("haze: raises the dark channel and lowers contrast; beta = 0 is the identity", () => {
  for (let seed = 0; seed < 5; seed++) {
    const { image } = addHaze(clean, Rng.seeded(seed));
    assert.ok(darkChannelMean(image) > darkChannelMean(clean) + 0.05, `seed ${seed}`);
  }
  const depth = new Float32Array(64 * 64).fill(0.7);
  assert.deepEqual(applyHaze(clean, depth, 0, 0.9).data, clean.data);
  const hazed = applyHaze(constantImage(4, 4, 0.2), new Float32Array(16).fill(1), 1, 0.9);
  assert.ok(Math.abs((hazed.data[0] as number) - (0.2 * Math.exp(-1) + 0.9 * (1 - Math.exp(-1)))) < 1e-6);
});

test("low light: darkens every pixel (J^gamma <= J), gamma = 1 is the identity, 0.5^2 = 0.25", () => {
  const { image, params } = addLowLight(clean, Rng.seeded(3));
  assert.ok(params.gamma > 1);
  for (let i = 0; i < image.data.length; i++) assert.ok((image.data[i] as number) <= (clean.data[i] as number) + 1e-7);
  assert.ok(mean(image.data) < mean(clean.data));
  assert.deepEqual(addLowLight(clean, Rng.seeded(3), { gamma: 1 }).image.data, clean.data);
  assert.equal(addLowLight(constantImage(2, 2, 0.5), Rng.seeded(3), { gamma: 2 }).image.data[0], 0.25);
  // The interpolated table stays within 4e-6 of Math.pow (a thousandth of an 8-bit level).
  for (const gamma of [1.1, 1.3, 2.2, 3]) {
    const out = addLowLight(clean, Rng.seeded(3), { gamma }).image;
    for (let i = 0; i < out.data.length; i++) {
      assert.ok(
        Math.abs((out.data[i] as number) - Math.pow(clean.data[i] as number, gamma)) < 4e-6,
        `gamma ${gamma}, sample ${i}`,
      );
    }
    assert.ok(Math.abs((applyGamma(constantImage(1, 1, 1), gamma).data[0] as number) - 1) < 1e-12);
  }
  assert.ok(
    Math.abs((applyGamma(constantImage(1, 1, 0.25), 0.5).data[0] as number) - 0.5) < 1e-7,
    "gamma < 1 is supported",
  );
});

test("explicit parameters override the draws and are reported back", () => {
  assert.deepEqual(addGaussianBlur(small, Rng.seeded(1), { kernelSize: 9, sigma: 2 }).params, {
    kernelSize: 9,
    sigma: 2,
  });
  assert.deepEqual(addJpegArtifacts(small, Rng.seeded(1), { quality: 42 }).params, { quality: 42 });
  assert.deepEqual(addRain(small, Rng.seeded(1), { angle: 10, length: 25, density: 0.005, beta: 0.5 }).params, {
    angle: 10,
    length: 25,
    density: 0.005,
    beta: 0.5,
  });
  assert.deepEqual(addGaussianNoise(small, Rng.seeded(1), { sigma: 0.1 }).params, { sigma: 0.1 });
  assert.deepEqual(addLowLight(small, Rng.seeded(1), { gamma: 2.5 }).params, { gamma: 2.5 });
  assert.throws(() => addGaussianBlur(small, Rng.seeded(1), { kernelSize: 8 }), RangeError);
  assert.throws(() => addGaussianNoise(small, Rng.seeded(1), { sigma: -1 }), RangeError);
});

test("explicit parameters are the ones the image was made with, not only the ones reported", () => {
  const same = (a: RgbImage, b: RgbImage, what: string) => assert.deepEqual(a.data, b.data, what);
  const differs = (a: RgbImage, b: RgbImage, what: string) => assert.notDeepEqual(a.data, b.data, what);
  // Blur: the image is the fixed-parameter blur, and not the one with the seed's own draws.
  const blurred = addGaussianBlur(small, Rng.seeded(1), { kernelSize: 9, sigma: 2 }).image;
  same(blurred, gaussianBlur(small, 9, 2), "blur kernelSize 9, sigma 2");
  differs(blurred, addGaussianBlur(small, Rng.seeded(1)).image, "blur with drawn parameters");
  same(
    addGaussianBlur(small, Rng.seeded(1), { kernelSize: 9, sigma: 2.5 }).image,
    gaussianBlur(small, 9, 2.5),
    "blur sigma 2.5",
  );
  same(
    addGaussianBlur(small, Rng.seeded(1), { kernelSize: 7, sigma: 2 }).image,
    gaussianBlur(small, 7, 2),
    "blur kernelSize 7",
  );
  differs(gaussianBlur(small, 7, 2), blurred, "kernel size matters");
  // JPEG: quality 42 through the model and through jpeg-js.
  same(
    addJpegArtifacts(small, Rng.seeded(1), { quality: 42 }).image,
    jpegArtifactsModel(small, 42),
    "jpeg model quality 42",
  );
  differs(jpegArtifactsModel(small, 42), jpegArtifactsModel(small, 70), "quality matters");
  same(
    addJpegArtifactsJpegJs(small, Rng.seeded(1), { quality: 42 }).image,
    jpegRoundTrip(small, 42),
    "jpeg-js quality 42",
  );
  // Rain: I = clip(J + beta R) with R drawn from the same seed (no parameter draws before it),
  // computed here sample by sample.
  const rain = { angle: 10, length: 25, density: 0.005, beta: 0.5 };
  const layer = rainLayer(16, 16, Rng.seeded(1), rain.density, rain.angle, rain.length);
  assert.ok(
    layer.some((v) => v > 0),
    "the layer has streaks",
  );
  const expected = new Float32Array(small.data.length);
  for (let p = 0; p < 16 * 16; p++) {
    for (let c = 0; c < 3; c++)
      expected[p * 3 + c] = Math.min(
        1,
        Math.max(0, (small.data[p * 3 + c] as number) + rain.beta * (layer[p] as number)),
      );
  }
  same(addRain(small, Rng.seeded(1), rain).image, { width: 16, height: 16, data: expected }, "rain with beta 0.5");
  differs(
    addRain(small, Rng.seeded(1), { ...rain, beta: 0.8 }).image,
    addRain(small, Rng.seeded(1), rain).image,
    "beta matters",
  );
  // Noise and low light: the given sigma and gamma.
  const noisy = addGaussianNoise(small, Rng.seeded(1), { sigma: 0.1 }).image;
  same(noisy, addNoiseWithSigma(small, Rng.seeded(1), 0.1), "noise sigma 0.1");
  differs(noisy, addNoiseWithSigma(small, Rng.seeded(1), 0.2), "sigma matters");
  const dark = addLowLight(constantImage(2, 2, 0.5), Rng.seeded(1), { gamma: 3 }).image;
  assert.ok(Math.abs((dark.data[0] as number) - 0.125) < 4e-6, `0.5^3 = 0.125 (got ${dark.data[0]})`);
});
