import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { crc32 } from "node:zlib";
import { PNG } from "pngjs";

import { Rng } from "../../src/core/random.js";
import { proceduralImage } from "../../src/restoration/data/procedural.js";
import { toUint8 } from "../../src/restoration/image.js";
import {
  decodeImage,
  decodeJpeg,
  decodePngAlpha,
  encodeJpeg,
  encodePng,
  ImageFileError,
  pngFacts,
  readImage,
  readImageSync,
  writePng,
} from "../../src/restoration/io/index.js";
import { psnr } from "../../src/restoration/metrics/index.js";
import { buildPng, sharedDataDir } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "art-mtl-io-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The decoded pixel (x, y) as 0-255 numbers (exact for 8-bit sources). */
const px = (img: { width: number; data: Float32Array }, x: number, y: number, scale = 255): number[] =>
  [0, 1, 2].map((c) => Math.round((img.data[(y * img.width + x) * 3 + c] as number) * scale));

test("PNG colour type 2 (RGB, 8 bit) written by pngjs decodes exactly", () => {
  const rgba = Buffer.from([10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255, 250, 128, 0, 255]);
  const bytes = PNG.sync.write({ width: 2, height: 2, data: rgba } as unknown as PNG, {
    colorType: 2,
    inputColorType: 6,
  });
  const img = decodeImage(bytes, "rgb.png");
  assert.deepEqual(
    [px(img, 0, 0), px(img, 1, 0), px(img, 0, 1), px(img, 1, 1)],
    [
      [10, 20, 30],
      [40, 50, 60],
      [70, 80, 90],
      [250, 128, 0],
    ],
  );
});

test("PNG colour type 6 (RGBA, 8 bit): alpha is ignored, colour kept as stored", () => {
  const rgba = Buffer.from([200, 100, 50, 0, 1, 2, 3, 128]);
  const bytes = PNG.sync.write({ width: 2, height: 1, data: rgba } as unknown as PNG, { colorType: 6 });
  const img = decodeImage(bytes, "rgba.png");
  assert.deepEqual(
    [px(img, 0, 0), px(img, 1, 0)],
    [
      [200, 100, 50],
      [1, 2, 3],
    ],
  );
});

test("PNG colour types 0 and 4 (grayscale, grayscale+alpha, 8 bit) written by pngjs give R = G = B", () => {
  for (const colorType of [0, 4] as const) {
    // (pngjs's writer composites alpha over white when it drops it, so type 0 gets opaque input.)
    const rgba = Buffer.from([90, 90, 90, 255, 180, 180, 180, colorType === 4 ? 77 : 255]);
    const bytes = PNG.sync.write({ width: 2, height: 1, data: rgba } as unknown as PNG, {
      colorType,
      inputColorType: 6,
    });
    const img = decodeImage(bytes, `gray${colorType}.png`);
    assert.deepEqual(
      [px(img, 0, 0), px(img, 1, 0)],
      [
        [90, 90, 90],
        [180, 180, 180],
      ],
      `colour type ${colorType}`,
    );
  }
});

test("PNG palette (colour type 3) at 8 and 4 bits", () => {
  const palette = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [12, 34, 56],
  ] as const;
  for (const bitDepth of [8, 4, 2] as const) {
    const bytes = buildPng({ width: 3, height: 2, bitDepth, colorType: 3, samples: [0, 1, 2, 3, 2, 1], palette });
    const img = decodeImage(bytes, `palette${bitDepth}.png`);
    assert.deepEqual(
      [px(img, 0, 0), px(img, 1, 0), px(img, 2, 0), px(img, 0, 1), px(img, 1, 1)],
      [
        [255, 0, 0],
        [0, 255, 0],
        [0, 0, 255],
        [12, 34, 56],
        [0, 0, 255],
      ],
      `palette at ${bitDepth} bits`,
    );
  }
});

test("PNG 16-bit RGB, grayscale, grayscale+alpha and RGBA keep 16-bit precision", () => {
  const cases = [
    { colorType: 2 as const, samples: [65535, 0, 32768, 1, 2, 3] },
    { colorType: 6 as const, samples: [65535, 0, 32768, 0, 1, 2, 3, 65535] },
    { colorType: 0 as const, samples: [65535, 1000] },
    { colorType: 4 as const, samples: [65535, 7, 1000, 65535] },
  ];
  for (const { colorType, samples } of cases) {
    const img = decodeImage(
      buildPng({ width: 2, height: 1, bitDepth: 16, colorType, samples }),
      `16bit-${colorType}.png`,
    );
    const first = px(img, 0, 0, 65535);
    const second = px(img, 1, 0, 65535);
    if (colorType === 2 || colorType === 6) {
      assert.deepEqual(first, [65535, 0, 32768]);
      assert.deepEqual(second, [1, 2, 3]);
    } else {
      assert.deepEqual(first, [65535, 65535, 65535]);
      assert.deepEqual(second, [1000, 1000, 1000]);
    }
  }
});

