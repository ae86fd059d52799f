/**
 * The high-rank PadV2 made for WebGPU (src/tfjs/backend/kernels/pad-high-rank.ts), checked on
 * cpu, where it needs no GPU: composing a rank-5/6 pad from pads of rank ≤ 3 or ≤ 4 gives tf.pad's
 * result, and as a registered kernel it delegates low ranks, composes high ones and leaks nothing.
 * On WebGPU itself (where the shipped kernel is wrong above rank 4): ../webgpu.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";

import { Rng } from "../../../src/core/random.js";
import { foldUnpaddedAxes, padWithLowRankPads } from "../../../src/tfjs/backend/index.js";
import { padV2HighRankKernel } from "../../../src/tfjs/backend/kernels/pad-high-rank.js";

type Paddings = Array<[number, number]>;

/** Seeded shapes of rank 5 and 6 with a mix of padded and unpadded axes (some of size 1). */
const cases = (): Array<{ shape: number[]; paddings: Paddings; constant: number }> => {
  const rng = Rng.seeded(17);
  const out: Array<{ shape: number[]; paddings: Paddings; constant: number }> = [];
  for (let i = 0; i < 24; i++) {
    const rank = 5 + (i % 2);
    const shape = Array.from({ length: rank }, () => 1 + rng.int(3));
    const paddings = shape.map((): [number, number] => (rng.uniform(0, 1) < 0.5 ? [0, 0] : [rng.int(3), rng.int(3)]));
    out.push({ shape, paddings, constant: i % 3 === 0 ? 0 : rng.uniform(-2, 2) });
  }
  // The two pads this repository does at rank 5/6.
  out.push({
    shape: [3, 1, 3, 1, 8],
    paddings: [
      [0, 0],
      [0, 1],
      [0, 0],
      [0, 1],
      [0, 0],
    ],
    constant: 0,
  });
  out.push({
    shape: [2, 3, 1, 4, 1, 2],
    paddings: [
      [0, 0],
      [0, 0],
      [0, 2],
      [0, 0],
      [0, 1],
      [0, 0],
    ],
    constant: 0,
  });
  return out;
};

const valuesFor = (shape: number[]): Float32Array =>
  Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(0.7 * i + 0.1));

before(async () => {
  await tf.setBackend("cpu");
});

describe("foldUnpaddedAxes", () => {
  it("merges runs of unpadded axes and keeps padded ones", () => {
    assert.deepEqual(
      foldUnpaddedAxes(
        [2, 3, 4, 5, 6],
        [
          [0, 0],
          [0, 0],
          [1, 1],
          [0, 0],
          [0, 0],
        ],
      ),
      {
        shape: [6, 4, 30],
        paddings: [
          [0, 0],
          [1, 1],
          [0, 0],
        ],
      },
    );
    assert.deepEqual(
      foldUnpaddedAxes(
        [3, 1, 3, 1, 8],
        [
          [0, 0],
          [0, 1],
          [0, 0],
          [0, 1],
          [0, 0],
        ],
      ),
      {
        shape: [3, 1, 3, 1, 8],
        paddings: [
          [0, 0],
          [0, 1],
          [0, 0],
          [0, 1],
          [0, 0],
        ],
      },
    );
    assert.deepEqual(
      foldUnpaddedAxes(
        [2, 2],
        [
          [1, 0],
          [0, 1],
        ],
      ),
      {
        shape: [2, 2],
        paddings: [
          [1, 0],
          [0, 1],
        ],
      },
    );
  });
});

