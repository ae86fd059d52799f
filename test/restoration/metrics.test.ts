import assert from "node:assert/strict";
import { test } from "node:test";

import { Rng } from "../../src/core/random.js";
import { proceduralImage } from "../../src/restoration/data/procedural.js";
import { addNoiseWithSigma } from "../../src/restoration/degradations/noise.js";
import {
  metricFromJson,
  metricJsonReplacer,
  metricJsonReviver,
  metricToJson,
  preparePair,
  psnr,
  ssim,
} from "../../src/restoration/metrics/index.js";
import { assertAllClose } from "../support/all-close.js";
import { constantImage, imageFrom } from "./fixtures.js";
// Independent float64 references, written straight from the published formulas (shared with the CLI test).
import { refPsnr, refSsim } from "./reference/metrics.js";

const clean = proceduralImage(Rng.seeded(21), 29, 23);
const noisy = addNoiseWithSigma(clean, Rng.seeded(22), 20 / 255);
const close = (actual: number, expected: number, tol: number, what: string) =>
  assertAllClose([actual], [expected], { atol: tol, rtol: 0 }, what);

test("identical images: PSNR +Infinity, SSIM 1, in both conventions; JSON writes 'Infinity'", () => {
  for (const convention of ["basicsr", "skimage"] as const) {
    assert.equal(psnr(clean, clean, { convention }), Infinity);
    close(ssim(clean, clean, { convention }), 1, 1e-12, convention);
  }
  assert.equal(metricToJson(Infinity), "Infinity");
  assert.equal(Number(metricToJson(Infinity)), Infinity);
  assert.equal(metricToJson(31.5), 31.5);
});

test("eval.json round trip: the replacer writes every non-finite number as a string, the reviver reads back only metric fields", () => {
  assert.equal(metricToJson(-Infinity), "-Infinity");
  assert.equal(metricToJson(Number.NaN), "NaN");
  assert.equal(metricToJson(0), 0);
  const written = JSON.stringify(
    {
      psnr: Infinity,
      inputPsnr: 31.25,
      ssim: Number.NaN,
      meanSsim: -Infinity,
      count: 3,
      name: "Infinity",
      note: "NaN",
      step: Infinity,
    },
    metricJsonReplacer,
  );
  assert.equal(
    written,
    '{"psnr":"Infinity","inputPsnr":31.25,"ssim":"NaN","meanSsim":"-Infinity","count":3,"name":"Infinity","note":"NaN","step":"Infinity"}',
  );
  const read = JSON.parse(written, metricJsonReviver) as Record<string, unknown>;
  // Metric fields (any key containing psnr/ssim, in any case) come back as numbers...
  assert.equal(read.psnr, Infinity);
  assert.equal(read.inputPsnr, 31.25);
  assert.ok(Number.isNaN(read.ssim));
  assert.equal(read.meanSsim, -Infinity);
  // ...other fields keep the string, even when it spells a number.
  assert.equal(read.name, "Infinity");
  assert.equal(read.note, "NaN");
  assert.equal(read.step, "Infinity");
  assert.equal(read.count, 3);
  assert.equal(JSON.parse('{"PSNR":"Infinity","psnr":"other"}', metricJsonReviver).PSNR, Infinity);
  assert.equal(JSON.parse('{"psnr":"other"}', metricJsonReviver).psnr, "other");
  assert.equal(metricFromJson("Infinity"), Infinity);
  assert.equal(metricFromJson("-Infinity"), -Infinity);
  assert.ok(Number.isNaN(metricFromJson("NaN")));
  assert.equal(metricFromJson("infinity"), "infinity");
  assert.equal(metricFromJson(5), 5);
});

test("a uniform difference of d/255 gives PSNR 20 log10(255 / d) (BasicSR) and 20 log10(1 / delta) (skimage)", () => {
  for (const d of [1, 2, 5, 10]) {
    const a = constantImage(16, 16, 100 / 255);
    const b = constantImage(16, 16, (100 + d) / 255);
    close(psnr(a, b), 20 * Math.log10(255 / d), 1e-9, `d = ${d}`);
  }
  const a = constantImage(8, 8, 0.25);
  const b = constantImage(8, 8, 0.35);
  close(
    psnr(a, b, { convention: "skimage" }),
    20 * Math.log10(1 / (Math.fround(0.35) - Math.fround(0.25))),
    1e-9,
    "skimage",
  );
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
    for (const [crop, yChannel] of [
      [0, false],
      [3, false],
      [0, true],
      [4, true],
    ] as const) {
      close(
        psnr(clean, noisy, { convention, cropBorder: crop, yChannel }),
        refPsnr(clean, noisy, convention === "basicsr", crop, yChannel),
        1e-9,
        `${convention} crop ${crop} y ${yChannel}`,
      );
    }
  }
});

