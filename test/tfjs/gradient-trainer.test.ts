import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/Either";
import * as t from "io-ts";

import "@tensorflow/tfjs-backend-cpu";

import * as tfl from "@tensorflow/tfjs-layers"; // also registers tfjs-core's gradients

import { fromLossWeighting, type Weighting } from "../../src/core/index.js";
import { strictPartial } from "../../src/core/strict.js";
import { gradientWeighting, NoMemory } from "../../src/strategies/gradient/method.js";
import {
  AdapterError,
  createGradientTrainer,
  loadCheckpoint,
  memoryCheckpointStore,
  saveCheckpoint,
  selectBackend,
  type PerSampleLossFn,
} from "../../src/tfjs/index.js";
import { assertAllClose, relativeToScale } from "../support/all-close.js";
import { runGradientTraining } from "./webgpu/scenarios.js";

/**
 * The gradient-aware trainer on cpu: the Gramian it reads back and the update it applies are
 * checked against per-task gradients the test computes itself (tf.grads of each task's mean loss,
 * written here), with a test weighting whose coefficients depend on the Gramian (c_k = 1/|g_k|,
 * so a wrong Gramian gives a wrong update).
 */

/** c_k = scale / sqrt(G_kk): normalised gradients, so the update sees the Gramian's diagonal. */
const inverseNorm = (scale = 1) =>
  gradientWeighting(
    {
      name: "inverse-norm",
      needs: "gramian",
      coefficientsOnSimplex: false,
      optionsCodec: strictPartial({}, "InverseNormOptions"),
      configOf: () => E.right({}),
      configProps: {},
      initMemory: () => null,
      memoryCodec: NoMemory,
      solve: (_config, memory, problem) =>
        E.right({ coefficients: problem.gramian.map((row, i) => scale / Math.sqrt(row[i] as number)), memory }),
    },
    {},
  );

/** Fixed loss weights, renormalised over the present tasks. */
const fixedWeights = (weights: number[]): Weighting<{ numTasks: number }> => ({
  name: "fixed",
  init: (numTasks) => E.right({ numTasks }),
  step: (state, losses) => {
    const masked = weights.map((w, k) => (losses[k] === null ? 0 : w));
    const total = masked.reduce((a, b) => a + b, 0);
    return E.right({ state, weights: masked.map((w) => w / total), diagnostics: {} });
  },
  stateCodec: t.type({ numTasks: t.number }) as unknown as t.Type<{ numTasks: number }, unknown, unknown>,
  numTasks: (state) => state.numTasks,
});

const l2PerSample: PerSampleLossFn = (tfn, p, y) =>
  tfn.mean(tfn.reshape(tfn.square(tfn.sub(p, y)), [p.shape[0] as number, -1]), 1) as tf.Tensor1D;

/** Flattened gradients of `loss` w.r.t. `vars`, one array per variable. */
const gradsOf = (loss: () => tf.Scalar, vars: tf.Variable[]): Float32Array[] =>
  tf.tidy(() => {
    const { grads } = tf.variableGrads(loss, vars);
    return vars.map((v) =>
      grads[v.name] === undefined
        ? new Float32Array(v.size)
        : ((grads[v.name] as tf.Tensor).dataSync() as Float32Array),
    );
  });
const dot = (a: Float32Array[], b: Float32Array[]): number =>
  a.reduce((s, x, i) => s + x.reduce((u, xi, j) => u + xi * ((b[i] as Float32Array)[j] as number), 0), 0);

before(async () => {
  await tf.setBackend("cpu");
});

