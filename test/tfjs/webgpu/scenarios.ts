/**
 * Training runs of the tfjs adapter that give the same numbers on every backend (up to float32
 * rounding): webgpu.test.ts runs them on cpu in its own process and on WebGPU in a child process
 * (worker.ts), then compares the records. Everything random is seeded (tfjs draws seeded random
 * numbers in JavaScript, so a seed gives the same tensor on every backend), and every record is
 * plain JSON.
 */
import type * as tfCore from "@tensorflow/tfjs-core";
import { art } from "../../../src/core/index.js";
import type { PositiveFinite } from "../../../src/core/index.js";
import { famo } from "../../../src/strategies/index.js";
import { createTrainer, loadCheckpoint, saveCheckpoint } from "../../../src/tfjs/index.js";
import type { FunctionModel, Trainer, TwoPhaseObservation } from "../../../src/tfjs/index.js";
import { createModel } from "../../../src/restoration/models/index.js";

type Tf = typeof tfCore;

/** One training run: weighting, mode, and how a two-phase weighting observes. */
export interface TrainCase {
  readonly name: string;
  readonly weighting: "art" | "famo";
  readonly lagged: boolean;
  readonly observation?: TwoPhaseObservation;
}

export const TRAIN_CASES: readonly TrainCase[] = [
  { name: "Art, exact", weighting: "art", lagged: false },
  { name: "Art, lagged", weighting: "art", lagged: true },
  { name: "FAMO, exact, same-batch observation", weighting: "famo", lagged: false, observation: "same-batch" },
  { name: "FAMO, lagged, same-batch observation", weighting: "famo", lagged: true, observation: "same-batch" },
  { name: "FAMO, exact, next-step observation", weighting: "famo", lagged: false, observation: "next-step" },
];

export const TRAIN_STEPS = 5;

/** Task ids of step i: step 2 has no sample of task 1, step 3 none of task 0. */
export const taskIdsOfStep = (i: number): number[] =>
  i === 2 ? [0, 0, 0, 2, 2, 2] : i === 3 ? [1, 2, 1, 2, 1, 2] : [0, 1, 2, 0, 1, 2];

/** Steps where a task is absent, and which. */
export const ABSENT: ReadonlyArray<{ readonly step: number; readonly task: number }> = [
  { step: 2, task: 1 },
  { step: 3, task: 0 },
];

export interface StepRecord {
  readonly taskLosses: ReadonlyArray<number | null>;
  readonly weights: ReadonlyArray<number>;
  readonly nextWeights: ReadonlyArray<number>;
  readonly loss: number;
  /** `tf.memory().numTensors` after the step. */
  readonly tensors: number;
}

/** Synchronous reads while the steps ran. */
export interface SyncReads {
  readonly dataSync: number;
  readonly arraySync: number;
  /** Calls of the backend's `readSync` for data that was not already on the host (the GPU read that fails in Node). */
  readonly deviceReadSync: number;
}

export interface TrainRecord {
  readonly name: string;
  readonly backend: string;
  readonly syncRead: boolean;
  readonly steps: ReadonlyArray<StepRecord>;
  /** The model's variables after the last step (and after `flush`). */
  readonly params: ReadonlyArray<ReadonlyArray<number>>;
  /** The weighting state after the last step, as its codec encodes it. */
  readonly state: unknown;
  readonly syncReads: SyncReads;
}

/** A conv net over plain variables: 3 → 4 → 3 channels with a global residual (as in the cpu trainer tests). */
export const tinyModel = (tf: Tf, seed: number): FunctionModel => {
  const w1 = tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 0.2, "float32", seed));
  const w2 = tf.variable(tf.randomNormal([3, 3, 4, 3], 0, 0.2, "float32", seed + 1));
  const b1 = tf.variable(tf.zeros([4]));
  return {
    apply: (x) =>
      tf.add(x, tf.conv2d(tf.relu(tf.add(tf.conv2d(x as tfCore.Tensor4D, w1 as tfCore.Tensor4D, 1, "same"), b1)) as tfCore.Tensor4D, w2 as tfCore.Tensor4D, 1, "same")),
    variables: [w1, w2, b1],
  };
};

/** Batch `i` of a run: 6 samples of 8x8, the same on every backend. */
export const batchOf = (tf: Tf, i: number, size = 6, side = 8): { inputs: tfCore.Tensor; targets: tfCore.Tensor } => ({
  inputs: tf.randomUniform([size, side, side, 3], 0, 1, "float32", 500 + i),
  targets: tf.randomUniform([size, side, side, 3], 0, 1, "float32", 700 + i),
});

