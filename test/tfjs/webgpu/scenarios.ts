/**
 * Training runs of the tfjs adapter that give the same numbers on every backend (up to float32
 * rounding): webgpu.test.ts runs them on cpu in its own process and on WebGPU in a child process
 * (worker.ts), then compares the records; test/browser/adapter.test.ts runs them in a page of
 * headless Chromium on cpu, wasm, webgl and webgpu. Everything random is seeded (tfjs draws seeded
 * random numbers in JavaScript, so a seed gives the same tensor on every backend), and every
 * record is plain JSON. Browser-safe: no Node built-in (checkpoints go to a path in Node, to a
 * store in the page).
 */
import type * as tfCore from "@tensorflow/tfjs-core";

import { art, type PositiveFinite } from "../../../src/core/index.js";
import { createModel } from "../../../src/restoration/models/index.js";
import { famo, upgrad } from "../../../src/strategies/index.js";
import {
  createGradientTrainer,
  createTrainer,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointLocation,
  type FunctionModel,
  type Trainer,
  type TwoPhaseObservation,
} from "../../../src/tfjs/index.js";
import { randomBatch, tinyModel as sharedTinyModel } from "../../support/tfjs-fixtures.js";

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

/**
 * Adam at 1e-2 with its epsilon pinned to 1e-7, the default on cpu, wasm and webgpu. Left out,
 * tfjs takes `backend.epsilon()`, which is 1e-4 on webgl (tfjs-backend-webgl 4.22's
 * `floatPrecision()` answers 16 whenever float32 rendering *is* enabled): another optimizer.
 */
export const adam = (tf: Tf): tfCore.AdamOptimizer => tf.train.adam(1e-2, 0.9, 0.999, 1e-7);

/**
 * The tiny conv net of test/support/tfjs-fixtures.ts (as in the cpu trainer tests), its initial
 * tensors disposed once the variables hold them.
 */
export const tinyModel = (tf: Tf, seed: number): FunctionModel =>
  sharedTinyModel(tf, seed, { order: "w1-w2-b1", disposeInitial: true });

/** Batch `i` of a run: 6 samples of 8x8, the same on every backend. */
export const batchOf = (tf: Tf, i: number, size = 6, side = 8): { inputs: tfCore.Tensor; targets: tfCore.Tensor } =>
  randomBatch(tf, 500 + i, 700 + i, size, side);

// Art with a small tau so that its weights move visibly within a few steps.
const weightingOf = (kind: TrainCase["weighting"]) => (kind === "art" ? art({ tau: 0.05 as PositiveFinite }) : famo());

/**
 * Counts synchronous reads while `run` runs: `dataSync`/`arraySync` on any tensor, and device reads
 * through the active backend's `readSync` (data the backend does not hold on the host).
 */
