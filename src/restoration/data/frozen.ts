/**
 * Frozen evaluation sets: clean images degraded once, with fixed seeds, and saved as PNG pairs
 * plus a JSON manifest (task, drawn parameters, seed per sample), so every run and every method
 * is scored on exactly the same inputs.
 *
 * Layout of a frozen set directory:
 *
 *     manifest.json          { version, seed, tasks, source, samples: [{ name, task, params, seed, ... }] }
 *     input/<name>.png       degraded input (8-bit)
 *     target/<name>.png      clean target (8-bit)
 *
 * It is also a valid `same-name` paired folder.
 */
import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Rng } from "../../core/random.js";
import { formatDecodeErrors } from "../../core/report.js";
import { writeFileAtomic } from "../../platform/atomic-write.js";
import { basename, existsSync, extname, join, mkdirSync, nodeOnly, readFileSync } from "../../platform/node.js";
import { degrade, isTaskName, type TaskName } from "../degradations/degradations.js";
import { cropImage, fromUint8, toUint8, type RgbImage } from "../image.js";
import { encodePng } from "../io/png.js";
import { readImage } from "../io/read-image.js";
import { DatasetError, listImageFiles } from "./folder.js";
import { mixSeed, proceduralImageAt } from "./sources.js";

/** The manifest's version; bumped when its meaning changes. */
export const FROZEN_SET_VERSION = 1;

const FrozenSample = t.type(
  {
    /** File stem of the pair: `<task>-<image>`. */
    name: t.string,
    task: t.string,
    /** Index of the task in `tasks`. */
    taskId: t.number,
    /** Where the clean image came from (a file name or `procedural:<seed>:<index>`). */
    image: t.string,
    /** The seed of the degradation's generator. */
    seed: t.number,
    /** The parameters the degradation drew. */
    params: t.record(t.string, t.number),
    width: t.number,
    height: t.number,
  },
  "FrozenSample",
);
/** One sample of a frozen set. */
export type FrozenSample = t.TypeOf<typeof FrozenSample>;

/** The manifest codec. */
export const FrozenManifest = t.type(
  {
    version: t.literal(FROZEN_SET_VERSION),
    seed: t.number,
    tasks: t.array(t.string),
    source: t.string,
    samples: t.array(FrozenSample),
  },
  "FrozenManifest",
);
/** A frozen set's manifest. */
export type FrozenManifest = t.TypeOf<typeof FrozenManifest>;

/** Where the clean images of a frozen set come from. */
export type FrozenSource =
  | { readonly procedural: { readonly count: number; readonly size: number; readonly seed?: number } }
  | { readonly folder: string; readonly limit?: number };

