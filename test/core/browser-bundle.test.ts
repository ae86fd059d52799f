import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { build, type Plugin } from "esbuild";

import { browserTwins } from "../../scripts/browser-twins.mjs";

// Every entry must bundle for a browser with zero Node built-ins: the core, the law suite, the
// tfjs adapter and the restoration kit, each as a page gets it (a module X.ts with an X.browser.ts
// twin swapped for the twin: browserTwins here, package.json's "imports" under the "browser"
// condition in the package; test/package/installed.test.ts bundles the packed package). tfjs and fast-check stay peers (external); pngjs (its browser
// build), jpeg-js, fp-ts and io-ts are bundled, so their imports are checked too.
const repo = resolve(import.meta.dirname, "..", "..");
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const isBuiltin = (path: string) =>
  path.startsWith("node:") || builtins.has(path) || builtins.has(path.split("/")[0] as string);

const entries = [
  ["art-mtl", "src/index.ts"],
  ["art-mtl/tfjs", "src/tfjs/index.ts"],
  ["art-mtl/restoration", "src/restoration/index.ts"],
  ["art-mtl/laws", "src/laws/index.ts"],
] as const;

/** Records every Node built-in the bundle imports, with the file that imports it. */
const recordBuiltins = (into: string[]): Plugin => ({
  name: "record-builtins",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      into.push(
        `${args.path} (from ${args.importer.startsWith(repo) ? args.importer.slice(repo.length + 1) : args.importer})`,
      );
      // Bundling goes on, so that every offending import is listed.
      return { path: args.path, external: true };
    });
  },
});

const browserBundle = async (options: {
  entryPoints?: string[];
  stdin?: { contents: string; resolveDir: string; loader: "ts" };
}) => {
  const imported: string[] = [];
  const result = await build({
    ...options,
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
    external: ["@tensorflow/*", "fast-check"],
    plugins: [browserTwins(), recordBuiltins(imported)],
  }).catch((error: { errors?: { text: string }[] }) => {
    throw new Error(`bundling failed: ${(error.errors ?? []).map((e) => e.text).join("; ")}`);
  });
  return { imported, result };
};

for (const [entry, file] of entries) {
  describe(`${entry} in a browser bundle`, () => {
    it("bundles with esbuild --platform=browser (the browser twins swapped in) and imports no Node built-in", async () => {
      const { imported, result } = await browserBundle({ entryPoints: [resolve(repo, file)] });
      assert.deepEqual(
        imported,
        [],
        `Node built-ins reached from ${entry} (import them through src/platform/node.ts, whose browser twin has none)`,
      );
      assert.ok((result.outputFiles[0]?.text.length ?? 0) > 1000, "a bundle came out");
      // The swap happened: no Node-side module of a twin is in the bundle.
      const inputs = Object.keys(result.metafile.inputs);
      assert.deepEqual(
        inputs.filter((p) =>
          /src\/platform\/node\.ts$|src\/restoration\/io\/png-codec\.ts$|node_modules\/pngjs\/lib\//.test(p),
        ),
        [],
      );
    });
  });
}

