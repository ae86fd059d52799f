import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";

import { createModel } from "../../src/restoration/models/index.js";
import { forwardFor, selfEnsemble, selfEnsemblePassesFor } from "../../src/restoration/train/index.js";

/** Self-ensemble: checked against the 8 symmetries written out by index arithmetic on plain arrays. */

/** An H x W x 3 image as nested arrays, and back. */
type Grid = number[][][];
const toGrid = (data: ArrayLike<number>, h: number, w: number): Grid =>
  Array.from({ length: h }, (_, y) =>
    Array.from({ length: w }, (_, x) => [0, 1, 2].map((c) => data[(y * w + x) * 3 + c] as number)),
  );
const transpose = (g: Grid): Grid => (g[0] as number[][]).map((_, x) => g.map((row) => row[x] as number[]));
const flipLeftRight = (g: Grid): Grid => g.map((row) => [...row].reverse());
const flipTopBottom = (g: Grid): Grid => [...g].reverse();
/** Symmetry k as the ensemble documents it, as its steps: transpose (bit 2), then flip left-right (bit 0), then top-bottom (bit 1); each step undoes itself. */
const stepsOf = (k: number): ((g: Grid) => Grid)[] => [
  ...(k & 4 ? [transpose] : []),
  ...(k & 1 ? [flipLeftRight] : []),
  ...(k & 2 ? [flipTopBottom] : []),
];
const symmetry = (g: Grid, k: number): Grid => stepsOf(k).reduce((out, step) => step(out), g);
const inverseSymmetry = (g: Grid, k: number): Grid => stepsOf(k).reduceRight((out, step) => step(out), g);
/** A map that no symmetry commutes with: each pixel plus the running sum of the row to its left (per channel), times 1 + its row index. */
const lopsided = (g: Grid): Grid =>
  g.map((row, y) => {
    const sums = [0, 0, 0];
    return row.map((px) => px.map((v, c) => ((sums[c] = (sums[c] as number) + v), (1 + y) * (sums[c] as number))));
  });
const lopsidedTensor = (x: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const rows = x.shape[1] as number;
    return tf.mul(tf.cumsum(x, 2), tf.reshape(tf.range(1, rows + 1), [1, rows, 1, 1]));
  });

describe("selfEnsemble", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });
  const h = 5;
  const w = 7; // not square, so the transposed passes see a 7 x 5 image
  const data = Float32Array.from({ length: h * w * 3 }, (_, i) => ((i * 37) % 101) / 101);

  for (const passes of [8, 4] as const) {
    it(`averages the map over ${passes === 8 ? "the 8 symmetries" : "the 4 flips"}, each undone (against plain arrays)`, async () => {
      const x = tf.tensor4d(data, [1, h, w, 3]);
      const before = tf.memory().numTensors;
      const out = selfEnsemble(tf, lopsidedTensor, passes)(x);
      assert.equal(tf.memory().numTensors, before + 1, "only the output is left");
      const got = await out.data();
      out.dispose();
      const image = toGrid(data, h, w);
      const expected = Array.from({ length: h }, (_, y) =>
        Array.from({ length: w }, (_, xi) =>
          [0, 1, 2].map((c) => {
            let sum = 0;
            for (let k = 0; k < passes; k++)
              sum += (inverseSymmetry(lopsided(symmetry(image, k)), k)[y] as number[][])[xi]![c]!;
            return sum / passes;
          }),
        ),
      ).flat(2);
      assert.equal(got.length, expected.length);
      expected.forEach((e, i) =>
        assert.ok(Math.abs((got[i] as number) - e) <= 1e-4 * Math.max(1, Math.abs(e)), `value ${i}: ${got[i]} vs ${e}`),
      );
      // The map is lopsided: a single pass differs from the ensemble.
      const single = await lopsidedTensor(x).data();
      assert.ok(single.some((v, i) => Math.abs(v - (got[i] as number)) > 0.1));
      x.dispose();
    });
  }

  it("is the identity for the identity map", async () => {
    const x = tf.tensor4d(data, [1, h, w, 3]);
    const out = selfEnsemble(tf, (t) => t)(x);
    const got = await out.data();
    data.forEach((v, i) => assert.ok(Math.abs((got[i] as number) - v) < 1e-6, `value ${i}`));
    tf.dispose([x, out]);
  });

  it("keeps a global context pinnable: each pass pins its own, so the pinned ensemble of an image equals its unpinned one, and nothing leaks", async () => {
    const model = createModel(
      tf,
      { kind: "srresnet", width: 4, blocks: 1, taskPrompt: true, globalContext: true },
      { numTasks: 2, seed: 3 },
    );
    model.variables.forEach((v, i) =>
      tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.1, "float32", i + 1)))),
    );
    const forward = selfEnsemble(tf, forwardFor({ model, config: { tasks: ["noise", "rain"] } }, "noise"));
    assert.ok(forward.pin !== undefined);
    const x = tf.tensor4d(data, [1, h, w, 3]);
    const before = tf.memory().numTensors;
    const pinned = forward.pin(x);
    const [a, b] = [pinned.forward(x), forward(x)];
    const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
    assert.ok(difference < 1e-5, `pinned vs unpinned: ${difference}`);
    tf.dispose([a, b]);
    pinned.dispose();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(x);
    model.dispose();
  });

  it("takes the 4 flips for rain (streaks within 45° of vertical) and the blind path, the 8 symmetries otherwise", () => {
    assert.equal(selfEnsemblePassesFor("rain"), 4);
    assert.equal(selfEnsemblePassesFor(undefined), 4);
    for (const task of ["sr", "blur", "noise", "jpeg", "haze", "lowlight"])
      assert.equal(selfEnsemblePassesFor(task), 8);
  });
});
