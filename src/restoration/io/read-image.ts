/**
 * Reading and writing image files, with the format told by the file's first bytes (never by
 * its extension, so a JPEG saved as .png still loads).
 */
import { fsPromises, nodeOnly, readFileSync, writeFileSync } from "../../platform/node.js";
import type { RgbImage } from "../image.js";
import { ImageFileError, type ImageLimits } from "./image-file-error.js";
import { decodeJpeg, isJpeg } from "./jpeg.js";
import { decodePng, encodePng, isPng } from "./png.js";

/**
 * Decodes PNG or JPEG bytes (detected from magic bytes) into an RGB float image in [0, 1].
 * Throws `ImageFileError` ("unsupported-format", "corrupt", or "too-large" above
 * `limits.maxPixels`, checked on the header) naming `nameForErrors`.
 */
export function decodeImage(bytes: Uint8Array, nameForErrors: string, limits: ImageLimits = {}): RgbImage {
  if (isPng(bytes)) return decodePng(bytes, nameForErrors, limits);
  if (isJpeg(bytes)) return decodeJpeg(bytes, nameForErrors, limits);
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
  const detail = bytes.length === 0 ? "empty file" : `not PNG or JPEG (starts with ${head})`;
  throw new ImageFileError(nameForErrors, "unsupported-format", detail);
}

/**
 * Reads a PNG or JPEG file as an RGB float image in [0, 1].
 *
 * @example
 * const img = await readImage("../shared/data/Set5/baby.png");
 */
export async function readImage(path: string, limits: ImageLimits = {}): Promise<RgbImage> {
  nodeOnly("readImage", "fetch the bytes and use decodeImage(bytes, name)");
  let bytes: Uint8Array;
  try {
    bytes = await fsPromises.readFile(path);
  } catch (error) {
    throw new ImageFileError(path, "unreadable", (error as Error).message, { cause: error });
  }
  return decodeImage(bytes, path, limits);
}

/** The synchronous twin of `readImage`, for scripts and tests. */
export function readImageSync(path: string, limits: ImageLimits = {}): RgbImage {
  nodeOnly("readImageSync", "fetch the bytes and use decodeImage(bytes, name)");
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new ImageFileError(path, "unreadable", (error as Error).message, { cause: error });
  }
  return decodeImage(bytes, path, limits);
}

/** Writes an 8-bit RGB PNG (values clipped to [0, 1], rounded as `toUint8`). */
export function writePng(path: string, img: RgbImage): void {
  nodeOnly("writePng", "use encodePng(img) and offer the bytes as a download");
  writeFileSync(path, encodePng(img));
}
