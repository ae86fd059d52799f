import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/Either";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import {
  createModel,
  expectedParameterCount,
  ModelSpec,
  resolveModelSpec,
  taskPromptSelector,
} from "../../src/restoration/models/index.js";
import { blindTaskIds } from "../../src/restoration/train/blind-ids.js";
import { resolveTrainConfig } from "../../src/restoration/train/config.js";
import { equal } from "../../src/strategies/index.js";
import { AdapterError, createTrainer } from "../../src/tfjs/index.js";

/** Task prompts (MiOIR's explicit prompt, as per-task FiLM tables) on every model kind. */
const promptedSpecs = [
  { kind: "srresnet", width: 4, blocks: 2, taskPrompt: true },
  { kind: "unet", width: 4, depth: 2, taskPrompt: true },
  { kind: "prompt-unet", width: 4, depth: 1, prompts: 2, promptSize: 2, taskPrompt: true },
] as const;

describe("task-prompted models", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });

  it("the spec keeps taskPrompt only when true, and rejects a non-boolean", () => {
    const on = ModelSpec.decode({ kind: "srresnet", width: 4, taskPrompt: true });
    assert.ok(E.isRight(on));
    assert.deepEqual(resolveModelSpec(on.right), { kind: "srresnet", width: 4, blocks: 16, taskPrompt: true });
    const off = ModelSpec.decode({ kind: "srresnet", width: 4, taskPrompt: false });
    assert.ok(E.isRight(off));
    assert.deepEqual(resolveModelSpec(off.right), { kind: "srresnet", width: 4, blocks: 16 });
    assert.ok(E.isLeft(ModelSpec.decode({ kind: "unet", taskPrompt: "yes" })));
  });

  it("parameter counts: hand-computed tables, and the built models match the formula", () => {
    // SRResNet width 4, 2 blocks, 3 tasks: 4 stages (head, 2 blocks, tail) x 2 tables x 4 rows (3 tasks + blind) x 4 channels = 128.
    assert.equal(
      expectedParameterCount({ kind: "srresnet", width: 4, blocks: 2, taskPrompt: true }, 3),
      expectedParameterCount({ kind: "srresnet", width: 4, blocks: 2 }) + 128,
    );
    // U-Net width 4, depth 1, 2 tasks: stages of 4 (in), 4 (enc0), 8 (bottleneck), 4 (dec0) channels x 2 tables x 3 rows = 120.
    assert.equal(
      expectedParameterCount({ kind: "unet", width: 4, depth: 1, taskPrompt: true }, 2),
      expectedParameterCount({ kind: "unet", width: 4, depth: 1 }) + 120,
    );
    for (const spec of promptedSpecs) {
      const model = createModel(tf, spec, { numTasks: 3 });
      assert.equal(model.numTasks, 3);
      assert.equal(model.parameterCount, expectedParameterCount(model.spec, 3), spec.kind);
      model.dispose();
    }
  });

  it("needs numTasks, and refuses task ids out of range naming the sample", () => {
    assert.throws(
      () => createModel(tf, promptedSpecs[0]),
      (e: unknown) => e instanceof AdapterError && /needs numTasks/.test(e.message),
    );
    assert.throws(
      () => taskPromptSelector(2, 3, [0, 3]),
      (e: unknown) => e instanceof AdapterError && /sample 1 .*got 3/.test(e.message),
    );
    assert.throws(() => taskPromptSelector(2, 3, [0, -2]), /sample 1/);
    assert.throws(() => taskPromptSelector(2, 3, [0]), /expected 2 task ids/);
    // Known ids pick their row; -1 and "no ids" pick the blind row (the last).
    assert.deepEqual(Array.from(taskPromptSelector(3, 2, [1, -1, 0])), [0, 1, 0, 0, 0, 1, 1, 0, 0]);
    assert.deepEqual(Array.from(taskPromptSelector(1, 2)), [0, 0, 1]);
  });

  it("is the identity at initialisation for every task id, blind included", async () => {
    const input = tf.randomUniform([3, 8, 8, 3], 0, 1, "float32", 5);
    const expected = Array.from(await input.data());
    for (const spec of promptedSpecs) {
      const model = createModel(tf, spec, { seed: 1, numTasks: 2 });
      for (const taskIds of [[0, 1, -1], undefined]) {
        const output = tf.tidy(() => model.apply(input, taskIds === undefined ? undefined : { taskIds }));
        assert.deepEqual(Array.from(await output.data()), expected, `${spec.kind} ${JSON.stringify(taskIds)}`);
        output.dispose();
      }
      model.dispose();
    }
    input.dispose();
  });

  it("routes each sample through its own task's prompt", async () => {
    const model = createModel(
      tf,
      { kind: "srresnet", width: 4, blocks: 1, taskPrompt: true },
      { seed: 2, numTasks: 2 },
    );
    // Make the output conv non-zero, then give task 1 (row 1) of the last prompt a shift: only samples of task 1 change.
    const last = model.variables.find((v) => v.name.endsWith("last/filter")) as tf.Variable;
    last.assign(tf.randomNormal(last.shape, 0, 0.1, "float32", 3));
    const input = tf.randomUniform([3, 6, 6, 3], 0, 1, "float32", 4);
    const before = tf.tidy(() => model.apply(input, { taskIds: [0, 1, -1] }));
    const shift = model.variables.find((v) => v.name.endsWith("prompt2/shift")) as tf.Variable;
    shift.assign(
      tf.tensor2d([
        [0, 0, 0, 0],
        [0.5, -0.5, 0.5, -0.5],
        [0, 0, 0, 0],
      ]),
    );
    const after = tf.tidy(() => model.apply(input, { taskIds: [0, 1, -1] }));
    const changed = tf.tidy(() => tf.max(tf.abs(tf.sub(after, before)), [1, 2, 3]));
    const perSample = Array.from(await changed.data());
    assert.equal(perSample[0], 0, "task 0 unchanged");
    assert.ok((perSample[1] as number) > 1e-3, `task 1 changed (${perSample[1]})`);
    assert.equal(perSample[2], 0, "blind unchanged");
    tf.dispose([input, before, after, changed]);
    model.dispose();
  });

  it("trains: the trainer passes the batch's task ids, and a prompt row only moves when its task (or blind) is in the batch", async () => {
    const model = createModel(
      tf,
      { kind: "srresnet", width: 4, blocks: 1, taskPrompt: true },
      { seed: 3, numTasks: 3 },
    );
    const trainer = createTrainer({ tf, model, optimizer: tf.train.adam(1e-2), weighting: equal(), numTasks: 3 });
    const inputs = tf.randomUniform([4, 6, 6, 3], 0, 1, "float32", 6);
    const targets = tf.randomUniform([4, 6, 6, 3], 0, 1, "float32", 7);
    const headScale = model.variables.find((v) => v.name.endsWith("prompt0/scale")) as tf.Variable;
    // Two steps: the first moves the output conv off zero, the second reaches the prompts.
    for (let i = 0; i < 2; i++) await trainer.step(inputs, targets, [0, 0, 1, 1], { taskIds: [0, -1, 1, 1] });
    const rows = (await headScale.array()) as number[][];
    const moved = rows.map((row) => row.some((v) => v !== 0));
    assert.deepEqual(
      moved,
      [true, true, false, true],
      "rows 0 and 1 (tasks in the batch), not 2 (task absent), and the blind row 3",
    );
    await assert.rejects(trainer.step(inputs, targets, [0, 0, 1, 1], { taskIds: [0, 1] }), /one id per sample/);
    trainer.dispose();
    tf.dispose([inputs, targets]);
    model.dispose();
  });

  it("blindTaskIds hides a deterministic share of samples, and the config only allows it for prompted models", () => {
    const ids = Array.from({ length: 4000 }, (_, i) => i % 7);
    assert.deepEqual(blindTaskIds(ids, 0, 1, 5), ids);
    assert.ok(blindTaskIds(ids, 1, 1, 5).every((id) => id === -1));
    const hidden = blindTaskIds(ids, 0.15, 1, 5);
    assert.deepEqual(hidden, blindTaskIds(ids, 0.15, 1, 5), "same seed and step, same samples");
    assert.notDeepEqual(hidden, blindTaskIds(ids, 0.15, 1, 6), "another step hides others");
    const share = hidden.filter((id) => id === -1).length / ids.length;
    assert.ok(share > 0.12 && share < 0.18, `share hidden ${share}`);
    hidden.forEach((id, i) => assert.ok(id === -1 || id === ids[i]));
    const prompted = resolveTrainConfig({ steps: 1, model: { kind: "srresnet", width: 4, taskPrompt: true } });
    assert.ok(E.isRight(prompted) && prompted.right.blindRate === 0.15, "default 0.15");
    const plain = resolveTrainConfig({ steps: 1, blindRate: 0.2 });
    assert.ok(E.isLeft(plain) && /blindRate: only task-prompted models/.test(plain.left.join("\n")));
    assert.ok(E.isLeft(resolveTrainConfig({ steps: 1, blindRate: 1.5, model: { kind: "unet", taskPrompt: true } })));
  });
});
