/**
 * Benchmark of the art-mtl/tfjs adapter: what does Art cost on top of plain mixed training?
 *
 *   npx tsx bench/adapter.ts            (npm run bench:adapter)
 *
 * Same model (a small SRResNet), same batch (14 = 2 per task x 7 tasks, 48x48 patches) on the
 * WASM backend (with art-mtl's training kernels), falling back to the cpu backend at a smaller
 * size when WASM cannot start. Variants, interleaved round by round after a warm-up:
 *   (a) plain mixed training: optimizer.minimize(mean L1), loss read back once (equal weights);
 *   (b) Art, exact weights (createTrainer, lagged: false): on WASM the losses are read inside the
 *       taped pass (syncRead), so one forward and one backward, as mixed training;
 *   (c) Art, lagged weights (createTrainer, lagged: true): one forward+backward, like (a).
 * Each step is timed twice: wall-clock and process CPU time. WASM (and cpu) run single-threaded
 * here, so CPU time is the compute the step took, and it stays meaningful when other processes
 * share the cores (wall time then mostly measures waiting); ratios and GFLOP/s use CPU time.
 * Prints ms/step (median over steps), the ratios, achieved conv GFLOP/s (forward+backward taken
 * as 3x the forward's conv FLOPs; (b) is credited with the same useful work as (a)) against a
 * peak estimated from a large matmul on the same backend, the WASM speed-up over the cpu
 * backend (one cpu step), then `art-lagged-overhead-ratio=<c/a>` and last `art-overhead-ratio=<b/a>`.
 *
 * The cpu backend is ~100x slower, so the WASM-vs-cpu comparison uses a smaller batch (2 of
 * 12x12, same model) on both backends: a few WASM steps against one cpu step.
 *
 * Environment knobs: ART_BENCH_WIDTH (16), ART_BENCH_BLOCKS (4), ART_BENCH_ROUNDS (16 rounds on WASM, 2 on cpu, of
 * one step per variant, in a rotating order), ART_BENCH_CPU=0 to skip the cpu step,
 * ART_BENCH_BACKEND=cpu to run the cpu fallback on purpose.
 */
