/** Classical deblurring: the unsharp mask. */
import type { RgbImage } from "../image.js";
import { checkParam } from "./planes.js";
import { gaussianSmooth } from "./smoothing.js";

/** Options of `unsharpMask`. */
export interface UnsharpOptions {
  /** Sigma of the Gaussian that makes the blurred copy, in pixels. */
  readonly sigma: number;
  /** How much of the detail (image - blurred copy) is added back: 0 is the identity. */
  readonly amount: number;
}

/**
 * The unsharp mask: out = in + amount x (in - G_sigma * in), each channel, clamped to [0, 1]
 * (the Gaussian as `gaussianSmooth`, reflect-101 borders).
 *
 * @example
 * const sharper = unsharpMask(blurred, { sigma: 1.5, amount: 1 });
 */
export function unsharpMask(img: RgbImage, options: UnsharpOptions): RgbImage {
  checkParam("amount", options.amount, (v) => v >= 0, "a finite number >= 0");
  const blurred = gaussianSmooth(img, options.sigma);
  const src = img.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i] as number;
    const o = v + options.amount * (v - (blurred.data[i] as number));
    out[i] = o > 0 ? (o < 1 ? o : 1) : 0;
  }
  return { width: img.width, height: img.height, data: out };
}
