import assert from "node:assert/strict";
import { test } from "node:test";

import {
  clip01,
  cloneImage,
  createImage,
  cropImage,
  flipHorizontal,
  fromUint8,
  ImageTooSmallError,
  rot90,
  toUint8,
} from "../../src/restoration/image.js";
import { imageFrom } from "./fixtures.js";

// A 3x2 image whose red channel numbers the pixels row by row: [[0,1,2],[3,4,5]] / 10.
const numbered = imageFrom(3, 2, (x, y, c) => (c === 0 ? (y * 3 + x) / 10 : c / 10));
const reds = (img: { width: number; height: number; data: Float32Array }): number[][] =>
  Array.from({ length: img.height }, (_, y) =>
    Array.from({ length: img.width }, (_, x) => Math.round((img.data[(y * img.width + x) * 3] as number) * 10)),
  );

test("createImage fills and validates sizes", () => {
  const img = createImage(2, 3, undefined, 0.5);
  assert.equal(img.data.length, 18);
  assert.ok(img.data.every((v) => v === 0.5));
  assert.throws(() => createImage(0, 3), RangeError);
  assert.throws(() => createImage(2, 2, new Float32Array(5)), RangeError);
});

test("cloneImage is a deep copy", () => {
  const copy = cloneImage(numbered);
  copy.data[0] = 1;
  assert.equal(numbered.data[0], 0);
});

test("cropImage takes the window and rejects windows that do not fit", () => {
  assert.deepEqual(reds(cropImage(numbered, 1, 0, 2, 2)), [
    [1, 2],
    [4, 5],
  ]);
  assert.throws(() => cropImage(numbered, 2, 0, 2, 2), ImageTooSmallError);
  assert.throws(
    () => cropImage(numbered, 0, 0, 4, 1),
    (e: unknown) => e instanceof ImageTooSmallError && /too small/.test(e.message),
  );
});

test("flipHorizontal mirrors rows", () => {
  assert.deepEqual(reds(flipHorizontal(numbered)), [
    [2, 1, 0],
    [5, 4, 3],
  ]);
});

test("rot90 turns counter-clockwise like numpy.rot90", () => {
  // numpy.rot90([[0,1,2],[3,4,5]]) == [[2,5],[1,4],[0,3]]
  assert.deepEqual(reds(rot90(numbered, 1)), [
    [2, 5],
    [1, 4],
    [0, 3],
  ]);
  assert.deepEqual(reds(rot90(numbered, 2)), [
    [5, 4, 3],
    [2, 1, 0],
  ]);
  assert.deepEqual(reds(rot90(numbered, -1)), [
    [3, 0],
    [4, 1],
    [5, 2],
  ]);
  assert.deepEqual(reds(rot90(rot90(numbered, 1), 3)), reds(numbered));
  assert.deepEqual(rot90(numbered, 4).data, numbered.data);
});

test("clip01 clamps and removes NaN; toUint8 rounds x * 255 after clipping", () => {
  const img = createImage(2, 1, Float32Array.of(-0.5, 0.2, 1.5, Number.NaN, 0.5, 1));
  assert.deepEqual(Array.from(clip01(img).data), [0, Math.fround(0.2), 1, 0, 0.5, 1]);
  assert.deepEqual(Array.from(toUint8(img)), [0, 51, 255, 0, 128, 255]); // 0.5 * 255 = 127.5 -> 128
});

test("fromUint8 inverts toUint8 exactly on 8-bit values", () => {
  const bytes = Uint8Array.from({ length: 12 }, (_, i) => i * 23);
  assert.deepEqual(toUint8(fromUint8(2, 2, bytes)), bytes);
});
