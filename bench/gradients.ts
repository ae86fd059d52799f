/**
 * What does a gradient-aware weighting cost per step, against a plain mixed step on the same
 * model and batch?
 *
 *   npm run bench:gradients
 *
 * Two settings, each timed in one run, interleaved round by round after a warm-up (CPU time of
 * the process: the WASM backend runs single-threaded, so it is the compute a step took):
 * - **one task per sample**: the restoration SRResNet 16x4, batch 28 (4 per task x 7 tasks) of
 *   32x32 crops. Mixed: `createTrainer` with `equal()` (one forward+backward). Gradient-aware:
 *   `createGradientTrainer.step`, a forward+backward per task sub-batch (about one pass in all),
 *   the 7x7 Gramian on the device, one read-back.
 * - **K heads**: a LeNet-size shared encoder with 2 classification heads (Multi-MNIST's network),
 *   batch 256 of 28x28. Mixed: `fromLossWeighting(equal())` through the same trainer (one taped
 *   pass after a forward that reads the losses). Gradient-aware: a forward+backward per head (K = 2).
 *   Each method also with `representation` (LibMTL's `rep_grad`): the task gradients at the
 *   50-unit representation, K backward passes through the heads and one through the encoder.
 * Prints ms/step and the per-round ratio to mixed (median over rounds) for every method, each
 * method's host-side time alone (its `step` on the same sizes: under 5 ms for all 13, so methods
 * with the same device work differ by measurement noise), then the targets (≤ 1.3 with one task per sample, ≤ K + 0.3 with K heads) and, last,
 * `gradient-overhead-ratio=<the worst method's ratio with one task per sample>`.
 *
 * Knobs: ART_BENCH_ROUNDS (default 6), ART_BENCH_METHODS (comma-separated; default all).
 */
import { cpus, loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import * as E from "fp-ts/Either";

import { fromLossWeighting, gramianOf, Rng, type GradientWeighting } from "../src/core/index.js";
import { createModel } from "../src/restoration/models/index.js";
import { createGradientWeighting, equal, GRADIENT_STRATEGY_NAMES } from "../src/strategies/index.js";
import { createGradientTrainer, createTrainer, selectBackend, type PerSampleLossFn } from "../src/tfjs/index.js";

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const rounds = Number(process.env.ART_BENCH_ROUNDS ?? 6);
const methods = (process.env.ART_BENCH_METHODS?.split(",") ?? GRADIENT_STRATEGY_NAMES).filter((m) => m !== "");

interface Variant {
  readonly label: string;
  readonly step: () => Promise<unknown>;
  readonly cpu: number[];
}

/** Times every variant `rounds` times, one step each per round in a rotating order; returns each variant's per-round ratio to variant 0. */
const measure = async (variants: Variant[]): Promise<number[]> => {
  for (const v of variants) await v.step(); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < variants.length; j++) {
      const v = variants[(round + j) % variants.length] as Variant;
      const start = cpuMs();
      await v.step();
      v.cpu.push(cpuMs() - start);
    }
  }
  const base = variants[0] as Variant;
  return variants.map((v) => median(v.cpu.map((t, r) => t / (base.cpu[r] as number))));
};

const report = (title: string, variants: Variant[], ratios: number[]): void => {
  console.log(`\n${title}: median ms/step (CPU) and the per-round ratio to mixed, ${rounds} rounds`);
  variants.forEach((v, i) =>
    console.log(
      `  ${v.label.padEnd(16)} ${median(v.cpu).toFixed(1).padStart(9)} ms   ×${(ratios[i] as number).toFixed(3)}`,
    ),
  );
};

const build = (name: string, numTasks: number): GradientWeighting<unknown> | undefined => {
  const w = createGradientWeighting(name, {}, numTasks);
  if (E.isLeft(w)) {
    console.log(`  ${name}: skipped (${w.left.message})`);
    return undefined;
  }
  return w.right;
};

