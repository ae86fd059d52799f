/**
 * Internal helpers of the classical tools: an `RgbImage` as three float64 planes and back, and
 * the window filters several tools share (box mean, min filter). Not exported from the kit.
 */
import { reflect101 } from "../degradations/filters.js";
import type { RgbImage } from "../image.js";

/** The three channels of an image as separate row-major float64 planes (R, G, B). */
export function toPlanes(img: RgbImage): [Float64Array, Float64Array, Float64Array] {
  const n = img.width * img.height;
  const r = new Float64Array(n);
  const g = new Float64Array(n);
  const b = new Float64Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) {
    r[i] = d[3 * i] as number;
    g[i] = d[3 * i + 1] as number;
    b[i] = d[3 * i + 2] as number;
  }
  return [r, g, b];
}

/** Three planes back into an image, clamped to [0, 1] (NaN becomes 0). */
export function fromPlanes(planes: readonly Float64Array[], width: number, height: number): RgbImage {
  const n = width * height;
  const out = new Float32Array(n * 3);
  for (let c = 0; c < 3; c++) {
    const p = planes[c] as Float64Array;
    for (let i = 0; i < n; i++) {
      const v = p[i] as number;
      out[3 * i + c] = v > 0 ? (v < 1 ? v : 1) : 0;
    }
  }
  return { width, height, data: out };
}

/** Applies `fn` to each channel plane of `img` and reassembles the result (clamped to [0, 1]). */
export function perChannel(img: RgbImage, fn: (plane: Float64Array) => Float64Array): RgbImage {
  return fromPlanes(
    toPlanes(img).map((p) => fn(p)),
    img.width,
    img.height,
  );
}

/**
 * The mean over the (2r + 1) x (2r + 1) window around every pixel, reflect-101 borders
 * (prefix sums along each axis: O(pixels), whatever r).
 */
export function boxMean(src: Float64Array, width: number, height: number, r: number): Float64Array {
  if (r <= 0) return src.slice();
  const size = 2 * r + 1;
  const tmp = new Float64Array(src.length);
  const prefix = new Float64Array(Math.max(width, height) + 2 * r + 1);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    prefix[0] = 0;
    for (let k = 0; k < width + 2 * r; k++)
      prefix[k + 1] = (prefix[k] as number) + (src[row + reflect101(k - r, width)] as number);
    for (let x = 0; x < width; x++) tmp[row + x] = (prefix[x + size] as number) - (prefix[x] as number);
  }
  const out = new Float64Array(src.length);
  const norm = 1 / (size * size);
  for (let x = 0; x < width; x++) {
    prefix[0] = 0;
    for (let k = 0; k < height + 2 * r; k++)
      prefix[k + 1] = (prefix[k] as number) + (tmp[reflect101(k - r, height) * width + x] as number);
    for (let y = 0; y < height; y++) out[y * width + x] = ((prefix[y + size] as number) - (prefix[y] as number)) * norm;
  }
  return out;
}

/**
 * The minimum over the (2r + 1) x (2r + 1) window around every pixel (separable: rows, then
 * columns); the window is cut at the image border (no padding values enter the minimum).
 */
export function minFilter(src: Float64Array, width: number, height: number, r: number): Float64Array {
  if (r <= 0) return src.slice();
  const tmp = new Float64Array(src.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let m = Infinity;
      const hi = Math.min(width - 1, x + r);
      for (let k = Math.max(0, x - r); k <= hi; k++) {
        const v = src[row + k] as number;
        if (v < m) m = v;
      }
      tmp[row + x] = m;
    }
  }
  const out = new Float64Array(src.length);
  for (let y = 0; y < height; y++) {
    const lo = Math.max(0, y - r);
    const hi = Math.min(height - 1, y + r);
    for (let x = 0; x < width; x++) {
      let m = Infinity;
      for (let k = lo; k <= hi; k++) {
        const v = tmp[k * width + x] as number;
        if (v < m) m = v;
      }
      out[y * width + x] = m;
    }
  }
  return out;
}

/** Throws a RangeError unless `value` is a finite number satisfying `ok`. */
export function checkParam(name: string, value: number, ok: (v: number) => boolean, expected: string): void {
  if (typeof value !== "number" || !Number.isFinite(value) || !ok(value))
    throw new RangeError(`${name} must be ${expected}, got ${String(value)}`);
}
