/**
 * Benchmark of data-parallel training (config `workers`, `art-mtl train --workers`): samples/s
 * with 1 worker (the calling thread, today's path) and with N replicas on worker threads, each
 * with its own tfjs WASM instance.
 *
 *   npm run bench:train
 *
 * The replication's model and batch: SRResNet width 16, 4 blocks, 7 tasks, batch 28 (4 per task)
 * of 32x32 crops, Art with exact weights, Adam, WASM. N = os.availableParallelism() (at least
 * 2). Both variants train from the same initial weights on the same batches (synthesised before
 * timing, so this measures training, not data synthesis; in `art-mtl train` the batches come
 * from the prefetch worker, which takes a few per cent of one core).
 *
 * Rounds alternate between the variants (which one goes first alternates too), a few steps
 * each, after warm-up steps; a round's samples/s is its samples over its wall time. The speed-up
 * is the median over rounds of N's samples/s over 1's in the same round (adjacent in time, so
 * both saw the same load from other processes), printed last as `workers-speedup=<ratio>`.
 * The machine's load average is printed at the start and the end: on a busy machine the
 * figures say little.
 *
 * Environment knobs: ART_BENCH_WORKERS (N), ART_BENCH_ROUNDS (8), ART_BENCH_STEPS (steps per
 * variant per round, 4), ART_BENCH_WARMUP (3).
 */
import { availableParallelism, loadavg } from "node:os";
import * as E from "fp-ts/Either";

import { BatchSynthesizer, type Batch } from "../src/restoration/data/batches.js";
import { MIOIR_TASKS } from "../src/restoration/degradations/degradations.js";
import { buildSession, resolveTrainConfig } from "../src/restoration/train/index.js";
import { setLearningRate } from "../src/restoration/train/optimizer.js";
import { startParallelTraining } from "../src/restoration/train/parallel/coordinator.js";

const envNumber = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be an integer >= 1 (got ${raw})`);
  return value;
};
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

const workers = envNumber("ART_BENCH_WORKERS", Math.max(2, availableParallelism()));
const rounds = envNumber("ART_BENCH_ROUNDS", 8);
const stepsPerRound = envNumber("ART_BENCH_STEPS", 4);
const warmup = envNumber("ART_BENCH_WARMUP", 3);

const resolved = resolveTrainConfig({
  tasks: [...MIOIR_TASKS],
  data: { patchSize: 32 },
  model: { kind: "srresnet", width: 16, blocks: 4 },
  weighting: { name: "art" },
  steps: 1000,
  batch: 28,
  lr: 1e-3,
  seed: 0,
  backend: "wasm",
});
if (E.isLeft(resolved)) throw new Error(resolved.left.join("\n"));
const config = resolved.right;

console.log(`machine: os.availableParallelism() = ${availableParallelism()}, load average ${load()} at start`);
const single = await buildSession(config);
const shadow = await buildSession(config);
console.log(
  `model: SRResNet width 16, 4 blocks, ${single.model.parameterCount} parameters; batch ${config.batch} of ${config.data.patchSize}x${config.data.patchSize} over ${config.tasks.length} tasks; Art (exact); backend ${single.backend}`,
);
const startedAt = performance.now();
const parallel = await startParallelTraining({ session: shadow, replicas: workers });
console.log(
  `${workers} replicas started in ${((performance.now() - startedAt) / 1000).toFixed(1)} s (backend ${parallel.backend})`,
);

const synth = new BatchSynthesizer({
  tasks: config.tasks,
  batchSize: config.batch,
  patchSize: config.data.patchSize,
  seed: config.seed,
  source: config.data.source,
});
const batches: Batch[] = [];
for (let i = 0; i < 8; i++) batches.push(await synth.batch(i));

const { tf } = single;
const stepSingle = async (batch: Batch): Promise<void> => {
  setLearningRate(single.optimizer, config.lr);
  const x = tf.tensor4d(batch.inputs, [...batch.shape]);
  const y = tf.tensor4d(batch.targets, [...batch.shape]);
  try {
    await single.trainer.step(x, y, batch.taskIds);
  } finally {
    x.dispose();
    y.dispose();
  }
};
const stepParallel = async (batch: Batch): Promise<void> => {
  await parallel.step(batch, config.lr);
};

/** CPU time of the whole process (every thread: the replicas' too), in ms. */
const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

type Variant = {
  readonly label: string;
  readonly step: (batch: Batch) => Promise<void>;
  next: number;
  readonly rates: number[];
  readonly cpuPerStep: number[];
};
const variants: Variant[] = [
  { label: "1 worker (calling thread)", step: stepSingle, next: 0, rates: [], cpuPerStep: [] },
  { label: `${workers} workers (replicas)`, step: stepParallel, next: 0, rates: [], cpuPerStep: [] },
];
try {
  for (const variant of variants)
    for (let i = 0; i < warmup; i++) await variant.step(batches[variant.next++ % batches.length] as Batch);
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < variants.length; j++) {
      const variant = variants[(round + j) % variants.length] as Variant;
      const started = performance.now();
      const cpuStarted = cpuMs();
      for (let i = 0; i < stepsPerRound; i++) await variant.step(batches[variant.next++ % batches.length] as Batch);
      variant.rates.push((stepsPerRound * config.batch) / ((performance.now() - started) / 1000));
      variant.cpuPerStep.push((cpuMs() - cpuStarted) / stepsPerRound);
    }
  }
} finally {
  await parallel.close();
}
const [one, many] = variants as [Variant, Variant];
console.log(
  `\n${rounds} interleaved rounds of ${stepsPerRound} steps per variant (after ${warmup} warm-up steps each); samples/s, median (min..max) over rounds:`,
);
for (const v of variants) {
  console.log(
    `${v.label.padEnd(28)} ${median(v.rates).toFixed(1).padStart(7)} samples/s (${Math.min(...v.rates).toFixed(1)}..${Math.max(...v.rates).toFixed(1)}); process CPU ${median(v.cpuPerStep).toFixed(0)} ms per step (all threads)`,
  );
}
// CPU time does not depend on other processes the way wall time does: N workers doing the same
// work as one (plus the split, the reduction and the waits) bound the speed-up an idle machine gives.
const cpuRatio = median(many.cpuPerStep) / median(one.cpuPerStep);
console.log(
  `CPU per step, ${workers} workers / 1: ${cpuRatio.toFixed(3)} (on ${workers} idle cores the speed-up is at most ≈ ${(workers / cpuRatio).toFixed(2)})`,
);
const speedup = median(many.rates.map((r, i) => r / (one.rates[i] as number)));
console.log(
  `speed-up, median over rounds of the per-round ratio: ${speedup.toFixed(3)} (ratio of medians ${(median(many.rates) / median(one.rates)).toFixed(3)})`,
);
console.log(`load average ${load()} at the end`);
console.log(`workers-speedup=${speedup.toFixed(3)}`);
