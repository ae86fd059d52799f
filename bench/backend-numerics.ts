/**
 * How far wasm's numbers are from cpu's: the training scenarios of the WebGPU test
 * (test/tfjs/webgpu/scenarios.ts: Art and FAMO, exact and lagged, absent tasks, a task-prompted
 * SRResNet) run on both backends in this process, plus the gradients of the audit pieces and of the
 * three restoration models. Prints the largest relative differences, the figures in the wasm table
 * of docs/backends.md (the WebGPU test prints the same figures for webgpu). Usage:
 *   npx tsx bench/backend-numerics.ts
 * About 15 s on a 2-core machine.
 */
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import { createModel } from "../src/restoration/models/index.js";
import { restorationAuditPieces, selectBackend } from "../src/tfjs/backend/index.js";
import { relativeToScale } from "../test/support/all-close.js";
import {
  numbersWithPaths,
  runModelTraining,
  runTrainCase,
  TRAIN_CASES,
  type TrainRecord,
} from "../test/tfjs/webgpu/scenarios.js";

const BACKEND = "wasm";

const relative = (a: number | null, b: number | null): number =>
  a === null || b === null || b === 0 ? 0 : Math.abs(a - b) / Math.abs(b);

await selectBackend(tf, BACKEND);

// Gradients: each piece or model built on cpu, differentiated on cpu, then on the backend (the data moves).
let gradients = 0;
let gradientsWhere = "";
const compare = async (label: string, loss: () => tf.Scalar, variables?: tf.Variable[]): Promise<void> => {
  const on = async (backend: string): Promise<Float32Array[]> => {
    await tf.setBackend(backend);
    const { value, grads } = tf.variableGrads(loss, variables);
    const names = Object.keys(grads).sort();
    const values = await Promise.all(names.map(async (n) => (await (grads[n] as tf.Tensor).data()) as Float32Array));
    tf.dispose([value, ...Object.values(grads)]);
    return values;
  };
  const cpu = await on("cpu");
  const other = await on(BACKEND);
  cpu.forEach((expected, i) => {
    const d = relativeToScale(other[i] as Float32Array, expected);
    if (d > gradients) [gradients, gradientsWhere] = [d, label];
  });
};
// tfjs-backend-cpu's ResizeNearestNeighborGrad is wrong for batch > 1: that piece is left out.
for (const piece of restorationAuditPieces(tf).filter(
  (p) => p.expectedToTrain && !p.name.startsWith("resizeNearestNeighbor"),
)) {
  await tf.setBackend("cpu");
  const { loss, dispose } = piece.build();
  await compare(piece.name, loss);
  dispose();
}
for (const spec of [
  { kind: "srresnet", width: 8, blocks: 2, taskPrompt: true },
  { kind: "unet", width: 4, depth: 2 },
  { kind: "prompt-unet", width: 4, depth: 2, prompts: 3, promptSize: 4 },
] as const) {
  await tf.setBackend("cpu");
  const model = createModel(tf, spec, { seed: 1, numTasks: 3 });
  const variables = model.variables as tf.Variable[];
  // Perturbed so that every variable gets a gradient (the output conv starts at zero).
  variables.forEach((v, i) =>
    tf.tidy(() => v.assign(tf.add(v, tf.randomUniform(v.shape, -0.05, 0.05, "float32", 100 + i)))),
  );
  const x = tf.randomUniform([2, 16, 16, 3], 0, 1, "float32", 5);
  const y = tf.randomUniform([2, 16, 16, 3], 0, 1, "float32", 6);
  await compare(
    spec.kind,
    () => tf.mean(tf.abs(tf.sub(model.apply(x, { taskIds: [0, 2] }), y))) as tf.Scalar,
    variables,
  );
  model.dispose();
  tf.dispose([x, y]);
}

// Training: the same seeded runs on each backend.
const runs: TrainRecord[][] = [];
for (const backend of ["cpu", BACKEND]) {
  await tf.setBackend(backend);
  const records: TrainRecord[] = [];
  for (const c of TRAIN_CASES) records.push(await runTrainCase(tf, c));
  records.push(await runModelTraining(tf));
  runs.push(records);
}
let losses = 0;
let weights = 0;
let params = 0;
let state = 0;
const [cpuRuns, otherRuns] = runs as [TrainRecord[], TrainRecord[]];
otherRuns.forEach((g, i) => {
  const c = cpuRuns[i] as TrainRecord;
  g.steps.forEach((s, j) => {
    const r = c.steps[j];
    s.taskLosses.forEach((l, k) => (losses = Math.max(losses, relative(l, r?.taskLosses[k] ?? null))));
    s.weights.forEach((w, k) => (weights = Math.max(weights, relative(w, r?.weights[k] ?? null))));
  });
  g.params.forEach((p, k) => (params = Math.max(params, relativeToScale(p, c.params[k] as number[]))));
  const cs = numbersWithPaths(c.state);
  numbersWithPaths(g.state).forEach(([, v], k) => {
    const r = cs[k]?.[1] ?? null;
    if (r !== null && Math.abs(r) > 1e-4) state = Math.max(state, relative(v, r));
  });
});
const fmt = (x: number): string => x.toExponential(1);
console.log(`${BACKEND} vs cpu, largest relative differences:`);
console.log(
  `  task losses ${fmt(losses)}, weights ${fmt(weights)}, parameters ${fmt(params)} of their scale, weighting state ${fmt(state)}`,
);
console.log(`  gradients ${fmt(gradients)} of their largest entry (${gradientsWhere})`);