describe("createGradientTrainer: one task per sample", () => {
  it("reads back the Gramian of the per-task gradients and applies Σ c_k g_k (SGD, lr 1), absent tasks 0, no tensor leaked", async () => {
    const w = tf.variable(tf.randomNormal([4, 3], 0, 0.5, "float32", 1));
    const b = tf.variable(tf.randomNormal([3], 0, 0.5, "float32", 2));
    const apply = (x: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, w), b);
    const x = tf.randomNormal([7, 4], 0, 1, "float32", 3);
    const y = tf.randomNormal([7, 3], 0, 1, "float32", 4);
    const taskIds = [0, 2, 0, 2, 2, 0, 0]; // task 1 absent
    const trainer = createGradientTrainer({
      tf,
      model: { apply, variables: [w, b] },
      optimizer: tf.train.sgd(1),
      weighting: inverseNorm(),
      numTasks: 3,
      perSampleLoss: l2PerSample,
    });
    const subLoss = (k: number) => () => {
      const idx = tf.tensor1d(
        taskIds.flatMap((id, i) => (id === k ? [i] : [])),
        "int32",
      );
      return tf.mean(l2PerSample(tf, apply(tf.gather(x, idx)), tf.gather(y, idx))) as tf.Scalar;
    };
    const g0 = gradsOf(subLoss(0), [w, b]);
    const g2 = gradsOf(subLoss(2), [w, b]);
    const before = [w.dataSync().slice(), b.dataSync().slice()];
    const tensors = tf.memory().numTensors;
    const r = await trainer.step(x, y, taskIds);
    assert.equal(tf.memory().numTensors, tensors, "tensors leaked by a step");
    assert.equal(r.taskLosses[1], null);
    assertAllClose(
      [r.gramian[0]![0]!, r.gramian[0]![2]!, r.gramian[2]![2]!, r.gramian[2]![0]!],
      [dot(g0, g0), dot(g0, g2), dot(g2, g2), dot(g2, g0)],
      { rtol: 1e-5, atol: 1e-7 },
      "Gramian",
    );
    assert.deepEqual([r.gramian[1], r.gramian[0]![1]], [[0, 0, 0], 0]);
    const c = [1 / Math.sqrt(dot(g0, g0)), 0, 1 / Math.sqrt(dot(g2, g2))];
    assertAllClose(r.coefficients, c, { rtol: 1e-5, atol: 0 }, "coefficients");
    assert.equal(r.coefficients[1], 0);
    const after = [w.dataSync(), b.dataSync()];
    before.forEach((v, i) => {
      const expected = Array.from(
        v,
        (p, j) =>
          p -
          (c[0] as number) * ((g0[i] as Float32Array)[j] as number) -
          (c[2] as number) * ((g2[i] as Float32Array)[j] as number),
      );
      assertAllClose(
        Array.from(after[i] as Float32Array),
        expected,
        { rtol: 1e-5, atol: 1e-6 },
        `variable ${i} after the update`,
      );
    });
    assert.equal(trainer.stepCount, 1);
    [w, b, x, y].forEach((v) => v.dispose());
  });

  it("a method that needs the gradients gets them read back (shared variables, in order) and its direction is applied", async () => {
    const w = tf.variable(tf.randomNormal([3, 2], 0, 0.5, "float32", 41));
    const b = tf.variable(tf.randomNormal([2], 0, 0.5, "float32", 42));
    const apply = (x: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, w), b);
    const x = tf.randomNormal([4, 3], 0, 1, "float32", 43);
    const y = tf.randomNormal([4, 2], 0, 1, "float32", 44);
    const taskIds = [1, 0, 1, 0];
    let seen: Array<ArrayLike<number>> = [];
    // direction = 2 g_0 - g_1, coefficients reported as [2, -1]
    const twoMinusOne = gradientWeighting(
      {
        name: "two-minus-one",
        needs: "gradients",
        coefficientsOnSimplex: false,
        optionsCodec: strictPartial({}, "O"),
        configOf: () => E.right({}),
        configProps: {},
        initMemory: () => null,
        memoryCodec: NoMemory,
        solve: (_c, memory, problem) => {
          seen = [...problem.gradients];
          const [g0, g1] = problem.gradients as [ArrayLike<number>, ArrayLike<number>];
          return E.right({
            coefficients: [2, -1],
            direction: Array.from(g0, (v, p) => 2 * v - (g1[p] as number)),
            memory,
          });
        },
      },
      {},
    );
    const trainer = createGradientTrainer({
      tf,
      model: { apply, variables: [w, b] },
      optimizer: tf.train.sgd(1),
      weighting: twoMinusOne,
      numTasks: 2,
      perSampleLoss: l2PerSample,
    });
    const subLoss = (k: number) => () => {
      const idx = tf.tensor1d(
        taskIds.flatMap((id, i) => (id === k ? [i] : [])),
        "int32",
      );
      return tf.mean(l2PerSample(tf, apply(tf.gather(x, idx)), tf.gather(y, idx))) as tf.Scalar;
    };
    const g = [gradsOf(subLoss(0), [w, b]), gradsOf(subLoss(1), [w, b])];
    const before = [w.dataSync().slice(), b.dataSync().slice()];
    await trainer.step(x, y, taskIds);
    g.forEach((gk, k) =>
      assertAllClose(
        Array.from(seen[k] as ArrayLike<number>),
        [...(gk[0] as Float32Array), ...(gk[1] as Float32Array)],
        { rtol: 1e-5, atol: 1e-7 },
        `task ${k}'s gradient as read back`,
      ),
    );
    before.forEach((v, i) => {
      const expected = Array.from(
        v,
        (p, j) => p - (2 * ((g[0]![i] as Float32Array)[j] as number) - ((g[1]![i] as Float32Array)[j] as number)),
      );
      assertAllClose(Array.from([w, b][i]!.dataSync()), expected, { rtol: 1e-5, atol: 1e-6 }, `variable ${i}`);
    });
    [w, b, x, y].forEach((v) => v.dispose());
  });

  it("tells a task-conditioned model each sub-batch's ids (or modelContext's, restricted to the sub-batch); reports loss = Σ c_k L_k and weights = coefficients", async () => {
    const w = tf.variable(tf.randomNormal([2, 2], 0, 0.5, "float32", 51));
    const told: number[][] = [];
    const apply = (x: tf.Tensor, context?: { taskIds?: ArrayLike<number> }) => {
      told.push(Array.from(context?.taskIds ?? []));
      return tf.matMul(x as tf.Tensor2D, w);
    };
    const trainer = createGradientTrainer({
      tf,
      model: { apply, variables: [w] },
      optimizer: tf.train.sgd(0.1),
      weighting: inverseNorm(),
      numTasks: 2,
      perSampleLoss: l2PerSample,
    });
    const x = tf.randomNormal([4, 2], 0, 1, "float32", 52);
    const y = tf.randomNormal([4, 2], 0, 1, "float32", 53);
    const r = await trainer.step(x, y, [0, 1, 1, 0]);
    assert.deepEqual(told, [
      [0, 0],
      [1, 1],
    ]);
    assert.deepEqual(r.weights, r.coefficients);
    assert.deepEqual(r.nextWeights, r.coefficients);
    assert.ok(
      Math.abs(
        r.loss -
          ((r.coefficients[0] as number) * (r.taskLosses[0] as number) +
            (r.coefficients[1] as number) * (r.taskLosses[1] as number)),
      ) < 1e-12,
    );
    told.length = 0;
    await trainer.step(x, y, [0, 1, 1, 0], { taskIds: [-1, 1, -1, 0] });
    assert.deepEqual(
      told,
      [
        [-1, 0],
        [1, -1],
      ],
      "modelContext's ids for each sub-batch (samples 0, 3 and 1, 2)",
    );
    [w, x, y].forEach((v) => v.dispose());
  });

  it("refuses a K-output model in step(), a step before the previous one finished, and non-finite coefficients (nothing applied)", async () => {
    const w = tf.variable(tf.ones([2, 2]));
    const twoOut = {
      apply: (x: tf.Tensor) => [tf.matMul(x as tf.Tensor2D, w), tf.matMul(x as tf.Tensor2D, w)],
      variables: [w],
    };
    const trainer = createGradientTrainer({
      tf,
      model: twoOut,
      optimizer: tf.train.sgd(0.1),
      weighting: inverseNorm(),
      numTasks: 2,
    });
    const x = tf.ones([2, 2]);
    await assert.rejects(trainer.step(x, x, [0, 1]), /one-output model/);
    const one = createGradientTrainer({
      tf,
      model: { apply: (v: tf.Tensor) => tf.matMul(v as tf.Tensor2D, w), variables: [w] },
      optimizer: tf.train.sgd(0.1),
      weighting: inverseNorm(),
      numTasks: 2,
    });
    const first = one.step(x, x, [0, 1]);
    await assert.rejects(one.step(x, x, [0, 1]), /before the previous step finished/);
    await first;
    // A present task with a zero gradient: G_kk = 0 and the test weighting's 1/sqrt(0) = Infinity.
    const zero = tf.variable(tf.ones([2, 2]));
    const constant = createGradientTrainer({
      tf,
      model: { apply: (v: tf.Tensor) => tf.add(tf.mul(tf.matMul(v as tf.Tensor2D, zero), 0), 1), variables: [zero] },
      optimizer: tf.train.sgd(0.1),
      weighting: inverseNorm(),
      numTasks: 2,
    });
    const y0 = tf.zeros([2, 2]);
    const tensors = tf.memory().numTensors;
    await assert.rejects(
      constant.step(x, y0, [0, 1]),
      (e: unknown) =>
        e instanceof AdapterError &&
        e.kind === "weighting" &&
        /non-finite coefficient for task 0 \(Infinity\); nothing was applied/.test(e.message),
    );
    assert.equal(tf.memory().numTensors, tensors, "tensors leaked by a refused step");
    assert.deepEqual(Array.from(zero.dataSync()), [1, 1, 1, 1]);
    assert.equal(constant.stepCount, 0);
    [w, zero, x, y0].forEach((v) => v.dispose());
  });
});

