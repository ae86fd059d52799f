/**
 * The PNG codec library behind `png.ts`: pngjs's main build (Node's zlib and Buffer). In a
 * browser `png-codec.browser.ts` is used instead (its twin, see scripts/browser-twins.mjs): pngjs's own browser build, which brings its
 * JavaScript zlib and Buffer, so PNG decoding and encoding work in a browser with no Node built-in.
 */
import { PNG } from "pngjs";

export { PNG };

/** The bytes as the Buffer pngjs reads (no copy). */
export const pngInput = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A zeroed Buffer of `length` bytes, as pngjs takes pixels. */
export const pngPixels = (length: number): Buffer => Buffer.alloc(length);
