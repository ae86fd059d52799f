/**
 * Train a tiny restoration model on three synthetic tasks, weighted by Art.
 * Run: npx tsx examples/train-with-art.ts   (WASM if it starts, else the cpu backend)
 */
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import { art } from "../src/index.js";
import { createModel } from "../src/restoration/models/index.js";
import { createTrainer, selectBackend } from "../src/tfjs/index.js";

const backend = await selectBackend(tf, "auto", { order: ["wasm", "cpu"] });
console.log(`backend: ${backend.backendName}`);

// Three toy tasks: denoise, brighten a dimmed image, dehaze a veiled one. Task k degrades its samples.
const tasks = ["noise", "dim", "haze"];
const degrade = (clean: tf.Tensor4D, task: number): tf.Tensor =>
  task === 0
    ? tf.clipByValue(tf.add(clean, tf.randomNormal(clean.shape, 0, 0.1)), 0, 1)
    : task === 1
      ? tf.mul(clean, 0.5)
      : tf.add(tf.mul(clean, 0.6), 0.4);
const taskIds = [0, 0, 1, 1, 2, 2]; // two samples per task in every batch
const makeBatch = () =>
  tf.tidy(() => {
    const clean = tf.randomUniform([taskIds.length, 16, 16, 3]) as tf.Tensor4D;
    const inputs = tf.concat(taskIds.map((k, b) => degrade(tf.slice(clean, [b, 0, 0, 0], [1, 16, 16, 3]), k)));
    return { inputs, targets: clean };
  });

const model = createModel(tf, { kind: "srresnet", width: 8, blocks: 2 });
const trainer = createTrainer({ tf, model, optimizer: tf.train.adam(2e-3), weighting: art(), numTasks: tasks.length });
for (let step = 1; step <= 150; step++) {
  const { inputs, targets } = makeBatch();
  const result = await trainer.step(inputs, targets, taskIds); // one read-back per step
  tf.dispose([inputs, targets]);
  if (step % 25 === 0) {
    const show = (xs: ReadonlyArray<number | null>) => xs.map((x, k) => `${tasks[k]} ${x?.toFixed(3)}`).join(", ");
    console.log(
      `step ${step}: loss ${result.loss.toFixed(4)} | L1: ${show(result.taskLosses)} | Art weights: ${show(result.weights)}`,
    );
  }
}
model.dispose();