describe("createGradientTrainer: a tf.LayersModel with 2 heads and missing labels", () => {
  const buildModel = () => {
    const input = tfl.input({ shape: [5] });
    const trunk = tfl.layers
      .dense({
        units: 6,
        activation: "tanh",
        kernelInitializer: tfl.initializers.glorotNormal({ seed: 7 }),
        name: "trunk",
      })
      .apply(input) as tfl.SymbolicTensor;
    const left = tfl.layers
      .dense({ units: 3, kernelInitializer: tfl.initializers.glorotNormal({ seed: 8 }), name: "left" })
      .apply(trunk) as tfl.SymbolicTensor;
    const right = tfl.layers
      .dense({ units: 3, kernelInitializer: tfl.initializers.glorotNormal({ seed: 9 }), name: "right" })
      .apply(trunk) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: [left, right] });
  };

  it("trains both heads: shared variables get Σ c_k g_k, each head its own gradient, a task without labels is absent", async () => {
    const model = buildModel();
    const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
    const shared = vars.filter((v) => v.name.includes("trunk"));
    assert.equal(shared.length, 2);
    const x = tf.randomNormal([6, 5], 0, 1, "float32", 11);
    const yl = tf.randomNormal([6, 3], 0, 1, "float32", 12);
    const yr = tf.randomNormal([6, 3], 0, 1, "float32", 13);
    const mask = [
      [1, 0],
      [1, 1],
      [0, 1],
      [1, 0],
      [1, 1],
      [0, 0],
    ];
    const trainer = createGradientTrainer({
      tf,
      model,
      optimizer: tf.train.sgd(1),
      weighting: inverseNorm(),
      numTasks: 2,
      perTaskLoss: [l2PerSample, l2PerSample],
      sharedVariables: shared,
    });
    const headLoss = (k: number) => () => {
      const out = model.apply(x, { training: true }) as tf.Tensor[];
      const perSample = l2PerSample(tf, out[k] as tf.Tensor, k === 0 ? yl : yr);
      const m = tf.tensor1d(mask.map((row) => row[k] as number));
      return tf.div(tf.sum(tf.mul(perSample, m)), mask.filter((row) => row[k] === 1).length) as tf.Scalar;
    };
    const g = [gradsOf(headLoss(0), vars), gradsOf(headLoss(1), vars)];
    const sharedIdx = vars.map((v, i) => (shared.includes(v) ? i : -1)).filter((i) => i >= 0);
    const sub = (gs: Float32Array[]) => sharedIdx.map((i) => gs[i] as Float32Array);
    const before = vars.map((v) => v.dataSync().slice());
    const tensors = tf.memory().numTensors;
    const r = await trainer.stepHeads(x, [yl, yr], mask);
    assert.equal(tf.memory().numTensors, tensors, "tensors leaked by a step");
    const G = [
      [dot(sub(g[0]!), sub(g[0]!)), dot(sub(g[0]!), sub(g[1]!))],
      [dot(sub(g[1]!), sub(g[0]!)), dot(sub(g[1]!), sub(g[1]!))],
    ];
    assertAllClose(r.gramian.flat(), G.flat(), { rtol: 1e-5, atol: 1e-7 }, "Gramian over the shared variables");
    const c = [1 / Math.sqrt(G[0]![0]!), 1 / Math.sqrt(G[1]![1]!)];
    vars.forEach((v, i) => {
      const isShared = shared.includes(v);
      const expected = Array.from(
        before[i] as Float32Array,
        (p, j) =>
          p -
          [0, 1].reduce((s, k) => s + (isShared ? (c[k] as number) : 1) * ((g[k]![i] as Float32Array)[j] as number), 0),
      );
      assertAllClose(Array.from(v.dataSync()), expected, { rtol: 1e-5, atol: 1e-6 }, `${v.name} after the update`);
    });

    // No sample has the right head's label: task 1 is absent, its coefficient 0, its loss null.
    const onlyLeft = mask.map(() => [1, 0]);
    const r2 = await trainer.stepHeads(x, [yl, yr], onlyLeft);
    assert.deepEqual([r2.taskLosses[1], r2.coefficients[1]], [null, 0]);
    assert.ok(r2.taskLosses[0] !== null && r2.coefficients[0]! > 0);
    assert.equal(trainer.stepCount, 2);
    await assert.rejects(trainer.stepHeads(x, [yl], onlyLeft), /one target tensor per task/);
    await assert.rejects(trainer.stepHeads(x, [yl, yr], [[1, 2]]), /mask must be 6 rows/);
    [x, yl, yr].forEach((v) => v.dispose());
    model.dispose();
  });

  it("drives a loss weighting (fromLossWeighting) on the heads in one taped pass: the update is the gradient of Σ w_k L_k", async () => {
    const model = buildModel();
    const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
    const x = tf.randomNormal([5, 5], 0, 1, "float32", 31);
    const yl = tf.randomNormal([5, 3], 0, 1, "float32", 32);
    const yr = tf.randomNormal([5, 3], 0, 1, "float32", 33);
    const mask = [
      [1, 1],
      [1, 0],
      [0, 1],
      [1, 1],
      [1, 0],
    ];
    const trainer = createGradientTrainer({
      tf,
      model,
      optimizer: tf.train.sgd(1),
      weighting: fromLossWeighting(fixedWeights([0.25, 0.75])),
      numTasks: 2,
      perTaskLoss: [l2PerSample, l2PerSample],
    });
    const headLoss = (k: number) => {
      const out = model.apply(x, { training: true }) as tf.Tensor[];
      const m = tf.tensor1d(mask.map((row) => row[k] as number));
      return tf.div(
        tf.sum(tf.mul(l2PerSample(tf, out[k] as tf.Tensor, k === 0 ? yl : yr), m)),
        mask.filter((row) => row[k] === 1).length,
      ) as tf.Scalar;
    };
    const losses = tf.tidy(() => [headLoss(0).dataSync()[0] as number, headLoss(1).dataSync()[0] as number]);
    const g = gradsOf(() => tf.add(tf.mul(headLoss(0), 0.25), tf.mul(headLoss(1), 0.75)) as tf.Scalar, vars);
    const before = vars.map((v) => v.dataSync().slice());
    const tensors = tf.memory().numTensors;
    const r = await trainer.stepHeads(x, [yl, yr], mask);
    assert.equal(tf.memory().numTensors, tensors, "tensors leaked by a step");
    assertAllClose(r.taskLosses as number[], losses, { rtol: 1e-6, atol: 0 }, "task losses");
    assert.deepEqual(r.coefficients, [0.25, 0.75]);
    vars.forEach((v, i) =>
      assertAllClose(
        Array.from(v.dataSync()),
        Array.from(before[i] as Float32Array, (p, j) => p - ((g[i] as Float32Array)[j] as number)),
        { rtol: 1e-5, atol: 1e-6 },
        `${v.name}`,
      ),
    );
    [x, yl, yr].forEach((v) => v.dispose());
    model.dispose();
  });

  it("checkpoints its host state: a restored trainer continues with the same weighting state", async () => {
    const model = buildModel();
    const trainer = createGradientTrainer({
      tf,
      model,
      optimizer: tf.train.sgd(0.1),
      weighting: inverseNorm(),
      numTasks: 2,
      perTaskLoss: [l2PerSample, l2PerSample],
    });
    const x = tf.randomNormal([4, 5], 0, 1, "float32", 21);
    const y = tf.randomNormal([4, 3], 0, 1, "float32", 22);
    await trainer.stepHeads(x, [y, y]);
    const saved = JSON.parse(JSON.stringify(trainer.hostState())) as ReturnType<typeof trainer.hostState>;
    const other = createGradientTrainer({
      tf,
      model,
      optimizer: tf.train.sgd(0.1),
      weighting: inverseNorm(),
      numTasks: 2,
      perTaskLoss: [l2PerSample, l2PerSample],
    });
    other.restoreHostState(saved);
    assert.equal(other.stepCount, 1);
    assert.deepEqual(other.weightingState, trainer.weightingState);
    assert.throws(
      () => other.restoreHostState({ ...saved, weightingState: { kind: "mgda" } }),
      /does not decode as inverse-norm/,
    );
    assert.throws(() => other.restoreHostState({ ...saved, lagged: true }), /exact mode only/);
    [x, y].forEach((v) => v.dispose());
    model.dispose();
  });

  it("saves and loads through saveCheckpoint/loadCheckpoint without a cast: the loaded trainer continues exactly as the saved one", async () => {
    const make = () => {
      const model = buildModel();
      const trainer = createGradientTrainer({
        tf,
        model,
        optimizer: tf.train.adam(0.01),
        weighting: inverseNorm(),
        numTasks: 2,
        perTaskLoss: [l2PerSample, l2PerSample],
      });
      return { model, trainer };
    };
    const x = tf.randomNormal([4, 5], 0, 1, "float32", 31);
    const y = tf.randomNormal([4, 3], 0, 1, "float32", 32);
    const first = make();
    await first.trainer.stepHeads(x, [y, y]);
    await first.trainer.stepHeads(
      x,
      [y, y],
      [
        [1, 0],
        [1, 1],
        [1, 0],
        [0, 1],
      ],
    );
    const store = memoryCheckpointStore();
    await saveCheckpoint(first.trainer, store, { note: "gradient" });
    const second = make();
    const loaded = await loadCheckpoint(second.trainer, store);
    assert.equal(loaded.step, 2);
    assert.deepEqual(loaded.metadata, { note: "gradient" });
    assert.equal(second.trainer.stepCount, 2);
    assert.deepEqual(second.trainer.weightingState, first.trainer.weightingState);
    const a = await first.trainer.stepHeads(x, [y, y]);
    const b = await second.trainer.stepHeads(x, [y, y]);
    assert.deepEqual(b.coefficients, a.coefficients);
    for (const [i, v] of first.trainer.checkpointVariables.entries())
      assert.deepEqual(await second.trainer.checkpointVariables[i]!.data(), await v.data(), v.name);
    [x, y].forEach((v) => v.dispose());
    first.model.dispose();
    second.model.dispose();
  });
});