/** Options of `createFrozenSet`. */
export interface FrozenSetOptions {
  readonly tasks: readonly TaskName[];
  /** Base seed; sample i of image j uses a generator seeded from (seed, task, image). */
  readonly seed: number;
  readonly source: FrozenSource;
  /** Centre-crop clean images to at most this side (keeps evaluation of large photos quick). */
  readonly maxSide?: number;
  /** Progress callback (done, total). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The seed the evaluation procedural images use when none is given (distinct from training's 0). */
export const EVAL_PROCEDURAL_SEED = 1_000_003;

const centreCrop = (img: RgbImage, maxSide: number | undefined): RgbImage => {
  if (maxSide === undefined || (img.width <= maxSide && img.height <= maxSide)) return img;
  const w = Math.min(img.width, maxSide);
  const h = Math.min(img.height, maxSide);
  return cropImage(img, Math.floor((img.width - w) / 2), Math.floor((img.height - h) / 2), w, h);
};

/** The clean images of a frozen source, with a name each. */
async function cleanImages(
  source: FrozenSource,
  maxSide: number | undefined,
): Promise<{ name: string; image: string; img: RgbImage }[]> {
  if ("procedural" in source) {
    const { count, size } = source.procedural;
    const seed = source.procedural.seed ?? EVAL_PROCEDURAL_SEED;
    return Array.from({ length: count }, (_, i) => ({
      name: `proc${String(i).padStart(3, "0")}`,
      image: `procedural:${seed}:${i}`,
      img: centreCrop(proceduralImageAt(seed, i, size), maxSide),
    }));
  }
  nodeOnly("a frozen set from a folder", "use a procedural source");
  const files = listImageFiles(source.folder).slice(0, source.limit ?? Infinity);
  if (files.length === 0) throw new DatasetError(source.folder, `${source.folder}: no image files`);
  // Samples are named `${task}-${name}`: two files that differ only in extension would collide.
  const byName = new Map<string, string>();
  for (const file of files) {
    const name = basename(file, extname(file));
    const other = byName.get(name);
    if (other !== undefined)
      throw new DatasetError(
        file,
        `${source.folder}: ${basename(other)} and ${basename(file)} would both be sample "${name}"; rename or remove one`,
      );
    byName.set(name, file);
  }
  const out: { name: string; image: string; img: RgbImage }[] = [];
  for (const file of files)
    out.push({
      name: basename(file, extname(file)),
      image: basename(file),
      img: centreCrop(await readImage(file), maxSide),
    });
  return out;
}

/** A degraded/clean pair of a frozen set, in memory (both quantized to 8 bits, as the PNGs hold them). */
export interface FrozenPair {
  readonly sample: FrozenSample;
  readonly input: RgbImage;
  readonly target: RgbImage;
}

/** Rounds to the 8-bit levels a PNG stores, so in-memory and saved sets score the same. */
const quantize = (img: RgbImage): RgbImage => fromUint8(img.width, img.height, toUint8(img));

/**
 * The pairs of a frozen set, made in memory (what `createFrozenSet` saves, and what `eval`
 * uses for `procedural` or a folder of clean images, without writing anything).
 */
export async function frozenPairs(options: FrozenSetOptions): Promise<FrozenPair[]> {
  const images = await cleanImages(options.source, options.maxSide);
  const pairs: FrozenPair[] = [];
  const total = images.length * options.tasks.length;
  options.tasks.forEach((task, taskId) => {
    images.forEach((clean, imageIndex) => {
      const seed = mixSeed(mixSeed(options.seed, taskId), imageIndex);
      const { image, params } = degrade(task, clean.img, Rng.seeded(seed));
      const sample: FrozenSample = {
        name: `${task}-${clean.name}`,
        task,
        taskId,
        image: clean.image,
        seed,
        params: { ...params },
        width: clean.img.width,
        height: clean.img.height,
      };
      pairs.push({ sample, input: quantize(image), target: quantize(clean.img) });
      options.onProgress?.(pairs.length, total);
    });
  });
  return pairs;
}

/** A short description of a frozen source, for manifests and reports. */
export const describeFrozenSource = (source: FrozenSource): string =>
  "procedural" in source ? `procedural:${source.procedural.seed ?? EVAL_PROCEDURAL_SEED}` : source.folder;

/**
 * Degrades every clean image for every task once and writes the set to `dir`
 * (created if needed). Returns the manifest. Deterministic in (options).
 *
 * @example
 * await createFrozenSet("runs/eval-set", { tasks: [...MIOIR_TASKS], seed: 1, source: { procedural: { count: 4, size: 96 } } });
 */
export async function createFrozenSet(dir: string, options: FrozenSetOptions): Promise<FrozenManifest> {
  nodeOnly("createFrozenSet", "use frozenPairs(options), which makes the same pairs in memory");
  const pairs = await frozenPairs(options);
  mkdirSync(join(dir, "input"), { recursive: true });
  mkdirSync(join(dir, "target"), { recursive: true });
  for (const { sample, input, target } of pairs) {
    // Durable before the manifest that names them.
    writeFileAtomic(join(dir, "input", `${sample.name}.png`), encodePng(input));
    writeFileAtomic(join(dir, "target", `${sample.name}.png`), encodePng(target));
  }
  const manifest: FrozenManifest = {
    version: FROZEN_SET_VERSION,
    seed: options.seed,
    tasks: [...options.tasks],
    source: describeFrozenSource(options.source),
    samples: pairs.map((p) => p.sample),
  };
  // Written last and atomically: a directory with a manifest is a complete set.
  const path = join(dir, "manifest.json");
  writeFileAtomic(path, JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

/** True when `dir` holds a frozen set's manifest. */
export const isFrozenSet = (dir: string): boolean => {
  nodeOnly("isFrozenSet");
  return existsSync(join(dir, "manifest.json"));
};

/** A loaded frozen set: the manifest and a loader per sample. */
export interface FrozenSet {
  readonly dir: string;
  readonly manifest: FrozenManifest;
  /** Reads a sample's input and target PNGs. */
  readonly load: (sample: FrozenSample) => Promise<{ input: RgbImage; target: RgbImage }>;
}

/** Reads and checks a frozen set's manifest; throws `DatasetError` naming the file and the bad field. */
export function loadFrozenSet(dir: string): FrozenSet {
  nodeOnly("loadFrozenSet", "use frozenPairs(options), which makes the same pairs in memory");
  const path = join(dir, "manifest.json");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new DatasetError(path, `${path}: cannot read the frozen set manifest (${(error as Error).message})`, {
      cause: error,
    });
  }
  const decoded = FrozenManifest.decode(raw);
  if (E.isLeft(decoded))
    throw new DatasetError(path, `${path}: invalid manifest:\n  ${formatDecodeErrors(decoded.left).join("\n  ")}`);
  const manifest = decoded.right;
  const badTask = manifest.samples.find((s) => !isTaskName(s.task));
  if (badTask !== undefined)
    throw new DatasetError(path, `${path}: sample ${badTask.name}: unknown task ${JSON.stringify(badTask.task)}`);
  return {
    dir,
    manifest,
    load: async (sample) => {
      const [input, target] = await Promise.all([
        readImage(join(dir, "input", `${sample.name}.png`)),
        readImage(join(dir, "target", `${sample.name}.png`)),
      ]);
      if (input.width !== target.width || input.height !== target.height) {
        throw new DatasetError(
          join(dir, "input", `${sample.name}.png`),
          `${sample.name}: input ${input.width}x${input.height} and target ${target.width}x${target.height} differ in size`,
        );
      }
      return { input, target };
    },
  };
}
