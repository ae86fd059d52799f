/**
 * Bicubic resampling as PyTorch's `interpolate(mode='bicubic', align_corners=False)` and
 * OpenCV's INTER_CUBIC compute it: Keys cubic convolution with a = -0.75, half-pixel centres
 * (src = (dst + 0.5) / scale - 0.5), border samples replicated, no antialiasing.
 */

/** The cubic convolution weight at distance `t` (a = -0.75). */
export function cubicWeight(t: number, a = -0.75): number {
  const x = Math.abs(t);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

type Taps = { index: Int32Array; weight: Float64Array };

/** For each output position, the 4 source indices (clamped) and weights. */
function cubicTaps(outSize: number, inSize: number, inverseScale: number): Taps {
  const index = new Int32Array(outSize * 4);
  const weight = new Float64Array(outSize * 4);
  for (let o = 0; o < outSize; o++) {
    const src = (o + 0.5) * inverseScale - 0.5;
    const base = Math.floor(src);
    const t = src - base;
    for (let k = 0; k < 4; k++) {
      const i = base - 1 + k;
      index[o * 4 + k] = i < 0 ? 0 : i >= inSize ? inSize - 1 : i;
      weight[o * 4 + k] = cubicWeight(t - (k - 1));
    }
  }
  return { index, weight };
}

/**
 * Resizes an interleaved image (`channels` per pixel) to outWidth x outHeight. The coordinate
 * map uses `scaleX`/`scaleY` (output size / input size by default; pass the nominal factor,
 * e.g. 4 or 0.25, to map exactly as `interpolate(scale_factor=...)` does when the size does not
 * divide evenly). The result is not clipped (bicubic overshoots slightly at edges).
 */
export function resizeBicubic(
  src: Float32Array,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
  scaleX = outWidth / width,
  scaleY = outHeight / height,
): Float32Array {
  const tx = cubicTaps(outWidth, width, 1 / scaleX);
  const ty = cubicTaps(outHeight, height, 1 / scaleY);
  // Horizontal pass: height rows of outWidth pixels.
  const tmp = new Float32Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    const inRow = y * width * channels;
    const outRow = y * outWidth * channels;
    for (let x = 0; x < outWidth; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < 4; k++)
          acc +=
            (tx.weight[x * 4 + k] as number) * (src[inRow + (tx.index[x * 4 + k] as number) * channels + c] as number);
        tmp[outRow + x * channels + c] = acc;
      }
    }
  }
  // Vertical pass.
  const rowLength = outWidth * channels;
  const out = new Float32Array(outHeight * rowLength);
  for (let y = 0; y < outHeight; y++) {
    const r0 = (ty.index[y * 4] as number) * rowLength;
    const r1 = (ty.index[y * 4 + 1] as number) * rowLength;
    const r2 = (ty.index[y * 4 + 2] as number) * rowLength;
    const r3 = (ty.index[y * 4 + 3] as number) * rowLength;
    const w0 = ty.weight[y * 4] as number;
    const w1 = ty.weight[y * 4 + 1] as number;
    const w2 = ty.weight[y * 4 + 2] as number;
    const w3 = ty.weight[y * 4 + 3] as number;
    const outRow = y * rowLength;
    for (let i = 0; i < rowLength; i++) {
      out[outRow + i] =
        w0 * (tmp[r0 + i] as number) +
        w1 * (tmp[r1 + i] as number) +
        w2 * (tmp[r2 + i] as number) +
        w3 * (tmp[r3 + i] as number);
    }
  }
  return out;
}
