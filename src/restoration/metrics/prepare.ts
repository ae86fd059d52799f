/**
 * How each metric convention turns two images into the arrays it compares.
 *
 * - 'basicsr' (BasicSR, MiOIR, most SR papers): samples rounded to 8 bits first
 *   (round(clip(x) * 255)), peak 255; the Y channel is 16 + (65.481 R + 128.553 G + 24.966 B)
 *   with R, G, B = the 8-bit values / 255, kept unrounded.
 * - 'skimage' (scikit-image, as AirNet and PromptIR call it): float samples as they are,
 *   data range 1; the Y channel, if asked for, is the same formula divided by 255.
 *
 * Both then drop `cropBorder` pixels on every side.
 */
import type { RgbImage } from "../image.js";

/** Which published evaluation code the numbers should match. */
export type MetricConvention = "basicsr" | "skimage";

/** Options shared by `psnr` and `ssim`. */
export type MetricOptions = {
  /** Default 'basicsr'. */
  readonly convention?: MetricConvention;
  /** Pixels dropped on each side before comparing (BasicSR's crop_border; e.g. the SR scale). Default 0. */
  readonly cropBorder?: number;
  /** Compare the luma Y (ITU-R BT.601, studio range) instead of R, G and B. Default false. */
  readonly yChannel?: boolean;
};

/** The arrays a metric compares: one float64 plane per channel, and the peak value. */
export type PreparedPair = {
  readonly width: number;
  readonly height: number;
  readonly a: readonly Float64Array[];
  readonly b: readonly Float64Array[];
  /** 255 for 'basicsr', 1 for 'skimage'. */
  readonly peak: number;
};

/** The convention names, for argument checking. */
export const METRIC_CONVENTIONS: readonly MetricConvention[] = ["basicsr", "skimage"];

const toByte = (v: number): number => (v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0);

function planes(img: RgbImage, convention: MetricConvention, crop: number, yChannel: boolean): Float64Array[] {
  const width = img.width - 2 * crop;
  const height = img.height - 2 * crop;
  const count = yChannel ? 1 : 3;
  const out = Array.from({ length: count }, () => new Float64Array(width * height));
  const quantize = convention === "basicsr";
  // Y is on the 0-255 scale in BasicSR and on the 0-1 scale for scikit-image.
  const yScale = quantize ? 1 : 1 / 255;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = ((y + crop) * img.width + x + crop) * 3;
      let r = img.data[s] as number;
      let g = img.data[s + 1] as number;
      let b = img.data[s + 2] as number;
      if (quantize) {
        r = toByte(r);
        g = toByte(g);
        b = toByte(b);
      }
      const d = y * width + x;
      if (yChannel) {
        // The BT.601 coefficients take R, G, B in [0, 1]; BasicSR feeds it the 8-bit values / 255.
        const scale = quantize ? 1 / 255 : 1;
        (out[0] as Float64Array)[d] = (16 + (65.481 * r + 128.553 * g + 24.966 * b) * scale) * yScale;
      } else {
        (out[0] as Float64Array)[d] = r;
        (out[1] as Float64Array)[d] = g;
        (out[2] as Float64Array)[d] = b;
      }
    }
  }
  return out;
}

/** Checks sizes and options and builds the planes both metrics work on. */
export function preparePair(a: RgbImage, b: RgbImage, options: MetricOptions = {}): PreparedPair {
  const convention = options.convention ?? "basicsr";
  const crop = options.cropBorder ?? 0;
  const yChannel = options.yChannel ?? false;
  if (!METRIC_CONVENTIONS.includes(convention))
    throw new RangeError(`unknown metric convention '${String(convention)}' (expected basicsr or skimage)`);
  if (a.width !== b.width || a.height !== b.height)
    throw new RangeError(`images differ in size: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  if (!Number.isInteger(crop) || crop < 0) throw new RangeError(`cropBorder must be an integer >= 0, got ${crop}`);
  if (a.width - 2 * crop < 1 || a.height - 2 * crop < 1)
    throw new RangeError(`cropBorder ${crop} leaves nothing of a ${a.width}x${a.height} image`);
  return {
    width: a.width - 2 * crop,
    height: a.height - 2 * crop,
    a: planes(a, convention, crop, yChannel),
    b: planes(b, convention, crop, yChannel),
    peak: convention === "basicsr" ? 255 : 1,
  };
}
