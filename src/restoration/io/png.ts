/**
 * PNG decoding and encoding through pngjs.
 *
 * Every PNG colour type is accepted: grayscale (1/2/4/8/16 bit), RGB (8/16), palette (1/2/4/8),
 * grayscale+alpha (8/16), RGBA (8/16). Samples are scaled by their own bit depth
 * (x / (2^depth - 1)), so 16-bit files keep their precision.
 *
 * Alpha is ignored (the colour channels are used as stored), as OpenCV's `imread(IMREAD_COLOR)`
 * does, which is how BasicSR-style pipelines read training data. One exception comes from
 * pngjs itself: pixels made transparent by a tRNS colour key are returned black.
 */
import { nodeOnly, readFileSync } from "../../platform/node.js";
import { toUint8, type RgbImage } from "../image.js";
import { checkImageSize, ImageFileError, type ImageLimits } from "./image-file-error.js";
import { PNG, pngInput, pngPixels } from "./png-codec.js";

/** The 8 bytes every PNG file starts with. */
export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** True when the bytes start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < PNG_SIGNATURE.length) return false;
  for (let i = 0; i < PNG_SIGNATURE.length; i++) if (bytes[i] !== PNG_SIGNATURE[i]) return false;
  return true;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** The CRC-32 of PNG chunks (ISO 3309, as zlib computes it). */
const crc32 = (bytes: Uint8Array): number => {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

type ParsedPng = {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  data: Uint8Array | Uint16Array;
};

/**
 * Decodes PNG bytes into an RGB float image. `nameForErrors` is used in the `ImageFileError`
 * thrown for corrupt data, or for a size above `limits.maxPixels` (read from the header first).
 */
export function decodePng(bytes: Uint8Array, nameForErrors: string, limits: ImageLimits = {}): RgbImage {
  // The size from the IHDR chunk (signature, length, "IHDR", width, height, …, CRC), before
  // decoding allocates; only from a header whose CRC holds (a damaged one is the decoder's "corrupt").
  if (bytes.length >= 33) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (crc32(bytes.subarray(12, 29)) === view.getUint32(29))
      checkImageSize(nameForErrors, view.getUint32(16), view.getUint32(20), limits);
  }
  let png: ParsedPng;
  try {
    // skipRescale keeps 16-bit (and 1/2/4-bit) samples at their own depth; we scale them below.
    png = PNG.sync.read(pngInput(bytes), { skipRescale: true }) as unknown as ParsedPng;
  } catch (error) {
    throw new ImageFileError(nameForErrors, "corrupt", `PNG decoder: ${(error as Error).message}`, { cause: error });
  }
  const { width, height, depth, colorType, data } = png;
  if (!(width > 0 && height > 0) || data.length < width * height * 4) {
    throw new ImageFileError(nameForErrors, "corrupt", `PNG decoded to ${data.length} samples for ${width}x${height}`);
  }
  // Palette entries are always 8-bit colours, whatever the index depth.
  const maxSample = colorType === 3 ? 255 : 2 ** depth - 1;
  const scale = 1 / maxSample;
  const pixels = width * height;
  const out = new Float32Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    // pngjs always expands to RGBA (grayscale copied into R, G and B).
    out[p * 3] = (data[p * 4] as number) * scale;
    out[p * 3 + 1] = (data[p * 4 + 1] as number) * scale;
    out[p * 3 + 2] = (data[p * 4 + 2] as number) * scale;
  }
  return { width, height, data: out };
}

/** What a PNG's header says about its pixels (what `restore` keeps of them). */
export interface PngFacts {
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  readonly depth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGB + alpha. */
  readonly colorType: number;
  readonly gray: boolean;
  /** An alpha channel (colour types 4 and 6; a palette's tRNS transparency is not counted). */
  readonly alpha: boolean;
}

/**
 * A PNG's sample depth and colour type, from its IHDR chunk (undefined for bytes that are not a
 * PNG with a sound header).
 *
 * @example
 * pngFacts(encodePng(img)) // { depth: 8, colorType: 2, gray: false, alpha: false }
 */
export function pngFacts(bytes: Uint8Array): PngFacts | undefined {
  if (!isPng(bytes) || bytes.length < 33) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (crc32(bytes.subarray(12, 29)) !== view.getUint32(29)) return undefined;
  const depth = bytes[24] as number;
  const colorType = bytes[25] as number;
  return { depth, colorType, gray: colorType === 0 || colorType === 4, alpha: colorType === 4 || colorType === 6 };
}

