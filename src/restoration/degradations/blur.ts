/**
 * Isotropic Gaussian blur (MiOIR): kernel size k in {7, 9, ..., 21}, sigma ~ U(1, 3) pixels,
 * reflect-101 borders (OpenCV's default), applied separably.
 */
import type { RgbImage } from "../image.js";
import { convolveSeparable, gaussianKernel1d } from "./filters.js";
import type { Degradation } from "./types.js";

/** Blur parameters: odd kernel size and the Gaussian's standard deviation, both in pixels. */
export type BlurParams = { readonly kernelSize: number; readonly sigma: number };

/** Kernel sizes drawn uniformly. */
export const BLUR_KERNEL_SIZES: readonly number[] = [7, 9, 11, 13, 15, 17, 19, 21];
/** The range sigma is drawn from. */
export const BLUR_SIGMA_RANGE: readonly [number, number] = [1, 3];

/** Blurs with a normalized `kernelSize` x `kernelSize` Gaussian of standard deviation `sigma`. */
export function gaussianBlur(clean: RgbImage, kernelSize: number, sigma: number): RgbImage {
  const kernel = gaussianKernel1d(kernelSize, sigma);
  const data = convolveSeparable(clean.data, clean.width, clean.height, 3, kernel, kernel);
  // A normalized non-negative kernel keeps values in [0, 1] up to rounding; clamp that away.
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v < 0) data[i] = 0;
    else if (v > 1) data[i] = 1;
  }
  return { width: clean.width, height: clean.height, data };
}

/**
 * MiOIR Gaussian blur with random kernel size and sigma (unless given).
 *
 * @example
 * const { image, params } = addGaussianBlur(clean, Rng.seeded(3)); // params.kernelSize in 7..21, odd
 */
export const addGaussianBlur: Degradation<BlurParams> = (clean, rng, params) => {
  const kernelSize = params?.kernelSize ?? rng.pick(BLUR_KERNEL_SIZES);
  const sigma = params?.sigma ?? rng.uniform(BLUR_SIGMA_RANGE[0], BLUR_SIGMA_RANGE[1]);
  return { image: gaussianBlur(clean, kernelSize, sigma), params: { kernelSize, sigma } };
};
