import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/Either";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import type { RgbImage } from "../../src/restoration/image.js";
import {
  createModel,
  expectedParameterCount,
  ModelSpec,
  resolveModelSpec,
  warmStartModel,
  type RestorationModel,
} from "../../src/restoration/models/index.js";
import {
  contextMosaic,
  forwardFor,
  resolveTrainConfig,
  restoreImage,
  trainRun,
} from "../../src/restoration/train/index.js";
import { equal } from "../../src/strategies/index.js";
import {
  AdapterError,
  createTrainer,
  loadCheckpointWeights,
  memoryCheckpointStore,
  saveCheckpoint,
} from "../../src/tfjs/index.js";

/** Global context (a per-image tone curve and FiLM from global means) and the warm start it is fine-tuned through. */

const plain = { kind: "srresnet", width: 4, blocks: 2, taskPrompt: true } as const;
const withContext = { ...plain, globalContext: true } as const;

const valuesOf = async (t: tf.Tensor) => Array.from(await t.data());

/** The largest absolute difference between two models' outputs on the same input and task ids. */
const maxDifference = (a: RestorationModel, b: RestorationModel, input: tf.Tensor4D, taskIds: number[]) =>
  tf.tidy(
    () => tf.max(tf.abs(tf.sub(a.apply(input, { taskIds }), b.apply(input, { taskIds })))).dataSync()[0] as number,
  );

/** Every variable of `model` moved by a seeded random amount (so no layer is at its zero start). */
const perturb = (model: RestorationModel, seed: number) =>
  model.variables.forEach((v, i) =>
    tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.05, "float32", seed * 1000 + i + 1)))),
  );

/** A checkpoint (in memory) of `model`'s weights, saved through a trainer as a run would. */
const checkpointOf = async (model: RestorationModel, numTasks: number) => {
  const store = memoryCheckpointStore();
  const trainer = createTrainer({ tf, model, optimizer: tf.train.adam(1e-3), weighting: equal(), numTasks });
  await saveCheckpoint(trainer, store, null);
  return store;
};

