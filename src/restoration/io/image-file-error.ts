import { KitError } from "../errors.js";

/** Why an image file could not be turned into an `RgbImage`. */
export type ImageFileErrorReason = "unreadable" | "unsupported-format" | "corrupt" | "too-large";

/**
 * The default largest image the loaders decode, in pixels (100 megapixels, jpeg-js's own default
 * for JPEG): checked on the header, before any pixel memory is allocated. A 20000x20000 PNG is
 * 1.1 MB on disk and 6.4 GB as float pixels.
 *
 * @example
 * decodeImage(bytes, "big.png", { maxPixels: 4 * MAX_IMAGE_PIXELS }) // raise the limit
 */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** Limits of the image loaders. */
export interface ImageLimits {
  /** The largest width × height decoded (default MAX_IMAGE_PIXELS). */
  readonly maxPixels?: number;
}

/** Throws "too-large" when width × height is above the limit (called with the header's size). */
export const checkImageSize = (
  nameForErrors: string,
  width: number,
  height: number,
  limits: ImageLimits = {},
): void => {
  const maxPixels = limits.maxPixels ?? MAX_IMAGE_PIXELS;
  if (width * height > maxPixels) {
    const amount = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MP` : `${n} pixels`);
    throw new ImageFileError(
      nameForErrors,
      "too-large",
      `${width}x${height} = ${amount(width * height)} is above the limit of ${amount(maxPixels)}; raise it with --max-pixels (or { maxPixels }) if the memory is there`,
    );
  }
};

/**
 * The one error the image loaders throw: it names the file and says why, so callers can
 * report "x.png: corrupt (...)" instead of training on NaNs.
 *
 * @example
 * try { await readImage("a.png"); } catch (e) { if (e instanceof ImageFileError) console.error(e.message); }
 */
export class ImageFileError extends KitError {
  constructor(
    /** The path (or the name given for in-memory bytes). */
    readonly file: string,
    readonly reason: ImageFileErrorReason,
    /** Human detail, e.g. the decoder's message. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason.replace("-", " ")} (${detail})`, options);
    this.name = "ImageFileError";
  }
}
