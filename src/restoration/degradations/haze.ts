/**
 * Haze by the atmospheric scattering model (as MiOIR and the RESIDE-style pipelines):
 * I = J t + A (1 - t), t = exp(-beta d), with airlight A ~ U(0.8, 1) (grey, the same on all
 * channels) and scattering beta ~ U(0.5, 2.5).
 *
 * Deviation: the recipe takes d from a depth map, and none ships with arbitrary images, so d is
 * a proxy: 0.65 x a linear ramp (far at the top, its direction tilted by up to +-30 degrees from
 * the vertical, as in most outdoor photos) + 0.35 x smooth low-frequency noise (a 4x4 grid of
 * uniform values with smoothstep interpolation), min-max normalized to [0, 1].
 */
import type { Rng } from "../../core/random.js";
import type { RgbImage } from "../image.js";
import type { Degradation } from "./types.js";

/** Haze parameters: scattering coefficient beta and airlight A (both on the [0, 1] scale). */
export type HazeParams = { readonly beta: number; readonly airlight: number };

/** The range beta is drawn from. */
export const HAZE_BETA_RANGE: readonly [number, number] = [0.5, 2.5];
/** The range the airlight is drawn from. */
export const HAZE_AIRLIGHT_RANGE: readonly [number, number] = [0.8, 1];

const RAMP_WEIGHT = 0.65;
const GRID = 4;

const smoothstep = (t: number): number => t * t * (3 - 2 * t);

/** The depth proxy d in [0, 1] (width x height), larger = farther. */
export function depthProxy(width: number, height: number, rng: Rng): Float32Array {
  const tilt = rng.uniform(-Math.PI / 6, Math.PI / 6);
  const grid = new Float64Array(GRID * GRID);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.uniform();
  const depth = new Float32Array(width * height);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const span = Math.max(width, height);
  const ca = Math.cos(tilt);
  const sa = Math.sin(tilt);
  let min = Infinity;
  let max = -Infinity;
  for (let y = 0; y < height; y++) {
    const gy = height > 1 ? (y / (height - 1)) * (GRID - 1) : 0;
    const iy = Math.min(GRID - 2, Math.floor(gy));
    const ty = smoothstep(gy - iy);
    for (let x = 0; x < width; x++) {
      // Ramp: distance "up" the picture along the tilted direction, about [-0.7, 0.7].
      const ramp = (-(y - cy) * ca + (x - cx) * sa) / span;
      const gx = width > 1 ? (x / (width - 1)) * (GRID - 1) : 0;
      const ix = Math.min(GRID - 2, Math.floor(gx));
      const tx = smoothstep(gx - ix);
      const g00 = grid[iy * GRID + ix] as number;
      const g01 = grid[iy * GRID + ix + 1] as number;
      const g10 = grid[(iy + 1) * GRID + ix] as number;
      const g11 = grid[(iy + 1) * GRID + ix + 1] as number;
      const noise = (g00 * (1 - tx) + g01 * tx) * (1 - ty) + (g10 * (1 - tx) + g11 * tx) * ty;
      const d = RAMP_WEIGHT * (ramp + 0.5) + (1 - RAMP_WEIGHT) * noise;
      depth[y * width + x] = d;
      if (d < min) min = d;
      if (d > max) max = d;
    }
  }
  const scale = max > min ? 1 / (max - min) : 0;
  for (let i = 0; i < depth.length; i++) depth[i] = ((depth[i] as number) - min) * scale;
  return depth;
}

/** Applies I = J t + A (1 - t), t = exp(-beta d), for a given depth map d (one value per pixel). */
export function applyHaze(clean: RgbImage, depth: Float32Array, beta: number, airlight: number): RgbImage {
  if (depth.length !== clean.width * clean.height)
    throw new RangeError(`depth map has ${depth.length} values, expected ${clean.width * clean.height}`);
  const src = clean.data;
  const out = new Float32Array(src.length);
  for (let p = 0; p < depth.length; p++) {
    const t = Math.exp(-beta * (depth[p] as number));
    const veil = airlight * (1 - t);
    for (let c = 0; c < 3; c++) {
      const v = (src[p * 3 + c] as number) * t + veil;
      out[p * 3 + c] = v > 0 ? (v < 1 ? v : 1) : 0;
    }
  }
  return { width: clean.width, height: clean.height, data: out };
}

/**
 * Haze with random beta, airlight and depth proxy (unless beta/airlight are given; the depth
 * proxy is always drawn from `rng`).
 *
 * @example
 * const { image, params } = addHaze(clean, Rng.seeded(9)); // params.beta in [0.5, 2.5)
 */
export const addHaze: Degradation<HazeParams> = (clean, rng, params) => {
  const beta = params?.beta ?? rng.uniform(HAZE_BETA_RANGE[0], HAZE_BETA_RANGE[1]);
  const airlight = params?.airlight ?? rng.uniform(HAZE_AIRLIGHT_RANGE[0], HAZE_AIRLIGHT_RANGE[1]);
  const depth = depthProxy(clean.width, clean.height, rng);
  return { image: applyHaze(clean, depth, beta, airlight), params: { beta, airlight } };
};
