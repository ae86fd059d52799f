/**
 * The model registry: an architecture added with `registerModel` decodes in configs, builds
 * through `createModel`, trains through `trainRun` (config → session → trainer → checkpoint)
 * and loads back with `loadTrainedSession`; a taken name is refused.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/Either";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import { Count } from "../../src/core/codecs.js";
import { formatDecodeErrors } from "../../src/core/report.js";
import {
  convParameterCount,
  createModel,
  expectedParameterCount,
  modelKinds,
  ModelSpec,
  modelSpecCodec,
  registerModel,
  resolveModelSpec,
} from "../../src/restoration/models/index.js";
import { loadTrainedSession, multipleOfFor, resolveTrainConfig, trainRun } from "../../src/restoration/train/index.js";
import { AdapterError } from "../../src/tfjs/index.js";

/** A one-conv residual model: output = input + conv3x3(input), the conv starting at zero. */
registerModel("test-one-conv", {
  codec: modelSpecCodec("test-one-conv", { kernel: Count }),
  resolve: (spec) => ({ kind: "test-one-conv", kernel: spec.kernel ?? 3 }),
  build: (tfns, factory, spec) => {
    const params = factory.conv("conv", spec.kernel, 3, 3, "zero");
    return (x) => tfns.add(x, tfns.add(tfns.conv2d(x, params.filter, 1, "same"), params.bias));
  },
  parameterCount: (spec) => convParameterCount(spec.kernel, 3, 3),
  multipleOf: () => 2,
});

const temp = mkdtempSync(join(tmpdir(), "art-mtl-model-registry-"));
after(() => rmSync(temp, { recursive: true, force: true }));

describe("the model registry", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });

  it("lists the built-ins first, then what was registered", () => {
    assert.deepEqual(modelKinds(), ["srresnet", "unet", "prompt-unet", "test-one-conv"]);
  });

  it("refuses a taken name, a built-in's included, with a clear error", () => {
    const entry = {
      codec: modelSpecCodec("test-one-conv", {}),
      build: () => (x: tf.Tensor4D) => x,
      parameterCount: () => 0,
    };
    for (const name of ["test-one-conv", "srresnet"]) {
      assert.throws(
        () => registerModel(name, entry),
        (e: unknown) =>
          e instanceof AdapterError &&
          e.message ===
            `registerModel: a model named "${name}" is already registered (registered: srresnet, unet, prompt-unet, test-one-conv); choose another name`,
      );
    }
    assert.throws(
      () => registerModel("test-incomplete", { codec: modelSpecCodec("test-incomplete", {}) } as never),
      /the entry needs build \(a function\), parameterCount \(a function\)/,
    );
    assert.deepEqual(
      modelKinds(),
      ["srresnet", "unet", "prompt-unet", "test-one-conv"],
      "a refused entry is not added",
    );
  });

  it("decodes the new kind in ModelSpec and in training configs, typos refused", () => {
    const decoded = ModelSpec.decode({ kind: "test-one-conv" });
    assert.ok(E.isRight(decoded));
    assert.deepEqual(resolveModelSpec(decoded.right), { kind: "test-one-conv", kernel: 3 });
    const typo = ModelSpec.decode({ kind: "test-one-conv", kernal: 5 });
    assert.ok(E.isLeft(typo));
    assert.deepEqual(formatDecodeErrors(typo.left), ["kernal: unknown key (known: kind, kernel, taskPrompt) (got 5)"]);
    const config = resolveTrainConfig({ steps: 1, model: { kind: "test-one-conv", kernel: 1 } });
    assert.ok(E.isRight(config));
    assert.deepEqual(config.right.model, { kind: "test-one-conv", kernel: 1 });
  });

  it("builds through createModel: the identity at first, its parameters as its formula says, its multipleOf", async () => {
    const model = createModel(tf, { kind: "test-one-conv", kernel: 3 }, { seed: 1 });
    assert.equal(model.parameterCount, 84);
    assert.equal(expectedParameterCount(model.spec), 84);
    assert.equal(multipleOfFor(model.spec), 2);
    const input = tf.randomUniform([1, 4, 4, 3], 0, 1, "float32", 5);
    assert.deepEqual(Array.from(await model.apply(input).data()), Array.from(await input.data()));
    model.dispose();
  });

  it("trains one step through trainRun (config, session, trainer, checkpoint) and loads back", async () => {
    const resolved = resolveTrainConfig({
      name: "one-conv",
      tasks: ["noise"],
      data: { source: "procedural", patchSize: 16, prefetch: "none" },
      model: { kind: "test-one-conv" },
      steps: 1,
      batch: 2,
      lr: 1e-2,
      backend: "cpu",
      output: join(temp, "one-conv"),
      eval: { data: "procedural", images: 1, size: 16 },
    });
    if (E.isLeft(resolved)) throw new Error(resolved.left.join("\n"));
    const outcome = await trainRun({ config: resolved.right, evaluateAtEnd: false });
    assert.equal(outcome.step, 1);
    assert.ok(Number.isFinite(outcome.lastRecord?.loss), JSON.stringify(outcome.lastRecord));
    const manifest = JSON.parse(readFileSync(join(temp, "one-conv", "checkpoint", "manifest.json"), "utf8")) as {
      step: number;
      model: unknown[];
    };
    assert.equal(manifest.step, 1);
    assert.equal(manifest.model.length, 2, "the conv's filter and bias");
    const session = await loadTrainedSession(join(temp, "one-conv", "checkpoint"));
    assert.equal(session.step, 1);
    assert.deepEqual(session.model.spec, { kind: "test-one-conv", kernel: 3 });
    const filter = session.model.variables[0] as tf.Variable;
    assert.ok(
      (await filter.data()).some((v) => v !== 0),
      "the step moved the zero-initialised conv",
    );
    session.model.dispose();
    session.trainer.dispose();
    session.optimizer.dispose();
  });
});
