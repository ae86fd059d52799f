import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/Either";
import * as t from "io-ts";

import "@tensorflow/tfjs-backend-cpu";

import * as tfl from "@tensorflow/tfjs-layers"; // also registers tfjs-core's gradients

import {
  art,
  type AnyWeighting,
  type PositiveFinite,
  type TaskLosses,
  type TwoPhaseWeighting,
  type Weighting,
} from "../../src/core/index.js";
import { dwa } from "../../src/strategies/dwa.js";
import {
  AdapterError,
  createTrainer,
  loadCheckpoint,
  memoryCheckpointStore,
  saveCheckpoint,
  selectBackend,
  type FunctionModel,
} from "../../src/tfjs/index.js";
import { assertAllClose } from "../support/all-close.js";
import {
  randomBatch,
  tinyLayersModel as sharedTinyLayersModel,
  tinyModel as sharedTinyModel,
} from "../support/tfjs-fixtures.js";

/** A weighting that returns fixed weights (renormalized over the present tasks) and records what it saw. */
interface RecordingState {
  readonly numTasks: number;
  readonly seen: ReadonlyArray<TaskLosses>;
  readonly observed: ReadonlyArray<TaskLosses>;
}
const RecordingStateCodec = t.type({
  numTasks: t.number,
  seen: t.array(t.array(t.union([t.number, t.null]))),
  observed: t.array(t.array(t.union([t.number, t.null]))),
}) as unknown as t.Type<RecordingState, unknown, unknown>;
const fixedWeights = (weights: number[]): Weighting<RecordingState> => ({
  name: "fixed",
  init: (numTasks) => E.right({ numTasks, seen: [], observed: [] }),
  step: (state, losses) => {
    const masked = weights.map((w, k) => (losses[k] === null ? 0 : w));
    const total = masked.reduce((a, b) => a + b, 0);
    return E.right({
      state: { ...state, seen: [...state.seen, losses] },
      weights: masked.map((w) => w / total),
      diagnostics: {},
    });
  },
  stateCodec: RecordingStateCodec,
  numTasks: (state) => state.numTasks,
});
const twoPhase = (weights: number[]): TwoPhaseWeighting<RecordingState> => ({
  ...fixedWeights(weights),
  name: "two-phase",
  observe: (state, losses) => E.right({ ...state, observed: [...state.observed, losses] }),
});

/** The tiny conv net of test/support/tfjs-fixtures.ts, its variables [w1, w2, b1]. */
const tinyModel = (seed: number): FunctionModel => sharedTinyModel(tf, seed, { order: "w1-w2-b1" });
const tinyLayersModel = (): tfl.LayersModel => sharedTinyLayersModel(tfl);

const batch = (seed: number, size = 6, side = 8) => randomBatch(tf, seed, seed + 100, size, side);
const snapshot = async (variables: ReadonlyArray<tf.Variable>): Promise<Float32Array[]> =>
  Promise.all(variables.map(async (v) => (await v.data()) as Float32Array));

/**
 * The L1 loss written here, not taken from src (the trainer's default is `l1PerSample`, so the
 * expected values must not come from it): mean |p - t| over every element of the given samples.
 * With equal-sized samples that is the mean of the per-sample means.
 */
const referenceL1 = (predictions: tf.Tensor, targets: tf.Tensor): tf.Scalar =>
  tf.mean(tf.abs(tf.sub(predictions, targets))) as tf.Scalar;

/** The SGD(lr=1) update of sum_k alpha_k L_k, computed one task gradient at a time. */
const separateTaskUpdate = (
  model: FunctionModel,
  inputs: tf.Tensor,
  targets: tf.Tensor,
  taskIds: number[],
  alpha: number[],
): tf.Tensor[] =>
  tf.tidy(() => {
    const total = model.variables.map((v) => tf.zerosLike(v) as tf.Tensor);
    alpha.forEach((weight, k) => {
      const members = taskIds.flatMap((id, b) => (id === k ? [b] : []));
      if (members.length === 0 || weight === 0) return;
      const index = tf.tensor1d(members, "int32");
      const { grads } = tf.variableGrads(
        () => referenceL1(model.apply(tf.gather(inputs, index)), tf.gather(targets, index)),
        model.variables as tf.Variable[],
      );
      model.variables.forEach((v, i) => {
        total[i] = tf.add(total[i] as tf.Tensor, tf.mul(grads[v.name] as tf.Tensor, weight));
      });
    });
    return total;
  });

