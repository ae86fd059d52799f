/**
 * Restoration models in tfjs's own format (model.json + weights.bin): the round trip through
 * tf.io's memory handlers, a directory, and tf.io.http over a local server; the CLI's export and
 * restore from it; errors that name what is wrong.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";

import { runCli } from "../../src/cli/main.js";
import { Rng } from "../../src/core/random.js";
import { proceduralImage } from "../../src/restoration/data/index.js";
import {
  createModel,
  loadRestorationModel,
  modelDirectoryHandler,
  PRETRAINED_MODELS,
  pretrainedCheckpoint,
  pretrainedModelDir,
  restorationModelArtifacts,
  saveRestorationModel,
  type RestorationModel,
} from "../../src/restoration/index.js";
import { writePng } from "../../src/restoration/io/index.js";

const temp = mkdtempSync(join(tmpdir(), "art-mtl-export-"));
after(() => rmSync(temp, { recursive: true, force: true }));
before(async () => {
  await tf.setBackend("cpu");
});

/** A model whose weights are not the seeded initialisation (so a load that kept them would show). */
const trainedLike = (seed: number): RestorationModel => {
  const model = createModel(tf, { kind: "srresnet", width: 8, blocks: 2, taskPrompt: true }, { seed, numTasks: 3 });
  for (const [i, v] of model.variables.entries())
    (v as tf.Variable).assign(tf.randomNormal(v.shape, 0, 0.05, "float32", 100 + i));
  return model;
};
const predict = (model: RestorationModel): Float32Array =>
  tf.tidy(
    () =>
      model
        .apply(tf.randomUniform([2, 12, 12, 3], 0, 1, "float32", 7), { taskIds: [0, -1] })
        .dataSync() as Float32Array,
  );