describe("global context", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });

  it("the spec keeps globalContext only when true, and rejects a non-boolean", () => {
    const on = ModelSpec.decode(withContext);
    assert.ok(E.isRight(on));
    assert.deepEqual(resolveModelSpec(on.right), withContext);
    const off = ModelSpec.decode({ ...plain, globalContext: false });
    assert.ok(E.isRight(off));
    assert.deepEqual(resolveModelSpec(off.right), plain);
    assert.ok(E.isLeft(ModelSpec.decode({ ...plain, globalContext: "yes" })));
  });

  it("parameter counts: hand-computed, and the built models match the formula", () => {
    // Curve: (9 statistics + 4 prompt rows) x 16 + 16 = 224, then 16 x 3 + 3 = 51; FiLM: 4 stages x (4 x 8 + 8) = 160.
    assert.equal(expectedParameterCount(withContext, 3), expectedParameterCount(plain, 3) + 224 + 51 + 160);
    // Without task prompts the curve sees the 9 statistics only: 9 x 16 + 16 = 160.
    const bare = { kind: "srresnet", width: 4, blocks: 2, globalContext: true } as const;
    assert.equal(
      expectedParameterCount(bare),
      expectedParameterCount({ kind: "srresnet", width: 4, blocks: 2 }) + 160 + 51 + 160,
    );
    for (const [spec, tasks] of [
      [withContext, 3],
      [bare, 0],
    ] as const) {
      const model = createModel(tf, spec, { numTasks: tasks });
      assert.equal(model.parameterCount, expectedParameterCount(model.spec, tasks));
      model.dispose();
    }
  });

  it("starts as the identity, for every task id and for a model without prompts", async () => {
    const input = tf.randomUniform([3, 8, 8, 3], 0, 1, "float32", 5) as tf.Tensor4D;
    const expected = await valuesOf(input);
    for (const [spec, taskIds] of [
      [withContext, [0, 2, -1]],
      [{ kind: "srresnet", width: 4, blocks: 2, globalContext: true }, undefined],
    ] as const) {
      const model = createModel(tf, spec, { numTasks: taskIds === undefined ? 0 : 3, seed: 4 });
      const got = await valuesOf(model.apply(input, taskIds === undefined ? undefined : { taskIds: [...taskIds] }));
      got.forEach((v, i) =>
        assert.ok(Math.abs(v - (expected[i] as number)) < 1e-6, `sample ${i}: ${v} vs ${expected[i]}`),
      );
      model.dispose();
    }
  });

  it("the tone curve raises the input to the exponent its MLP gives (exp(bias) with a zero kernel)", async () => {
    const model = createModel(tf, { kind: "srresnet", width: 4, blocks: 1, globalContext: true }, { seed: 2 });
    const exponentBias = model.variables.find((v) => v.name.endsWith("context/curve/exponent/bias"));
    assert.ok(exponentBias !== undefined);
    exponentBias.assign(tf.tensor1d([Math.log(0.5), 0, Math.log(2)]));
    const input = tf.randomUniform([1, 6, 6, 3], 0.01, 1, "float32", 8) as tf.Tensor4D;
    const x = await valuesOf(input);
    const y = await valuesOf(model.apply(input));
    x.forEach((v, i) => {
      const p = [0.5, 1, 2][i % 3] as number;
      assert.ok(Math.abs((y[i] as number) - v ** p) < 1e-5, `sample ${i}: ${y[i]} vs ${v}^${p}`);
    });
    model.dispose();
  });

  it("every context layer gets a gradient from the first step", () => {
    const model = createModel(tf, withContext, { numTasks: 3, seed: 6 });
    perturb(model, 1); // the last conv away from zero, so the FiLMs reach the output
    const input = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 9) as tf.Tensor4D;
    const target = tf.sqrt(input);
    const { grads, value } = tf.variableGrads(
      () => tf.mean(tf.abs(tf.sub(model.apply(input, { taskIds: [1, -1] }), target))) as tf.Scalar,
    );
    const context = Object.entries(grads).filter(([name]) => /context\/(curve\/exponent|film\d)\/kernel$/.test(name));
    assert.equal(context.length, 1 + 4);
    for (const [name, grad] of context)
      assert.ok((tf.max(tf.abs(grad)).dataSync()[0] as number) > 0, `${name}: zero gradient`);
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    model.dispose();
  });
});

