/**
 * Total-variation denoising by Chambolle's projection algorithm (Chambolle 2004, "An algorithm
 * for total variation minimization and applications"): the minimizer of
 * ||u - f||^2 / 2 + weight x TV(u), TV the isotropic total variation (forward differences), each
 * channel on its own, as scikit-image's `denoise_tv_chambolle` with `channel_axis` (whose loop
 * and stopping rule this follows: step 1/4, stop when the energy changes by less than
 * eps x its first value, at most maxIterations).
 */
import type { RgbImage } from "../image.js";
import { checkParam, perChannel } from "./planes.js";

/** Options of `tvDenoise`. */
export interface TvOptions {
  /** The TV weight lambda on the [0, 1] intensity scale: larger removes more (and flattens more). */
  readonly weight: number;
  /** At most this many iterations (default 200). */
  readonly maxIterations?: number;
  /** Relative energy change that stops the iterations (default 2e-4). */
  readonly eps?: number;
}

/** Chambolle's iterations on one plane; returns the denoised plane. */
export function tvDenoisePlane(
  f: Float64Array,
  width: number,
  height: number,
  weight: number,
  maxIterations = 200,
  eps = 2e-4,
): Float64Array {
  const n = width * height;
  if (weight === 0) return f.slice();
  const px = new Float64Array(n); // dual variable, x component
  const py = new Float64Array(n);
  const out = f.slice();
  const tau = 0.25;
  let initial = 0;
  let previous = 0;
  for (let it = 0; it < maxIterations; it++) {
    let energy = 0;
    if (it > 0) {
      // out = f - div p (d = -div p with the adjoint of the forward differences)
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const i = y * width + x;
          let d = -(px[i] as number) - (py[i] as number);
          if (x > 0) d += px[i - 1] as number;
          if (y > 0) d += py[i - width] as number;
          out[i] = (f[i] as number) + d;
          energy += d * d;
        }
      }
    }
    let tvSum = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const gx = x < width - 1 ? (out[i + 1] as number) - (out[i] as number) : 0;
        const gy = y < height - 1 ? (out[i + width] as number) - (out[i] as number) : 0;
        const norm = Math.sqrt(gx * gx + gy * gy);
        tvSum += norm;
        const factor = 1 + (tau / weight) * norm;
        px[i] = ((px[i] as number) - tau * gx) / factor;
        py[i] = ((py[i] as number) - tau * gy) / factor;
      }
    }
    energy = (energy + weight * tvSum) / n;
    if (it === 0) {
      initial = energy;
      previous = energy;
    } else {
      if (Math.abs(previous - energy) < eps * initial) break;
      previous = energy;
    }
  }
  return out;
}

/**
 * TV denoising of each channel (Chambolle's algorithm); output clamped to [0, 1].
 *
 * @example
 * const clean = tvDenoise(noisy, { weight: 0.1 }); // about right for noise sigma 25/255
 */
export function tvDenoise(img: RgbImage, options: TvOptions): RgbImage {
  checkParam("weight", options.weight, (v) => v >= 0, "a finite number >= 0");
  const maxIterations = options.maxIterations ?? 200;
  checkParam("maxIterations", maxIterations, (v) => Number.isInteger(v) && v >= 1, "an integer >= 1");
  const eps = options.eps ?? 2e-4;
  return perChannel(img, (p) => tvDenoisePlane(p, img.width, img.height, options.weight, maxIterations, eps));
}
