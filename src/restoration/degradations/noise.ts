/**
 * Additive white Gaussian noise, independent per pixel and channel, then clipped to [0, 1]:
 * I = clip(J + n), n ~ N(0, sigma^2).
 *
 * Recipes: AirNet / PromptIR train and test at fixed sigma in {15, 25, 50} / 255
 * (`fixedSigmaNoise`); MiOIR draws sigma ~ U(15, 50) / 255 per image (`addGaussianNoise`).
 * Deviation: those pipelines round the noisy image to 8 bits; we keep float32.
 */
import type { Rng } from "../../core/random.js";
import type { RgbImage } from "../image.js";
import type { Degradation, DegradationResult } from "./types.js";

/** Noise parameters; `sigma` is the standard deviation on the [0, 1] scale (15/255 for "sigma 15"). */
export type NoiseParams = { readonly sigma: number };

/** The range MiOIR draws sigma from, on the [0, 1] scale: U(15, 50) / 255. */
export const NOISE_SIGMA_RANGE: readonly [number, number] = [15 / 255, 50 / 255];

/**
 * Fills `out` with standard normal draws. Box-Muller using both outputs of each pair, with
 * 32-bit uniforms (one generator step each, plenty for noise synthesis); fully determined by `rng`.
 */
export function fillStandardNormal(out: Float32Array, rng: Rng): void {
  const scale = 1 / 4294967296;
  for (let i = 0; i < out.length; i += 2) {
    // (k + 0.5) / 2^32 is never 0, so the logarithm is finite.
    const u = (rng.nextUint32() + 0.5) * scale;
    const v = rng.nextUint32() * scale;
    const r = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * v;
    out[i] = r * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(angle);
  }
}

/** Adds N(0, sigma^2) to every sample and clips to [0, 1]. */
export function addNoiseWithSigma(clean: RgbImage, rng: Rng, sigma: number): RgbImage {
  if (!(sigma >= 0 && Number.isFinite(sigma)))
    throw new RangeError(`noise sigma must be a finite number >= 0, got ${sigma}`);
  const out = new Float32Array(clean.data.length);
  fillStandardNormal(out, rng);
  const src = clean.data;
  for (let i = 0; i < out.length; i++) {
    const v = (src[i] as number) + sigma * (out[i] as number);
    out[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  return { width: clean.width, height: clean.height, data: out };
}

/**
 * MiOIR noise: sigma ~ U(15, 50) / 255 unless given.
 *
 * @example
 * const { image, params } = addGaussianNoise(clean, Rng.seeded(1)); // params.sigma in [15/255, 50/255)
 */
export const addGaussianNoise: Degradation<NoiseParams> = (clean, rng, params) => {
  const sigma = params?.sigma ?? rng.uniform(NOISE_SIGMA_RANGE[0], NOISE_SIGMA_RANGE[1]);
  return { image: addNoiseWithSigma(clean, rng, sigma), params: { sigma } };
};

/**
 * AirNet / PromptIR noise at a fixed level, given on the 0-255 scale.
 *
 * @example
 * const noise25 = fixedSigmaNoise(25);
 * noise25(clean, rng).params.sigma === 25 / 255;
 */
export function fixedSigmaNoise(sigma255: number): Degradation<NoiseParams> {
  return (clean: RgbImage, rng: Rng, params?: Partial<NoiseParams>): DegradationResult<NoiseParams> => {
    const sigma = params?.sigma ?? sigma255 / 255;
    return { image: addNoiseWithSigma(clean, rng, sigma), params: { sigma } };
  };
}