describe("padWithLowRankPads", () => {
  for (const maxRank of [3, 4]) {
    it(`equals tf.pad at ranks 5 and 6 using pads of rank <= ${maxRank} only`, () => {
      for (const { shape, paddings, constant } of cases()) {
        const x = tf.tensor(valuesFor(shape), shape);
        const expected = tf.pad(x, paddings, constant);
        const actual = padWithLowRankPads(tf, x, paddings, constant, maxRank);
        assert.deepEqual(actual.shape, expected.shape, JSON.stringify({ shape, paddings }));
        assert.deepEqual(
          Array.from(actual.dataSync()),
          Array.from(expected.dataSync()),
          JSON.stringify({ shape, paddings, constant }),
        );
        tf.dispose([x, expected, actual]);
      }
    });
  }

  it("runs no pad above the rank it is given", async () => {
    const x = tf.tensor(valuesFor([2, 3, 1, 4, 1, 2]), [2, 3, 1, 4, 1, 2]);
    const profile = await tf.profile(() =>
      padWithLowRankPads(
        tf,
        x,
        [
          [1, 0],
          [0, 0],
          [0, 2],
          [0, 0],
          [0, 1],
          [1, 1],
        ],
        0,
        3,
      ),
    );
    const pads = profile.kernels.filter((k) => k.name === "PadV2");
    assert.ok(pads.length >= 1);
    for (const k of pads)
      assert.ok(
        k.inputShapes.every((s) => s === null || s.length <= 3),
        JSON.stringify(k.inputShapes),
      );
    tf.dispose(x);
  });
});

describe("padV2HighRankKernel (registered over cpu's PadV2, composing above rank 3)", () => {
  const shipped = tf.getKernel("PadV2", "cpu");
  before(() => {
    assert.ok(shipped !== undefined);
    tf.unregisterKernel("PadV2", "cpu");
    tf.registerKernel(padV2HighRankKernel(tf, "cpu", shipped.kernelFunc, 3));
  });
  after(() => {
    tf.unregisterKernel("PadV2", "cpu");
    if (shipped !== undefined) tf.registerKernel(shipped);
  });

  it("gives tf.pad's results at ranks 1-6 (the shipped kernel up to rank 3, composed above) and leaks no tensor", () => {
    const all = [
      ...cases(),
      { shape: [5], paddings: [[2, 1]] as Paddings, constant: 3 },
      {
        shape: [2, 3, 4],
        paddings: [
          [0, 1],
          [1, 0],
          [2, 2],
        ] as Paddings,
        constant: -1,
      },
      {
        shape: [2, 2, 2, 2],
        paddings: [
          [1, 0],
          [0, 0],
          [0, 1],
          [1, 1],
        ] as Paddings,
        constant: 0.5,
      },
    ];
    for (const { shape, paddings, constant } of all) {
      const before = tf.memory().numTensors;
      const x = tf.tensor(valuesFor(shape), shape);
      const y = tf.pad(x, paddings, constant);
      // The expected values, in plain JS (independent of any pad kernel).
      const outShape = shape.map((s, i) => s + paddings[i]![0] + paddings[i]![1]);
      const expected = new Float32Array(outShape.reduce((a, b) => a * b, 1)).fill(constant);
      const input = valuesFor(shape);
      for (let flat = 0; flat < input.length; flat++) {
        let rest = flat;
        const coords = new Array<number>(shape.length);
        for (let axis = shape.length - 1; axis >= 0; axis--) {
          coords[axis] = rest % shape[axis]!;
          rest = Math.floor(rest / shape[axis]!);
        }
        let index = 0;
        for (let axis = 0; axis < shape.length; axis++)
          index = index * outShape[axis]! + coords[axis]! + paddings[axis]![0];
        expected[index] = input[flat]!;
      }
      assert.deepEqual(y.shape, outShape);
      assert.deepEqual(Array.from(y.dataSync()), Array.from(expected), JSON.stringify({ shape, paddings, constant }));
      tf.dispose([x, y]);
      assert.equal(tf.memory().numTensors, before, `leak for ${JSON.stringify(shape)}`);
    }
  });

  it("keeps int32 data exact", () => {
    const x = tf.tensor(
      Int32Array.from({ length: 24 }, (_, i) => i * 1_000_003),
      [2, 1, 3, 2, 2],
      "int32",
    );
    const y = tf.pad(
      x,
      [
        [0, 0],
        [1, 1],
        [0, 0],
        [0, 1],
        [0, 0],
      ],
      7,
    );
    assert.equal(y.dtype, "int32");
    const values = Array.from(y.dataSync());
    assert.ok(values.includes(23 * 1_000_003) && values.includes(7));
    tf.dispose([x, y]);
  });
});
