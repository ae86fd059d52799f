/**
 * Low light (MiOIR): a gamma darkening I = J^gamma with gamma ~ U(1, 3).
 * (gamma = 1 is the identity; gamma = 3 maps 0.5 to 0.125.)
 */
import type { RgbImage } from "../image.js";
import type { Degradation } from "./types.js";

/** Low-light parameters: the exponent applied to every sample. */
export type LowLightParams = { readonly gamma: number };

/** The range gamma is drawn from. */
export const LOW_LIGHT_GAMMA_RANGE: readonly [number, number] = [1, 3];

/** Raises every sample to `gamma` (inputs are clamped to [0, 1] first so the power is defined). */
export function applyGamma(clean: RgbImage, gamma: number): RgbImage {
  if (!(gamma > 0 && Number.isFinite(gamma))) throw new RangeError(`gamma must be a finite number > 0, got ${gamma}`);
  const src = clean.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i] as number;
    out[i] = v > 0 ? (v < 1 ? Math.pow(v, gamma) : 1) : 0;
  }
  return { width: clean.width, height: clean.height, data: out };
}

/**
 * MiOIR low light with gamma ~ U(1, 3) (unless given).
 *
 * @example
 * const { image } = addLowLight(clean, rng, { gamma: 2 }); // 0.5 -> 0.25
 */
export const addLowLight: Degradation<LowLightParams> = (clean, rng, params) => {
  const gamma = params?.gamma ?? rng.uniform(LOW_LIGHT_GAMMA_RANGE[0], LOW_LIGHT_GAMMA_RANGE[1]);
  return { image: applyGamma(clean, gamma), params: { gamma } };
};
