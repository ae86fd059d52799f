/**
 * The lossy part of baseline JPEG, computed directly on pixels: what an encoder followed by a
 * decoder does to an image, minus the (lossless) entropy coding.
 *
 * Steps, as in JFIF baseline with 4:4:4 chroma (the jpeg-js layout):
 * 8-bit RGB -> YCbCr (JFIF, rounded to integers) -> level shift -128 -> 8x8 DCT-II per block
 * (partial blocks padded by repeating the last row/column) -> divide by the quantization table
 * (the standard Annex K luma/chroma tables scaled by the IJG quality rule) and round half away
 * from zero -> multiply back -> inverse DCT -> +128, round, clamp to 0..255 -> RGB, round, clamp.
 *
 * The colour conversions round, as libjpeg (and so OpenCV) do; jpeg-js's decoder truncates its
 * final RGB values instead, so its output sits about half a level darker. Apart from that and
 * rare rounding ties, the model and jpeg-js agree (about 50 dB PSNR between them).
 *
 * Why: jpeg-js rebuilds its Huffman tables on every `encode` call (about 60 ms even for a 64x64
 * crop), far too slow for on-the-fly training data; this model takes well under a millisecond
 * and the tests check it against jpeg-js's real encode/decode round trip.
 */
import type { RgbImage } from "../image.js";

/** The JPEG standard's (Annex K) example luminance quantization table, row-major. */
const LUMA_TABLE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51,
  87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101,
  72, 92, 95, 98, 112, 100, 103, 99,
];
/** The JPEG standard's (Annex K) example chrominance quantization table, row-major. */
const CHROMA_TABLE = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99,
];

/** The IJG quality scaling of a base table: quality 50 is the table itself, 100 is all ones. */
export function scaledQuantTable(base: readonly number[], quality: number): Float64Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const percent = q < 50 ? Math.floor(5000 / q) : Math.floor(200 - 2 * q);
  const table = new Float64Array(64);
  for (let i = 0; i < 64; i++)
    table[i] = Math.min(255, Math.max(1, Math.floor(((base[i] as number) * percent + 50) / 100)));
  return table;
}

/** Orthonormal 8-point DCT-II basis: BASIS[u * 8 + x] = a(u) cos((2x + 1) u pi / 16). */
const BASIS = (() => {
  const basis = new Float64Array(64);
  for (let u = 0; u < 8; u++) {
    const a = u === 0 ? Math.sqrt(1 / 8) : Math.sqrt(2 / 8);
    for (let x = 0; x < 8; x++) basis[u * 8 + x] = a * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
  return basis;
})();

const roundHalfAway = (v: number): number => (v >= 0 ? Math.floor(v + 0.5) : -Math.floor(-v + 0.5));
const clampByte = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/**
 * Quantizes one 8x8 block in place (spatial -> DCT -> quantize -> dequantize -> spatial).
 * `tmp` is 64 doubles of scratch.
 */
function quantizeBlock(block: Float64Array, table: Float64Array, tmp: Float64Array): void {
  // Forward: rows then columns (separable).
  for (let y = 0; y < 8; y++) {
    for (let u = 0; u < 8; u++) {
      let acc = 0;
      for (let x = 0; x < 8; x++) acc += (BASIS[u * 8 + x] as number) * (block[y * 8 + x] as number);
      tmp[y * 8 + u] = acc;
    }
  }
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      let acc = 0;
      for (let y = 0; y < 8; y++) acc += (BASIS[v * 8 + y] as number) * (tmp[y * 8 + u] as number);
      const q = table[v * 8 + u] as number;
      block[v * 8 + u] = roundHalfAway(acc / q) * q;
    }
  }
  // Inverse: columns then rows.
  for (let u = 0; u < 8; u++) {
    for (let y = 0; y < 8; y++) {
      let acc = 0;
      for (let v = 0; v < 8; v++) acc += (BASIS[v * 8 + y] as number) * (block[v * 8 + u] as number);
      tmp[y * 8 + u] = acc;
    }
  }
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      let acc = 0;
      for (let u = 0; u < 8; u++) acc += (BASIS[u * 8 + x] as number) * (tmp[y * 8 + u] as number);
      block[y * 8 + x] = acc;
    }
  }
}

/**
 * The image after a baseline JPEG round trip at `quality` (1 to 100), computed without entropy
 * coding. Output values are multiples of 1/255, like a decoded JPEG.
 *
 * @example
 * const compressed = jpegArtifactsModel(img, 40);
 */
export function jpegArtifactsModel(img: RgbImage, quality: number): RgbImage {
  if (!(quality >= 1 && quality <= 100)) throw new RangeError(`JPEG quality must be in [1, 100], got ${quality}`);
  const { width, height, data } = img;
  const pixels = width * height;
  // Planes in JPEG's level-shifted integer YCbCr.
  const planes = [new Float64Array(pixels), new Float64Array(pixels), new Float64Array(pixels)] as const;
  for (let p = 0; p < pixels; p++) {
    const r = clampByte(Math.round((data[p * 3] as number) * 255));
    const g = clampByte(Math.round((data[p * 3 + 1] as number) * 255));
    const b = clampByte(Math.round((data[p * 3 + 2] as number) * 255));
    planes[0][p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b) - 128;
    planes[1][p] = Math.round(-0.168736 * r - 0.331264 * g + 0.5 * b);
    planes[2][p] = Math.round(0.5 * r - 0.418688 * g - 0.081312 * b);
  }
  const tables = [
    scaledQuantTable(LUMA_TABLE, quality),
    scaledQuantTable(CHROMA_TABLE, quality),
    scaledQuantTable(CHROMA_TABLE, quality),
  ] as const;
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  for (let c = 0; c < 3; c++) {
    const plane = planes[c] as Float64Array;
    const table = tables[c] as Float64Array;
    for (let by = 0; by < height; by += 8) {
      for (let bx = 0; bx < width; bx += 8) {
        for (let y = 0; y < 8; y++) {
          const sy = Math.min(by + y, height - 1);
          for (let x = 0; x < 8; x++) block[y * 8 + x] = plane[sy * width + Math.min(bx + x, width - 1)] as number;
        }
        quantizeBlock(block, table, tmp);
        for (let y = 0; y < 8 && by + y < height; y++) {
          for (let x = 0; x < 8 && bx + x < width; x++)
            plane[(by + y) * width + bx + x] = clampByte(Math.round((block[y * 8 + x] as number) + 128));
        }
      }
    }
  }
  const out = new Float32Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const yy = planes[0][p] as number;
    const cb = (planes[1][p] as number) - 128;
    const cr = (planes[2][p] as number) - 128;
    out[p * 3] = clampByte(Math.round(yy + 1.402 * cr)) / 255;
    out[p * 3 + 1] = clampByte(Math.round(yy - 0.344136 * cb - 0.714136 * cr)) / 255;
    out[p * 3 + 2] = clampByte(Math.round(yy + 1.772 * cb)) / 255;
  }
  return { width, height, data: out };
}
