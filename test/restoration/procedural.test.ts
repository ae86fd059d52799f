import assert from "node:assert/strict";
import { test } from "node:test";

import { Rng } from "../../src/core/random.js";
import { proceduralImage } from "../../src/restoration/data/procedural.js";
import { gaussianBlur } from "../../src/restoration/degradations/index.js";
import { outOfRange } from "./fixtures.js";

const std = (data: Float32Array): number => {
  let s = 0;
  let s2 = 0;
  for (const v of data) {
    s += v;
    s2 += v * v;
  }
  return Math.sqrt(s2 / data.length - (s / data.length) ** 2);
};

test("procedural images are deterministic per seed, in [0, 1], and differ across seeds", () => {
  const a = proceduralImage(Rng.seeded(1), 48, 40);
  assert.deepEqual(proceduralImage(Rng.seeded(1), 48, 40).data, a.data);
  assert.notDeepEqual(proceduralImage(Rng.seeded(2), 48, 40).data, a.data);
  assert.deepEqual([a.width, a.height], [48, 40]);
  assert.equal(outOfRange(a), undefined);
  assert.throws(() => proceduralImage(Rng.seeded(1), 0, 4), RangeError);
});

test("procedural images have content at coarse and fine scales, and colour", () => {
  for (let seed = 0; seed < 8; seed++) {
    const img = proceduralImage(Rng.seeded(seed), 96, 96);
    const total = std(img.data);
    const coarse = std(gaussianBlur(img, 21, 3).data);
    assert.ok(total > 0.08, `seed ${seed}: contrast ${total}`);
    assert.ok(coarse > 0.3 * total, `seed ${seed}: coarse structure ${coarse} of ${total}`);
    assert.ok(coarse < 0.97 * total, `seed ${seed}: fine detail`);
    let chroma = 0;
    for (let p = 0; p < 96 * 96; p++) {
      const r = img.data[p * 3] as number;
      const g = img.data[p * 3 + 1] as number;
      const b = img.data[p * 3 + 2] as number;
      chroma += Math.max(r, g, b) - Math.min(r, g, b);
    }
    assert.ok(chroma / (96 * 96) > 0.02, `seed ${seed}: colour`);
  }
});
