/**
 * Structural similarity, per channel then averaged, in the two published flavours:
 *
 * - 'basicsr' (BasicSR's `calculate_ssim`, from Wang et al. 2004): 8-bit samples, 11x11
 *   Gaussian window with sigma 1.5, statistics only where the window fits (valid region),
 *   c1 = (0.01 * 255)^2, c2 = (0.03 * 255)^2, population (biased) variances.
 * - 'skimage' (scikit-image's `structural_similarity` defaults with data_range = 1): float
 *   samples, 7x7 uniform window, sample covariances (x 49 / 48), c1 = 0.01^2, c2 = 0.03^2, and
 *   the SSIM map's 3-pixel border dropped before averaging, i.e. again the valid region.
 *
 * Both are computed in float64 with separable sums over the valid region.
 */
import { gaussianKernel1d } from "../degradations/filters.js";
import type { RgbImage } from "../image.js";
import { preparePair, type MetricOptions } from "./prepare.js";

/** Filters a plane with a separable kernel where it fits entirely (valid correlation). */
function validFilter(
  src: Float64Array,
  width: number,
  height: number,
  kernel: Float64Array,
  tmp: Float64Array,
  out: Float64Array,
): void {
  const k = kernel.length;
  const outWidth = width - k + 1;
  const outHeight = height - k + 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      let acc = 0;
      for (let i = 0; i < k; i++) acc += (kernel[i] as number) * (src[y * width + x + i] as number);
      tmp[y * outWidth + x] = acc;
    }
  }
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      let acc = 0;
      for (let i = 0; i < k; i++) acc += (kernel[i] as number) * (tmp[(y + i) * outWidth + x] as number);
      out[y * outWidth + x] = acc;
    }
  }
}

type SsimSetup = { kernel: Float64Array; c1: number; c2: number; covarianceNorm: number };

/** Mean SSIM of one channel. */
function ssimPlane(x: Float64Array, y: Float64Array, width: number, height: number, setup: SsimSetup): number {
  const { kernel, c1, c2, covarianceNorm } = setup;
  const k = kernel.length;
  const n = (width - k + 1) * (height - k + 1);
  const tmp = new Float64Array(height * (width - k + 1));
  const xx = new Float64Array(x.length);
  const yy = new Float64Array(x.length);
  const xy = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const a = x[i] as number;
    const b = y[i] as number;
    xx[i] = a * a;
    yy[i] = b * b;
    xy[i] = a * b;
  }
  const mx = new Float64Array(n);
  const my = new Float64Array(n);
  const mxx = new Float64Array(n);
  const myy = new Float64Array(n);
  const mxy = new Float64Array(n);
  validFilter(x, width, height, kernel, tmp, mx);
  validFilter(y, width, height, kernel, tmp, my);
  validFilter(xx, width, height, kernel, tmp, mxx);
  validFilter(yy, width, height, kernel, tmp, myy);
  validFilter(xy, width, height, kernel, tmp, mxy);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const ux = mx[i] as number;
    const uy = my[i] as number;
    const vx = covarianceNorm * ((mxx[i] as number) - ux * ux);
    const vy = covarianceNorm * ((myy[i] as number) - uy * uy);
    const vxy = covarianceNorm * ((mxy[i] as number) - ux * uy);
    sum += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
  }
  return sum / n;
}

/**
 * Mean SSIM between two same-size images (1 for identical images).
 * Throws a RangeError when the (cropped) image is smaller than the window (11 or 7 pixels).
 *
 * @example
 * ssim(clean, restored, { convention: "skimage" }); // as AirNet / PromptIR report it
 */
export function ssim(a: RgbImage, b: RgbImage, options: MetricOptions = {}): number {
  const pair = preparePair(a, b, options);
  const basicsr = (options.convention ?? "basicsr") === "basicsr";
  const window = basicsr ? 11 : 7;
  if (pair.width < window || pair.height < window) {
    throw new RangeError(
      `SSIM needs at least ${window}x${window} pixels after cropping, got ${pair.width}x${pair.height}`,
    );
  }
  const setup: SsimSetup = basicsr
    ? { kernel: gaussianKernel1d(11, 1.5), c1: (0.01 * 255) ** 2, c2: (0.03 * 255) ** 2, covarianceNorm: 1 }
    : { kernel: new Float64Array(7).fill(1 / 7), c1: 0.01 ** 2, c2: 0.03 ** 2, covarianceNorm: 49 / 48 };
  let total = 0;
  for (let c = 0; c < pair.a.length; c++)
    total += ssimPlane(pair.a[c] as Float64Array, pair.b[c] as Float64Array, pair.width, pair.height, setup);
  return total / pair.a.length;
}