describe("createGradientTrainer with representation (LibMTL's rep_grad)", () => {
  /** An encoder (dense 5 → 4, tanh) and two linear heads (4 → 3) over plain variables. */
  const build = (seed: number) => {
    const w = tf.variable(tf.randomNormal([5, 4], 0, 0.5, "float32", seed));
    const b = tf.variable(tf.randomNormal([4], 0, 0.1, "float32", seed + 1));
    const hl = tf.variable(tf.randomNormal([4, 3], 0, 0.5, "float32", seed + 2));
    const hr = tf.variable(tf.randomNormal([4, 3], 0, 0.5, "float32", seed + 3));
    const encode = (x: tf.Tensor) => tf.tanh(tf.add(tf.matMul(x as tf.Tensor2D, w), b));
    const decode = (z: tf.Tensor) => [tf.matMul(z as tf.Tensor2D, hl), tf.matMul(z as tf.Tensor2D, hr)];
    return {
      encode,
      decode,
      encoder: [w, b],
      heads: [hl, hr],
      model: { apply: (x: tf.Tensor) => decode(encode(x)), variables: [w, b, hl, hr] },
    };
  };

  it("forms the Gramian of ∂L_k/∂z, sends Σ c_k ∂L_k/∂z back through the encoder, and gives each head its own gradient", async () => {
    const net = build(41);
    const x = tf.randomNormal([6, 5], 0, 1, "float32", 42);
    const y = [tf.randomNormal([6, 3], 0, 1, "float32", 43), tf.randomNormal([6, 3], 0, 1, "float32", 44)];
    const mask = [
      [1, 0],
      [1, 1],
      [0, 1],
      [1, 1],
      [1, 0],
      [0, 1],
    ];
    const n = [0, 1].map((k) => mask.filter((row) => row[k] === 1).length);
    const lossOf = (k: number, out: tf.Tensor) =>
      tf.div(
        tf.sum(tf.mul(l2PerSample(tf, out, y[k] as tf.Tensor), tf.tensor1d(mask.map((row) => row[k] as number)))),
        n[k] as number,
      ) as tf.Scalar;
    // The expected step, computed here: z, each task's ∂L_k/∂z, G, c_k = 1/|∂L_k/∂z|, the vjp of encode with Σ c_k ∂L_k/∂z.
    const z = net.encode(x);
    const gz = [0, 1].map((k) => tf.grad((zz: tf.Tensor) => lossOf(k, net.decode(zz)[k] as tf.Tensor))(z));
    const G = [0, 1].map((i) =>
      [0, 1].map((j) => tf.sum(tf.mul(gz[i] as tf.Tensor, gz[j] as tf.Tensor)).dataSync()[0] as number),
    );
    const c = [0, 1].map((k) => 1 / Math.sqrt(G[k]![k]!));
    const cotangent = tf.add(tf.mul(gz[0] as tf.Tensor, c[0]!), tf.mul(gz[1] as tf.Tensor, c[1]!));
    const encoderGrads = gradsOf(() => tf.sum(tf.mul(net.encode(x), cotangent)) as tf.Scalar, net.encoder);
    const headGrads = net.heads.map(
      (h, k) => gradsOf(() => lossOf(k, net.decode(net.encode(x))[k] as tf.Tensor), [h])[0] as Float32Array,
    );
    const before = [...net.encoder, ...net.heads].map((v) => v.dataSync().slice());
    tf.dispose([z, ...gz, cotangent]);

    const trainer = createGradientTrainer({
      tf,
      model: net.model,
      optimizer: tf.train.sgd(1),
      weighting: inverseNorm(),
      numTasks: 2,
      perTaskLoss: [l2PerSample, l2PerSample],
      sharedVariables: net.encoder,
      representation: net,
    });
    const tensors = tf.memory().numTensors;
    const r = await trainer.stepHeads(x, y, mask);
    assert.equal(tf.memory().numTensors, tensors, "tensors leaked by a step");
    assertAllClose(
      r.gramian.flat(),
      G.flat(),
      { rtol: 1e-5, atol: 1e-8 },
      "the Gramian of the representation gradients",
    );
    assertAllClose(r.coefficients as number[], c, { rtol: 1e-5, atol: 0 }, "coefficients");
    const expected = [...encoderGrads, ...headGrads].map((g, i) =>
      Array.from(before[i] as Float32Array, (p, j) => p - (g[j] as number)),
    );
    [...net.encoder, ...net.heads].forEach((v, i) =>
      assertAllClose(
        Array.from(v.dataSync()),
        expected[i] as number[],
        { rtol: 1e-5, atol: 1e-6 },
        `variable ${i} after the update`,
      ),
    );
    tf.dispose([x, ...y, ...net.model.variables]);
  });

  it("a method that needs the gradients gets ∂L_k/∂z ([B·D] each) and its direction goes through the encoder; representation needs sharedVariables", async () => {
    const net = build(51);
    const x = tf.randomNormal([4, 5], 0, 1, "float32", 52);
    const y = [tf.randomNormal([4, 3], 0, 1, "float32", 53), tf.randomNormal([4, 3], 0, 1, "float32", 54)];
    const seen: number[] = [];
    const recordLengths = gradientWeighting(
      {
        name: "record-lengths",
        needs: "gradients",
        coefficientsOnSimplex: false,
        optionsCodec: strictPartial({}, "RecordOptions"),
        configOf: () => E.right({}),
        configProps: {},
        initMemory: () => null,
        memoryCodec: NoMemory,
        solve: (_config, memory, problem) => {
          const gradients = (problem as unknown as { gradients: ArrayLike<number>[] }).gradients;
          seen.push(...gradients.map((g) => g.length));
          const direction = Array.from(
            gradients[0] as ArrayLike<number>,
            (v, j) => v + ((gradients[1] as ArrayLike<number>)[j] as number),
          );
          return E.right({ coefficients: [0, 0], direction, memory });
        },
      },
      {},
    );
    const trainer = createGradientTrainer({
      tf,
      model: net.model,
      optimizer: tf.train.sgd(1),
      weighting: recordLengths,
      numTasks: 2,
      perTaskLoss: [l2PerSample, l2PerSample],
      sharedVariables: net.encoder,
      representation: net,
    });
    const tensors = tf.memory().numTensors;
    await trainer.stepHeads(x, y);
    assert.equal(tf.memory().numTensors, tensors, "tensors leaked by a step");
    assert.deepEqual(seen, [4 * 4, 4 * 4], "one representation gradient of B x D = 4 x 4 per task");
    assert.throws(
      () =>
        createGradientTrainer({
          tf,
          model: net.model,
          optimizer: tf.train.sgd(1),
          weighting: recordLengths,
          numTasks: 2,
          representation: net,
        }),
      /representation needs sharedVariables/,
    );
    tf.dispose([x, ...y, ...net.model.variables]);
  });
});