// Art with a small tau so that its weights move visibly within a few steps.
const weightingOf = (kind: TrainCase["weighting"]) => (kind === "art" ? art({ tau: 0.05 as PositiveFinite }) : famo());

/**
 * Counts synchronous reads while `run` runs: `dataSync`/`arraySync` on any tensor, and device reads
 * through the active backend's `readSync` (data the backend does not hold on the host).
 */
export const countingSyncReads = async <T>(tf: Tf, run: () => Promise<T>): Promise<{ result: T; syncReads: SyncReads }> => {
  const proto = tf.Tensor.prototype as unknown as Record<"dataSync" | "arraySync", (...a: unknown[]) => unknown>;
  const { dataSync, arraySync } = proto;
  const backend = tf.backend() as unknown as { readSync: (dataId: object) => unknown; tensorMap?: { get(id: object): { values?: unknown } | undefined } };
  const hadOwnReadSync = Object.prototype.hasOwnProperty.call(backend, "readSync");
  const readSync = backend.readSync;
  const counts = { dataSync: 0, arraySync: 0, deviceReadSync: 0 };
  proto.dataSync = function (this: unknown, ...args: unknown[]) {
    counts.dataSync++;
    return dataSync.apply(this, args);
  };
  proto.arraySync = function (this: unknown, ...args: unknown[]) {
    counts.arraySync++;
    return arraySync.apply(this, args);
  };
  backend.readSync = function (this: unknown, dataId: object) {
    // cpu holds everything on the host; a GPU backend's tensorMap says whether the values are there.
    const onHost = backend.tensorMap === undefined || backend.tensorMap.get(dataId)?.values != null;
    if (!onHost) counts.deviceReadSync++;
    return readSync.call(this, dataId);
  };
  try {
    return { result: await run(), syncReads: counts };
  } finally {
    proto.dataSync = dataSync;
    proto.arraySync = arraySync;
    if (hadOwnReadSync) backend.readSync = readSync;
    else delete (backend as { readSync?: unknown }).readSync;
  }
};

const valuesOf = async (variables: ReadonlyArray<tfCore.Tensor>): Promise<number[][]> =>
  Promise.all(variables.map(async (v) => Array.from((await v.data()) as Float32Array)));

const runSteps = async <S>(tf: Tf, trainer: Trainer<S>, from: number, to: number, records: StepRecord[]): Promise<void> => {
  for (let i = from; i < to; i++) {
    const { inputs, targets } = batchOf(tf, i);
    const r = await trainer.step(inputs, targets, taskIdsOfStep(i));
    tf.dispose([inputs, targets]);
    records.push({ taskLosses: [...r.taskLosses], weights: [...r.weights], nextWeights: [...r.nextWeights], loss: r.loss, tensors: tf.memory().numTensors });
  }
};

/** Trains the tiny model for `TRAIN_STEPS` steps of `c` with Adam on the active backend. */
export const runTrainCase = async (tf: Tf, c: TrainCase): Promise<TrainRecord> => {
  const model = tinyModel(tf, 1);
  const weighting = weightingOf(c.weighting);
  const trainer = createTrainer<unknown>({
    tf, model, optimizer: tf.train.adam(1e-2), weighting: weighting as never, numTasks: 3, lagged: c.lagged,
    ...(c.observation === undefined ? {} : { twoPhaseObservation: c.observation }),
  });
  const steps: StepRecord[] = [];
  const { syncReads } = await countingSyncReads(tf, () => runSteps(tf, trainer, 0, TRAIN_STEPS, steps));
  await trainer.flush();
  const record: TrainRecord = {
    name: c.name,
    backend: tf.getBackend(),
    syncRead: trainer.syncRead,
    steps,
    params: await valuesOf(model.variables),
    state: weighting.stateCodec.encode(trainer.weightingState as never),
    syncReads,
  };
  trainer.dispose();
  tf.dispose([...model.variables]);
  trainer.optimizer.dispose();
  return record;
};

/** A checkpoint run: 4 straight steps, and 2 steps + save + load into fresh objects + 2 steps. */
export const CHECKPOINT_CASES: readonly TrainCase[] = [
  { name: "Art, exact", weighting: "art", lagged: false },
  { name: "FAMO, lagged, same-batch observation", weighting: "famo", lagged: true, observation: "same-batch" },
];