describe("warm start (loadCheckpointWeights, initFrom)", () => {
  const temp = mkdtempSync(join(tmpdir(), "art-mtl-warm-"));
  after(() => rmSync(temp, { recursive: true, force: true }));
  before(async () => {
    await tf.setBackend("cpu");
  });

  it("a trained model with global context added computes what it computed before", async () => {
    const trained = createModel(tf, plain, { numTasks: 3, seed: 1 });
    perturb(trained, 2);
    const store = await checkpointOf(trained, 3);
    const grown = createModel(tf, withContext, { numTasks: 3, seed: 9 });
    const input = tf.randomUniform([3, 8, 8, 3], 0, 1, "float32", 11) as tf.Tensor4D;
    assert.ok(maxDifference(trained, grown, input, [0, 2, -1]) > 1e-3, "different weights before the warm start");
    const warm = await loadCheckpointWeights(tf, grown.variables, store);
    assert.equal(warm.loaded.length, trained.variables.length);
    assert.deepEqual(warm.unused, []);
    assert.ok(warm.fresh.length > 0 && warm.fresh.every((name) => name.startsWith("context/")), warm.fresh.join());
    assert.ok(maxDifference(trained, grown, input, [0, 2, -1]) < 1e-5);
    // The other way round, the context layers are what the checkpoint has and the model does not.
    const back = await loadCheckpointWeights(
      tf,
      createModel(tf, plain, { numTasks: 3 }).variables,
      await checkpointOf(grown, 3),
    );
    assert.deepEqual(back.unused, warm.fresh);
    assert.deepEqual(back.fresh, []);
  });

  it("an SRResNet grows: a 2-block checkpoint fills a 5-block model, which computes what it did and trains its new blocks", async () => {
    const trained = createModel(tf, withContext, { numTasks: 3, seed: 1 });
    perturb(trained, 3);
    const store = await checkpointOf(trained, 3);
    const input = tf.randomUniform([3, 8, 8, 3], 0, 1, "float32", 12) as tf.Tensor4D;
    const taskIds = [1, 0, -1];
    // Matched by name only, the tail's prompt and FiLM (stage 3 of 2 blocks) would act after block 2: not the same model.
    const byName = createModel(tf, { ...withContext, blocks: 5 }, { numTasks: 3, seed: 4 });
    await loadCheckpointWeights(tf, byName.variables, store);
    assert.ok(maxDifference(trained, byName, input, taskIds) > 1e-3);
    const grown = createModel(tf, { ...withContext, blocks: 5 }, { numTasks: 3, seed: 4 });
    const warm = await warmStartModel(tf, grown, store);
    assert.deepEqual(warm.unused, []);
    assert.equal(warm.loaded.length, trained.variables.length);
    assert.deepEqual(warm.zeroed, [
      "block2/conv2/filter",
      "block2/conv2/bias",
      "block3/conv2/filter",
      "block3/conv2/bias",
      "block4/conv2/filter",
      "block4/conv2/bias",
    ]);
    assert.ok(
      warm.loaded.includes("prompt6/scale") && warm.loaded.includes("context/film6/kernel"),
      "the tail's stage moved to stage 6",
    );
    assert.ok(maxDifference(trained, grown, input, taskIds) < 1e-5);
    // The appended blocks' first convs keep their (non-zero) initialisation, so their second convs get a gradient.
    const conv2 = grown.variables.filter((v) => /block[234]\/conv2\/filter$/.test(v.name));
    assert.equal(conv2.length, 3);
    const target = tf.randomUniform([3, 8, 8, 3], 0, 1, "float32", 13);
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.abs(tf.sub(grown.apply(input, { taskIds }), target))) as tf.Scalar,
      conv2,
    );
    for (const v of conv2)
      assert.ok((tf.tidy(() => tf.max(tf.abs(grads[v.name] as tf.Tensor)).dataSync()[0]) as number) > 0, v.name);
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
  });

  it("refuses to shrink an SRResNet (a deeper checkpoint's tail would land mid-network)", async () => {
    const store = await checkpointOf(createModel(tf, { ...withContext, blocks: 3 }, { numTasks: 3 }), 3);
    await assert.rejects(
      warmStartModel(tf, createModel(tf, withContext, { numTasks: 3 }), store),
      (e: unknown) =>
        e instanceof AdapterError && /has 3 blocks and this model 2: a warm start can append blocks/.test(e.message),
    );
  });

  it("refuses a mapping that renames to a missing variable, fills one twice, or zeroes one the checkpoint fills", async () => {
    const store = await checkpointOf(createModel(tf, plain, { numTasks: 3 }), 3);
    const model = createModel(tf, plain, { numTasks: 3 });
    const refused = (mapping: { rename?: Map<string, string>; zero?: string[] }, message: RegExp) =>
      assert.rejects(
        loadCheckpointWeights(tf, model.variables, store, { mapping: () => mapping }),
        (e: unknown) => e instanceof AdapterError && message.test(e.message),
      );
    await refused(
      { rename: new Map([["tail/filter", "nowhere/filter"]]) },
      /renames tail\/filter to nowhere\/filter, which the model lacks/,
    );
    await refused(
      { rename: new Map([["tail/filter", "head/filter"]]) },
      /fills head\/filter twice \(from (head|tail)\/filter and (head|tail)\/filter\)/,
    );
    await refused({ zero: ["head/filter"] }, /zeroes head\/filter, which the checkpoint fills/);
    await refused({ zero: ["block9/conv2/filter"] }, /zeroes block9\/conv2\/filter, which the model lacks/);
  });

  it("refuses a same-named layer of another shape, and a checkpoint sharing no layer", async () => {
    const store = await checkpointOf(createModel(tf, plain, { numTasks: 3 }), 3);
    await assert.rejects(
      loadCheckpointWeights(tf, createModel(tf, { ...plain, width: 6 }, { numTasks: 3 }).variables, store),
      (e: unknown) =>
        e instanceof AdapterError &&
        /head\/filter is float32 \[3,3,3,4\] in the checkpoint but float32 \[3,3,3,6\] in the model/.test(e.message),
    );
    await assert.rejects(
      loadCheckpointWeights(tf, createModel(tf, { kind: "unet", width: 4, depth: 1 }).variables, store),
      (e: unknown) =>
        e instanceof AdapterError && /none of the model's \d+ variables is in the checkpoint/.test(e.message),
    );
    await assert.rejects(
      loadCheckpointWeights(tf, createModel(tf, plain, { numTasks: 3 }).variables, memoryCheckpointStore()),
      /no complete checkpoint/,
    );
  });

  it("a run with initFrom starts from the checkpoint's weights (its step-0 output equals the source run's)", async () => {
    const base = {
      tasks: ["noise", "rain"],
      data: { source: "procedural", patchSize: 16, prefetch: "none" },
      model: { kind: "srresnet", width: 4, blocks: 1, taskPrompt: true },
      weighting: { name: "equal" },
      steps: 3,
      batch: 4,
      lr: 1e-2,
      seed: 3,
      backend: "cpu",
      checkpointEvery: 3,
    };
    const first = resolveTrainConfig({ ...base, output: join(temp, "first") });
    assert.ok(E.isRight(first));
    const reference = await trainRun({ config: first.right, evaluateAtEnd: true });
    const second = resolveTrainConfig({
      ...base,
      model: { ...base.model, globalContext: true },
      initFrom: join(temp, "first", "checkpoint"),
      lr: 1e-9,
      steps: 1,
      output: join(temp, "second"),
    });
    assert.ok(E.isRight(second));
    assert.equal(second.right.initFrom, join(temp, "first", "checkpoint"));
    const lines: string[] = [];
    const outcome = await trainRun({ config: second.right, evaluateAtEnd: true, log: (line) => lines.push(line) });
    assert.ok(
      lines.some((line) =>
        /^initialised 16 of 26 variables from .*first\/checkpoint \(step 3\); new: context\/curve\/hidden\/kernel/.test(
          line,
        ),
      ),
      lines.join("\n"),
    );
    // With lr 1e-9 the second run's one step changes nothing visible: its evaluation is the first run's.
    assert.ok(outcome.evaluation !== undefined && reference.evaluation !== undefined);
    assert.ok(
      Math.abs(outcome.evaluation.mean.psnr - reference.evaluation.mean.psnr) < 1e-3,
      `${outcome.evaluation.mean.psnr} vs ${reference.evaluation.mean.psnr}`,
    );
    // A fresh start (no initFrom) of the same model does not: the check can fail.
    const fresh = resolveTrainConfig({
      ...base,
      model: { ...base.model, globalContext: true },
      lr: 1e-9,
      steps: 1,
      output: join(temp, "fresh"),
    });
    assert.ok(E.isRight(fresh));
    const cold = await trainRun({ config: fresh.right, evaluateAtEnd: true });
    assert.ok(Math.abs((cold.evaluation?.mean.psnr ?? 0) - reference.evaluation.mean.psnr) > 0.01);
  });
});

