/**
 * The convolution kernels of one SRResNet layer at the replication's shapes, on WASM: forward,
 * input gradient, and the filter gradient as shipped (transpose + one conv2d, see
 * src/tfjs/backend/kernels/conv2d-backprop-filter.ts) against an im2col + matmul rewrite and
 * nine per-tap matmuls. GFLOP/s per variant (median of interleaved rounds, one thread); the last
 * line is `filter-grad-rewrite-ratio=<im2col ms / shipped ms>` (above 1: the shipped one is faster).
 *
 *   npm run bench:conv
 */
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import { selectBackend } from "../src/tfjs/backend/index.js";
import { conv2dFilterGradNhwc } from "../src/tfjs/backend/kernels/conv2d-backprop-filter.js";
import { relativeToScale } from "../test/support/all-close.js";

await selectBackend(tf, "wasm");
const N = 28;
const H = 32;
const C = 16;
const M = N * H * H;
const x = tf.randomNormal([N, H, H, C], 0, 1, "float32", 1) as tf.Tensor4D;
const w = tf.randomNormal([3, 3, C, C], 0, 1, "float32", 2) as tf.Tensor4D;
const dy = tf.randomNormal([N, H, H, C], 0, 1, "float32", 3) as tf.Tensor4D;
const flops = 2 * M * C * C * 9;

/** The nine shifted views of the padded input, each [M, C]. */
const shifted = (): tf.Tensor2D[] => {
  const padded = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const views: tf.Tensor2D[] = [];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) views.push(tf.reshape(tf.slice(padded, [0, i, j, 0], [N, H, H, C]), [M, C]));
  return views;
};
const variants: Record<string, () => tf.Tensor> = {
  forward: () => tf.conv2d(x, w, 1, "same"),
  "input-grad": () => tf.conv2dTranspose(dy, w, [N, H, H, C], 1, "same"),
  "filter-grad (shipped)": () => conv2dFilterGradNhwc(tf, x, dy, [3, 3, C, C], [1, 1], "same", undefined),
  "filter-grad (im2col + matmul)": () =>
    tf.tidy(() => tf.reshape(tf.matMul(tf.concat(shifted(), 1), tf.reshape(dy, [M, C]), true, false), [3, 3, C, C])),
  "filter-grad (9 matmuls)": () =>
    tf.tidy(() =>
      tf.reshape(tf.stack(shifted().map((view) => tf.matMul(view, tf.reshape(dy, [M, C]), true, false))), [3, 3, C, C]),
    ),
};

const reference = await variants["filter-grad (shipped)"]!().data();
for (const name of ["filter-grad (im2col + matmul)", "filter-grad (9 matmuls)"]) {
  const out = variants[name]!();
  console.log(
    `${name}: largest difference to the shipped one, relative to its scale: ${relativeToScale(await out.data(), reference).toExponential(1)}`,
  );
  out.dispose();
}
const times: Record<string, number[]> = {};
for (let round = 0; round < 6; round++) {
  for (const [name, run] of Object.entries(variants)) {
    const started = performance.now();
    const out = run();
    await out.data();
    out.dispose();
    (times[name] ??= []).push(performance.now() - started);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
for (const [name, ms] of Object.entries(times))
  console.log(
    `${name.padEnd(30)} ${median(ms).toFixed(1).padStart(7)} ms  ${(flops / median(ms) / 1e6).toFixed(1).padStart(5)} GFLOP/s`,
  );
console.log(
  `filter-grad-rewrite-ratio=${(median(times["filter-grad (im2col + matmul)"]!) / median(times["filter-grad (shipped)"]!)).toFixed(2)}`,
);
