/**
 * Synthetic rain streaks, after the recipe MiOIR (and many deraining papers) use:
 * sparse random seeds, motion-blurred along a line of random angle and length, lightly
 * Gaussian-blurred to give the streaks width, min-max normalized to a layer R in [0, 1],
 * then added: I = clip(J + beta R, 0, 1).
 *
 * Ranges: seed density p ~ U(0.002, 0.01) of the pixels (the classic script's "value" 50-250,
 * which keeps a pixel when U(0, 256) > 256 - value / 100); angle ~ U(-45, 45) degrees from the
 * vertical (positive angles lean the streaks from top-left to bottom-right); streak length ~ U{20, ..., 40} pixels; beta = 0.8 (the classic weight).
 *
 * Deviations, all for speed or cleanliness at training-crop sizes:
 * - The motion blur is done by stamping the streak kernel at each seed (the same sum as the
 *   dense convolution, but O(seeds x kernel) instead of O(pixels x kernel)), and seeds are
 *   drawn on a margin around the image so streaks enter from outside as they do in a bigger
 *   picture (the classic script reflects the border instead).
 * - The streak is a line of exactly `length` pixels (the classic one shrinks its diagonal by
 *   1 - length / 100) and the seeds' 3x3 pre-blur (weight 1/80 on the neighbours) is omitted.
 * - The layer is added; the classic script's "alpha" variant J (1 - R) + beta R is not used.
 */
import type { Rng } from "../../core/random.js";
import type { RgbImage } from "../image.js";
import { convolveSeparable, gaussianKernel1d } from "./filters.js";
import type { Degradation } from "./types.js";

/** Rain parameters: seed fraction, streak angle (degrees from vertical), streak length (pixels), layer weight. */
export type RainParams = {
  readonly density: number;
  readonly angle: number;
  readonly length: number;
  readonly beta: number;
};

/** The range the seed density is drawn from (fraction of pixels). */
export const RAIN_DENSITY_RANGE: readonly [number, number] = [0.002, 0.01];
/** The range the streak angle is drawn from, in degrees from the vertical. */
export const RAIN_ANGLE_RANGE: readonly [number, number] = [-45, 45];
/** The inclusive integer range of the streak length, in pixels. */
export const RAIN_LENGTH_RANGE: readonly [number, number] = [20, 40];
/** The default weight of the rain layer. */
export const RAIN_BETA = 0.8;

/** The sparse taps of a streak kernel: offsets from its centre and weights. */
type StreakKernel = { dx: Int32Array; dy: Int32Array; weight: Float32Array; radius: number };

/** A line of `length` pixels at `angle` degrees from vertical, splatted bilinearly, then blurred 3x3 (sigma 0.8). */
export function streakKernel(length: number, angle: number): StreakKernel {
  const radius = Math.ceil(length / 2) + 3;
  const size = 2 * radius + 1;
  const dense = new Float32Array(size * size);
  const theta = (angle * Math.PI) / 180;
  const ux = Math.sin(theta);
  const uy = Math.cos(theta);
  const steps = Math.max(1, Math.round(length * 4));
  for (let s = 0; s <= steps; s++) {
    const t = -length / 2 + (length * s) / steps;
    const x = radius + t * ux;
    const y = radius + t * uy;
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const fx = x - x0;
    const fy = y - y0;
    dense[y0 * size + x0] = (dense[y0 * size + x0] as number) + (1 - fx) * (1 - fy);
    dense[y0 * size + x0 + 1] = (dense[y0 * size + x0 + 1] as number) + fx * (1 - fy);
    dense[(y0 + 1) * size + x0] = (dense[(y0 + 1) * size + x0] as number) + (1 - fx) * fy;
    dense[(y0 + 1) * size + x0 + 1] = (dense[(y0 + 1) * size + x0 + 1] as number) + fx * fy;
  }
  // The classic width-3 Gaussian (OpenCV's sigma for size 3 is 0.8) gives the streak some width.
  const g = gaussianKernel1d(3, 0.8);
  const blurred = convolveSeparable(dense, size, size, 1, g, g);
  const dx: number[] = [];
  const dy: number[] = [];
  const weight: number[] = [];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const w = blurred[y * size + x] as number;
      if (w > 1e-6) {
        dx.push(x - radius);
        dy.push(y - radius);
        weight.push(w);
      }
    }
  }
  return { dx: Int32Array.from(dx), dy: Int32Array.from(dy), weight: Float32Array.from(weight), radius };
}