describe("a pinned global context (the tiles of a large image share one)", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });

  /** A pixel-wise model: no blocks, the last conv at zero, so its output is the tone curve alone, with exponents that depend on the input's statistics. */
  const curveOnly = () => {
    const model = createModel(tf, { kind: "srresnet", width: 4, blocks: 0, globalContext: true }, { seed: 3 });
    for (const v of model.variables) {
      if (/context\/curve\/(hidden|exponent)\/kernel$/.test(v.name))
        tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 1, "float32", v.size)));
    }
    return model;
  };

  /** 96 x 32: dark on the left, bright on the right, and one pixel of 0.5 in each of the first and the last 32-pixel tile. */
  const image = (): RgbImage => {
    const width = 96;
    const height = 32;
    const data = new Float32Array(width * height * 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = 0.05 + (0.9 * x) / width + 0.01 * c;
    for (const x of [5, 90]) data.fill(0.5, (10 * width + x) * 3, (10 * width + x) * 3 + 3);
    return { width, height, data };
  };
  const at = (img: RgbImage, x: number) => img.data[(10 * img.width + x) * 3] as number;

  it("pinContext measured on an image reproduces that image's own forward pass", async () => {
    const model = curveOnly();
    const sample = tf.randomUniform([1, 16, 16, 3], 0, 1, "float32", 4) as tf.Tensor4D;
    const pinned = model.pinContext?.(sample);
    assert.ok(pinned !== undefined);
    assert.deepEqual(await valuesOf(pinned.apply(sample)), await valuesOf(model.apply(sample)));
    pinned.dispose();
    assert.equal(createModel(tf, plain, { numTasks: 3 }).pinContext, undefined, "only global-context models pin");
    assert.throws(() => model.pinContext?.(tf.zeros([2, 8, 8, 3])), /one image, \[1,H,W,3\]/);
  });

  it("restoreImage pins the mosaic's context: equal pixels in different tiles stay equal, and no tensor leaks", async () => {
    const model = curveOnly();
    const session = { model, config: { tasks: [] } };
    const img = image();
    const forward = forwardFor(session);
    assert.ok(typeof forward.pin === "function");
    const before = tf.memory().numTensors;
    const pinned = await restoreImage(tf, forward, img, { tile: 32, overlap: 8 });
    assert.equal(tf.memory().numTensors, before);
    assert.ok(Math.abs(at(pinned, 5) - at(pinned, 90)) < 1e-6, `${at(pinned, 5)} vs ${at(pinned, 90)}`);
    assert.ok(Math.abs(at(pinned, 5) - 0.5) > 1e-3, "the curve changed the pixel");
    // Without the pin each tile measures its own context: the same pixel value comes out differently.
    const unpinned = await restoreImage(tf, (x: tf.Tensor) => model.apply(x), img, { tile: 32, overlap: 8 });
    assert.ok(Math.abs(at(unpinned, 5) - at(unpinned, 90)) > 1e-3, `${at(unpinned, 5)} vs ${at(unpinned, 90)}`);
  });

  it("contextMosaic takes 4 x 4 full-resolution patches spread over the image", () => {
    const img = image();
    const mosaic = contextMosaic(img, 32);
    assert.deepEqual([mosaic.width, mosaic.height], [32, 32]);
    // Patch (gy, gx) = (0, 0) starts at round((96 - 8) * 0.5 / 4) = 11 across, round((32 - 8) * 0.5 / 4) = 3 down.
    assert.equal(mosaic.data[0], img.data[(3 * 96 + 11) * 3]);
    // The last patch of the first row starts at round(88 * 3.5 / 4) = 77 across.
    assert.equal(mosaic.data[24 * 3], img.data[(3 * 96 + 77) * 3]);
    // A thin image: the patches shrink to its height.
    assert.deepEqual([contextMosaic({ width: 200, height: 5, data: new Float32Array(3000) }, 64).width], [20]);
  });
});
