/**
 * Low-level filters shared by the degradations: Gaussian kernels and separable convolution
 * with reflect-101 borders, on interleaved float32 planes. Work buffers are allocated once per
 * call, never per pixel.
 */

/**
 * The reflect-101 index (…c b | a b c … | … b a b …, the edge sample not repeated), as
 * OpenCV's default BORDER_REFLECT_101 and PyTorch's 'reflect' pad. Valid for any offset.
 */
export function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

/**
 * A normalized 1-D Gaussian of odd `size` centred on its middle tap (as OpenCV's
 * `getGaussianKernel(size, sigma)` for sigma > 0).
 */
export function gaussianKernel1d(size: number, sigma: number): Float64Array {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0) throw new RangeError(`Gaussian kernel size must be a positive odd integer, got ${size}`);
  if (!(sigma > 0)) throw new RangeError(`Gaussian sigma must be > 0, got ${sigma}`);
  const kernel = new Float64Array(size);
  const half = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = i - half;
    const w = Math.exp(-(x * x) / (2 * sigma * sigma));
    kernel[i] = w;
    sum += w;
  }
  for (let i = 0; i < size; i++) kernel[i] = (kernel[i] as number) / sum;
  return kernel;
}

/**
 * Convolves an interleaved image (`channels` values per pixel) with the separable kernel
 * kx (along x) then ky (along y), both of odd length and centred, borders reflect-101.
 * Returns a new Float32Array of the same length. (The kernels are symmetric wherever we use
 * them, so correlation and convolution coincide.)
 */
export function convolveSeparable(
  src: Float32Array,
  width: number,
  height: number,
  channels: number,
  kx: Float64Array,
  ky: Float64Array,
): Float32Array {
  const rx = (kx.length - 1) / 2;
  const ry = (ky.length - 1) / 2;
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  // Column indices of every tap for every x, precomputed once (reflection off the hot loop).
  const xIndex = new Int32Array(width * kx.length);
  for (let x = 0; x < width; x++) for (let k = 0; k < kx.length; k++) xIndex[x * kx.length + k] = reflect101(x + k - rx, width) * channels;
  const rowStride = width * channels;
  for (let y = 0; y < height; y++) {
    const row = y * rowStride;
    for (let x = 0; x < width; x++) {
      const base = x * kx.length;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < kx.length; k++) acc += (kx[k] as number) * (src[row + (xIndex[base + k] as number) + c] as number);
        tmp[row + x * channels + c] = acc;
      }
    }
  }
  const yIndex = new Int32Array(height * ky.length);
  for (let y = 0; y < height; y++) for (let k = 0; k < ky.length; k++) yIndex[y * ky.length + k] = reflect101(y + k - ry, height) * rowStride;
  for (let y = 0; y < height; y++) {
    const base = y * ky.length;
    const outRow = y * rowStride;
    for (let i = 0; i < rowStride; i++) {
      let acc = 0;
      for (let k = 0; k < ky.length; k++) acc += (ky[k] as number) * (tmp[(yIndex[base + k] as number) + i] as number);
      out[outRow + i] = acc;
    }
  }
  return out;
}