test("PNG 1-, 2- and 4-bit grayscale scale by their own depth", () => {
  for (const bitDepth of [1, 2, 4] as const) {
    const max = 2 ** bitDepth - 1;
    const img = decodeImage(
      buildPng({ width: 3, height: 1, bitDepth, colorType: 0, samples: [0, max, 1] }),
      `gray${bitDepth}.png`,
    );
    assert.deepEqual([img.data[0], img.data[3], img.data[6]], [0, 1, Math.fround(1 / max)], `${bitDepth}-bit`);
  }
});

test("writePng then readImage round-trips 8-bit values exactly", async () => {
  const img = proceduralImage(Rng.seeded(11), 23, 17);
  const path = join(dir, "round.png");
  writePng(path, img);
  const back = await readImage(path);
  assert.equal(back.width, 23);
  assert.deepEqual(toUint8(back), toUint8(img));
  assert.deepEqual(decodeImage(encodePng(img), "memory").data, back.data);
});

test("JPEG encode/decode round trip is close at high quality and detected by magic bytes, not the name", () => {
  const img = proceduralImage(Rng.seeded(12), 40, 24);
  const bytes = encodeJpeg(img, 95);
  const decoded = decodeJpeg(bytes, "memory");
  assert.equal(decoded.width, 40);
  assert.equal(decoded.height, 24);
  assert.ok(psnr(img, decoded) > 35, `PSNR ${psnr(img, decoded)}`);
  const misnamed = join(dir, "actually-a-jpeg.png");
  writeFileSync(misnamed, bytes);
  assert.deepEqual(readImageSync(misnamed).data, decoded.data);
});

const expectFileError = (reason: string, file: string) => (e: unknown) => {
  assert.ok(e instanceof ImageFileError, `expected ImageFileError, got ${String(e)}`);
  assert.equal(e.reason, reason);
  assert.equal(e.file, file);
  assert.ok(e.message.includes(file));
  return true;
};

test("bad files give ImageFileError naming the file: missing, empty, unknown format, corrupt PNG, corrupt JPEG", async () => {
  const missing = join(dir, "nope.png");
  await assert.rejects(readImage(missing), expectFileError("unreadable", missing));
  const empty = join(dir, "empty.png");
  writeFileSync(empty, Buffer.alloc(0));
  assert.throws(() => readImageSync(empty), expectFileError("unsupported-format", empty));
  const text = join(dir, "text.jpg");
  writeFileSync(text, "hello, not an image");
  await assert.rejects(readImage(text), expectFileError("unsupported-format", text));
  const png = encodePng(proceduralImage(Rng.seeded(1), 16, 16));
  const truncatedPng = join(dir, "truncated.png");
  writeFileSync(truncatedPng, png.subarray(0, Math.floor(png.length / 2)));
  await assert.rejects(readImage(truncatedPng), expectFileError("corrupt", truncatedPng));
  const badCrc = Buffer.from(png);
  badCrc[20] = (badCrc[20] as number) ^ 0xff; // inside IHDR: its CRC no longer matches
  assert.throws(() => decodeImage(badCrc, "crc.png"), expectFileError("corrupt", "crc.png"));
  const jpg = encodeJpeg(proceduralImage(Rng.seeded(2), 32, 32), 80);
  assert.throws(() => decodeImage(jpg.subarray(0, 40), "cut.jpg"), expectFileError("corrupt", "cut.jpg"));
});

const data = sharedDataDir();
const noData = data === undefined ? "needs the real images (../shared/data or $ART_MTL_DATA)" : false;

test("real images (shared data): Set14 palette and grayscale PNGs, Set5 and CBSD68 RGB", { skip: noData }, async () => {
  const root = data as string;
  const baboon = await readImage(join(root, "Set14", "baboon.png")); // 8-bit palette
  assert.deepEqual([baboon.width, baboon.height], [500, 480]);
  let colourful = 0;
  for (let p = 0; p < baboon.width * baboon.height; p++) {
    const [r, g, b] = [baboon.data[p * 3], baboon.data[p * 3 + 1], baboon.data[p * 3 + 2]] as number[];
    if (Math.max(r!, g!, b!) - Math.min(r!, g!, b!) > 0.1) colourful++;
  }
  assert.ok(colourful > 0.2 * baboon.width * baboon.height, "the palette image decodes in colour");
  for (const name of ["bridge.png", "man.png"]) {
    const gray = await readImage(join(root, "Set14", name)); // 8-bit grayscale
    for (let p = 0; p < gray.width * gray.height; p += 97) {
      assert.equal(gray.data[p * 3], gray.data[p * 3 + 1]);
      assert.equal(gray.data[p * 3], gray.data[p * 3 + 2]);
    }
  }
  for (const name of ["face.png", "lenna.png"]) assert.ok((await readImage(join(root, "Set14", name))).width > 0);
  const baby = await readImage(join(root, "Set5", "baby_GT.png"));
  assert.deepEqual([baby.width, baby.height], [512, 512]);
  const bsd = await readImage(join(root, "CBSD68", "101085.png"));
  assert.equal(bsd.width * bsd.height, 481 * 321);
  for (const img of [baboon, baby, bsd]) assert.ok(img.data.every((v) => v >= 0 && v <= 1));
});