/** The rain layer R in [0, 1] (width x height, one value per pixel). */
export function rainLayer(
  width: number,
  height: number,
  rng: Rng,
  density: number,
  angle: number,
  length: number,
): Float32Array {
  if (!(density >= 0 && density < 1)) throw new RangeError(`rain density must be in [0, 1), got ${density}`);
  if (!(length >= 1)) throw new RangeError(`rain streak length must be >= 1, got ${length}`);
  const kernel = streakKernel(length, angle);
  const layer = new Float32Array(width * height);
  const margin = kernel.radius;
  const areaWidth = width + 2 * margin;
  const area = areaWidth * (height + 2 * margin);
  if (density > 0) {
    // Walk the seed positions with geometric gaps: one draw per seed, not one per pixel.
    const logKeep = Math.log1p(-density);
    let position = -1;
    for (;;) {
      let u = rng.uniform();
      while (u === 0) u = rng.uniform();
      position += 1 + Math.floor(Math.log(u) / logKeep);
      if (position >= area) break;
      const sx = (position % areaWidth) - margin;
      const sy = Math.floor(position / areaWidth) - margin;
      for (let k = 0; k < kernel.weight.length; k++) {
        const x = sx + (kernel.dx[k] as number);
        const y = sy + (kernel.dy[k] as number);
        if (x >= 0 && x < width && y >= 0 && y < height)
          layer[y * width + x] = (layer[y * width + x] as number) + (kernel.weight[k] as number);
      }
    }
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < layer.length; i++) {
    const v = layer[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max > min)) return layer.fill(0);
  const scale = 1 / (max - min);
  for (let i = 0; i < layer.length; i++) layer[i] = ((layer[i] as number) - min) * scale;
  return layer;
}

/**
 * Rain streaks with random density, angle and length (unless given).
 *
 * @example
 * const { image, params } = addRain(clean, Rng.seeded(5)); // params.angle in [-45, 45)
 */
export const addRain: Degradation<RainParams> = (clean, rng, params) => {
  const density = params?.density ?? rng.uniform(RAIN_DENSITY_RANGE[0], RAIN_DENSITY_RANGE[1]);
  const angle = params?.angle ?? rng.uniform(RAIN_ANGLE_RANGE[0], RAIN_ANGLE_RANGE[1]);
  const length = params?.length ?? RAIN_LENGTH_RANGE[0] + rng.int(RAIN_LENGTH_RANGE[1] - RAIN_LENGTH_RANGE[0] + 1);
  const beta = params?.beta ?? RAIN_BETA;
  const layer = rainLayer(clean.width, clean.height, rng, density, angle, length);
  return { image: addLayer(clean, layer, beta), params: { density, angle, length, beta } };
};

/** I = clip(J + beta R) with the same R on every channel (rain is achromatic). */
function addLayer(clean: RgbImage, layer: Float32Array, beta: number): RgbImage {
  const src = clean.data;
  const out = new Float32Array(src.length);
  for (let p = 0; p < layer.length; p++) {
    const r = beta * (layer[p] as number);
    for (let c = 0; c < 3; c++) {
      const v = (src[p * 3 + c] as number) + r;
      out[p * 3 + c] = v > 0 ? (v < 1 ? v : 1) : 0;
    }
  }
  return { width: clean.width, height: clean.height, data: out };
}