export const countingSyncReads = async <T>(
  tf: Tf,
  run: () => Promise<T>,
): Promise<{ result: T; syncReads: SyncReads }> => {
  const proto = tf.Tensor.prototype as unknown as Record<"dataSync" | "arraySync", (...a: unknown[]) => unknown>;
  const { dataSync, arraySync } = proto;
  type DataMap = { get(id: object): { values?: unknown } | undefined };
  const backend = tf.backend() as unknown as {
    readSync: (dataId: object) => unknown;
    tensorMap?: DataMap;
    texData?: DataMap;
  };
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
    // cpu and wasm hold everything on the host; a GPU backend's data map (webgpu's tensorMap,
    // webgl's texData) says whether the values are there.
    const data = backend.tensorMap ?? backend.texData;
    const onHost = data === undefined || data.get(dataId)?.values != null;
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

/** Runs steps `from`..`to - 1` of the batch schedule, appending a record per step. */
export const runSteps = async <S>(
  tf: Tf,
  trainer: Trainer<S>,
  from: number,
  to: number,
  records: StepRecord[],
): Promise<void> => {
  for (let i = from; i < to; i++) {
    const { inputs, targets } = batchOf(tf, i);
    const r = await trainer.step(inputs, targets, taskIdsOfStep(i));
    tf.dispose([inputs, targets]);
    records.push({
      taskLosses: [...r.taskLosses],
      weights: [...r.weights],
      nextWeights: [...r.nextWeights],
      loss: r.loss,
      tensors: tf.memory().numTensors,
    });
  }
};

/** Trains the tiny model for `TRAIN_STEPS` steps of `c` with Adam on the active backend. */
export const runTrainCase = async (tf: Tf, c: TrainCase): Promise<TrainRecord> => {
  const model = tinyModel(tf, 1);
  const weighting = weightingOf(c.weighting);
  const trainer = createTrainer<unknown>({
    tf,
    model,
    optimizer: adam(tf),
    weighting: weighting as never,
    numTasks: 3,
    lagged: c.lagged,
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
  readonly straight: {
    readonly steps: ReadonlyArray<StepRecord>;
    readonly params: ReadonlyArray<ReadonlyArray<number>>;
    readonly state: unknown;
  };
  readonly resumed: ResumedRecord;
}

/** A trainer of case `c` over the tiny model (initialised from `seed`), with Adam. */
export const makeCaseTrainer = (tf: Tf, c: TrainCase, seed: number) => {
  const model = tinyModel(tf, seed);
  const weighting = weightingOf(c.weighting);
  const trainer = createTrainer<unknown>({
    tf,
    model,
    optimizer: adam(tf),
    weighting: weighting as never,
    numTasks: 3,
    lagged: c.lagged,
    ...(c.observation === undefined ? {} : { twoPhaseObservation: c.observation }),
  });
  return { model, trainer, weighting };
};
type CaseTrainer = ReturnType<typeof makeCaseTrainer>;

/** Flushes, reads the parameters and the encoded weighting state, and disposes everything. */
const finishCase = async (tf: Tf, made: CaseTrainer): Promise<{ params: number[][]; state: unknown }> => {
  await made.trainer.flush();
  const out = {
    params: await valuesOf(made.model.variables),
    state: made.weighting.stateCodec.encode(made.trainer.weightingState as never),
  };
  made.trainer.dispose();
  made.trainer.optimizer.dispose();
  tf.dispose([...made.model.variables]);
  return out;
};

/**
 * Trains case `c` from seed 1 for `steps` steps and saves a checkpoint into each location (a path
 * in Node, or a store; saving the same trainer twice writes the same bytes).
 */
export const saveCaseCheckpoint = async (
  tf: Tf,
  c: TrainCase,
  steps: number,
  ...locations: CheckpointLocation[]
): Promise<StepRecord[]> => {
  const first = makeCaseTrainer(tf, c, 1);
  const records: StepRecord[] = [];
  await runSteps(tf, first.trainer, 0, steps, records);
  for (const location of locations) await saveCheckpoint(first.trainer, location, { case: c.name });
  await finishCase(tf, first);
  return records;
};

/** What a resumed run did after loading a checkpoint. */
export interface ResumedRecord {
  readonly loadedStep: number;
  readonly steps: ReadonlyArray<StepRecord>;
  readonly params: ReadonlyArray<ReadonlyArray<number>>;
  readonly state: unknown;
}

/**
 * Loads the checkpoint at `location` into fresh objects of case `c` (initialised from a different
 * seed: everything must come from the checkpoint) and trains steps `loadedStep`..`to - 1`.
 */
export const resumeCase = async (
  tf: Tf,
  c: TrainCase,
  location: CheckpointLocation,
  to: number,
): Promise<ResumedRecord> => {
  const resumed = makeCaseTrainer(tf, c, 99);
  const loaded = await loadCheckpoint(resumed.trainer, location);
  const steps: StepRecord[] = [];
  await runSteps(tf, resumed.trainer, loaded.step, to, steps);
  return { loadedStep: loaded.step, steps, ...(await finishCase(tf, resumed)) };
};

/**
 * Runs a checkpoint case on the active backend, saving into `location`: a directory path that
 * must not exist yet (Node), or an empty store (`memoryCheckpointStore()` in a page).
 */
export const runCheckpointCase = async (
  tf: Tf,
  c: TrainCase,
  location: CheckpointLocation,
): Promise<CheckpointRecord> => {
  const straight = makeCaseTrainer(tf, c, 1);
  const straightSteps: StepRecord[] = [];
  await runSteps(tf, straight.trainer, 0, 4, straightSteps);
  const straightEnd = await finishCase(tf, straight);
  await saveCaseCheckpoint(tf, c, 2, location);
  const resumed = await resumeCase(tf, c, location, 4);
  return { name: c.name, straight: { steps: straightSteps, ...straightEnd }, resumed };
};

/** The restoration model trained in `runModelTraining`: the shipped model's kind, tiny. */
export const TRAINED_MODEL_SPEC = { kind: "srresnet", width: 8, blocks: 2, taskPrompt: true } as const;

/** Three exact Art steps of a task-prompted SRResNet 8x2 on 16x16 crops (batch 3). */
export const runModelTraining = async (tf: Tf): Promise<TrainRecord> => {
  const model = createModel(tf, TRAINED_MODEL_SPEC, { seed: 3, numTasks: 3 });
  const weighting = art({ tau: 0.05 as PositiveFinite });
  const trainer = createTrainer({ tf, model, optimizer: adam(tf), weighting, numTasks: 3 });
  const steps: StepRecord[] = [];
  const { syncReads } = await countingSyncReads(tf, async () => {
    for (let i = 0; i < 3; i++) {
      const { inputs, targets } = batchOf(tf, 40 + i, 3, 16);
      const r = await trainer.step(inputs, targets, [0, 1, 2]);
      tf.dispose([inputs, targets]);
      steps.push({
        taskLosses: [...r.taskLosses],
        weights: [...r.weights],
        nextWeights: [...r.nextWeights],
        loss: r.loss,
        tensors: tf.memory().numTensors,
      });
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
    return Object.keys(value as object)
      .sort()
      .flatMap((k) => numbersWithPaths((value as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return [[`${path}=${JSON.stringify(value)}`, 0]];
};

/** One gradient-aware run: per step, the task losses, the Gramian read back and the coefficients. */
export interface GradientTrainingRecord {
  readonly backend: string;
  readonly steps: ReadonlyArray<{
    readonly taskLosses: ReadonlyArray<number | null>;
    readonly gramian: ReadonlyArray<ReadonlyArray<number>>;
    readonly coefficients: ReadonlyArray<number>;
    readonly tensors: number;
  }>;
  readonly params: ReadonlyArray<ReadonlyArray<number>>;
  readonly syncReads: SyncReads;
}

/**
 * The tiny model trained for `TRAIN_STEPS` steps by `createGradientTrainer` with UPGrad (a QP on
 * the Gramian: it sees every entry), one task per sample, the same absent task as the loss cases.
 */
export const runGradientTraining = async (tf: Tf): Promise<GradientTrainingRecord> => {
  const model = tinyModel(tf, 5);
  const optimizer = adam(tf);
  const trainer = createGradientTrainer({ tf, model, optimizer, weighting: upgrad(), numTasks: 3 });
  const steps: Array<GradientTrainingRecord["steps"][number]> = [];
  const { syncReads } = await countingSyncReads(tf, async () => {
    for (let i = 0; i < TRAIN_STEPS; i++) {
      const { inputs, targets } = batchOf(tf, i);
      const r = await trainer.step(inputs, targets, taskIdsOfStep(i));
      tf.dispose([inputs, targets]);
      steps.push({
        taskLosses: [...r.taskLosses],
        gramian: r.gramian.map((row) => [...row]),
        coefficients: [...r.coefficients],
        tensors: tf.memory().numTensors,
      });
    }
  });
  const record: GradientTrainingRecord = {
    backend: tf.getBackend(),
    steps,
    params: await valuesOf(model.variables),
    syncReads,
  };
  tf.dispose([...model.variables]);
  optimizer.dispose();
  return record;
};