/** A PNG whose header declares width x height, with one tiny (wrong-sized) IDAT after it. */
const pngDeclaring = (width: number, height: number): Uint8Array => {
  const real = PNG.sync.write({ width: 1, height: 1, data: Buffer.from([1, 2, 3, 255]) } as unknown as PNG, {
    colorType: 2,
    inputColorType: 6,
  });
  const bytes = Uint8Array.from(real);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(29, crc32(bytes.subarray(12, 29))); // a valid header: what a crafted file has
  return bytes;
};

test("a PNG declaring 20000x20000 is refused from its header (too large), before decoding; the limit can be raised", () => {
  const bytes = pngDeclaring(20000, 20000);
  const before = process.memoryUsage().rss;
  assert.throws(
    () => decodeImage(bytes, "huge.png"),
    (e: unknown) =>
      e instanceof ImageFileError &&
      e.reason === "too-large" &&
      /huge\.png: too large \(20000x20000 = 400\.0 MP is above the limit of 100\.0 MP; raise it with --max-pixels/.test(
        e.message,
      ),
  );
  assert.ok(process.memoryUsage().rss - before < 200e6, "no pixel memory was allocated");
  // At or under the limit, a real image decodes; one pixel over, it is refused.
  const six = encodePng({ width: 3, height: 2, data: new Float32Array(18) });
  assert.equal(decodeImage(six, "six.png", { maxPixels: 6 }).width, 3);
  assert.throws(
    () => decodeImage(six, "six.png", { maxPixels: 5 }),
    /six\.png: too large \(3x2 = 6 pixels is above the limit of 5 pixels/,
  );
});

test("a JPEG above the limit is refused as too large, with the same advice", () => {
  const jpeg = encodeJpeg({ width: 40, height: 30, data: new Float32Array(40 * 30 * 3).fill(0.5) }, 90);
  assert.throws(
    () => decodeJpeg(jpeg, "big.jpg", { maxPixels: 1000 }),
    (e: unknown) =>
      e instanceof ImageFileError && e.reason === "too-large" && /raise it with --max-pixels/.test(e.message),
  );
  assert.equal(decodeJpeg(jpeg, "big.jpg", { maxPixels: 1200 }).width, 40);
});

test("encodePng writes 16-bit, gray and alpha PNGs that decode back to the same levels; pngFacts reads them from the header", () => {
  const img = proceduralImage(Rng.seeded(5), 12, 9);
  const alpha = Float32Array.from({ length: 12 * 9 }, (_, p) => (p % 7) / 6);
  const plain = pngFacts(encodePng(img));
  assert.deepEqual(plain, { depth: 8, colorType: 2, gray: false, alpha: false });
  for (const bitDepth of [8, 16] as const) {
    const max = bitDepth === 16 ? 65535 : 255;
    const rgbaBytes = encodePng(img, { bitDepth, alpha });
    assert.deepEqual(pngFacts(rgbaBytes), { depth: bitDepth, colorType: 6, gray: false, alpha: true });
    const back = decodeImage(rgbaBytes, "memory");
    img.data.forEach((v, i) =>
      assert.ok(Math.abs((back.data[i] as number) - Math.round(v * max) / max) < 1e-6, `${bitDepth}-bit sample ${i}`),
    );
    decodePngAlpha(rgbaBytes, "memory").forEach((a, p) =>
      assert.ok(Math.abs(a - Math.round((alpha[p] as number) * max) / max) < 1e-6, `alpha ${p}`),
    );
    const grayBytes = encodePng(img, { bitDepth, gray: true });
    assert.deepEqual(pngFacts(grayBytes), { depth: bitDepth, colorType: 0, gray: true, alpha: false });
    const gray = decodeImage(grayBytes, "memory");
    for (let p = 0; p < 12 * 9; p++) {
      const mean =
        ((img.data[p * 3] as number) + (img.data[p * 3 + 1] as number) + (img.data[p * 3 + 2] as number)) / 3;
      assert.ok(
        Math.abs((gray.data[p * 3] as number) - Math.round(mean * max) / max) < 1e-6 &&
          gray.data[p * 3] === gray.data[p * 3 + 2],
        `gray level ${p}`,
      );
    }
    assert.deepEqual(pngFacts(encodePng(img, { bitDepth, gray: true, alpha })), {
      depth: bitDepth,
      colorType: 4,
      gray: true,
      alpha: true,
    });
  }
  assert.equal(pngFacts(encodeJpeg(img, 90)), undefined);
  assert.ok(
    decodePngAlpha(encodePng(img), "memory").every((a) => a === 1),
    "no alpha channel: opaque",
  );
});