describe("restoration models in tfjs's format", () => {
  it("round-trips through tf.io.withSaveHandler and tf.io.fromMemory: same spec, tasks, weights and outputs; no optimizer state", async () => {
    const model = trainedLike(1);
    let saved: tf.io.ModelArtifacts | undefined;
    await saveRestorationModel(
      model,
      ["noise", "rain", "haze"],
      tf.io.withSaveHandler(
        async (artifacts) => (
          (saved = artifacts),
          { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } }
        ),
      ),
    );
    assert.ok(saved !== undefined);
    assert.equal(saved.format, "art-mtl-restoration-model");
    assert.equal(saved.weightSpecs?.length, model.variables.length);
    assert.equal(
      (saved.weightData as ArrayBuffer).byteLength,
      model.parameterCount * 4,
      "the model's parameters only, float32",
    );
    assert.ok(
      saved.weightSpecs?.every((w) => !w.name.includes("srresnet_")),
      "stable names, without the instance prefix",
    );
    const loaded = await loadRestorationModel(tf, tf.io.fromMemory(saved));
    assert.deepEqual(loaded.tasks, ["noise", "rain", "haze"]);
    assert.deepEqual(loaded.model.spec, model.spec);
    assert.deepEqual(predict(loaded.model), predict(model));
    model.dispose();
    loaded.model.dispose();
  });

  it("writes model.json + weights.bin that modelDirectoryHandler and tf.io.http (a local server) load", async () => {
    const model = trainedLike(2);
    const dir = join(temp, "exported");
    await saveRestorationModel(model, ["noise", "rain", "haze"], modelDirectoryHandler(dir));
    const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as {
      weightsManifest: { paths: string[] }[];
      format: string;
    };
    assert.deepEqual(
      json.weightsManifest.map((g) => g.paths),
      [["weights.bin"]],
    );
    const fromDir = await loadRestorationModel(tf, modelDirectoryHandler(dir));
    assert.deepEqual(predict(fromDir.model), predict(model));
    const server = createServer((request, response) => {
      try {
        response.end(readFileSync(join(dir, (request.url ?? "/").slice(1))));
      } catch {
        response.statusCode = 404;
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const fromHttp = await loadRestorationModel(tf, tf.io.http(`http://127.0.0.1:${port}/model.json`));
      assert.deepEqual(predict(fromHttp.model), predict(model));
      fromHttp.model.dispose();
    } finally {
      server.close();
    }
    model.dispose();
    fromDir.model.dispose();
  });

  it("names what is wrong: another format, a missing weight, a weight of another shape", async () => {
    const model = trainedLike(3);
    const artifacts = await restorationModelArtifacts(model, ["noise", "rain", "haze"]);
    await assert.rejects(
      loadRestorationModel(tf, tf.io.fromMemory({ ...artifacts, format: "layers-model" })),
      /not an art-mtl restoration model \(format "layers-model"/,
    );
    const specs = artifacts.weightSpecs ?? [];
    const missing = { ...artifacts, weightSpecs: specs.slice(0, -1) };
    const dropped = specs[specs.length - 1]?.name as string;
    await assert.rejects(
      loadRestorationModel(tf, tf.io.fromMemory(missing)),
      new RegExp(`model\\.json has no weight ${dropped}$`),
    );
    const reshaped = {
      ...artifacts,
      weightSpecs: specs.map((w, i) => (i === 0 ? { ...w, shape: [w.shape.reduce((a, b) => a * b, 1)] } : w)),
    };
    await assert.rejects(
      loadRestorationModel(tf, tf.io.fromMemory(reshaped)),
      /weight head\/filter: shape \[216\], the model's \[3,3,3,8\]/,
    );
    model.dispose();
  });

  it("art-mtl export writes the shipped model in that form, a third of its checkpoint; restore reads it and writes what the checkpoint gives", async () => {
    const out = join(temp, "shipped-export");
    const lines: string[] = [];
    const io = { stdout: (t: string) => void lines.push(t), stderr: (t: string) => void lines.push(t) };
    assert.equal(await runCli(["export", "-o", out, "--backend", "wasm"], io), 0, lines.join(""));
    const [, weights, checkpoint] =
      /\((\d+) bytes of weights; the checkpoint holds (\d+) bytes\)/.exec(lines.join("")) ?? [];
    assert.ok(Number(weights) > 0 && Number(weights) < Number(checkpoint) / 2, lines.join(""));
    const input = join(temp, "noisy.png");
    writePng(input, proceduralImage(Rng.seeded(9), 40, 36));
    const restore = async (output: string, location: string[]) =>
      assert.equal(
        await runCli(
          ["restore", input, "-o", join(temp, output), "--task", "noise", "--backend", "wasm", "--quiet", ...location],
          io,
        ),
        0,
        lines.join(""),
      );
    await restore("from-checkpoint.png", ["--checkpoint", pretrainedCheckpoint()]);
    await restore("from-export.png", ["--checkpoint", out]);
    await restore("default.png", []); // the shipped export, models/all-in-one/model
    const expected = readFileSync(join(temp, "from-checkpoint.png"));
    assert.deepEqual(
      readFileSync(join(temp, "from-export.png")),
      expected,
      "the exported model restores as its checkpoint does",
    );
    assert.deepEqual(readFileSync(join(temp, "default.png")), expected, "restore's default is the same model");
  });

  for (const { name } of PRETRAINED_MODELS) {
    it(`the committed export of the shipped model ${name} (models/${name}/model) is what art-mtl export writes from its checkpoint`, async () => {
      const out = join(temp, `fresh-${name}`);
      const io = { stdout: () => undefined, stderr: () => undefined };
      assert.equal(await runCli(["export", "--model", name, "-o", out, "--backend", "cpu"], io), 0);
      const committed = pretrainedModelDir(name);
      assert.deepEqual(
        JSON.parse(readFileSync(join(committed, "model.json"), "utf8")),
        JSON.parse(readFileSync(join(out, "model.json"), "utf8")),
      );
      assert.deepEqual(
        readFileSync(join(committed, "weights.bin")),
        readFileSync(join(out, "weights.bin")),
        `models/${name}/model/weights.bin is stale: rerun art-mtl export --model ${name} -o models/${name}/model`,
      );
    });
  }
});
