/**
 * JPEG encoding and decoding through jpeg-js (baseline JPEG, pure JavaScript).
 *
 * jpeg-js encodes with 4:4:4 chroma (no subsampling) and the standard IJG quality scaling of the
 * quantization tables, so a quality q here matches libjpeg's q in its tables; OpenCV's default
 * encoder additionally subsamples chroma 4:2:0, which makes its artefacts a little stronger.
 */
import jpeg from "jpeg-js";

import type { RgbImage } from "../image.js";
import { ImageFileError, MAX_IMAGE_PIXELS, type ImageLimits } from "./image-file-error.js";

/**
 * Runs `encode` where jpeg-js can return its bytes. Bundled into a browser page, jpeg-js's
 * encoder ends with `Buffer.from(bytes)` (it sees a CommonJS `module`), and a browser has no
 * `Buffer`: there a stand-in with only `from` is set for the duration of the (synchronous) call
 * and removed after, so nothing else ever sees it. In Node this is just `encode()`.
 */
const withBufferFrom = <T>(encode: () => T): T => {
  const scope = globalThis as { Buffer?: unknown };
  if (scope.Buffer !== undefined) return encode();
  scope.Buffer = { from: (bytes: ArrayLike<number>) => Uint8Array.from(bytes) };
  try {
    return encode();
  } finally {
    delete scope.Buffer;
  }
};

/** True when the bytes start with a JPEG start-of-image marker (FF D8 FF). */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * Encodes an image as a baseline JPEG at `quality` (1 to 100, rounded to an integer).
 * Values are clipped to [0, 1] and rounded to 8 bits first.
 *
 * @example
 * const bytes = encodeJpeg(img, 50);
 * const back = decodeJpeg(bytes, "memory");
 */
export function encodeJpeg(img: RgbImage, quality: number): Uint8Array {
  if (!(quality >= 1 && quality <= 100)) throw new RangeError(`JPEG quality must be in [1, 100], got ${quality}`);
  const { width, height, data } = img;
  const pixels = width * height;
  const rgba = new Uint8Array(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) {
      const v = data[p * 3 + c] as number;
      rgba[p * 4 + c] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
    }
    rgba[p * 4 + 3] = 255;
  }
  const encoded = withBufferFrom(() => jpeg.encode({ width, height, data: rgba }, Math.round(quality)));
  const buffer = encoded.data;
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Decodes JPEG bytes into an RGB float image; corrupt data gives an `ImageFileError` naming `nameForErrors`. */
export function decodeJpeg(bytes: Uint8Array, nameForErrors: string, limits: ImageLimits = {}): RgbImage {
  let decoded: { width: number; height: number; data: Uint8Array };
  const maxPixels = limits.maxPixels ?? MAX_IMAGE_PIXELS;
  try {
    // tolerantDecoding off: a truncated file must fail rather than come back half grey.
    // jpeg-js checks the frame header against maxResolutionInMP before it allocates.
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: Math.max(512, Math.ceil((maxPixels * 16) / 2 ** 20)),
    });
  } catch (error) {
    const message = (error as Error).message;
    if (/maxResolutionInMP/.test(message))
      throw new ImageFileError(
        nameForErrors,
        "too-large",
        `${message.replace(/\.$/, "")}; the limit is ${(maxPixels / 1e6).toFixed(1)} MP: raise it with --max-pixels (or { maxPixels }) if the memory is there`,
        { cause: error },
      );
    throw new ImageFileError(nameForErrors, "corrupt", `JPEG decoder: ${message}`, { cause: error });
  }
  const { width, height, data } = decoded;
  if (!(width > 0 && height > 0) || data.length !== width * height * 3) {
    throw new ImageFileError(nameForErrors, "corrupt", `JPEG decoded to ${data.length} samples for ${width}x${height}`);
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] as number) / 255;
  return { width, height, data: out };
}
