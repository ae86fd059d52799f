/**
 * A folder of clean images (PNG or JPEG, told by their bytes) as a `CleanSource`: random
 * crops, flips and quarter turns; the degradation is applied later, on the fly, per sample.
 *
 * Images are decoded when first drawn and kept in a small LRU cache, so a folder of thousands
 * of 2K images does not have to fit in memory. A file that cannot be decoded, or is smaller than
 * the patch, either stops the run with an error naming the file (`onBadFile: "error"`, the
 * default) or is dropped with one warning and never drawn again (`onBadFile: "skip"`).
 */
import type { Rng } from "../../core/random.js";
import { join, nodeOnly, readdirSync, statSync } from "../../platform/node.js";
import { KitError } from "../errors.js";
import { ImageTooSmallError, type RgbImage } from "../image.js";
import { ImageFileError } from "../io/image-file-error.js";
import { readImage } from "../io/read-image.js";
import { randomCrop, type CleanSource } from "./sources.js";

/** File extensions listed as images (the decoder itself goes by the bytes, not the name). */
export const IMAGE_EXTENSIONS: readonly string[] = [".png", ".jpg", ".jpeg"];

/** What to do with a file that cannot be used. */
export type BadFilePolicy = "error" | "skip";

/** A dataset problem that names the file: unreadable, corrupt, too small, unmatched pair, empty folder. */
export class DatasetError extends KitError {
  override readonly name = "DatasetError";
  constructor(
    /** The file or folder at fault. */
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `name` ends in one of `IMAGE_EXTENSIONS` (case-insensitive). */
export const isImageFileName = (name: string): boolean =>
  IMAGE_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));

/**
 * The image files directly inside `dir`, sorted by name (so the index of a file, and hence a
 * seeded draw, does not depend on the file system's listing order). Hidden files are ignored.
 */
export function listImageFiles(dir: string): string[] {
  nodeOnly("listImageFiles");
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new DatasetError(dir, `${dir}: cannot list folder (${(error as Error).message})`, { cause: error });
  }
  return names
    .filter((name) => !name.startsWith(".") && isImageFileName(name))
    .filter((name) => statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => join(dir, name));
}

/** Options of `imageFolderSource`. */
export interface ImageFolderOptions {
  /** A bad or too-small file: throw (`"error"`, default) or warn once and never draw it again (`"skip"`). */
  readonly onBadFile?: BadFilePolicy;
  /** Where skip warnings go (default: nowhere). */
  readonly onWarning?: (message: string) => void;
  /** How many decoded images to keep (default 64). */
  readonly cacheSize?: number;
}

/** The folder source, with what it has skipped so far. */
export interface ImageFolderSource extends CleanSource {
  /** Every image file found, sorted. */
  readonly files: readonly string[];
  /** Files dropped so far, with why. */
  readonly skipped: ReadonlyArray<{ readonly file: string; readonly reason: string }>;
}

/**
 * A `CleanSource` over the images in `dir`.
 *
 * @example
 * const source = imageFolderSource("data/DIV2K_train_HR", { onBadFile: "skip", onWarning: console.warn });
 * const patch = await source.drawPatch(Rng.seeded(1), 48, true);
 */
export function imageFolderSource(dir: string, options: ImageFolderOptions = {}): ImageFolderSource {
  nodeOnly("imageFolderSource", "use proceduralSource(), or a CleanSource of your own over decoded images");
  const files = listImageFiles(dir);
  if (files.length === 0)
    throw new DatasetError(dir, `${dir}: no image files (${IMAGE_EXTENSIONS.join(", ")}) in this folder`);
  const policy = options.onBadFile ?? "error";
  const cacheSize = options.cacheSize ?? 64;
  const cache = new Map<number, RgbImage>();
  const bad = new Set<number>();
  const skipped: { file: string; reason: string }[] = [];

  const load = async (index: number): Promise<RgbImage> => {
    const hit = cache.get(index);
    if (hit !== undefined) {
      // Re-insert so the Map's insertion order is the recency order.
      cache.delete(index);
      cache.set(index, hit);
      return hit;
    }
    const img = await readImage(files[index] as string);
    cache.set(index, img);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as number);
    return img;
  };

  const reject = (index: number, reason: string, cause: unknown): void => {
    const file = files[index] as string;
    if (policy === "error") throw new DatasetError(file, `${file}: ${reason}`, { cause });
    bad.add(index);
    skipped.push({ file, reason });
    options.onWarning?.(`warning: skipping ${file}: ${reason}`);
  };

  return {
    description: `folder ${dir} (${files.length} images)`,
    files,
    skipped,
    drawPatch: async (rng: Rng, patchSize: number, augment: boolean) => {
      for (;;) {
        if (bad.size === files.length) {
          throw new DatasetError(
            dir,
            `${dir}: no usable image left (all ${files.length} skipped; first: ${skipped[0]?.file}: ${skipped[0]?.reason})`,
          );
        }
        // Draw among all files and redraw on a skipped one: the draw sequence of a clean folder
        // stays the same whatever was skipped elsewhere.
        const index = rng.int(files.length);
        if (bad.has(index)) continue;
        let img: RgbImage;
        try {
          img = await load(index);
        } catch (error) {
          if (!(error instanceof ImageFileError)) throw error;
          reject(index, `${error.reason.replace("-", " ")} (${error.detail})`, error);
          continue;
        }
        if (img.width < patchSize || img.height < patchSize) {
          reject(
            index,
            `image ${img.width}x${img.height} is smaller than the ${patchSize}x${patchSize} patch`,
            new ImageTooSmallError(img.width, img.height, patchSize, patchSize),
          );
          continue;
        }
        return randomCrop(img, rng, patchSize, augment);
      }
    },
  };
}