describe("the browser builds, run without Node's Buffer", () => {
  // The bundle is written under node_modules/.cache so that the external tfjs packages resolve.
  const dir = join(repo, "node_modules", ".cache", "art-mtl-browser-bundle-test");
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("decode/encode images, degrade, score, render the report, train a step and checkpoint through memory; Node-only calls throw NodeOnlyError naming themselves", async () => {
    const { imported, result } = await browserBundle({
      stdin: {
        resolveDir: repo,
        loader: "ts",
        contents: `
          export * as kit from "./src/restoration/index.ts";
          export * as adapter from "./src/tfjs/index.ts";
          export * as core from "./src/index.ts";`,
      },
    });
    assert.deepEqual(imported, []);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "browser.mjs"), result.outputFiles[0]?.text ?? "");
    writeFileSync(
      join(dir, "smoke.mjs"),
      `
      const tf = await import("@tensorflow/tfjs-core");
      await import("@tensorflow/tfjs-backend-cpu");
      await import("@tensorflow/tfjs-layers"); // registers tfjs-core's gradients
      await tf.setBackend("cpu");
      delete globalThis.Buffer; // a browser has none
      const { kit, adapter, core } = await import("./browser.mjs");
      const out = {};
      const clean = kit.proceduralImage(core.Rng.seeded(3), 32, 24);
      const png = kit.encodePng(clean);
      const back = kit.decodePng(png, "memory.png");
      out.png = [back.width, back.height, kit.psnr(back, clean, { convention: "basicsr" }) > 50, Array.from(png.subarray(0, 8))];
      const jpeg = kit.decodeImage(kit.encodeJpeg(clean, 60), "memory.jpg");
      out.jpeg = [jpeg.width, jpeg.height, kit.psnr(jpeg, clean, { convention: "basicsr" }) > 20];
      out.degrade = kit.MIOIR_TASKS.map((task) => kit.degrade(task, clean, core.Rng.seeded(1)).image.width);
      const grid = { source: "s", rows: [{ task: "noise", name: "n", input: clean, inputPsnr: 20, target: clean, outputs: [{ label: "a", image: clean, psnr: 30 }] }] };
      out.report = kit.sampleGridHtml(grid).includes("data:image/png;base64," + btoa(String.fromCharCode(...png)));
      const stream = kit.streamBatches({ tasks: ["noise", "blur"], batchSize: 2, patchSize: 16, seed: 1 }, {}, { from: 0, to: 2 });
      out.stream = [stream.mode, (await stream.next()).shape];
      await stream.close();
      const errors = {};
      const capture = async (name, run) => { try { await run(); errors[name] = "no error"; } catch (e) { errors[name] = e instanceof adapter.NodeOnlyError ? e.feature : String(e); } };
      await capture("readImage", () => kit.readImage("a.png"));
      await capture("writePng", () => kit.writePng("a.png", clean));
      await capture("pretrainedCheckpoint", () => kit.pretrainedCheckpoint());
      await capture("imageFolderSource", () => kit.imageFolderSource("data"));
      await capture("trainRun", () => kit.trainRun({ config: {} }));
      await capture("worker", () => kit.streamBatches({ tasks: ["noise"], batchSize: 1, patchSize: 8, seed: 1 }, {}, { from: 0, to: 1, mode: "worker" }));
      await capture("fileCheckpointStore", () => adapter.fileCheckpointStore("ckpt"));
      const model = () => kit.createModel(tf, { kind: "srresnet", width: 4, blocks: 1 }, { seed: 1 });
      const make = () => adapter.createTrainer({ tf, model: model(), optimizer: tf.train.momentum(0.05, 0.9), weighting: core.art(), numTasks: 2 });
      const trainer = make();
      await trainer.step(tf.fill([2, 8, 8, 3], 0.5), tf.fill([2, 8, 8, 3], 0.45), [0, 1]);
      await capture("saveCheckpoint", () => adapter.saveCheckpoint(trainer, "ckpt"));
      const store = adapter.memoryCheckpointStore();
      await adapter.saveCheckpoint(trainer, store, { note: "browser" });
      const fresh = make();
      const loaded = await adapter.loadCheckpoint(fresh, store);
      const same = await Promise.all(trainer.checkpointVariables.map(async (v, i) => String(await v.data()) === String(await fresh.checkpointVariables[i].data())));
      const files = store.files();
      const untarred = adapter.checkpointFromTar(store.toTar());
      out.checkpoint = [loaded.step, loaded.metadata, same.every(Boolean), files.has("manifest.json") && untarred.size === files.size && [...files].every(([name, bytes]) => String(untarred.get(name)) === String(bytes))];
      out.errors = errors;
      out.buffer = typeof globalThis.Buffer;
      console.log(JSON.stringify(out));
      `,
    );
    const run = spawnSync(process.execPath, [join(dir, "smoke.mjs")], { encoding: "utf8", timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim().split("\n").pop() as string);
    assert.deepEqual(out.png, [32, 24, true, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]]);
    assert.deepEqual(out.jpeg, [32, 24, true]);
    assert.deepEqual(out.degrade, [32, 32, 32, 32, 32, 32, 32]);
    assert.equal(out.report, true);
    assert.deepEqual(out.stream, ["thread", [2, 16, 16, 3]]);
    assert.deepEqual(out.checkpoint, [1, { note: "browser" }, true, true]);
    assert.deepEqual(out.errors, {
      readImage: "readImage",
      writePng: "writePng",
      pretrainedCheckpoint: "pretrainedRunDir / pretrainedCheckpoint / pretrainedModelDir",
      imageFolderSource: "imageFolderSource",
      trainRun: "trainRun (a run directory)",
      worker: 'streamBatches with mode "worker"',
      fileCheckpointStore: "fileCheckpointStore",
      saveCheckpoint: "saveCheckpoint with a directory path",
    });
    assert.equal(out.buffer, "undefined");
  });
});