test("SSIM matches the naive reference (BasicSR: Gaussian 11x11; skimage: uniform 7x7, sample covariance)", () => {
  for (const convention of ["basicsr", "skimage"] as const) {
    for (const [crop, yChannel] of [
      [0, false],
      [2, true],
    ] as const) {
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

test("BasicSR's 8-bit values are clipped to [0, 255], and a sample of -0 becomes +0", () => {
  // One 2x1 image: pixel 0 = (-0.5, 2, -0), pixel 1 = (1, 0.5, 0); planes are R, G, B.
  const img = { width: 2, height: 1, data: Float32Array.from([-0.5, 2, -0, 1, 0.5, 0]) };
  const pair = preparePair(img, img);
  assert.deepEqual(
    pair.a.map((plane) => Array.from(plane)),
    [
      [0, 255],
      [255, 128],
      [0, 0],
    ],
  );
  assert.ok(Object.is(pair.a[2]?.[0], 0), "round(clip(-0) * 255) is +0, not -0");
  assert.equal(pair.peak, 255);
  // skimage keeps the float samples as they are.
  assert.deepEqual(
    preparePair(img, img, { convention: "skimage" }).a.map((plane) => Array.from(plane)),
    [
      [-0.5, 1],
      [2, 0.5],
      [-0, 0],
    ],
  );
  // So below 0 and above 1 every value looks the same to BasicSR's PSNR, but not to skimage's.
  assert.equal(psnr(constantImage(4, 4, -0.5), constantImage(4, 4, 0)), Infinity);
  assert.equal(psnr(constantImage(4, 4, 2), constantImage(4, 4, 1)), Infinity);
  close(
    psnr(constantImage(4, 4, -0.5), constantImage(4, 4, 0), { convention: "skimage" }),
    20 * Math.log10(1 / 0.5),
    1e-12,
    "skimage -0.5 vs 0",
  );
});

test("argument errors, message by message: convention, sizes (width or height alone), crop leaving nothing on either axis", () => {
  const img = constantImage(4, 4, 0.5);
  assert.throws(() => psnr(img, img, { convention: "matlab" as never }), {
    name: "RangeError",
    message: "unknown metric convention 'matlab' (expected basicsr or skimage)",
  });
  assert.throws(() => ssim(img, img, { convention: "matlab" as never }), {
    name: "RangeError",
    message: "unknown metric convention 'matlab' (expected basicsr or skimage)",
  });
  assert.throws(() => psnr(img, constantImage(5, 4, 0.5)), {
    name: "RangeError",
    message: "images differ in size: 4x4 vs 5x4",
  });
  assert.throws(() => psnr(img, constantImage(4, 5, 0.5)), {
    name: "RangeError",
    message: "images differ in size: 4x4 vs 4x5",
  });
  assert.throws(() => psnr(constantImage(2, 10, 0.5), constantImage(2, 10, 0.5), { cropBorder: 1 }), {
    name: "RangeError",
    message: "cropBorder 1 leaves nothing of a 2x10 image",
  });
  assert.throws(() => psnr(constantImage(10, 2, 0.5), constantImage(10, 2, 0.5), { cropBorder: 1 }), {
    name: "RangeError",
    message: "cropBorder 1 leaves nothing of a 10x2 image",
  });
});

test("a crop may leave a single pixel: 3x3 with cropBorder 1 compares only the centre", () => {
  // Borders 0 vs 1 (they would dominate), centres 100 vs 110 levels: PSNR = 20 log10(255 / 10).
  const a = imageFrom(3, 3, (x, y) => (x === 1 && y === 1 ? 100 / 255 : 0));
  const b = imageFrom(3, 3, (x, y) => (x === 1 && y === 1 ? 110 / 255 : 1));
  const pair = preparePair(a, b, { cropBorder: 1 });
  assert.deepEqual([pair.width, pair.height], [1, 1]);
  close(psnr(a, b, { cropBorder: 1 }), 20 * Math.log10(255 / 10), 1e-9, "1x1 after crop");
});

test("SSIM's window: exactly 11x11 (BasicSR) or 7x7 (skimage) works; one pixel less on either axis throws", () => {
  const c1 = (0.01 * 255) ** 2;
  close(
    ssim(constantImage(11, 11, 50 / 255), constantImage(11, 11, 80 / 255)),
    (2 * 50 * 80 + c1) / (50 * 50 + 80 * 80 + c1),
    1e-12,
    "basicsr 11x11",
  );
  const s1 = 0.01 ** 2;
  close(
    ssim(constantImage(7, 7, 0.25), constantImage(7, 7, 0.5), { convention: "skimage" }),
    (2 * 0.25 * 0.5 + s1) / (0.25 ** 2 + 0.5 ** 2 + s1),
    1e-12,
    "skimage 7x7",
  );
  assert.throws(() => ssim(constantImage(10, 20, 0), constantImage(10, 20, 0)), {
    name: "RangeError",
    message: "SSIM needs at least 11x11 pixels after cropping, got 10x20",
  });
  assert.throws(() => ssim(constantImage(20, 10, 0), constantImage(20, 10, 0)), {
    name: "RangeError",
    message: "SSIM needs at least 11x11 pixels after cropping, got 20x10",
  });
  assert.throws(() => ssim(constantImage(7, 6, 0), constantImage(7, 6, 0), { convention: "skimage" }), {
    name: "RangeError",
    message: "SSIM needs at least 7x7 pixels after cropping, got 7x6",
  });
});
