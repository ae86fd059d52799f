/**
 * Shared test fixtures for the restoration image layer: where the optional real images live,
 * a tiny PNG writer for colour types pngjs cannot write (palette, 1/2/4/16-bit), and small
 * synthetic images.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

import type { RgbImage } from "../../src/restoration/image.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The real test images (CBSD68, Set14, Set5): $ART_MTL_DATA, else ../shared/data next to the
 * repository; undefined when absent, and tests that need them skip — except under CI=true,
 * where CI has the data beside the clone, so a missing folder is an error, not a silent skip.
 */
export function sharedDataDir(): string | undefined {
  const dir = process.env.ART_MTL_DATA ?? resolve(repoRoot, "..", "shared", "data");
  const complete = ["CBSD68", "Set14", "Set5"].every((set) => existsSync(resolve(dir, set)));
  if (!complete && process.env.CI === "true")
    throw new Error(
      `CI=true but the real test images are missing at ${dir} (expected CBSD68/, Set14/, Set5/): tests that need them must not skip in CI`,
    );
  return complete ? dir : undefined;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * A PNG file from raw samples, written by hand (PNG spec: IHDR, optional PLTE, one IDAT of
 * filter-0 scanlines, IEND). `samples` holds, row-major, `channels` integers per pixel at
 * `bitDepth` (palette indices for colour type 3).
 */
export function buildPng(opts: {
  width: number;
  height: number;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  colorType: 0 | 2 | 3 | 4 | 6;
  samples: readonly number[];
  palette?: readonly (readonly [number, number, number])[];
}): Buffer {
  const { width, height, bitDepth, colorType, samples, palette } = opts;
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType];
  const rowBits = width * channels * bitDepth;
  const rowBytes = Math.ceil(rowBits / 8);
  const raw = Buffer.alloc(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    const rowStart = y * (rowBytes + 1) + 1; // byte 0 of each row: filter type 0
    for (let i = 0; i < width * channels; i++) {
      const v = samples[y * width * channels + i] as number;
      if (bitDepth === 16) raw.writeUInt16BE(v, rowStart + i * 2);
      else if (bitDepth === 8) raw[rowStart + i] = v;
      else {
        const bit = i * bitDepth;
        const byte = rowStart + (bit >> 3);
        const shift = 8 - bitDepth - (bit & 7);
        raw[byte] = (raw[byte] as number) | (v << shift);
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr)];
  if (palette !== undefined) parts.push(chunk("PLTE", Uint8Array.from(palette.flat())));
  parts.push(chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array(0)));
  return Buffer.concat(parts);
}

/** A w x h image whose every sample is `value`. */
export function constantImage(width: number, height: number, value: number): RgbImage {
  return { width, height, data: new Float32Array(width * height * 3).fill(value) };
}

/** A w x h image with value(x, y, c) from a function. */
export function imageFrom(width: number, height: number, value: (x: number, y: number, c: number) => number): RgbImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = value(x, y, c);
  return { width, height, data };
}

/** Mean of all samples. */
export function mean(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] as number;
  return s / data.length;
}

/** Asserts every sample is finite and in [0, 1]; returns a message or undefined. */
export function outOfRange(img: RgbImage): string | undefined {
  for (let i = 0; i < img.data.length; i++) {
    const v = img.data[i] as number;
    if (!(v >= 0 && v <= 1)) return `sample ${i} = ${v}`;
  }
  return undefined;
}
