/**
 * x4 super-resolution input (MiOIR "SR" task, kept at the clean image's size so that one
 * network maps every task's input to its target pixel for pixel): bicubic down by 4, then
 * bicubic back up by 4 (a = -0.75, half-pixel centres, no antialiasing, as PyTorch's
 * `interpolate(mode='bicubic')`).
 *
 * Sizes not divisible by 4: no crop. The low-resolution image has ceil(n / 4) pixels per axis
 * (PyTorch's `interpolate(scale_factor=0.25)` would give floor(n / 4)) and both resamplings map
 * coordinates with the exact factor 4 (src = 4 (x + 0.5) - 0.5 down, src = (x + 0.5) / 4 - 0.5
 * up), the mapping `interpolate(scale_factor=...)` uses; the output has the input's size exactly
 * and every clean pixel is paired with its degraded twin.
 */
import type { RgbImage } from "../image.js";
import { resizeBicubic } from "./resize.js";
import type { Degradation } from "./types.js";

/** SR parameters: the down/up factor (4 in the MiOIR recipe). */
export type SuperResolutionParams = { readonly scale: number };

/** Bicubic down by `scale` then up by `scale`, clipped to [0, 1]. */
export function bicubicDownUp(clean: RgbImage, scale: number): RgbImage {
  if (!(Number.isInteger(scale) && scale >= 1))
    throw new RangeError(`SR scale must be a positive integer, got ${scale}`);
  const { width, height } = clean;
  const lowWidth = Math.ceil(width / scale);
  const lowHeight = Math.ceil(height / scale);
  const low = resizeBicubic(clean.data, width, height, 3, lowWidth, lowHeight, 1 / scale, 1 / scale);
  const data = resizeBicubic(low, lowWidth, lowHeight, 3, width, height, scale, scale);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v < 0) data[i] = 0;
    else if (v > 1) data[i] = 1;
  }
  return { width, height, data };
}

/**
 * The MiOIR SR task: x4 bicubic down and up. Draws nothing from `rng` (the recipe has no
 * randomness), so it leaves `rng` untouched.
 */
export const addBicubicDownUp: Degradation<SuperResolutionParams> = (clean, _rng, params) => {
  const scale = params?.scale ?? 4;
  return { image: bicubicDownUp(clean, scale), params: { scale } };
};
