/**
 * Where clean training images come from, and the crop + augmentation every source shares.
 *
 * A `CleanSource` hands out clean patches drawn with a caller-owned `Rng`, so the same
 * generator state always gives the same patch (batches are reproducible per seed).
 */
import { Rng } from "../../core/random.js";
import { cropImage, flipHorizontal, ImageTooSmallError, rot90, type RgbImage } from "../image.js";
import { proceduralImage } from "./procedural.js";

/** A supplier of clean patches. */
export interface CleanSource {
  /** A short description for logs ("procedural (32 images of 128x128)", "folder data/train (800 images)"). */
  readonly description: string;
  /**
   * A clean `patchSize` x `patchSize` patch, drawn with `rng` (a random image, a random window,
   * and, when `augment` is set, a random flip and quarter turn).
   */
  readonly drawPatch: (rng: Rng, patchSize: number, augment: boolean) => Promise<RgbImage>;
}

/**
 * A random `size` x `size` window of `img`, then (when `augment`) a horizontal flip with
 * probability 1/2 and k ~ U{0..3} quarter turns: the 8 symmetries of the square, as BasicSR's
 * `augment(hflip, rotation)`. Throws `ImageTooSmallError` when the image is smaller than the window.
 */
export function randomCrop(img: RgbImage, rng: Rng, size: number, augment: boolean): RgbImage {
  if (img.width < size || img.height < size) throw new ImageTooSmallError(img.width, img.height, size, size);
  const left = rng.int(img.width - size + 1);
  const top = rng.int(img.height - size + 1);
  let patch = cropImage(img, left, top, size, size);
  if (augment) {
    // Always draw both values so the number of draws (and the next patch) does not depend on them.
    const flip = rng.uniform() < 0.5;
    const turns = rng.int(4);
    if (flip) patch = flipHorizontal(patch);
    if (turns !== 0) patch = rot90(patch, turns);
  }
  return patch;
}

/** Options of the embedded procedural source. */
export interface ProceduralSourceOptions {
  /** Seed of the image pool (a different seed gives different images; eval uses its own). Default 0. */
  readonly seed?: number;
  /** How many images the pool holds. Default 32. */
  readonly poolSize?: number;
  /** Side of each pool image in pixels. Default 128. */
  readonly imageSize?: number;
}

/** Mixes two integers into a 32-bit seed (a different stream per (seed, index)). */
export function mixSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((index + 0x7f4a7c15) >>> 0, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * The default source: a pool of procedural (dead-leaves) images generated lazily from the
 * seed, so nothing is read from disk. Patches are random windows of pool images, so a patch
 * sees shapes at every scale, as a crop of a photograph does.
 */
export function proceduralSource(options: ProceduralSourceOptions = {}): CleanSource {
  const seed = options.seed ?? 0;
  const poolSize = options.poolSize ?? 32;
  const imageSize = options.imageSize ?? 128;
  if (!(Number.isInteger(poolSize) && poolSize >= 1))
    throw new RangeError(`procedural poolSize must be an integer >= 1, got ${poolSize}`);
  if (!(Number.isInteger(imageSize) && imageSize >= 1))
    throw new RangeError(`procedural imageSize must be an integer >= 1, got ${imageSize}`);
  const pool: (RgbImage | undefined)[] = new Array(poolSize).fill(undefined);
  // Each pool image has its own generator seeded from (seed, index): generation order cannot change it.
  const image = (index: number): RgbImage => {
    let img = pool[index];
    if (img === undefined) {
      img = proceduralImage(Rng.seeded(mixSeed(seed, index)), imageSize, imageSize);
      pool[index] = img;
    }
    return img;
  };
  return {
    description: `procedural (${poolSize} images of ${imageSize}x${imageSize}, seed ${seed})`,
    drawPatch: async (rng, patchSize, augment) => {
      if (patchSize > imageSize) throw new ImageTooSmallError(imageSize, imageSize, patchSize, patchSize);
      return randomCrop(image(rng.int(poolSize)), rng, patchSize, augment);
    },
  };
}

/** The `n`-th procedural image of `seed` at the given size (what the frozen sets and `eval --data procedural` use). */
export function proceduralImageAt(seed: number, index: number, width: number, height = width): RgbImage {
  return proceduralImage(Rng.seeded(mixSeed(seed, index)), width, height);
}