const oneTaskPerSample = async (): Promise<number> => {
  const numTasks = 7;
  const perTask = 4;
  const side = 32;
  const batch = numTasks * perTask;
  const taskIds = Array.from({ length: batch }, (_, b) => Math.floor(b / perTask));
  const inputs = tf.randomUniform([batch, side, side, 3], 0, 1, "float32", 10);
  const targets = tf.tidy(() =>
    tf.clipByValue(
      tf.add(
        inputs,
        tf.mul(
          tf.randomNormal([batch, side, side, 3], 0, 1, "float32", 11),
          tf.tensor4d(
            taskIds.map((k) => 0.02 + 0.02 * k),
            [batch, 1, 1, 1],
          ),
        ),
      ),
      0,
      1,
    ),
  );
  const spec = { kind: "srresnet", width: 16, blocks: 4 } as const;
  const mixedModel = createModel(tf, spec, { seed: 3 });
  console.log(
    `one task per sample: SRResNet 16x4 (${mixedModel.parameterCount} parameters), batch ${batch} (${perTask} per task x ${numTasks} tasks) of ${side}x${side}`,
  );
  const mixed = createTrainer({ tf, model: mixedModel, optimizer: tf.train.adam(1e-4), weighting: equal(), numTasks });
  const variants: Variant[] = [{ label: "mixed", step: () => mixed.step(inputs, targets, taskIds), cpu: [] }];
  for (const name of methods) {
    const weighting = build(name, numTasks);
    if (weighting === undefined) continue;
    const trainer = createGradientTrainer({
      tf,
      model: createModel(tf, spec, { seed: 3 }),
      optimizer: tf.train.adam(1e-4),
      weighting,
      numTasks,
    });
    variants.push({ label: name, step: () => trainer.step(inputs, targets, taskIds), cpu: [] });
  }
  const ratios = await measure(variants);
  report("one task per sample", variants, ratios);
  tf.dispose([inputs, targets]);
  return Math.max(...ratios.slice(1));
};

/** A LeNet-size encoder (conv 5x5 10 → pool → conv 5x5 20 → pool → dense 50) with 2 heads of 10 classes, over plain variables. */
const lenet = (seed: number) => {
  const v = (shape: number[], s: number) =>
    tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / shape.slice(0, -1).reduce((a, b) => a * b, 1)), "float32", s));
  const c1 = v([5, 5, 1, 10], seed);
  const c2 = v([5, 5, 10, 20], seed + 1);
  const d = v([320, 50], seed + 2);
  const h1 = v([50, 10], seed + 3);
  const h2 = v([50, 10], seed + 4);
  const shared = [c1, c2, d];
  const encode = (x: tf.Tensor) => {
    const a = tf.maxPool(tf.relu(tf.conv2d(x as tf.Tensor4D, c1 as tf.Tensor4D, 1, "valid")), 2, 2, "valid");
    const b = tf.maxPool(tf.relu(tf.conv2d(a, c2 as tf.Tensor4D, 1, "valid")), 2, 2, "valid");
    return tf.relu(tf.matMul(tf.reshape(b, [x.shape[0] as number, 320]), d as tf.Tensor2D));
  };
  const decode = (z: tf.Tensor) => [
    tf.matMul(z as tf.Tensor2D, h1 as tf.Tensor2D),
    tf.matMul(z as tf.Tensor2D, h2 as tf.Tensor2D),
  ];
  return {
    apply: (x: tf.Tensor) => decode(encode(x)),
    encode,
    decode,
    variables: [...shared, h1, h2],
    shared,
  };
};

const crossEntropy: PerSampleLossFn = (tfn, logits, labels) =>
  tfn.neg(tfn.sum(tfn.mul(labels, tfn.logSoftmax(logits)), 1)) as tf.Tensor1D;

