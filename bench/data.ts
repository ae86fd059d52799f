/**
 * Data pipeline benchmark (run: `npx tsx bench/data.ts [--steps N]`):
 *
 * 1. samples/s of each degradation (clean patch from the procedural source + degradation) on
 *    48x48 and 128x128 crops;
 * 2. the share of a training step spent waiting for the next batch, with prefetching off
 *    ("none"), on the training thread ("thread") and in a worker thread ("worker"), training
 *    the demo's tiny SRResNet on 7 tasks (batch 14, 48x48 patches) with the wasm backend.
 */
import { parseArgs } from "node:util";
import * as E from "fp-ts/Either";

import { Rng } from "../src/core/random.js";
import { proceduralSource, streamBatches, type PrefetchMode } from "../src/restoration/data/index.js";
import { degrade, MIOIR_TASKS } from "../src/restoration/degradations/index.js";
import { buildSession, resolveTrainConfig } from "../src/restoration/train/index.js";

const { values } = parseArgs({ options: { steps: { type: "string" }, seconds: { type: "string" } } });
const steps = Number(values.steps ?? 12);
const secondsPerCase = Number(values.seconds ?? 0.7);

const source = proceduralSource({ seed: 0 });

/** Samples per second of patch + degradation for one task and size. */
async function samplesPerSecond(task: (typeof MIOIR_TASKS)[number], size: number): Promise<number> {
  const rng = Rng.seeded(1);
  // Warm-up: fills the procedural pool and lets the JIT settle.
  for (let i = 0; i < 3; i++) degrade(task, await source.drawPatch(rng, size, true), rng);
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < secondsPerCase * 1000) {
    degrade(task, await source.drawPatch(rng, size, true), rng);
    count++;
  }
  return count / ((performance.now() - start) / 1000);
}

console.log(`# data pipeline benchmark (node ${process.version}, ${(await import("node:os")).cpus().length} cores)\n`);
console.log("## samples/s per degradation (procedural crop + augmentation + degradation)\n");
console.log("| task | 48x48 | 128x128 |");
console.log("| --- | ---: | ---: |");
for (const task of MIOIR_TASKS) {
  const small = await samplesPerSecond(task, 48);
  const large = await samplesPerSecond(task, 128);
  console.log(`| ${task} | ${small.toFixed(0)} | ${large.toFixed(0)} |`);
}

const resolved = resolveTrainConfig({
  tasks: [...MIOIR_TASKS],
  data: { patchSize: 48 },
  model: { kind: "srresnet", width: 16, blocks: 2 },
  weighting: { name: "art" },
  steps: steps + 2,
  batch: 14,
  lr: 1e-3,
  backend: "wasm",
});
if (E.isLeft(resolved)) throw new Error(resolved.left.join("\n"));
const config = resolved.right;
const session = await buildSession(config);
const { tf, trainer } = session;

/** Mean step time and the share spent waiting in `stream.next()`, after 2 warm-up steps. */
async function measure(mode: PrefetchMode): Promise<{ step: number; wait: number; mode: string }> {
  const stream = streamBatches(
    { tasks: config.tasks, batchSize: config.batch, patchSize: config.data.patchSize, seed: 7 },
    {},
    { from: 0, to: steps + 2, depth: 2, mode },
  );
  let waited = 0;
  let total = 0;
  for (let i = 0; i < steps + 2; i++) {
    const t0 = performance.now();
    const batch = await stream.next();
    const t1 = performance.now();
    if (batch === undefined) break;
    const x = tf.tensor4d(batch.inputs, [...batch.shape]);
    const y = tf.tensor4d(batch.targets, [...batch.shape]);
    await trainer.step(x, y, batch.taskIds);
    x.dispose();
    y.dispose();
    const t2 = performance.now();
    if (i >= 2) {
      waited += t1 - t0;
      total += t2 - t0;
    }
  }
  await stream.close();
  return { step: total / steps, wait: waited / total, mode: stream.mode };
}

console.log(
  `\n## waiting for data during training (batch 14 x 48x48, 7 tasks, SRResNet 16x2, wasm, ${steps} steps each)\n`,
);
console.log("| prefetch | step time (ms) | share waiting for data |");
console.log("| --- | ---: | ---: |");
for (const mode of ["none", "thread", "worker"] as const) {
  const r = await measure(mode);
  console.log(`| ${r.mode} | ${r.step.toFixed(0)} | ${(100 * r.wait).toFixed(1)}% |`);
}
