/**
 * Classical restoration tools, pure image math on `RgbImage` (no tfjs, no native code): the
 * baselines a learned restorer should beat. One module per family:
 *
 * - tone.ts: gamma correction, CLAHE (low light)
 * - dehaze.ts: the dark channel prior with optional guided-filter refinement (haze)
 * - tv.ts: total-variation denoising, Chambolle's projection algorithm (noise)
 * - wavelet.ts: Haar wavelet BayesShrink denoising, the MAD noise estimate (noise)
 * - nlm.ts: non-local means, fast form (noise)
 * - sharpen.ts: the unsharp mask (blur)
 * - smoothing.ts: Gaussian, median and bilateral filters (JPEG, rain)
 *
 * @example
 * const sigma = estimateNoiseSigma(noisy);
 * const denoised = nlmDenoise(noisy, { patch: 5, search: 11, h: 0.8 * sigma, sigma });
 * const brighter = gammaCorrect(dark, 2);
 */
export { clahe, gammaCorrect, type ClaheOptions } from "./tone.js";
export {
  darkChannel,
  darkChannelPrior,
  dehazeDarkChannel,
  estimateAtmosphericLight,
  guidedFilter,
  type DarkChannelOptions,
  type DarkChannelResult,
} from "./dehaze.js";
export { tvDenoise, tvDenoisePlane, type TvOptions } from "./tv.js";
export { estimateNoiseSigma, haarForward, haarInverse, waveletDenoise, type WaveletOptions } from "./wavelet.js";
export { nlmDenoise, type NlmOptions } from "./nlm.js";
export { unsharpMask, type UnsharpOptions } from "./sharpen.js";
export { bilateralFilter, gaussianRadius, gaussianSmooth, medianFilter, type BilateralOptions } from "./smoothing.js";
