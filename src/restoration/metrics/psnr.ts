/**
 * Peak signal-to-noise ratio, 10 log10(peak^2 / MSE), with the MSE taken over every pixel and
 * channel at once in float64 (as both BasicSR's `calculate_psnr` and scikit-image's
 * `peak_signal_noise_ratio` do). Identical images give +Infinity (see `metricToJson`).
 */
import type { RgbImage } from "../image.js";
import { preparePair, type MetricOptions } from "./prepare.js";

/**
 * PSNR in dB between two same-size images.
 *
 * @example
 * psnr(clean, restored);                                              // BasicSR, RGB, no crop
 * psnr(clean, restored, { convention: "basicsr", cropBorder: 4, yChannel: true }); // SR x4 papers
 * psnr(clean, restored, { convention: "skimage" });                   // AirNet / PromptIR
 */
export function psnr(a: RgbImage, b: RgbImage, options: MetricOptions = {}): number {
  const pair = preparePair(a, b, options);
  let sum = 0;
  let count = 0;
  for (let c = 0; c < pair.a.length; c++) {
    const pa = pair.a[c] as Float64Array;
    const pb = pair.b[c] as Float64Array;
    for (let i = 0; i < pa.length; i++) {
      const d = (pa[i] as number) - (pb[i] as number);
      sum += d * d;
    }
    count += pa.length;
  }
  const mse = sum / count;
  if (mse === 0) return Infinity;
  return 10 * Math.log10((pair.peak * pair.peak) / mse);
}