export interface CheckpointRecord {
  readonly name: string;
  readonly straight: { readonly steps: ReadonlyArray<StepRecord>; readonly params: ReadonlyArray<ReadonlyArray<number>>; readonly state: unknown };
  readonly resumed: { readonly loadedStep: number; readonly steps: ReadonlyArray<StepRecord>; readonly params: ReadonlyArray<ReadonlyArray<number>>; readonly state: unknown };
}

/** Runs a checkpoint case on the active backend, saving into `directory` (which must not exist yet). */
export const runCheckpointCase = async (tf: Tf, c: TrainCase, directory: string): Promise<CheckpointRecord> => {
  const make = (seed: number) => {
    const model = tinyModel(tf, seed);
    const weighting = weightingOf(c.weighting);
    const trainer = createTrainer<unknown>({
      tf, model, optimizer: tf.train.adam(1e-2), weighting: weighting as never, numTasks: 3, lagged: c.lagged,
      ...(c.observation === undefined ? {} : { twoPhaseObservation: c.observation }),
    });
    return { model, trainer, weighting };
  };
  const finish = async (made: ReturnType<typeof make>) => {
    await made.trainer.flush();
    const out = { params: await valuesOf(made.model.variables), state: made.weighting.stateCodec.encode(made.trainer.weightingState as never) };
    made.trainer.dispose();
    made.trainer.optimizer.dispose();
    tf.dispose([...made.model.variables]);
    return out;
  };
  const straight = make(1);
  const straightSteps: StepRecord[] = [];
  await runSteps(tf, straight.trainer, 0, 4, straightSteps);
  const straightEnd = await finish(straight);

  const first = make(1);
  await runSteps(tf, first.trainer, 0, 2, []);
  await saveCheckpoint(first.trainer, directory, { case: c.name });
  await finish(first);
  // A different initialisation: everything must come from the checkpoint.
  const resumed = make(99);
  const loaded = await loadCheckpoint(resumed.trainer, directory);
  const resumedSteps: StepRecord[] = [];
  await runSteps(tf, resumed.trainer, 2, 4, resumedSteps);
  const resumedEnd = await finish(resumed);
  return {
    name: c.name,
    straight: { steps: straightSteps, ...straightEnd },
    resumed: { loadedStep: loaded.step, steps: resumedSteps, ...resumedEnd },
  };
};

/** The restoration model trained in `runModelTraining`: the shipped model's kind, tiny. */
export const TRAINED_MODEL_SPEC = { kind: "srresnet", width: 8, blocks: 2, taskPrompt: true } as const;

/** Three exact Art steps of a task-prompted SRResNet 8x2 on 16x16 crops (batch 3). */
export const runModelTraining = async (tf: Tf): Promise<TrainRecord> => {
  const model = createModel(tf, TRAINED_MODEL_SPEC, { seed: 3, numTasks: 3 });
  const weighting = art({ tau: 0.05 as PositiveFinite });
  const trainer = createTrainer({ tf, model, optimizer: tf.train.adam(1e-2), weighting, numTasks: 3 });
  const steps: StepRecord[] = [];
  const { syncReads } = await countingSyncReads(tf, async () => {
    for (let i = 0; i < 3; i++) {
      const { inputs, targets } = batchOf(tf, 40 + i, 3, 16);
      const r = await trainer.step(inputs, targets, [0, 1, 2]);
      tf.dispose([inputs, targets]);
      steps.push({ taskLosses: [...r.taskLosses], weights: [...r.weights], nextWeights: [...r.nextWeights], loss: r.loss, tensors: tf.memory().numTensors });
    }
  });
  const record: TrainRecord = {
    name: `${TRAINED_MODEL_SPEC.kind} ${TRAINED_MODEL_SPEC.width}x${TRAINED_MODEL_SPEC.blocks}, task-prompted, Art exact`,
    backend: tf.getBackend(),
    syncRead: trainer.syncRead,
    steps,
    params: await valuesOf(model.variables),
    state: weighting.stateCodec.encode(trainer.weightingState),
    syncReads,
  };
  trainer.dispose();
  trainer.optimizer.dispose();
  model.dispose();
  return record;
};

/** Every number in a JSON value with its path, in a fixed order (for comparing encoded states). */
export const numbersWithPaths = (value: unknown, path = "$"): Array<[string, number | null]> => {
  if (value === null) return [[path, null]];
  if (typeof value === "number") return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersWithPaths(v, `${path}[${i}]`));
  if (typeof value === "object") {
    return Object.keys(value as object).sort().flatMap((k) => numbersWithPaths((value as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return [[`${path}=${JSON.stringify(value)}`, 0]];
};
