/**
 * Benchmark of the pure core: nanoseconds per `stepArt` for K = 3, 7, 32 after warm-up, bytes
 * allocated per step, and the floor (K exponentials + K divisions in a bare loop) measured in
 * the same run for comparison. Run: npm run bench:core
 * The last line is `core-step-ns K=7: <n>` (target: <= 1000 on the 2-core dev machine).
 */
import * as E from "fp-ts/Either";

import { initArt, Rng, stepArt, unwrap, type ArtState } from "../src/core/index.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error("run with --expose-gc (npm run bench:core does)");
  process.exit(2);
}

/** Pre-generated loss vectors (with ~20% absent tasks) so the timing loop only steps. */
const makeInputs = (numTasks: number, count: number): (number | null)[][] => {
  const rng = Rng.seeded(numTasks);
  return Array.from({ length: count }, () => {
    const losses = Array.from({ length: numTasks }, () => (rng.uniform() < 0.2 ? null : rng.uniform(0.01, 0.9)));
    if (losses.every((l) => l === null)) (losses as (number | null)[])[0] = 0.5;
    return losses;
  });
};

const INPUTS = 4096;
const STEPS = 400_000;

const timeSteps = (numTasks: number): { nsPerStep: number; bytesPerStep: number } => {
  const inputs = makeInputs(numTasks, INPUTS);
  let state: ArtState = unwrap(initArt({ numTasks }));
  const run = (steps: number) => {
    for (let i = 0; i < steps; i++) {
      const out = stepArt(state, inputs[i & (INPUTS - 1)]!);
      if (E.isLeft(out)) throw new Error(out.left.message);
      state = out.right.state;
    }
  };
  run(300_000); // warm-up: let the JIT settle (shorter warm-ups measured 30% slower)
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    run(STEPS / 5);
    samples.push(Number(process.hrtime.bigint() - start) / (STEPS / 5));
  }
  samples.sort((a, b) => a - b);
  // Allocation: short runs that fit in the young generation, each right after a full GC; the
  // median of 5 discards a run that a GC interrupted anyway.
  const bytes: number[] = [];
  for (let round = 0; round < 5; round++) {
    gc!();
    const before = process.memoryUsage().heapUsed;
    run(200);
    bytes.push((process.memoryUsage().heapUsed - before) / 200);
  }
  bytes.sort((a, b) => a - b);
  return { nsPerStep: samples[2]!, bytesPerStep: bytes[2]! };
};

/** The floor: K exponentials and K divisions per step, nothing else. */
const timeFloor = (numTasks: number): number => {
  const inputs = makeInputs(numTasks, INPUTS).map((l) => l.map((x) => x ?? 0.5));
  let sink = 0;
  const run = (steps: number) => {
    for (let i = 0; i < steps; i++) {
      const losses = inputs[i & (INPUTS - 1)]!;
      let total = 0;
      for (let k = 0; k < numTasks; k++) total += Math.exp(losses[k]! / 3);
      for (let k = 0; k < numTasks; k++) sink += losses[k]! / total;
    }
  };
  run(50_000);
  const start = process.hrtime.bigint();
  run(STEPS);
  const ns = Number(process.hrtime.bigint() - start) / STEPS;
  if (sink === 42) console.log(""); // keep the loop alive
  return ns;
};

// Each K runs in a fresh process: in one process, the JIT's feedback from one K slows the next.
const only = process.argv.indexOf("--k");
if (only >= 0) {
  const numTasks = Number(process.argv[only + 1]);
  const { nsPerStep, bytesPerStep } = timeSteps(numTasks);
  const floor = timeFloor(numTasks);
  console.log(JSON.stringify({ numTasks, nsPerStep, floor, bytesPerStep }));
} else {
  const { spawnSync } = await import("node:child_process");
  console.log("Art core step (paper preset, ~20% absent tasks), median of 5 rounds of 80k steps, one process per K");
  console.log("K    ns/step   floor ns   ratio   bytes/step");
  let k7 = NaN;
  for (const numTasks of [3, 7, 32]) {
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, "--k", String(numTasks)], {
      encoding: "utf8",
    });
    if (child.status !== 0) throw new Error(child.stderr);
    const { nsPerStep, floor, bytesPerStep } = JSON.parse(child.stdout.trim().split("\n").pop()!) as {
      nsPerStep: number;
      floor: number;
      bytesPerStep: number;
    };
    if (numTasks === 7) k7 = nsPerStep;
    console.log(
      `${String(numTasks).padEnd(4)} ${nsPerStep.toFixed(0).padStart(7)}   ${floor.toFixed(0).padStart(8)}   ${(nsPerStep / floor).toFixed(1).padStart(5)}   ${bytesPerStep.toFixed(0).padStart(10)}`,
    );
  }
  console.log(`core-step-ns K=7: ${k7.toFixed(0)}`);
}
