/** Why an image file could not be turned into an `RgbImage`. */
export type ImageFileErrorReason = "unreadable" | "unsupported-format" | "corrupt";

/**
 * The one error the image loaders throw: it names the file and says why, so callers can
 * report "x.png: corrupt (...)" instead of training on NaNs.
 *
 * @example
 * try { await readImage("a.png"); } catch (e) { if (e instanceof ImageFileError) console.error(e.message); }
 */
export class ImageFileError extends Error {
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
