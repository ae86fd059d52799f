/**
 * The browser builds' twin of `png-codec.ts`: pngjs's browser build (`pngjs/browser.js`, with a
 * JavaScript zlib and its own Buffer class), so that no Node built-in is needed. Its Buffer
 * class is taken from a PNG it allocates (it does not export one), on first use.
 */
import pngjs from "pngjs/browser.js";

type NodeSide = typeof import("./png-codec.js");

export const PNG: NodeSide["PNG"] = pngjs.PNG;

type BufferClass = {
  from(buffer: ArrayBufferLike, offset: number, length: number): Buffer;
  alloc(length: number): Buffer;
};
let bufferClass: BufferClass | undefined;
const pngBuffer = (): BufferClass =>
  (bufferClass ??= (new PNG({ width: 1, height: 1 }).data as unknown as { constructor: BufferClass }).constructor);

export const pngInput: NodeSide["pngInput"] = (bytes) =>
  pngBuffer().from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export const pngPixels: NodeSide["pngPixels"] = (length) => pngBuffer().alloc(length);
