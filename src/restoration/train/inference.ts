/**
 * Running a trained model on whole images of any size: the image is cut into overlapping
 * tiles, each tile is restored on its own, and the tiles are blended with weights that ramp
 * down linearly across the overlap, so there are no seams and device memory is bounded by the
 * tile size, not the image size. A model with global context (`globalContext`) would measure
 * it on each tile; its forward pass (`forwardFor`) can pin one context, measured on a mosaic of
 * patches from the whole image, that every tile then uses.
 */
import type { Tensor, Tf } from "../../tfjs/index.js";
import { cropImage, type RgbImage } from "../image.js";
import { modelEntry, modelKinds, type ResolvedModelSpec } from "../models/index.js";

/** A model's forward pass, [B,H,W,3] → [B,H,W,3]. */
export type Forward = (inputs: Tensor) => Tensor;

/** A forward pass that can fix its global context (models with `globalContext`; see `RestorationModel.pinContext`). */
export interface PinnableForward {
  (inputs: Tensor): Tensor;
  /** The forward pass with the context measured on `sample` ([1,H,W,3]); dispose it when done. */
  readonly pin?: (sample: Tensor) => { readonly forward: Forward; dispose(): void };
}

/** Patches per side of the mosaic a pinned context is measured on. */
const MOSAIC_GRID = 4;

/**
 * A sample of the whole image for measuring a global context: a MOSAIC_GRID x MOSAIC_GRID mosaic
 * of patches spread evenly over it, at full resolution (a downscaled image would have other noise
 * and detail statistics), at most `side` pixels across.
 */
export function contextMosaic(img: RgbImage, side: number): RgbImage {
  const patch = Math.max(1, Math.min(Math.floor(side / MOSAIC_GRID), img.width, img.height));
  const size = patch * MOSAIC_GRID;
  const data = new Float32Array(size * size * 3);
  const start = (extent: number, i: number) => Math.round(((extent - patch) * (i + 0.5)) / MOSAIC_GRID);
  for (let gy = 0; gy < MOSAIC_GRID; gy++) {
    for (let gx = 0; gx < MOSAIC_GRID; gx++) {
      const top = start(img.height, gy);
      const left = start(img.width, gx);
      for (let y = 0; y < patch; y++) {
        const from = ((top + y) * img.width + left) * 3;
        data.set(img.data.subarray(from, from + patch * 3), ((gy * patch + y) * size + gx * patch) * 3);
      }
    }
  }
  return { width: size, height: size, data };
}

/** Options of `restoreImage`. */
export interface TileOptions {
  /** Tile side in pixels (default 128). */
  readonly tile?: number;
  /** Overlap between neighbouring tiles (default 16). */
  readonly overlap?: number;
  /** The model needs H and W divisible by this (a U-Net of depth d: 2^d); inputs are edge-padded. Default 1. */
  readonly multipleOf?: number;
  /** Called after each tile with the tiles done and their total (1 of 1 for an image that fits one tile). */
  readonly onTile?: (done: number, total: number) => void;
}

/** Copies `img` into a larger image, repeating its last row and column (edge padding). */
export function padEdge(img: RgbImage, width: number, height: number): RgbImage {
  if (width === img.width && height === img.height) return img;
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(y, img.height - 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(x, img.width - 1);
      const s = (sy * img.width + sx) * 3;
      const d = (y * width + x) * 3;
      out[d] = img.data[s] as number;
      out[d + 1] = img.data[s + 1] as number;
      out[d + 2] = img.data[s + 2] as number;
    }
  }
  return { width, height, data: out };
}

/** Runs the model on one image that fits in memory (padded to `multipleOf`); one read-back. */
export async function restoreWhole(tf: Tf, forward: Forward, img: RgbImage, multipleOf = 1): Promise<RgbImage> {
  const w = Math.ceil(img.width / multipleOf) * multipleOf;
  const h = Math.ceil(img.height / multipleOf) * multipleOf;
  const padded = padEdge(img, w, h);
  const output = tf.tidy(() => tf.clipByValue(forward(tf.tensor4d(padded.data, [1, h, w, 3])), 0, 1));
  const data = (await output.data()) as Float32Array;
  output.dispose();
  const full: RgbImage = { width: w, height: h, data };
  return w === img.width && h === img.height ? full : cropImage(full, 0, 0, img.width, img.height);
}

/** Tile start positions covering [0, size) with tiles of `tile` overlapping by at least `overlap`. */
export function tileStarts(size: number, tile: number, overlap: number): number[] {
  if (size <= tile) return [0];
  const stride = Math.max(1, tile - overlap);
  const starts: number[] = [];
  for (let s = 0; s + tile < size; s += stride) starts.push(s);
  starts.push(size - tile);
  return starts;
}