/** A PNG's alpha channel in [0, 1], one value per pixel (all 1 for a PNG without one). */
export function decodePngAlpha(bytes: Uint8Array, nameForErrors: string): Float32Array {
  let png: ParsedPng;
  try {
    png = PNG.sync.read(pngInput(bytes), { skipRescale: true }) as unknown as ParsedPng;
  } catch (error) {
    throw new ImageFileError(nameForErrors, "corrupt", `PNG decoder: ${(error as Error).message}`, { cause: error });
  }
  const scale = 1 / (png.colorType === 3 ? 255 : 2 ** png.depth - 1);
  const alpha = new Float32Array(png.width * png.height);
  for (let p = 0; p < alpha.length; p++) alpha[p] = (png.data[p * 4 + 3] as number) * scale;
  return alpha;
}

/** How `encodePng` writes: 8 or 16 bits per sample, gray (the mean of R, G and B) or RGB, with an alpha channel or without. */
export interface PngEncoding {
  readonly bitDepth?: 8 | 16;
  readonly gray?: boolean;
  /** One value in [0, 1] per pixel. */
  readonly alpha?: Float32Array;
}

/**
 * Encodes an image as a PNG: 8-bit RGB by default (values clipped to [0, 1] and rounded as
 * `toUint8`); `encoding` asks for 16 bits, gray, or an alpha channel.
 */
export function encodePng(img: RgbImage, encoding: PngEncoding = {}): Uint8Array {
  if (encoding.bitDepth !== undefined || encoding.gray === true || encoding.alpha !== undefined)
    return encodePngWith(img, encoding);
  const rgb = toUint8(img);
  const pixels = img.width * img.height;
  // pngjs takes RGBA input; it drops the alpha when writing colour type 2.
  const rgba = pngPixels(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    rgba[p * 4] = rgb[p * 3] as number;
    rgba[p * 4 + 1] = rgb[p * 3 + 1] as number;
    rgba[p * 4 + 2] = rgb[p * 3 + 2] as number;
    rgba[p * 4 + 3] = 255;
  }
  const buffer = PNG.sync.write({ width: img.width, height: img.height, data: rgba } as unknown as PNG, {
    colorType: 2,
    inputColorType: 6,
    bitDepth: 8,
  });
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Reads a PNG file (used by tests and tools that want PNG only; see `readImage` for any format). */
export function readPngFile(path: string): RgbImage {
  nodeOnly("readPngFile", "fetch the bytes and use decodePng(bytes, name)");
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new ImageFileError(path, "unreadable", (error as Error).message, { cause: error });
  }
  if (!isPng(bytes)) throw new ImageFileError(path, "unsupported-format", "not a PNG file (bad signature)");
  return decodePng(bytes, path);
}

/** `encodePng` for 16 bits, gray or alpha: pngjs packs RGBA input of the output's depth into the colour type asked for. */
function encodePngWith(img: RgbImage, encoding: PngEncoding): Uint8Array {
  const pixels = img.width * img.height;
  const { alpha } = encoding;
  if (alpha !== undefined && alpha.length !== pixels)
    throw new RangeError(`alpha has ${alpha.length} values for ${pixels} pixels`);
  const depth = encoding.bitDepth ?? 8;
  const max = depth === 16 ? 65535 : 255;
  const quantise = (v: number) => (v > 0 ? (v < 1 ? Math.round(v * max) : max) : 0);
  const rgba = depth === 16 ? new Uint16Array(pixels * 4) : pngPixels(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    const [r, g, b] = [img.data[p * 3] as number, img.data[p * 3 + 1] as number, img.data[p * 3 + 2] as number];
    if (encoding.gray === true) {
      // One integer level in all three channels, so pngjs's (R + G + B) / 3 is that level exactly.
      const level = quantise((r + g + b) / 3);
      rgba[p * 4] = level;
      rgba[p * 4 + 1] = level;
      rgba[p * 4 + 2] = level;
    } else {
      rgba[p * 4] = quantise(r);
      rgba[p * 4 + 1] = quantise(g);
      rgba[p * 4 + 2] = quantise(b);
    }
    rgba[p * 4 + 3] = alpha === undefined ? max : quantise(alpha[p] as number);
  }
  const colorType = encoding.gray === true ? (alpha === undefined ? 0 : 4) : alpha === undefined ? 2 : 6;
  const data = depth === 16 ? pngInput(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength)) : rgba;
  const buffer = PNG.sync.write(
    { width: img.width, height: img.height, data } as unknown as PNG,
    { colorType, inputColorType: 6, inputHasAlpha: true, bitDepth: depth } as never,
  );
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