describe("createTrainer (cpu)", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });

  for (const lagged of [false, true]) {
    it(`the update is sum_k alpha_k grad L_k (${lagged ? "lagged" : "exact"})`, async () => {
      const model = tinyModel(1);
      const alpha = [0.5, 0.3, 0.2];
      const { inputs, targets } = batch(10);
      const taskIds = [0, 0, 1, 1, 2, 2];
      const before = await snapshot(model.variables);
      const expectedStep = separateTaskUpdate(model, inputs, targets, taskIds, alpha);
      // In lagged mode the first step is uniform: warm up once so that the fixed weights apply.
      const trainer = createTrainer({
        tf,
        model,
        optimizer: tf.train.sgd(lagged ? 0 : 1),
        weighting: fixedWeights(alpha),
        numTasks: 3,
        lagged,
      });
      if (lagged) {
        await trainer.step(inputs, targets, taskIds);
        const moving = createTrainer({
          tf,
          model,
          optimizer: tf.train.sgd(1),
          weighting: fixedWeights(alpha),
          numTasks: 3,
          lagged,
          initialState: trainer.weightingState,
        });
        moving.restoreHostState(trainer.hostState());
        const result = await moving.step(inputs, targets, taskIds);
        assertAllClose(result.weights, alpha, { rtol: 1e-12, atol: 1e-12 }, "weights");
      } else {
        const result = await trainer.step(inputs, targets, taskIds);
        assertAllClose(result.weights, alpha, { rtol: 1e-12, atol: 1e-12 }, "weights");
      }
      const after = await snapshot(model.variables);
      for (const [i, grad] of expectedStep.entries()) {
        const expected = (await grad.data()) as Float32Array;
        const delta = (after[i] as Float32Array).map((v, j) => (before[i] as Float32Array)[j]! - v);
        assertAllClose(delta, expected, { rtol: 1e-4, atol: 1e-4 }, `variable ${i}`);
      }
      tf.dispose([...expectedStep, inputs, targets, ...model.variables]);
    });
  }

  it("an absent task or a task with weight 0 contributes nothing", async () => {
    const runOnce = async (targetShift: number, taskIds: number[], weights: number[]) => {
      const model = tinyModel(7);
      const { inputs, targets } = batch(20);
      // Change only the samples of task 2 (the last two).
      const shifted = tf.tidy(() =>
        tf.add(targets, tf.mul(tf.tensor4d([0, 0, 0, 0, 1, 1], [6, 1, 1, 1]), targetShift)),
      );
      const trainer = createTrainer({
        tf,
        model,
        optimizer: tf.train.sgd(1),
        weighting: fixedWeights(weights),
        numTasks: 3,
      });
      const result = await trainer.step(inputs, shifted, taskIds);
      const values = await snapshot(model.variables);
      tf.dispose([inputs, targets, shifted, ...model.variables]);
      return { result, values };
    };
    // Weight 0 for task 2: its samples do not matter.
    const a = await runOnce(0, [0, 0, 1, 1, 2, 2], [0.5, 0.5, 0]);
    const b = await runOnce(0.7, [0, 0, 1, 1, 2, 2], [0.5, 0.5, 0]);
    a.values.forEach((v, i) => assertAllClose(v, b.values[i] as Float32Array, { rtol: 0, atol: 0 }, `variable ${i}`));
    // Task 1 absent (its ids are not in the batch): null loss, weight 0, and the weighting saw null.
    const c = await runOnce(0, [0, 0, 0, 2, 2, 2], [1, 1, 1]);
    assert.equal(c.result.taskLosses[1], null);
    assert.equal(c.result.weights[1], 0);
    assertAllClose(
      [c.result.weights[0] as number, c.result.weights[2] as number],
      [0.5, 0.5],
      { rtol: 1e-12, atol: 1e-12 },
      "present weights",
    );
  });

  it("reads back exactly once per step: asynchronously when lagged or without syncRead, synchronously inside the one pass otherwise", async () => {
    const modes = [
      { lagged: false, syncRead: false, async: 3, sync: 0 },
      { lagged: true, syncRead: false, async: 3, sync: 0 },
      { lagged: false, syncRead: true, async: 0, sync: 3 },
    ];
    for (const { lagged, syncRead, async: expectedAsync, sync: expectedSync } of modes) {
      const model = tinyModel(30);
      const trainer = createTrainer({
        tf,
        model,
        optimizer: tf.train.adam(1e-3),
        weighting: art(),
        numTasks: 3,
        lagged,
        syncRead,
      });
      const { inputs, targets } = batch(31);
      const proto = tf.Tensor.prototype as unknown as {
        data: (...a: unknown[]) => Promise<unknown>;
        dataSync: (...a: unknown[]) => unknown;
      };
      const data = proto.data;
      const dataSync = proto.dataSync;
      let asyncReads = 0;
      let syncReads = 0;
      proto.data = function (this: unknown, ...args: unknown[]) {
        asyncReads++;
        return data.apply(this, args);
      };
      proto.dataSync = function (this: unknown, ...args: unknown[]) {
        syncReads++;
        return dataSync.apply(this, args);
      };
      try {
        for (let i = 0; i < 3; i++) await trainer.step(inputs, targets, [0, 1, 2, 0, 1, 2]);
      } finally {
        proto.data = data;
        proto.dataSync = dataSync;
      }
      assert.equal(asyncReads, expectedAsync, `lagged=${lagged} syncRead=${syncRead}: data() calls`);
      assert.equal(syncReads, expectedSync, `lagged=${lagged} syncRead=${syncRead}: dataSync() calls`);
      tf.dispose([inputs, targets, ...model.variables]);
    }
  });

  it("exact mode in one pass (syncRead) gives the losses, weights and parameters of the two-pass step", async () => {
    const cases: AnyWeighting[] = [art({ tau: 0.05 as PositiveFinite }), twoPhase([1, 2, 3])];
    for (const weighting of cases) {
      const runs = [];
      for (const syncRead of [false, true]) {
        const model = tinyModel(50);
        const initial = await snapshot(model.variables as tf.Variable[]);
        const trainer = createTrainer({ tf, model, optimizer: tf.train.adam(1e-2), weighting, numTasks: 3, syncRead });
        const records = [];
        for (let i = 0; i < 4; i++) {
          const { inputs, targets } = batch(60 + i);
          // Step 2 leaves task 1 out of the batch.
          const r = await trainer.step(inputs, targets, i === 2 ? [0, 0, 0, 2, 2, 2] : [0, 1, 2, 0, 1, 2]);
          records.push({ taskLosses: r.taskLosses, weights: r.weights });
          tf.dispose([inputs, targets]);
        }
        await trainer.flush();
        const params = await snapshot(model.variables as tf.Variable[]);
        assert.ok(
          params.some((p, j) => p.some((v, q) => v !== (initial[j] as Float32Array)[q])),
          `${weighting.name} syncRead=${syncRead}: the parameters moved`,
        );
        runs.push({ records, params });
        trainer.dispose();
        tf.dispose([...model.variables]);
      }
      const [twoPass, onePass] = runs as [(typeof runs)[number], (typeof runs)[number]];
      for (const [i, r] of twoPass.records.entries()) {
        const o = onePass.records[i] as (typeof onePass.records)[number];
        assert.deepEqual(
          o.taskLosses.map((l) => l === null),
          r.taskLosses.map((l) => l === null),
          `${weighting.name} step ${i}: absent tasks`,
        );
        assertAllClose(
          o.taskLosses.map((l) => l ?? 0),
          r.taskLosses.map((l) => l ?? 0),
          { rtol: 1e-6, atol: 0 },
          `${weighting.name} step ${i}: losses`,
        );
        assertAllClose(
          [...o.weights],
          [...r.weights],
          { rtol: 1e-6, atol: 1e-12 },
          `${weighting.name} step ${i}: weights`,
        );
      }
      twoPass.params.forEach((p, j) =>
        assertAllClose(
          [...(onePass.params[j] as Float32Array)],
          [...p],
          { rtol: 1e-5, atol: 1e-7 },
          `${weighting.name}: parameter ${j}`,
        ),
      );
    }
  });

  it("lagged mode applies the previous step's weights and the weighting sees every step in order", async () => {
    const model = tinyModel(40);
    const weighting = art({ tau: 0.05 as PositiveFinite });
    const trainer = createTrainer({ tf, model, optimizer: tf.train.adam(1e-2), weighting, numTasks: 3, lagged: true });
    const { inputs, targets } = batch(41);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await trainer.step(inputs, targets, [0, 1, 2, 0, 1, 2]));
    assert.deepEqual(results[0]!.weights, [1 / 3, 1 / 3, 1 / 3]);
    for (let i = 1; i < 5; i++)
      assertAllClose(
        results[i]!.weights,
        results[i - 1]!.nextWeights,
        { rtol: 1e-12, atol: 1e-12 },
        `step ${i + 1} weights`,
      );
    // Replaying the reported losses through the pure rule gives the trainer's state.
    let state = E.getOrElseW(() => assert.fail("init"))(weighting.init(3));
    for (const r of results) state = E.getOrElseW(() => assert.fail("step"))(weighting.step(state, r.taskLosses)).state;
    assert.deepEqual(state, trainer.weightingState);
    tf.dispose([inputs, targets, ...model.variables]);
  });

  for (const lagged of [false, true]) {
    it(`trains a tf.LayersModel and a plain function model (${lagged ? "lagged" : "exact"})`, async () => {
      const layers = tinyLayersModel();
      const plain = tinyModel(50);
      const { inputs } = batch(51, 6);
      const targets = tf.tidy(() => tf.clipByValue(tf.mul(inputs, 0.5), 0, 1));
      for (const model of [layers, plain]) {
        const trainer = createTrainer({
          tf,
          model,
          optimizer: tf.train.adam(3e-2),
          weighting: art(),
          numTasks: 3,
          lagged,
        });
        const first = await trainer.step(inputs, targets, [0, 0, 1, 1, 2, 2]);
        let last = first;
        for (let i = 0; i < 14; i++) last = await trainer.step(inputs, targets, [0, 0, 1, 1, 2, 2]);
        assert.equal(last.step, 15);
        assert.ok(last.loss < first.loss, `loss should fall: ${first.loss} → ${last.loss}`);
        assert.ok(Math.abs(last.weights.reduce((a, b) => a + b, 0) - 1) < 1e-9);
      }
      layers.dispose();
      tf.dispose([inputs, targets, ...plain.variables]);
    });
  }

  it("leaks no tensor: the count after 100 steps equals the count after 1 (both modes, two-phase too)", async () => {
    const cases: { lagged: boolean; weighting: AnyWeighting }[] = [
      { lagged: false, weighting: art() },
      { lagged: true, weighting: art() },
      { lagged: false, weighting: twoPhase([1, 1, 1]) },
      { lagged: true, weighting: twoPhase([1, 1, 1]) },
    ];
    for (const { lagged, weighting } of cases) {
      const model = tinyModel(60);
      const trainer = createTrainer({ tf, model, optimizer: tf.train.adam(1e-3), weighting, numTasks: 3, lagged });
      const { inputs, targets } = batch(61, 3, 4);
      await trainer.step(inputs, targets, [0, 1, 2]);
      const afterOne = tf.memory().numTensors;
      for (let i = 0; i < 99; i++) await trainer.step(inputs, targets, i % 2 === 0 ? [0, 1, 1] : [2, 1, 0]);
      assert.equal(tf.memory().numTensors, afterOne, `${weighting.name} lagged=${lagged}`);
      trainer.dispose();
      tf.dispose([inputs, targets, ...model.variables]);
    }
  });

  for (const lagged of [false, true]) {
    it(`two-phase weightings observe the post-update losses of the same batch (${lagged ? "lagged" : "exact"})`, async () => {
      const model = tinyModel(70);
      const trainer = createTrainer({
        tf,
        model,
        optimizer: tf.train.sgd(0.5),
        weighting: twoPhase([1, 1, 1]),
        numTasks: 3,
        lagged,
      });
      const { inputs, targets } = batch(71);
      const taskIds = [0, 0, 1, 1, 2, 2];
      await trainer.step(inputs, targets, taskIds);
      await trainer.flush();
      // The observation equals the per-task losses of a fresh forward after the update, with the
      // L1 mean computed here on the host in float64 (not through l1PerSample).
      const predicted = tf.tidy(() => model.apply(inputs));
      const p = (await predicted.data()) as Float32Array;
      const q = (await targets.data()) as Float32Array;
      predicted.dispose();
      const perSampleSize = p.length / 6;
      const perSample = Array.from({ length: 6 }, (_, b) => {
        let sum = 0;
        for (let i = b * perSampleSize; i < (b + 1) * perSampleSize; i++)
          sum += Math.abs((p[i] as number) - (q[i] as number));
        return sum / perSampleSize;
      });
      const expected = [0, 1, 2].map((k) => ((perSample[2 * k] as number) + (perSample[2 * k + 1] as number)) / 2);
      const observed = trainer.weightingState.observed;
      assert.equal(observed.length, 1);
      assertAllClose(observed[0] as number[], expected, { rtol: 1e-5, atol: 1e-5 }, "observed");
      assert.ok((observed[0]![0] as number) !== trainer.weightingState.seen[0]![0], "the update changed the losses");
      tf.dispose([inputs, targets, ...model.variables]);
    });
  }

  it("endEpoch() gives an epoch-aware weighting (DWA) its event after a flush; a no-op for others; the host state carries it", async () => {
    const model = tinyModel(8);
    const { inputs, targets } = batch(21);
    const trainer = createTrainer({ tf, model, optimizer: tf.train.sgd(0.01), weighting: dwa(), numTasks: 3 });
    await trainer.step(inputs, targets, [0, 0, 1, 1, 2, 2]);
    assert.equal(trainer.weightingState.epoch, 0);
    await trainer.endEpoch();
    assert.equal(trainer.weightingState.epoch, 1);
    assert.deepEqual(trainer.weightingState.epochCount, [0, 0, 0], "the closed epoch's counts are reset");
    assert.equal((trainer.hostState().weightingState as { epoch: number }).epoch, 1);
    const plain = createTrainer({
      tf,
      model,
      optimizer: tf.train.sgd(0.01),
      weighting: fixedWeights([1, 1, 1]),
      numTasks: 3,
    });
    await plain.step(inputs, targets, [0, 0, 1, 1, 2, 2]);
    const before = plain.hostState();
    await plain.endEpoch();
    assert.deepEqual(plain.hostState(), before);
    [inputs, targets].forEach((x) => x.dispose());
  });

  it("two-phase 'next-step' observes the next batch's losses before stepping", async () => {
    const model = tinyModel(80);
    const trainer = createTrainer({
      tf,
      model,
      optimizer: tf.train.sgd(0.1),
      weighting: twoPhase([1, 1, 1]),
      numTasks: 3,
      twoPhaseObservation: "next-step",
    });
    const { inputs, targets } = batch(81);
    for (let i = 0; i < 3; i++) await trainer.step(inputs, targets, [0, 0, 1, 1, 2, 2]);
    const { seen, observed } = trainer.weightingState;
    assert.deepEqual(observed, seen.slice(1));
    tf.dispose([inputs, targets, ...model.variables]);
  });

  it("rejects bad batches and options with clear errors, leaving the model unchanged", async () => {
    const model = tinyModel(90);
    const trainer = createTrainer({ tf, model, optimizer: tf.train.sgd(1), weighting: art(), numTasks: 3 });
    const { inputs, targets } = batch(91);
    const before = await snapshot(model.variables);
    const short = tf.zeros([5, 8, 8, 3]);
    const isAdapterError = (kind: string, pattern: RegExp) => (e: unknown) =>
      e instanceof AdapterError && e.kind === kind && pattern.test(e.message);
    await assert.rejects(
      trainer.step(inputs, short, [0, 0, 1, 1, 2, 2]),
      isAdapterError("shape", /same batch size.*6 and 5/),
    );
    await assert.rejects(
      trainer.step(inputs, targets, [0, 0, 1, 1, 2]),
      isAdapterError("shape", /expected 6 task ids/),
    );
    await assert.rejects(
      trainer.step(inputs, targets, [0, 0, 1, 1, 2, 3]),
      isAdapterError("task-id", /sample 5.*\[0, 3\).*got 3/),
    );
    // Art's paper preset needs losses < 1 (gcw = log): an L1 loss of 2 is rejected before any update.
    const far = tf.add(targets, 2);
    await assert.rejects(trainer.step(inputs, far, [0, 0, 1, 1, 2, 2]), isAdapterError("weighting", /invalid loss/));
    const after = await snapshot(model.variables);
    before.forEach((v, i) => assertAllClose(after[i] as Float32Array, v, { rtol: 0, atol: 0 }, `variable ${i}`));
    assert.equal(trainer.stepCount, 0);
    // Overlapping steps are refused (each step awaits its read-back before updating the state).
    const first = trainer.step(inputs, targets, [0, 0, 1, 1, 2, 2]);
    await assert.rejects(trainer.step(inputs, targets, [0, 0, 1, 1, 2, 2]), isAdapterError("option", /previous step/));
    await first;
    assert.equal(trainer.stepCount, 1);
    assert.throws(
      () => createTrainer({ tf, model, optimizer: tf.train.sgd(1), weighting: art(), numTasks: 0 }),
      isAdapterError("option", /numTasks/),
    );
    assert.throws(
      () => createTrainer({ tf, optimizer: tf.train.sgd(1), weighting: art(), numTasks: 2 }),
      isAdapterError("option", /model/),
    );
    tf.dispose([inputs, targets, short, far, ...model.variables]);
  });
});