/** The blending weight of position i in a tile of length n whose sides overlap neighbours (1 inside, ramping near shared edges). */
const ramp = (i: number, n: number, overlap: number, atStart: boolean, atEnd: boolean): number => {
  let w = 1;
  if (!atStart) w = Math.min(w, (i + 1) / (overlap + 1));
  if (!atEnd) w = Math.min(w, (n - i) / (overlap + 1));
  return w;
};

/**
 * Restores an image of any size by overlapping tiles.
 *
 * @example
 * const restored = await restoreImage(tf, model.apply, await readImage("big.png"), { tile: 256, overlap: 16 });
 */
export async function restoreImage(
  tf: Tf,
  forward: Forward | PinnableForward,
  img: RgbImage,
  options: TileOptions = {},
): Promise<RgbImage> {
  const tile = options.tile ?? 128;
  const overlap = Math.min(options.overlap ?? 16, Math.floor(tile / 2));
  const multipleOf = options.multipleOf ?? 1;
  if (img.width <= tile && img.height <= tile) {
    const whole = await restoreWhole(tf, forward, img, multipleOf);
    options.onTile?.(1, 1);
    return whole;
  }
  const pin = "pin" in forward ? forward.pin : undefined;
  if (pin === undefined) return restoreTiles(tf, forward, img, tile, overlap, multipleOf, options.onTile);
  const mosaic = contextMosaic(
    img,
    Math.floor(Math.min(tile, 256) / (MOSAIC_GRID * multipleOf)) * MOSAIC_GRID * multipleOf,
  );
  const sample = tf.tensor4d(mosaic.data, [1, mosaic.height, mosaic.width, 3]);
  const pinned = (() => {
    try {
      return pin(sample);
    } finally {
      sample.dispose();
    }
  })();
  try {
    return await restoreTiles(tf, pinned.forward, img, tile, overlap, multipleOf, options.onTile);
  } finally {
    pinned.dispose();
  }
}

async function restoreTiles(
  tf: Tf,
  forward: Forward,
  img: RgbImage,
  tile: number,
  overlap: number,
  multipleOf: number,
  onTile: TileOptions["onTile"],
): Promise<RgbImage> {
  const xs = tileStarts(img.width, tile, overlap);
  const ys = tileStarts(img.height, tile, overlap);
  let tilesDone = 0;
  const acc = new Float32Array(img.width * img.height * 3);
  const norm = new Float32Array(img.width * img.height);
  for (const [yi, top] of ys.entries()) {
    for (const [xi, left] of xs.entries()) {
      const tw = Math.min(tile, img.width);
      const th = Math.min(tile, img.height);
      const out = await restoreWhole(tf, forward, cropImage(img, left, top, tw, th), multipleOf);
      onTile?.(++tilesDone, xs.length * ys.length);
      for (let y = 0; y < th; y++) {
        const wy = ramp(y, th, overlap, yi === 0, yi === ys.length - 1);
        for (let x = 0; x < tw; x++) {
          const w = wy * ramp(x, tw, overlap, xi === 0, xi === xs.length - 1);
          const p = (top + y) * img.width + left + x;
          const s = (y * tw + x) * 3;
          acc[p * 3] = (acc[p * 3] as number) + w * (out.data[s] as number);
          acc[p * 3 + 1] = (acc[p * 3 + 1] as number) + w * (out.data[s + 1] as number);
          acc[p * 3 + 2] = (acc[p * 3 + 2] as number) + w * (out.data[s + 2] as number);
          norm[p] = (norm[p] as number) + w;
        }
      }
    }
  }
  for (let p = 0; p < norm.length; p++) {
    const n = norm[p] as number;
    acc[p * 3] = (acc[p * 3] as number) / n;
    acc[p * 3 + 1] = (acc[p * 3 + 1] as number) / n;
    acc[p * 3 + 2] = (acc[p * 3 + 2] as number) / n;
  }
  return { width: img.width, height: img.height, data: acc };
}

/** What a model spec needs the input sides to be divisible by: its kind's `multipleOf` in the model registry (1 when it has none, or for a kind not registered). */
export const multipleOfFor = (spec: { readonly kind: string; readonly depth?: number }): number =>
  modelKinds().includes(spec.kind) ? (modelEntry(spec.kind).multipleOf?.(spec as ResolvedModelSpec) ?? 1) : 1;
