import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import { metricsCommand } from "../../src/cli/commands/metrics.js";
import { Rng } from "../../src/core/random.js";
import { proceduralImage } from "../../src/restoration/data/procedural.js";
import { addNoiseWithSigma } from "../../src/restoration/degradations/index.js";
import { writePng } from "../../src/restoration/io/index.js";
import { readPngReference, refPsnr, refSsim } from "./reference/metrics.js";

const dir = mkdtempSync(join(tmpdir(), "art-mtl-metrics-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const a = join(dir, "a.png");
const b = join(dir, "b.png");
const tiny = join(dir, "tiny.png");
const clean = proceduralImage(Rng.seeded(1), 40, 32);
writePng(a, clean);
writePng(b, addNoiseWithSigma(clean, Rng.seeded(2), 0.05));
writePng(tiny, proceduralImage(Rng.seeded(3), 8, 8));

const run = async (...argv: string[]) => {
  let out = "";
  let err = "";
  const code = await metricsCommand(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
};

test("metrics prints one JSON line with PSNR and SSIM equal to an independent float64 reference", async () => {
  // The expected values come from test/restoration/reference/metrics.ts (naive float64
  // transcriptions of BasicSR and scikit-image) on the PNGs as pngjs decodes them, never from
  // src/restoration/metrics itself.
  const A = readPngReference(a);
  const B = readPngReference(b);
  const closeTo = (actual: number, expected: number, what: string) =>
    assert.ok(
      Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
      `${what}: ${actual} vs reference ${expected}`,
    );

  const { code, out, err } = await run("--convention", "basicsr", "--crop", "2", "--y", a, b);
  assert.equal(code, 0, err);
  assert.equal(out.trim().split("\n").length, 1);
  const y = JSON.parse(out) as { psnr: number; ssim: number };
  closeTo(y.psnr, refPsnr(A, B, true, 2, true), "basicsr --crop 2 --y psnr");
  closeTo(y.ssim, refSsim(A, B, "basicsr", 2, true), "basicsr --crop 2 --y ssim");

  // RGB (three channels: the MSE counts every sample of every channel).
  const rgb = JSON.parse((await run(a, b)).out) as { psnr: number; ssim: number };
  closeTo(rgb.psnr, refPsnr(A, B, true), "basicsr rgb psnr");
  closeTo(rgb.ssim, refSsim(A, B, "basicsr"), "basicsr rgb ssim");

  const sk = JSON.parse((await run("--convention", "skimage", a, b)).out) as { psnr: number; ssim: number };
  closeTo(sk.psnr, refPsnr(A, B, false), "skimage psnr");
  closeTo(sk.ssim, refSsim(A, B, "skimage"), "skimage ssim");
  // The conventions differ (8-bit rounding, window, covariance), so they must not agree exactly.
  assert.notEqual(sk.ssim, rgb.ssim);
});

test('identical images report psnr as the string "Infinity" and ssim 1', async () => {
  const { code, out } = await run(a, a);
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(out), { psnr: "Infinity", ssim: 1 });
});

test("bad arguments: one line naming the argument and value, exit code 2, no stack trace", async () => {
  const cases: [string[], RegExp][] = [
    [["--convention", "matlab", a, b], /--convention.*"matlab"/],
    [["--crop", "-1", a, b], /--crop.*"-1"/],
    [["--crop", "1.5", a, b], /--crop.*"1.5"/],
    [["--bogus", a, b], /bogus/],
    [[a], /two image paths, got 1/],
    [[a, join(dir, "missing.png")], /missing\.png: unreadable/],
    [[a, tiny], /differ in size/],
    [["--crop", "40", a, a], /--crop 40/],
    [[tiny, tiny], /at least 11x11/],
  ];
  for (const [argv, pattern] of cases) {
    const { code, out, err } = await run(...argv);
    assert.equal(code, 2, argv.join(" "));
    assert.equal(out, "");
    assert.match(err, pattern);
    assert.equal(err.trim().split("\n").length, 1, err);
    assert.ok(!/\n\s+at /.test(err), "no stack trace");
  }
  const text = join(dir, "text.png");
  writeFileSync(text, "not an image");
  assert.match((await run(a, text)).err, /text\.png: unsupported format/);
});

test("--help prints the usage and exits 0", async () => {
  const { code, out } = await run("--help");
  assert.equal(code, 0);
  assert.match(out, /usage: art-mtl metrics/);
});