describe("createTrainer with a 2-head tf.LayersModel and missing labels (stepHeads)", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });
  const twoHeads = () => {
    const input = tfl.input({ shape: [5] });
    const trunk = tfl.layers
      .dense({ units: 6, activation: "tanh", kernelInitializer: tfl.initializers.glorotNormal({ seed: 7 }) })
      .apply(input) as tfl.SymbolicTensor;
    const left = tfl.layers
      .dense({ units: 3, kernelInitializer: tfl.initializers.glorotNormal({ seed: 8 }) })
      .apply(trunk) as tfl.SymbolicTensor;
    const right = tfl.layers
      .dense({ units: 3, kernelInitializer: tfl.initializers.glorotNormal({ seed: 9 }) })
      .apply(trunk) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: [left, right] });
  };
  /** Mean squared error per sample, written here (not the trainer's default). */
  const mse = (tfn: typeof tf, p: tf.Tensor, y: tf.Tensor) => tfn.mean(tfn.square(tfn.sub(p, y)), 1) as tf.Tensor1D;
  const x = () => tf.randomNormal([6, 5], 0, 1, "float32", 61);
  const ys = () => [tf.randomNormal([6, 3], 0, 1, "float32", 62), tf.randomNormal([6, 3], 0, 1, "float32", 63)];
  const mask = [
    [1, 0],
    [1, 1],
    [0, 1],
    [1, 0],
    [1, 1],
    [0, 0],
  ];

  for (const lagged of [false, true]) {
    it(`the update is the gradient of sum_k w_k L_k, L_k over the samples with task k's label (${lagged ? "lagged" : "exact"}); a task with no label is absent`, async () => {
      const model = twoHeads();
      const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
      const [inputs, [yl, yr]] = [x(), ys()] as [tf.Tensor, tf.Tensor[]];
      const weights = [0.25, 0.75];
      const headLoss = (k: number) => {
        const out = model.apply(inputs, { training: true }) as tf.Tensor[];
        const m = tf.tensor1d(mask.map((row) => row[k] as number));
        return tf.div(
          tf.sum(tf.mul(mse(tf, out[k] as tf.Tensor, k === 0 ? (yl as tf.Tensor) : (yr as tf.Tensor)), m)),
          mask.filter((row) => row[k] === 1).length,
        ) as tf.Scalar;
      };
      const expectedLosses = tf.tidy(() => [headLoss(0).dataSync()[0] as number, headLoss(1).dataSync()[0] as number]);
      const { grads } = tf.variableGrads(
        () => tf.add(tf.mul(headLoss(0), weights[0] as number), tf.mul(headLoss(1), weights[1] as number)) as tf.Scalar,
        vars,
      );
      const before = vars.map((v) => v.dataSync().slice());
      const trainer = createTrainer({
        tf,
        model,
        optimizer: tf.train.sgd(1),
        weighting: fixedWeights(weights),
        numTasks: 2,
        lagged,
        perTaskLoss: [mse, mse],
      });
      if (lagged) {
        // The first lagged step applies uniform weights: take it with lr 0 (no movement), then the fixed ones apply.
        const still = createTrainer({
          tf,
          model,
          optimizer: tf.train.sgd(0),
          weighting: fixedWeights(weights),
          numTasks: 2,
          lagged,
          perTaskLoss: [mse, mse],
        });
        await still.stepHeads(inputs, [yl as tf.Tensor, yr as tf.Tensor], mask);
        trainer.restoreHostState(still.hostState());
      }
      const tensors = tf.memory().numTensors;
      const r = await trainer.stepHeads(inputs, [yl as tf.Tensor, yr as tf.Tensor], mask);
      assert.equal(tf.memory().numTensors, tensors, "no tensor leaked");
      assertAllClose(r.taskLosses as number[], expectedLosses, { rtol: 1e-6, atol: 0 }, "task losses");
      assertAllClose(r.weights, weights, { rtol: 1e-12, atol: 0 }, "the weights applied");
      vars.forEach((v, i) => {
        const g = (grads[v.name] as tf.Tensor).dataSync();
        assertAllClose(
          Array.from(v.dataSync()),
          Array.from(before[i] as Float32Array, (p, j) => p - (g[j] as number)),
          { rtol: 1e-5, atol: 1e-6 },
          `${v.name}`,
        );
      });
      const onlyLeft = await trainer.stepHeads(
        inputs,
        [yl as tf.Tensor, yr as tf.Tensor],
        mask.map(() => [1, 0]),
      );
      assert.deepEqual([onlyLeft.taskLosses[1], onlyLeft.weights[1]], [null, 0]);
      tf.dispose([inputs, yl as tf.Tensor, yr as tf.Tensor, ...Object.values(grads)]);
      model.dispose();
    });
  }

  it("trains (Art on a K-head model) and checkpoints: 2 steps, save, load into fresh objects, 2 more = 4 straight", async () => {
    const run = async (split: boolean) => {
      const model = twoHeads();
      const make = () =>
        createTrainer({
          tf,
          model,
          optimizer: tf.train.adam(1e-2),
          weighting: art({ gcw: "relative-log" }),
          numTasks: 2,
          perTaskLoss: [mse, mse],
        });
      let trainer = make();
      const [inputs, targets] = [x(), ys()] as [tf.Tensor, tf.Tensor[]];
      const losses: Array<ReadonlyArray<number | null>> = [];
      for (let i = 0; i < 4; i++) {
        if (split && i === 2) {
          const store = memoryCheckpointStore();
          await saveCheckpoint(trainer, store);
          trainer = make();
          await loadCheckpoint(trainer, store);
        }
        losses.push((await trainer.stepHeads(inputs, targets, mask)).taskLosses);
      }
      const params = model.trainableWeights.map((v) => Array.from(v.read().dataSync()));
      tf.dispose([inputs, ...targets]);
      model.dispose();
      return { losses, params };
    };
    const straight = await run(false);
    const resumed = await run(true);
    // Bit for bit on cpu (Adam's running beta products are restored exactly: restoreAdamAccumulators).
    assert.deepEqual(resumed.losses, straight.losses);
    assert.deepEqual(resumed.params, straight.params);
    assert.ok((straight.losses[3]?.[0] as number) < (straight.losses[0]?.[0] as number), "the loss falls");
  });
});

describe("createTrainer (wasm)", () => {
  it("trains in both modes on the wasm backend with the training kernels", async (t) => {
    try {
      await selectBackend(tf, "wasm");
    } catch (error) {
      t.skip(`wasm backend unavailable: ${(error as Error).message}`);
      return;
    }
    for (const lagged of [false, true]) {
      const model = tinyModel(100);
      const { inputs } = batch(101);
      const targets = tf.tidy(() => tf.mul(inputs, 0.5));
      const trainer = createTrainer({
        tf,
        model,
        optimizer: tf.train.adam(3e-2),
        weighting: art(),
        numTasks: 3,
        lagged,
      });
      const first = await trainer.step(inputs, targets, [0, 0, 1, 1, 2, 2]);
      const afterOne = tf.memory().numTensors;
      let last = first;
      for (let i = 0; i < 9; i++) last = await trainer.step(inputs, targets, [0, 0, 1, 1, 2, 2]);
      assert.ok(last.loss < first.loss, `wasm lagged=${lagged}: ${first.loss} → ${last.loss}`);
      assert.equal(tf.memory().numTensors, afterOne);
      tf.dispose([inputs, targets, ...model.variables]);
    }
    await tf.setBackend("cpu");
  });
});