describe("createGradientTrainer on wasm", () => {
  it("UPGrad through createGradientTrainer on wasm gives cpu's losses, Gramians, coefficients and parameters (float32 rounding)", async (t) => {
    await tf.setBackend("cpu");
    const cpu = await runGradientTraining(tf);
    try {
      await selectBackend(tf, "wasm");
    } catch (error) {
      t.skip(`wasm backend unavailable: ${(error as Error).message}`);
      return;
    }
    try {
      const wasm = await runGradientTraining(tf);
      assert.equal(wasm.backend, "wasm");
      wasm.steps.forEach((s, i) => {
        const c = cpu.steps[i]!;
        assertAllClose(
          s.taskLosses as number[],
          c.taskLosses as number[],
          { rtol: 1e-5, atol: 1e-7 },
          `step ${i}: task losses`,
        );
        const scale = Math.max(...c.gramian.flat().map(Math.abs));
        assertAllClose(s.gramian.flat(), c.gramian.flat(), { rtol: 0, atol: 1e-5 * scale }, `step ${i}: Gramian`);
        assertAllClose(s.coefficients, c.coefficients, { rtol: 1e-4, atol: 1e-6 }, `step ${i}: coefficients`);
        assert.equal(s.tensors, wasm.steps[0]!.tensors, `step ${i}: no tensor leaked`);
      });
      wasm.params.forEach((p, i) => assert.ok(relativeToScale(p, cpu.params[i]!) <= 2e-5, `variable ${i}`));
      assert.ok(
        cpu.steps.some((s) => s.taskLosses.includes(null)),
        "the schedule has an absent task",
      );
    } finally {
      await tf.setBackend("cpu");
    }
  });
});
