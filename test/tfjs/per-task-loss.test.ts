import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import {
  AdapterError,
  charbonnierPerSample,
  countTasks,
  l1PerSample,
  perTaskLoss,
  psnrPerSample,
  taskMeanMatrix,
} from "../../src/tfjs/index.js";
import { assertAllClose } from "../support/all-close.js";

const close = (actual: ArrayLike<number>, expected: ArrayLike<number>): void =>
  assertAllClose(actual, expected, { atol: 1e-6, rtol: 0 });

describe("perTaskLoss", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });

  it("gives per-task means and presence in one pass", async () => {
    const perSample = tf.tensor1d([1, 2, 4, 8, 16]);
    const { losses, counts, present } = perTaskLoss(tf, perSample, [0, 0, 2, 3, 3], 4);
    close(await losses.data(), [1.5, 0, 4, 12]);
    assert.deepEqual(counts, [2, 0, 1, 2]);
    assert.deepEqual(present, [true, false, true, true]);
    losses.dispose();
    perSample.dispose();
  });

  it("accepts an Int32Array of task ids", async () => {
    const perSample = tf.tensor1d([3, 5]);
    const { losses } = perTaskLoss(tf, perSample, Int32Array.from([1, 1]), 2);
    close(await losses.data(), [0, 4]);
    tf.dispose([losses, perSample]);
  });

  it("rejects wrong shapes and out-of-range task ids with clear errors", () => {
    const perSample = tf.tensor1d([1, 2, 3]);
    const matrix = tf.ones([3, 2]);
    const expectError = (run: () => unknown, kind: string, pattern: RegExp) =>
      assert.throws(run, (e: unknown) => e instanceof AdapterError && e.kind === kind && pattern.test(e.message));
    expectError(() => perTaskLoss(tf, matrix, [0, 1, 0], 2), "shape", /1-D tensor \[B\].*got shape \[3,2\]/);
    expectError(() => perTaskLoss(tf, perSample, [0, 1], 2), "shape", /expected 3 task ids.*got 2/);
    expectError(() => perTaskLoss(tf, perSample, [0, 2, 1], 2), "task-id", /sample 1.*\[0, 2\).*got 2/);
    expectError(() => perTaskLoss(tf, perSample, [0, -1, 1], 2), "task-id", /got -1/);
    expectError(() => perTaskLoss(tf, perSample, [0, 0.5, 1], 2), "task-id", /got 0.5/);
    expectError(() => perTaskLoss(tf, perSample, [0, 0, 0], 0), "option", /numTasks/);
    expectError(() => l1PerSample(tf, tf.zeros([2, 3]), tf.zeros([2, 4])), "shape", /same shape/);
    tf.dispose([perSample, matrix]);
  });

  it("a single task is allowed: numTasks 1 gives the batch mean", async () => {
    assert.deepEqual(countTasks([0, 0, 0], 1), { counts: [3], present: [true] });
    const perSample = tf.tensor1d([1, 2, 6]);
    const { losses, counts } = perTaskLoss(tf, perSample, [0, 0, 0], 1);
    close(await losses.data(), [3]);
    assert.deepEqual(counts, [3]);
    tf.dispose([losses, perSample]);
  });

  it("l1PerSample's shape errors: the exact message, even for shapes that would broadcast, and scalars", () => {
    const p = tf.zeros([2, 3]);
    const q = tf.zeros([2, 1]);
    assert.throws(
      () => l1PerSample(tf, p, q),
      (e: unknown) =>
        e instanceof AdapterError &&
        e.kind === "shape" &&
        e.message === "predictions [2,3] and targets [2,1] must have the same shape",
    );
    // Same leading dimensions but another rank: [2,1] - [2,1,1] would broadcast to [2,2,1].
    const r2 = tf.zeros([2, 1]);
    const r3 = tf.zeros([2, 1, 1]);
    assert.throws(
      () => l1PerSample(tf, r2, r3),
      (e: unknown) =>
        e instanceof AdapterError &&
        e.kind === "shape" &&
        e.message === "predictions [2,1] and targets [2,1,1] must have the same shape",
    );
    const a = tf.scalar(1);
    const b = tf.scalar(2);
    assert.throws(
      () => l1PerSample(tf, a, b),
      (e: unknown) =>
        e instanceof AdapterError && e.kind === "shape" && e.message === "predictions must have a batch dimension",
    );
    tf.dispose([p, q, r2, r3, a, b]);
  });

  it("builds the averaging matrix on the host", () => {
    const { counts } = countTasks([1, 0, 1], 2);
    assert.deepEqual(Array.from(taskMeanMatrix([1, 0, 1], counts)), [0, 1, 0, 0.5, 0, 0.5]);
  });

  it("l1PerSample averages |p - t| over each sample", async () => {
    const predictions = tf.tensor4d([0, 1, 2, 3, 1, 1, 1, 1], [2, 1, 2, 2]);
    const targets = tf.zeros([2, 1, 2, 2]);
    const perSample = l1PerSample(tf, predictions, targets);
    close(await perSample.data(), [1.5, 1]);
    tf.dispose([predictions, targets, perSample]);
  });

  it("l1PerSample takes the absolute value: predictions below and above non-zero targets", async () => {
    // Hand-computed: sample 0 |0.5-1| + |-1-1| + |2-1| + |0-1| = 0.5 + 2 + 1 + 1 = 4.5 → 4.5 / 4;
    // sample 1 |1-0| + |1-2| + |1-1| + |1-3| = 1 + 1 + 0 + 2 = 4 → 1. (Signed means would be
    // -0.625 and -0.5.)
    const predictions = tf.tensor4d([0.5, -1, 2, 0, 1, 1, 1, 1], [2, 2, 1, 2]);
    const targets = tf.tensor4d([1, 1, 1, 1, 0, 2, 1, 3], [2, 2, 1, 2]);
    const perSample = l1PerSample(tf, predictions, targets);
    assert.deepEqual(perSample.shape, [2]);
    close(await perSample.data(), [1.125, 1]);
    // Symmetric: swapping prediction and target gives the same distances.
    const swapped = l1PerSample(tf, targets, predictions);
    close(await swapped.data(), [1.125, 1]);
    // Rank 2 ([B, features]) works too: |3 - 5| = 2, |-2 - 2| = 4 → [2, 4].
    const flatP = tf.tensor2d([3, -2], [2, 1]);
    const flatT = tf.tensor2d([5, 2], [2, 1]);
    const flat = l1PerSample(tf, flatP, flatT);
    close(await flat.data(), [2, 4]);
    // Rank 1 ([B], one number per sample): |3 - 5| = 2, |-2 - 2| = 4 → [2, 4].
    const lineP = tf.tensor1d([3, -2]);
    const lineT = tf.tensor1d([5, 2]);
    const line = l1PerSample(tf, lineP, lineT);
    assert.deepEqual(line.shape, [2]);
    close(await line.data(), [2, 4]);
    tf.dispose([predictions, targets, perSample, swapped, flatP, flatT, flat, lineP, lineT, line]);
  });
});