import { availableParallelism, cpus, loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import { art } from "../src/core/index.js";
import { createModel, srResNetMacsPerPixel, type RestorationModel } from "../src/restoration/models/index.js";
import { createTrainer, selectBackend, type Trainer } from "../src/tfjs/index.js";

const envNumber = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0 (got ${raw})`);
  return value;
};

const NUM_TASKS = 7;
const PER_TASK = 2;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const fmt = (x: number, digits = 1): string => x.toFixed(digits);

/** Process CPU time in ms (user + system). */
const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/** Runs `f` and returns its wall-clock and CPU milliseconds. */
const timed = async (f: () => Promise<void>): Promise<{ wall: number; cpu: number }> => {
  const wallStart = performance.now();
  const cpuStart = cpuMs();
  await f();
  return { wall: performance.now() - wallStart, cpu: cpuMs() - cpuStart };
};

/** Peak estimate: the best of a few 1024^3 float32 matmuls on the active backend (read back each), per CPU second. */
const matmulPeakGflops = async (n: number, repeats: number): Promise<number> => {
  const a = tf.randomNormal([n, n], 0, 1, "float32", 1);
  const b = tf.randomNormal([n, n], 0, 1, "float32", 2);
  let best = 0;
  for (let i = 0; i < repeats; i++) {
    const { cpu } = await timed(async () => {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    });
    if (i > 0) best = Math.max(best, (2 * n ** 3) / (cpu / 1000) / 1e9); // the first call warms up
  }
  tf.dispose([a, b]);
  return best;
};

type Variant = { label: string; step: () => Promise<void>; times: number[]; cpuTimes: number[] };

const plainVariant = (model: RestorationModel, inputs: tf.Tensor, targets: tf.Tensor): Variant => {
  const optimizer = tf.train.adam(1e-4);
  return {
    label: "(a) plain mixed training",
    times: [],
    cpuTimes: [],
    step: async () => {
      const cost = optimizer.minimize(
        () => tf.mean(tf.abs(tf.sub(model.apply(inputs), targets))) as tf.Scalar,
        true,
        model.variables as tf.Variable[],
      );
      await (cost as tf.Scalar).data();
      cost?.dispose();
    },
  };
};

const trainerVariant = (
  label: string,
  trainer: Trainer<unknown>,
  inputs: tf.Tensor,
  targets: tf.Tensor,
  taskIds: number[],
): Variant => ({
  label,
  times: [],
  cpuTimes: [],
  step: async () => {
    await trainer.step(inputs, targets, taskIds);
  },
});

const main = async (): Promise<void> => {
  let backend = "wasm";
  let note = "";
  try {
    if (process.env.ART_BENCH_BACKEND === "cpu") throw new Error("ART_BENCH_BACKEND=cpu");
    const selection = await selectBackend(tf, "wasm");
    note = selection.notes.filter((n) => /thread/.test(n)).join("; ");
  } catch (error) {
    backend = "cpu";
    note = `WASM unavailable (${(error as Error).message}); cpu backend at a smaller size`;
    await tf.setBackend("cpu");
  }
  const onWasm = backend === "wasm";
  const width = envNumber("ART_BENCH_WIDTH", onWasm ? 16 : 8);
  const blocks = envNumber("ART_BENCH_BLOCKS", onWasm ? 4 : 2);
  const side = onWasm ? 48 : 24;
  const rounds = envNumber("ART_BENCH_ROUNDS", onWasm ? 16 : 2);
  const batch = NUM_TASKS * PER_TASK;
  const taskIds = Array.from({ length: batch }, (_, b) => Math.floor(b / PER_TASK));

  console.log(`backend: ${tf.getBackend()}${note === "" ? "" : ` (${note})`}`);
  // Timings on a shared machine depend on what else runs: print the load next to them.
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(1))
      .join(" ");
  console.log(`machine: ${cpus().length} cores, load average ${load()} at start`);
  const peak = await matmulPeakGflops(1024, 4);
  // tfjs' WASM backend runs single-threaded in Node (its worker bootstrap fails there; see
  // docs/backends.md), so the measured matmul is a one-core peak; the machine's peak is taken as
  // that times the cores Node reports as available (os.availableParallelism(), measured here).
  const cores = availableParallelism();
  console.log(
    `peak estimate: best 1024^3 float32 matmul on ${tf.getBackend()}: ${fmt(peak)} GFLOP per CPU second on 1 thread; ${cores}-core peak (os.availableParallelism() = ${cores}) ≈ ${fmt(cores * peak)} GFLOP/s`,
  );

  const inputs = tf.randomUniform([batch, side, side, 3], 0, 1, "float32", 10);
  const targets = tf.tidy(() => {
    // Each task gets its own noise level, so the tasks' losses differ as in all-in-one training.
    const sigma = tf.tensor4d(
      taskIds.map((k) => 0.02 + 0.02 * k),
      [batch, 1, 1, 1],
    );
    return tf.clipByValue(
      tf.add(inputs, tf.mul(tf.randomNormal([batch, side, side, 3], 0, 1, "float32", 11), sigma)),
      0,
      1,
    );
  });
  const spec = { kind: "srresnet", width, blocks } as const;
  const models = [0, 1, 2].map(() => createModel(tf, spec, { seed: 3 }));
  const forwardGflop = (2 * srResNetMacsPerPixel(width, blocks) * batch * side * side) / 1e9;
  const stepGflop = 3 * forwardGflop;
  console.log(
    `model: SRResNet width ${width}, ${blocks} blocks, ${models[0]!.parameterCount} parameters; batch ${batch} (${PER_TASK} per task x ${NUM_TASKS} tasks) of ${side}x${side}`,
  );
  console.log(
    `conv work: forward ${fmt(forwardGflop, 2)} GFLOP; forward+backward ≈ 3x = ${fmt(stepGflop, 2)} GFLOP per step`,
  );

  const variants: Variant[] = [
    plainVariant(models[0]!, inputs, targets),
    trainerVariant(
      "(b) Art (exact weights)",
      createTrainer({
        tf,
        model: models[1]!,
        optimizer: tf.train.adam(1e-4),
        weighting: art(),
        numTasks: NUM_TASKS,
      }) as Trainer<unknown>,
      inputs,
      targets,
      taskIds,
    ),
    trainerVariant(
      "(c) Art (lagged weights)",
      createTrainer({
        tf,
        model: models[2]!,
        optimizer: tf.train.adam(1e-4),
        weighting: art(),
        numTasks: NUM_TASKS,
        lagged: true,
      }) as Trainer<unknown>,
      inputs,
      targets,
      taskIds,
    ),
  ];
  for (const variant of variants) await variant.step(); // warm-up (first-use allocations)
  const tensorsAfterWarmUp = tf.memory().numTensors;
  for (let round = 0; round < rounds; round++) {
    // One step per variant per round, starting with a different variant each round, so that
    // load from other processes spreads over the variants evenly.
    for (let j = 0; j < variants.length; j++) {
      const variant = variants[(round + j) % variants.length] as Variant;
      const { wall, cpu } = await timed(variant.step);
      variant.times.push(wall);
      variant.cpuTimes.push(cpu);
    }
  }
  if (tf.memory().numTensors !== tensorsAfterWarmUp)
    console.log(`warning: tensor count grew from ${tensorsAfterWarmUp} to ${tf.memory().numTensors}`);

  const wallMs = variants.map((v) => median(v.times));
  const ms = variants.map((v) => median(v.cpuTimes));
  console.log(
    `\n${rounds} interleaved rounds of one step per variant; median ms/step, CPU time (wall time, min..max):`,
  );
  variants.forEach((v, i) => {
    const gflops = stepGflop / ((ms[i] as number) / 1000);
    console.log(
      `${v.label.padEnd(28)} ${fmt(ms[i] as number).padStart(8)} ms CPU (wall ${fmt(wallMs[i] as number)}, ${fmt(Math.min(...v.times))}..${fmt(Math.max(...v.times))})  ` +
        `${fmt(gflops, 2)} GFLOP/s = ${fmt((100 * gflops) / peak)}% of the 1-thread peak, ${fmt((100 * gflops) / (cores * peak))}% of the ${cores}-core peak`,
    );
  });
  const [a] = ms as [number, number, number];
  // Ratios are taken within each round (the three steps ran back to back, so they saw similar
  // load) and then the median over rounds: steadier than a ratio of medians on a busy machine.
  const pairedRatio = (i: number): number =>
    median(variants[i]!.cpuTimes.map((t, r) => t / (variants[0]!.cpuTimes[r] as number)));
  const b = pairedRatio(1);
  const c = pairedRatio(2);
  console.log(
    `ratios (CPU time, median over rounds of the per-round ratio): b/a = ${fmt(b, 3)} (exact Art), c/a = ${fmt(c, 3)} (lagged Art)`,
  );
  console.log(
    `ratios (wall time): b/a = ${fmt((wallMs[1] as number) / (wallMs[0] as number), 3)}, c/a = ${fmt((wallMs[2] as number) / (wallMs[0] as number), 3)}`,
  );
  const forwardTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { cpu } = await timed(async () => {
      const out = tf.tidy(() => (models[0] as RestorationModel).apply(inputs));
      await out.data();
      out.dispose();
    });
    forwardTimes.push(cpu);
  }
  const forwardMs = median(forwardTimes);
  console.log(
    `forward pass alone: ${fmt(forwardMs)} ms CPU (${fmt(forwardMs / a, 3)} of a plain step: what the two-pass exact mode (syncRead: false, WebGPU in Node) adds; the one-pass mode measured in (b) does not)`,
  );

  if (onWasm && envNumber("ART_BENCH_CPU", 1) !== 0) {
    const small = { batch: 2, side: 12 };
    const smallGflop = (3 * 2 * srResNetMacsPerPixel(width, blocks) * small.batch * small.side ** 2) / 1e9;
    const timePlainSteps = async (steps: number): Promise<number> => {
      const model = createModel(tf, spec, { seed: 3 });
      const x = tf.randomUniform([small.batch, small.side, small.side, 3], 0, 1, "float32", 10);
      const y = tf.randomUniform([small.batch, small.side, small.side, 3], 0, 1, "float32", 12);
      const plain = plainVariant(model, x, y);
      for (let i = 0; i < steps; i++) plain.cpuTimes.push((await timed(plain.step)).cpu);
      tf.dispose([x, y]);
      model.dispose();
      return median(plain.cpuTimes.slice(steps > 1 ? 1 : 0));
    };
    const wasmSmallMs = await timePlainSteps(4);
    await tf.setBackend("cpu");
    const cpuSmallMs = await timePlainSteps(1);
    await tf.setBackend("wasm");
    console.log(
      `WASM vs cpu, plain step on ${small.batch} patches of ${small.side}x${small.side} (CPU time): wasm ${fmt(wasmSmallMs)} ms (${fmt(smallGflop / (wasmSmallMs / 1000), 2)} GFLOP/s), ` +
        `cpu ${fmt(cpuSmallMs)} ms (${fmt(smallGflop / (cpuSmallMs / 1000), 2)} GFLOP/s, one step); WASM speed-up ${fmt(cpuSmallMs / wasmSmallMs)}x`,
    );
  }
  console.log(`load average ${load()} at the end`);
  console.log(`art-lagged-overhead-ratio=${fmt(c, 3)}`);
  console.log(`art-overhead-ratio=${fmt(b, 3)}`);
};

await main();
