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
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0)
    throw new RangeError(`Gaussian kernel size must be a positive odd integer, got ${size}`);
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

/** True when the kernel reads the same backwards (every Gaussian does). */
function isSymmetric(kernel: Float64Array): boolean {
  for (let i = 0, j = kernel.length - 1; i < j; i++, j--) if (kernel[i] !== kernel[j]) return false;
  return true;
}

/**
 * Convolves an interleaved image (`channels` values per pixel) with the separable kernel
 * kx (along x) then ky (along y), both of odd length and centred, borders reflect-101.
 * Returns a new Float32Array of the same length. Symmetric kernels (all we use) take a folded
 * path that multiplies each mirrored pair once; for them correlation and convolution coincide.
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
  const rowStride = width * channels;
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  const foldX = isSymmetric(kx);
  const foldY = isSymmetric(ky);
  // Horizontal pass: copy each row into a reflect-padded buffer, then a plain dot product per sample.
  const padded = new Float32Array((width + 2 * rx) * channels);
  const span = 2 * rx * channels; // distance between the first and the last tap
  for (let y = 0; y < height; y++) {
    const row = y * rowStride;
    for (let x = -rx; x < width + rx; x++) {
      const from = row + reflect101(x, width) * channels;
      const to = (x + rx) * channels;
      for (let c = 0; c < channels; c++) padded[to + c] = src[from + c] as number;
    }
    for (let i = 0; i < rowStride; i++) {
      let acc = 0;
      if (foldX) {
        acc = (kx[rx] as number) * (padded[i + rx * channels] as number);
        for (let k = 0, j = i; k < rx; k++, j += channels)
          acc += (kx[k] as number) * ((padded[j] as number) + (padded[i + span - k * channels] as number));
      } else {
        for (let k = 0, j = i; k < kx.length; k++, j += channels) acc += (kx[k] as number) * (padded[j] as number);
      }
      tmp[row + i] = acc;
    }
  }
  // Vertical pass: whole rows at a time (out_row += w * tmp_row), cache friendly.
  const acc = new Float64Array(rowStride);
  for (let y = 0; y < height; y++) {
    if (foldY) {
      const w = ky[ry] as number;
      const centre = y * rowStride;
      for (let i = 0; i < rowStride; i++) acc[i] = w * (tmp[centre + i] as number);
      for (let k = 0; k < ry; k++) {
        const wk = ky[k] as number;
        const above = reflect101(y + k - ry, height) * rowStride;
        const below = reflect101(y + ry - k, height) * rowStride;
        for (let i = 0; i < rowStride; i++)
          acc[i] = (acc[i] as number) + wk * ((tmp[above + i] as number) + (tmp[below + i] as number));
      }
    } else {
      acc.fill(0);
      for (let k = 0; k < ky.length; k++) {
        const w = ky[k] as number;
        const from = reflect101(y + k - ry, height) * rowStride;
        for (let i = 0; i < rowStride; i++) acc[i] = (acc[i] as number) + w * (tmp[from + i] as number);
      }
    }
    out.set(acc, y * rowStride);
  }
  return out;
}