describe("charbonnierPerSample and psnrPerSample", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });

  // Two samples of 4 elements; sample 0 is off by 0.1 everywhere, sample 1 by [0.2, 0, 0, 0].
  const targets = (): tf.Tensor =>
    tf.tensor2d([
      [0.5, 0.5, 0.5, 0.5],
      [0.3, 0.3, 0.3, 0.3],
    ]);
  const predictions = (): tf.Tensor =>
    tf.tensor2d([
      [0.6, 0.6, 0.6, 0.6],
      [0.5, 0.3, 0.3, 0.3],
    ]);

  it("charbonnier is sqrt(d² + 1e-6) averaged per sample, by hand", async () => {
    const [p, t] = [predictions(), targets()];
    const loss = charbonnierPerSample(tf, p, t);
    const c = (d: number): number => Math.sqrt(d * d + 1e-6);
    assertAllClose(await loss.data(), [c(0.1), (c(0.2) + 3 * c(0)) / 4], { atol: 1e-6, rtol: 1e-5 });
    tf.dispose([p, t, loss]);
  });

  it("psnr is 10·log10(1 + MSE/1e-5), i.e. 50 dB minus the sample's PSNR, by hand", async () => {
    const [p, t] = [predictions(), targets()];
    const loss = await psnrPerSample(tf, p, t).data();
    const expected = [0.01, 0.04 / 4].map((mse) => 10 * Math.log10(1 + mse / 1e-5));
    assertAllClose(loss, expected, { atol: 1e-4, rtol: 1e-5 });
    // MSE 0.01 is 20 dB; the loss is 50 − 20 up to the log1p's +1 (0.004 dB here).
    assert.ok(Math.abs((loss[0] as number) - 30) < 0.005, `got ${loss[0]}`);
    const exact = await psnrPerSample(tf, t, t).data();
    assert.deepEqual(Array.from(exact), [0, 0]);
    tf.dispose([p, t]);
  });

  it("both have finite gradients at an exact prediction, and leak no tensor", () => {
    const t = targets();
    const before = tf.memory().numTensors;
    for (const lossFn of [charbonnierPerSample, psnrPerSample]) {
      const grad = tf.grad((x: tf.Tensor) => tf.sum(lossFn(tf, x, t)));
      const g = grad(t);
      const values = g.dataSync();
      assert.ok(
        values.every((v) => Number.isFinite(v)),
        `${lossFn.name}: ${Array.from(values)}`,
      );
      g.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
    t.dispose();
  });

  it("refuse mismatched shapes as l1PerSample does", () => {
    for (const lossFn of [charbonnierPerSample, psnrPerSample]) {
      assert.throws(
        () => lossFn(tf, tf.zeros([2, 3]), tf.zeros([2, 1])),
        (e: unknown) => e instanceof AdapterError && e.kind === "shape" && /same shape/.test(e.message),
      );
    }
  });
});
