import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { buildSession, resolveTrainConfig } from "../../src/restoration/train/index.js";
import { charbonnierPerSample, l1PerSample, perTaskLoss, psnrPerSample } from "../../src/tfjs/index.js";
import { assertAllClose } from "../support/all-close.js";

describe("the config's loss reaches the trainer", () => {
  it('defaults to "l1" and names a bad value', () => {
    const plain = resolveTrainConfig({ steps: 1 });
    assert.ok(E.isRight(plain));
    assert.equal(plain.right.loss, "l1");
    const bad = resolveTrainConfig({ steps: 1, loss: "l2" });
    assert.ok(E.isLeft(bad));
    assert.deepEqual(bad.left, ['loss: expected one of l1|charbonnier|psnr (got "l2")']);
  });

  for (const [loss, lossFn] of [
    ["l1", l1PerSample],
    ["charbonnier", charbonnierPerSample],
    ["psnr", psnrPerSample],
  ] as const) {
    it(`"${loss}": a step's task losses are ${lossFn.name} of the model's output, per task`, async () => {
      const config = resolveTrainConfig({
        tasks: ["noise", "rain"],
        model: { kind: "srresnet", width: 4, blocks: 1 },
        weighting: { name: "equal" },
        steps: 1,
        batch: 3,
        seed: 5,
        backend: "cpu",
        loss,
      });
      assert.ok(E.isRight(config));
      const { tf, model, trainer } = await buildSession(config.right);
      const inputs = tf.randomUniform([3, 8, 8, 3], 0, 1, "float32", 1);
      const targets = tf.randomUniform([3, 8, 8, 3], 0, 1, "float32", 2);
      const taskIds = [0, 1, 1];
      // Computed before the step changes the weights: the step reports the losses of its forward pass.
      const [expected, l1] = tf.tidy(() => {
        const outputs = model.apply(inputs, { taskIds });
        return [lossFn, l1PerSample].map((f) =>
          Array.from(perTaskLoss(tf, f(tf, outputs, targets), taskIds, 2).losses.dataSync()),
        );
      });
      const result = await trainer.step(inputs, targets, taskIds);
      assertAllClose(result.taskLosses, expected as number[], { atol: 2e-7, rtol: 0 });
      // The check tells the losses apart: PSNR's is tens, Charbonnier's exceeds L1 by ~1e-6 here.
      const overL1 = Math.max(...result.taskLosses.map((v, k) => (v as number) - (l1?.[k] as number)));
      if (loss === "psnr") assert.ok((result.taskLosses[0] as number) > 5, `${result.taskLosses}`);
      else if (loss === "charbonnier") assert.ok(overL1 > 5e-7, `${overL1}`);
      else assert.equal(overL1, 0);
      tf.dispose([inputs, targets]);
      model.dispose();
    });
  }
});