const kHeads = async (): Promise<number> => {
  const batch = 256;
  const inputs = tf.randomUniform([batch, 28, 28, 1], 0, 1, "float32", 20);
  const labels = [21, 22].map((s) =>
    tf.cast(tf.oneHot(tf.randomUniform([batch], 0, 10, "int32", s) as tf.Tensor1D, 10), "float32"),
  );
  const net = lenet(5);
  console.log(
    `\nK heads: LeNet encoder (${net.shared.reduce((n, v) => n + v.size, 0)} shared parameters) + 2 heads, batch ${batch} of 28x28`,
  );
  const make = (weighting: GradientWeighting<unknown>, repGrad = false) => {
    const m = lenet(5);
    return createGradientTrainer({
      tf,
      model: m,
      optimizer: tf.train.adam(1e-3),
      weighting,
      numTasks: 2,
      perTaskLoss: [crossEntropy, crossEntropy],
      sharedVariables: m.shared,
      ...(repGrad ? { representation: m } : {}),
    });
  };
  const mixed = make(fromLossWeighting(equal()) as GradientWeighting<unknown>);
  const variants: Variant[] = [{ label: "mixed", step: () => mixed.stepHeads(inputs, labels), cpu: [] }];
  for (const name of methods) {
    const weighting = build(name, 2);
    if (weighting === undefined) continue;
    const trainer = make(weighting);
    variants.push({ label: name, step: () => trainer.stepHeads(inputs, labels), cpu: [] });
    if (weighting.needs === "losses") continue;
    const atRepresentation = make(build(name, 2) as GradientWeighting<unknown>, true);
    variants.push({ label: `${name} rep_grad`, step: () => atRepresentation.stepHeads(inputs, labels), cpu: [] });
  }
  const ratios = await measure(variants);
  report("K = 2 heads (rep_grad: task gradients at the 50-unit representation)", variants, ratios);
  tf.dispose([inputs, ...labels]);
  const worst = (repGrad: boolean) =>
    Math.max(...ratios.filter((_, i) => i > 0 && (variants[i] as Variant).label.endsWith(" rep_grad") === repGrad));
  console.log(
    `  worst with 2 heads: ${worst(false).toFixed(3)} over the parameters, ${worst(true).toFixed(3)} with rep_grad`,
  );
  return worst(false);
};

/**
 * The host side alone: each method's `step` on a fixed input of the one-task-per-sample size
 * (K = 7, P = 21,763, gradients for the methods that need them), ms per call. It shows how much
 * of a method's ratio is its own computation; the rest is the K sub-batch passes, the same for all.
 */
const hostTimes = (): void => {
  const numTasks = 7;
  const size = 21_763;
  const rng = Rng.seeded(1);
  const gradients = Array.from({ length: numTasks }, () =>
    Float32Array.from({ length: size }, () => rng.uniform() - 0.4),
  );
  const gramian = gramianOf(gradients);
  const losses = Array.from({ length: numTasks }, (_, k) => 0.1 + 0.01 * k);
  console.log(`\nhost side only: weighting.step on K = ${numTasks}, P = ${size} (median of 10 calls after 3)`);
  for (const name of methods) {
    const weighting = build(name, numTasks);
    if (weighting === undefined) continue;
    let state = E.getOrElseW(() => undefined)(weighting.init(numTasks));
    const input = weighting.needs === "gradients" ? { losses, gramian, gradients } : { losses, gramian };
    const times: number[] = [];
    for (let i = 0; i < 13; i++) {
      const start = performance.now();
      const out = weighting.step(state, input);
      if (i >= 3) times.push(performance.now() - start);
      if (E.isRight(out)) state = out.right.state;
    }
    console.log(`  ${name.padEnd(16)} ${median(times).toFixed(2).padStart(7)} ms`);
  }
};

const main = async (): Promise<void> => {
  try {
    await selectBackend(tf, "wasm");
  } catch (error) {
    console.log(`WASM unavailable (${(error as Error).message}); cpu backend`);
    await tf.setBackend("cpu");
  }
  console.log(
    `backend: ${tf.getBackend()}; machine: ${cpus().length} cores, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
  const worstOne = await oneTaskPerSample();
  const worstHeads = await kHeads();
  hostTimes();
  console.log(
    `\ntargets: ≤ 1.3 with one task per sample (worst ${worstOne.toFixed(3)}), ≤ K + 0.3 = 2.3 with 2 heads (worst ${worstHeads.toFixed(3)})`,
  );
  console.log(`gradient-overhead-ratio=${worstOne.toFixed(3)}`);
};

void main();
