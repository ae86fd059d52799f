import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/Either";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import { art } from "../../src/core/index.js";
import {
  createModel,
  expectedParameterCount,
  ModelSpec,
  resolveModelSpec,
} from "../../src/restoration/models/index.js";
import { AdapterError, createTrainer, selectBackend } from "../../src/tfjs/index.js";

const tinySpecs = [
  { kind: "srresnet", width: 4, blocks: 2 },
  { kind: "unet", width: 4, depth: 2 },
  { kind: "prompt-unet", width: 4, depth: 2, prompts: 3, promptSize: 2 },
] as const;

describe("restoration models", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });

  it("ModelSpec decodes specs, fills defaults and rejects typos", () => {
    const srresnet = ModelSpec.decode({ kind: "srresnet" });
    assert.ok(E.isRight(srresnet));
    assert.deepEqual(resolveModelSpec(srresnet.right), { kind: "srresnet", width: 64, blocks: 16 });
    assert.ok(E.isLeft(ModelSpec.decode({ kind: "unet", widht: 8 })));
    assert.ok(E.isLeft(ModelSpec.decode({ kind: "srresnet", width: 0 })));
    assert.ok(E.isLeft(ModelSpec.decode({ kind: "transformer" })));
    assert.throws(
      () => createModel(tf, { kind: "unet", depth: -1 }),
      (e: unknown) => e instanceof AdapterError && /invalid model spec/.test(e.message),
    );
  });

  it("parameter counts match hand-computed numbers", () => {
    // SRResNet 64 x 16: head 3*3*3*64+64 = 1792; 32 convs of 9*64*64+64 = 36928; tail 36928; last 9*64*3+3 = 1731.
    assert.equal(expectedParameterCount({ kind: "srresnet", width: 64, blocks: 16 }), 1792 + 32 * 36928 + 36928 + 1731);
    // U-Net width 4, depth 1: in 9*3*4+4 = 112; out 9*4*3+3 = 111; enc 2*(9*16+4) = 296; down 4*4*8+8 = 136;
    // up 4*8*4+4 = 132; dec 9*8*4+4 = 292 and 9*16+4 = 148; bottleneck 2*(9*64+8) = 1168.
    assert.equal(
      expectedParameterCount({ kind: "unet", width: 4, depth: 1 }),
      112 + 111 + 296 + 136 + 132 + 292 + 148 + 1168,
    );
    // + prompt block at level 0 with 2 prompts of 3x3: 2*9*4 = 72; selector 4*2+2 = 10; conv 148; fuse 9*8*4+4 = 292.
    assert.equal(
      expectedParameterCount({ kind: "prompt-unet", width: 4, depth: 1, prompts: 2, promptSize: 3 }),
      112 + 111 + 296 + 136 + 132 + 292 + 148 + 1168 + 72 + 10 + 148 + 292,
    );
  });

  it("the built models have exactly the formula's parameters (MiOIR-size SRResNet included)", () => {
    for (const spec of [...tinySpecs, { kind: "srresnet" } as const, { kind: "unet", width: 8, depth: 3 } as const]) {
      const model = createModel(tf, spec);
      assert.equal(model.parameterCount, expectedParameterCount(model.spec), JSON.stringify(spec));
      model.dispose();
    }
  });

  it("maps [B,H,W,3] to [B,H,W,3] and is the identity at initialisation (zero last conv)", async () => {
    const input = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 5);
    for (const spec of tinySpecs) {
      const model = createModel(tf, spec, { seed: 1 });
      const output = tf.tidy(() => model.apply(input));
      assert.deepEqual(output.shape, [2, 8, 8, 3]);
      assert.deepEqual(Array.from(await output.data()), Array.from(await input.data()), spec.kind);
      output.dispose();
      model.dispose();
    }
    input.dispose();
  });

  it('SRResNet init: "basicsr" draws the same He-normal values times 0.1 (the last conv stays zero); the default is "he", and a spec without init resolves as before', () => {
    const resolve = (raw: unknown) => {
      const decoded = ModelSpec.decode(raw);
      assert.ok(E.isRight(decoded));
      return resolveModelSpec(decoded.right);
    };
    assert.deepEqual(resolve({ kind: "srresnet", width: 8, blocks: 2 }), { kind: "srresnet", width: 8, blocks: 2 });
    assert.deepEqual(resolve({ kind: "srresnet", width: 8, blocks: 2, init: "basicsr" }), {
      kind: "srresnet",
      width: 8,
      blocks: 2,
      init: "basicsr",
    });
    assert.ok(E.isLeft(ModelSpec.decode({ kind: "srresnet", init: "xavier" })));
    const values = (spec: Parameters<typeof createModel>[1]) => {
      const model = createModel(tf, spec, { seed: 4 });
      const out = model.variables.map((v) => Array.from(v.dataSync()));
      model.dispose();
      return out;
    };
    const plain = values({ kind: "srresnet", width: 8, blocks: 2 });
    assert.deepEqual(values({ kind: "srresnet", width: 8, blocks: 2, init: "he" }), plain, "init he is the default");
    const scaled = values({ kind: "srresnet", width: 8, blocks: 2, init: "basicsr" });
    scaled.forEach((variable, i) =>
      variable.forEach((v, j) =>
        assert.ok(
          Math.abs(v - 0.1 * (plain[i]![j] as number)) <= 1e-7 * Math.max(1, Math.abs(v)),
          `variable ${i}[${j}]: ${v} vs 0.1 x ${plain[i]![j]}`,
        ),
      ),
    );
    assert.ok(plain.some((variable) => variable.some((v) => v !== 0)));
  });
  it("rejects wrong input shapes clearly", () => {
    const model = createModel(tf, { kind: "unet", width: 4, depth: 2 });
    assert.throws(() => tf.tidy(() => model.apply(tf.zeros([1, 6, 8, 3]))), /divisible by 4 \(got 6x8\)/);
    assert.throws(() => tf.tidy(() => model.apply(tf.zeros([1, 8, 8, 1]))), /\[B,H,W,3\]/);
    model.dispose();
  });

  it("trains with the art-mtl/tfjs trainer: every variable receives a gradient and the loss falls", async () => {
    const inputs = tf.randomUniform([3, 8, 8, 3], 0, 1, "float32", 6);
    const targets = tf.tidy(() => tf.clipByValue(tf.mul(inputs, 0.7), 0, 1));
    for (const spec of tinySpecs) {
      const model = createModel(tf, spec, { seed: 2 });
      const trainer = createTrainer({
        tf,
        model,
        optimizer: tf.train.adam(1e-2),
        weighting: art(),
        numTasks: 3,
        lagged: true,
      });
      const before = await Promise.all(model.variables.map(async (v) => Array.from(await v.data())));
      const first = await trainer.step(inputs, targets, [0, 1, 2]);
      let last = first;
      for (let i = 0; i < 5; i++) last = await trainer.step(inputs, targets, [0, 1, 2]);
      const after = await Promise.all(model.variables.map(async (v) => Array.from(await v.data())));
      model.variables.forEach((v, i) =>
        assert.notDeepEqual(after[i], before[i], `${spec.kind}: ${v.name} did not move`),
      );
      assert.ok(last.loss < first.loss, `${spec.kind}: ${first.loss} → ${last.loss}`);
      model.dispose();
    }
    tf.dispose([inputs, targets]);
  });

  it("trains every model on wasm (conv, transposed conv, resize and their gradients)", async (t) => {
    try {
      await selectBackend(tf, "wasm");
    } catch (error) {
      t.skip(`wasm backend unavailable: ${(error as Error).message}`);
      return;
    }
    const inputs = tf.randomUniform([3, 8, 8, 3], 0, 1, "float32", 7);
    const targets = tf.tidy(() => tf.mul(inputs, 0.7));
    for (const spec of tinySpecs) {
      const model = createModel(tf, spec, { seed: 3 });
      const trainer = createTrainer({ tf, model, optimizer: tf.train.adam(1e-2), weighting: art(), numTasks: 3 });
      const first = await trainer.step(inputs, targets, [0, 1, 2]);
      let last = first;
      for (let i = 0; i < 5; i++) last = await trainer.step(inputs, targets, [0, 1, 2]);
      assert.ok(last.loss < first.loss, `wasm ${spec.kind}: ${first.loss} → ${last.loss}`);
      model.dispose();
    }
    tf.dispose([inputs, targets]);
    await tf.setBackend("cpu");
  });
});
