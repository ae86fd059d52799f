import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";

import * as tfl from "@tensorflow/tfjs-layers"; // also registers tfjs-core's gradients

import { art } from "../../src/core/index.js";
import { canonicalCheckpointJson } from "../../src/tfjs/checkpoint/save-load.js";
import {
  AdapterError,
  createTrainer,
  loadCheckpoint,
  memoryCheckpointStore,
  readCheckpointManifest,
  saveCheckpoint,
  type FunctionModel,
  type Trainer,
} from "../../src/tfjs/index.js";
import { assertAllClose } from "../support/all-close.js";
import {
  fixedBatches,
  runSteps as runBatches,
  tinyLayersModel as sharedTinyLayersModel,
  tinyModel as sharedTinyModel,
} from "../support/tfjs-fixtures.js";

const tinyModel = (): FunctionModel => sharedTinyModel(tf);
const tinyLayersModel = (): tfl.LayersModel => sharedTinyLayersModel(tfl);

/** Six fixed batches (the same data for the straight and the resumed run). */
const batches = fixedBatches(tf, 6, 200, 300);
const runSteps = <S>(trainer: Trainer<S>, from: number, to: number): Promise<void> =>
  runBatches(trainer, batches, from, to);
const values = async <S>(trainer: Trainer<S>): Promise<Float32Array[]> =>
  Promise.all(trainer.checkpointVariables.map(async (v) => (await v.data()) as Float32Array));

/** A manifest with its top-level checksum recomputed (what a forger, or a test of the checks behind the checksum, does). */
const reseal = (manifest: Record<string, unknown>): Record<string, unknown> => {
  const { sha256: _old, ...content } = manifest;
  return { ...content, sha256: createHash("sha256").update(canonicalCheckpointJson(content)).digest("hex") };
};
/** A v2 manifest as version 1 wrote it: no positions, sums {trainer, metadata}. */
const toV1 = (manifest: Record<string, unknown>): Record<string, unknown> => {
  const { sha256: _sum, ...rest } = manifest;
  const strip = (list: unknown) => (list as Record<string, unknown>[]).map(({ index: _index, ...entry }) => entry);
  const sha = (v: unknown) => createHash("sha256").update(JSON.stringify(v)).digest("hex");
  return {
    ...rest,
    version: 1,
    model: strip(rest.model),
    optimizer: strip(rest.optimizer),
    sha256: { trainer: sha(rest.trainer), metadata: sha(rest.metadata ?? null) },
  };
};

describe("checkpoints", () => {
  let root = "";
  before(async () => {
    await tf.setBackend("cpu");
    root = await mkdtemp(join(tmpdir(), "art-mtl-ckpt-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const cases = [
    { label: "function model, exact, adam", layers: false, lagged: false },
    { label: "function model, lagged, adam", layers: false, lagged: true },
    { label: "LayersModel, exact, adam", layers: true, lagged: false },
  ];
  for (const { label, layers, lagged } of cases) {
    it(`6 straight steps equal 3 + save + load into fresh objects + 3 (${label})`, async () => {
      const make = () => {
        const model = layers ? tinyLayersModel() : tinyModel();
        return createTrainer({ tf, model, optimizer: tf.train.adam(1e-2), weighting: art(), numTasks: 3, lagged });
      };
      const straight = make();
      await runSteps(straight, 0, 6);
      const expected = await values(straight);

      const first = make();
      await runSteps(first, 0, 3);
      const dir = join(root, `ckpt-${layers}-${lagged}`);
      await saveCheckpoint(first, dir, { note: "halfway", epoch: 0 });
      const resumed = make();
      const loaded = await loadCheckpoint(resumed, dir);
      assert.equal(loaded.step, 3);
      assert.deepEqual(loaded.metadata, { note: "halfway", epoch: 0 });
      assert.deepEqual(resumed.weightingState, first.weightingState);
      await runSteps(resumed, 3, 6);
      assert.equal(resumed.stepCount, 6);
      assert.deepEqual(resumed.weightingState, straight.weightingState);
      const got = await values(resumed);
      // Bit for bit: Adam's running beta products are restored as the steps made them (restoreAdamAccumulators),
      // not recomputed with pow as tfjs' setWeights does (that left ~1e-7, which training then amplified).
      expected.forEach((e, i) => assertAllClose(got[i] as Float32Array, e, { rtol: 0, atol: 0 }, `variable ${i}`));
    });
  }

  it("is bit-exact with SGD", async () => {
    const make = () =>
      createTrainer({ tf, model: tinyModel(), optimizer: tf.train.momentum(0.05, 0.9), weighting: art(), numTasks: 3 });
    const straight = make();
    await runSteps(straight, 0, 4);
    const first = make();
    await runSteps(first, 0, 2);
    const dir = join(root, "sgd");
    await saveCheckpoint(first, dir);
    const resumed = make();
    await loadCheckpoint(resumed, dir);
    await runSteps(resumed, 2, 4);
    const [e, g] = [await values(straight), await values(resumed)];
    e.forEach((v, i) => assert.deepEqual(Array.from(g[i] as Float32Array), Array.from(v), `variable ${i}`));
  });

  it("writes atomically: a new save replaces the old only when complete; a crash mid-swap is recovered", async () => {
    const trainer = createTrainer({
      tf,
      model: tinyModel(),
      optimizer: tf.train.adam(1e-2),
      weighting: art(),
      numTasks: 3,
    });
    const dir = join(root, "atomic");
    await runSteps(trainer, 0, 1);
    await saveCheckpoint(trainer, dir, { n: 1 });
    await runSteps(trainer, 1, 2);
    await saveCheckpoint(trainer, dir, { n: 2 });
    assert.deepEqual(
      (await readdir(root)).filter((n) => n.startsWith("atomic")),
      ["atomic"],
    );
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    assert.equal(manifest.step, 2);
    assert.equal(manifest.model.length, 3);
    assert.deepEqual(manifest.metadata, { n: 2 });

    // A crash after the old checkpoint moved aside but before the new one moved in: DIR.previous is read.
    await rename(dir, `${dir}.previous`);
    await cp(`${dir}.previous`, `${dir}.partial-1-1`, { recursive: true });
    await rm(join(`${dir}.partial-1-1`, "manifest.json"));
    const recovered = await readCheckpointManifest(dir);
    assert.equal(recovered?.directory, `${dir}.previous`);
    const fresh = createTrainer({
      tf,
      model: tinyModel(),
      optimizer: tf.train.adam(1e-2),
      weighting: art(),
      numTasks: 3,
    });
    assert.equal((await loadCheckpoint(fresh, dir)).step, 2);
    // The next save cleans up the leftovers and keeps exactly one checkpoint.
    await saveCheckpoint(fresh, dir, { n: 3 });
    assert.deepEqual(
      (await readdir(root)).filter((n) => n.startsWith("atomic")),
      ["atomic"],
    );
  });

  it("rejects a checkpoint that does not fit, with a clear error", async () => {
    const trainer = createTrainer({
      tf,
      model: tinyModel(),
      optimizer: tf.train.adam(1e-2),
      weighting: art(),
      numTasks: 3,
    });
    const dir = join(root, "fit");
    await runSteps(trainer, 0, 1);
    await saveCheckpoint(trainer, dir);
    const wider = createTrainer({
      tf,
      model: tinyLayersModel(),
      optimizer: tf.train.adam(1e-2),
      weighting: art(),
      numTasks: 3,
    });
    await assert.rejects(
      loadCheckpoint(wider, dir),
      (e: unknown) => e instanceof AdapterError && e.kind === "checkpoint" && /variables|shape|\[/.test(e.message),
    );
    const fourTasks = createTrainer({
      tf,
      model: tinyModel(),
      optimizer: tf.train.adam(1e-2),
      weighting: art(),
      numTasks: 4,
    });
    await assert.rejects(
      loadCheckpoint(fourTasks, dir),
      (e: unknown) => e instanceof AdapterError && /3 tasks, not 4|numTasks/.test(e.message),
    );
    await assert.rejects(loadCheckpoint(trainer, join(root, "missing")), /no complete checkpoint/);
    await writeFile(join(dir, "model", "0000.bin"), new Uint8Array(3));
    await assert.rejects(loadCheckpoint(trainer, dir), /expected 432 bytes/);
  });
  it("rejects a lagged checkpoint in an exact trainer (and the reverse), naming both modes", async () => {
    const lagged = createTrainer({
      tf,
      model: tinyModel(),
      optimizer: tf.train.adam(1e-2),
      weighting: art(),
      numTasks: 3,
      lagged: true,
    });
    const dir = join(root, "lagged-mode");
    await runSteps(lagged, 0, 1);
    await lagged.flush();
    await saveCheckpoint(lagged, dir);
    const exact = createTrainer({
      tf,
      model: tinyModel(),
      optimizer: tf.train.adam(1e-2),
      weighting: art(),
      numTasks: 3,
    });
    await assert.rejects(
      loadCheckpoint(exact, dir),
      (e: unknown) =>
        e instanceof AdapterError &&
        e.kind === "checkpoint" &&
        /saved in lagged mode, this trainer is in exact mode/.test(e.message),
    );
    assert.equal(exact.stepCount, 0);
    const exactDir = join(root, "exact-mode");
    await saveCheckpoint(exact, exactDir);
    const lagged2 = createTrainer({
      tf,
      model: tinyModel(),
      optimizer: tf.train.adam(1e-2),
      weighting: art(),
      numTasks: 3,
      lagged: true,
    });
    await assert.rejects(loadCheckpoint(lagged2, exactDir), /saved in exact mode, this trainer is in lagged mode/);
  });
  it("names a missing tensor file as an incomplete checkpoint", async () => {
    const trainer = createTrainer({
      tf,
      model: tinyModel(),
      optimizer: tf.train.adam(1e-2),
      weighting: art(),
      numTasks: 3,
    });
    const dir = join(root, "missing-bin");
    await saveCheckpoint(trainer, dir);
    await rm(join(dir, "model", "0001.bin"));
    await assert.rejects(
      loadCheckpoint(trainer, dir),
      (e: unknown) => e instanceof AdapterError && e.kind === "checkpoint" && /0001\.bin: missing/.test(e.message),
    );
  });

  describe("integrity: a checkpoint cannot rot silently", () => {
    /** A fresh checkpoint of a trained step, and a trainer to load it into whose weights we can watch. */
    const saved = async (name: string) => {
      const trainer = createTrainer({
        tf,
        model: tinyModel(),
        optimizer: tf.train.adam(1e-2),
        weighting: art(),
        numTasks: 3,
      });
      await runSteps(trainer, 0, 1);
      const dir = join(root, name);
      await saveCheckpoint(trainer, dir, { note: "kept" });
      const fresh = createTrainer({
        tf,
        model: tinyModel(),
        optimizer: tf.train.adam(1e-2),
        weighting: art(),
        numTasks: 3,
      });
      return { dir, fresh, before: await values(fresh) };
    };
    const refuses = async (fresh: Trainer<unknown>, dir: string, pattern: RegExp, before: Float32Array[]) => {
      await assert.rejects(
        loadCheckpoint(fresh, dir),
        (e: unknown) => e instanceof AdapterError && e.kind === "checkpoint" && pattern.test(e.message),
      );
      assert.deepEqual(await values(fresh), before, "the trainer is untouched");
      assert.equal(fresh.stepCount, 0);
    };

    it("records a SHA-256 and the position of every tensor file, and a required SHA-256 over the whole manifest (format v2)", async () => {
      const { dir } = await saved("sums");
      const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Record<string, unknown> & {
        version: number;
        model: { index: number; sha256: string }[];
        optimizer: { index: number; sha256: string }[];
        sha256: string;
      };
      assert.equal(manifest.version, 2);
      for (const list of [manifest.model, manifest.optimizer])
        list.forEach((entry, i) => (assert.match(entry.sha256, /^[0-9a-f]{64}$/), assert.equal(entry.index, i)));
      const { sha256, ...content } = manifest;
      assert.equal(sha256, createHash("sha256").update(canonicalCheckpointJson(content)).digest("hex"));
    });

    it("refuses a tensor file with one byte changed (a finite weight become another), naming the file", async () => {
      const { dir, fresh, before } = await saved("one-byte");
      const file = join(dir, "model", "0000.bin");
      const bytes = await readFile(file);
      bytes[0] = (bytes[0] as number) ^ 0x01; // lowest mantissa bit of the first float: still finite
      assert.ok(Number.isFinite(new Float32Array(bytes.buffer, bytes.byteOffset, 1)[0]));
      await writeFile(file, bytes);
      await refuses(fresh as Trainer<unknown>, dir, /model\/0000\.bin: checksum mismatch/, before);
    });

    it("refuses an optimizer file changed, a truncated file and a changed weighting state", async () => {
      const optimizer = await saved("optimizer-byte");
      const optFile = join(optimizer.dir, "optimizer", "0001.bin");
      const bytes = await readFile(optFile);
      bytes[4] = (bytes[4] as number) ^ 0x01;
      await writeFile(optFile, bytes);
      await refuses(
        optimizer.fresh as Trainer<unknown>,
        optimizer.dir,
        /optimizer\/0001\.bin: checksum mismatch/,
        optimizer.before,
      );

      const truncated = await saved("truncated");
      const file = join(truncated.dir, "model", "0002.bin");
      await writeFile(file, (await readFile(file)).subarray(0, 8));
      await refuses(
        truncated.fresh as Trainer<unknown>,
        truncated.dir,
        /model\/0002\.bin: expected \d+ bytes .* found 8/,
        truncated.before,
      );

      const state = await saved("state");
      const manifestFile = join(state.dir, "manifest.json");
      const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as { trainer: { laggedWeights: number[] } };
      manifest.trainer.laggedWeights[0] = 0.5;
      await writeFile(manifestFile, JSON.stringify(manifest));
      await refuses(
        state.fresh as Trainer<unknown>,
        state.dir,
        /manifest\.json: the manifest does not match its checksum "sha256"/,
        state.before,
      );
    });

    it("refuses a non-finite weight even when its checksum matches (the model diverged before saving)", async () => {
      const { dir, fresh, before } = await saved("nan");
      const manifestFile = join(dir, "manifest.json");
      const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as {
        model: { file: string; sha256?: string }[];
      };
      const entry = manifest.model[2] as { file: string; sha256?: string };
      const bytes = await readFile(join(dir, entry.file));
      new DataView(bytes.buffer, bytes.byteOffset).setFloat32(4, Number.NaN, true);
      await writeFile(join(dir, entry.file), bytes);
      entry.sha256 = createHash("sha256").update(bytes).digest("hex");
      await writeFile(manifestFile, JSON.stringify(reseal(manifest)));
      await refuses(fresh as Trainer<unknown>, dir, /model\/0002\.bin: non-finite value NaN at index 1/, before);
    });

    it("loads a version 1 checkpoint only when asked (allowUnverifiedV1), and says how in the refusal", async () => {
      const { dir, fresh, before } = await saved("legacy");
      const manifestFile = join(dir, "manifest.json");
      const v1 = toV1(JSON.parse(await readFile(manifestFile, "utf8")) as Record<string, unknown>);
      delete v1.sha256;
      for (const entry of [...(v1.model as Record<string, unknown>[]), ...(v1.optimizer as Record<string, unknown>[])])
        delete entry.sha256;
      await writeFile(manifestFile, JSON.stringify(v1));
      await refuses(
        fresh as Trainer<unknown>,
        dir,
        /a version 1 checkpoint .*allowUnverifiedV1: true.*upgradeCheckpoint/,
        before,
      );
      const loaded = await loadCheckpoint(fresh, dir, { allowUnverifiedV1: true });
      assert.equal(loaded.step, 1);
      assert.equal(loaded.verified, false);
    });

    describe("format v2: each defect of issue 21 is refused with one line", () => {
      const manifestOf = async (dir: string) =>
        JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Record<string, unknown> & {
          model: Record<string, unknown>[];
          optimizer: Record<string, unknown>[];
        };
      const flipFirst = async (dir: string, text: string, bit: number, occurrence = 0) => {
        const file = join(dir, "manifest.json");
        const bytes = await readFile(file);
        let at = -1;
        for (let k = 0; k <= occurrence; k++) at = bytes.indexOf(text, at + 1);
        assert.ok(at >= 0, text);
        bytes[at + 1] = (bytes[at + 1] as number) ^ (1 << bit);
        await writeFile(file, bytes);
      };
      const oneLine = (pattern: RegExp) => (e: unknown) =>
        e instanceof AdapterError && e.kind === "checkpoint" && !e.message.includes("\n") && pattern.test(e.message);

      it('a flipped bit in the "step" key (was: loaded as step undefined)', async () => {
        const { dir, fresh, before } = await saved("flip-step-key");
        await flipFirst(dir, '"step"', 0); // "step" -> "rtep"
        await refuses(
          fresh as Trainer<unknown>,
          dir,
          /manifest\.json: the manifest does not match its checksum "sha256"/,
          before,
        );
      });
      it("a changed step value, with or without the manifest checksum recomputed (was: the step was under no checksum)", async () => {
        const { dir, fresh, before } = await saved("step-value");
        const manifest = await manifestOf(dir);
        manifest.step = 2;
        await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest));
        await refuses(fresh as Trainer<unknown>, dir, /does not match its checksum/, before);
        await writeFile(join(dir, "manifest.json"), JSON.stringify(reseal(manifest)));
        await refuses(fresh as Trainer<unknown>, dir, /"trainer\.step" \(1\) differs from "step" \(2\)/, before);
      });
      it('a flipped bit in a "sha256" key (was: that file\'s check turned off)', async () => {
        const { dir, fresh, before } = await saved("flip-sum-key");
        const file = join(dir, "manifest.json");
        const text = await readFile(file, "utf8");
        await writeFile(file, text.replace('"sha256"', '"sha254"')); // '6' ^ 0x02 = '4': one bit
        await refuses(fresh as Trainer<unknown>, dir, /does not match its checksum/, before);
        await writeFile(
          file,
          JSON.stringify(reseal(JSON.parse(text.replace('"sha256"', '"sha254"')) as Record<string, unknown>)),
        );
        await refuses(
          fresh as Trainer<unknown>,
          dir,
          /model\[0\]: "sha256" \(the checksum of model\/0000\.bin\) must be 64 lowercase hex digits/,
          before,
        );
        const top = JSON.parse(text) as Record<string, unknown>;
        delete top.sha256;
        await writeFile(file, JSON.stringify(top));
        await refuses(fresh as Trainer<unknown>, dir, /the manifest's checksum "sha256" is missing/, before);
      });
      it("two same-shape tensor files swapped with their sums, and two entries swapped (was: loaded silently)", async () => {
        const { dir, fresh, before } = await saved("swap");
        const manifest = await manifestOf(dir);
        // Adam's m and v of the first variable: the same shape.
        const [m, v] = [
          manifest.optimizer[1] as { file: string; sha256: string; shape: number[] },
          manifest.optimizer[4] as { file: string; sha256: string; shape: number[] },
        ];
        assert.deepEqual(m.shape, v.shape);
        await rename(join(dir, m.file), join(dir, "tmp.bin"));
        await rename(join(dir, v.file), join(dir, m.file));
        await rename(join(dir, "tmp.bin"), join(dir, v.file));
        await refuses(fresh as Trainer<unknown>, dir, /optimizer\/0001\.bin: checksum mismatch/, before);
        [m.sha256, v.sha256] = [v.sha256, m.sha256];
        await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest));
        await refuses(fresh as Trainer<unknown>, dir, /does not match its checksum/, before);
        const swapped = await manifestOf(dir);
        [swapped.optimizer[1], swapped.optimizer[4]] = [
          swapped.optimizer[4] as Record<string, unknown>,
          swapped.optimizer[1] as Record<string, unknown>,
        ];
        await writeFile(join(dir, "manifest.json"), JSON.stringify(reseal(swapped)));
        await refuses(
          fresh as Trainer<unknown>,
          dir,
          /optimizer\[1\]: "index" is 4, not its position 1 \(entries swapped or moved\)/,
          before,
        );
      });
      it("every sum deleted (was: loaded silently)", async () => {
        const { dir, fresh, before } = await saved("no-sums");
        const manifest = await manifestOf(dir);
        delete manifest.sha256;
        for (const entry of [...manifest.model, ...manifest.optimizer]) delete entry.sha256;
        await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest));
        await refuses(fresh as Trainer<unknown>, dir, /the manifest's checksum "sha256" is missing/, before);
      });
      it("the optimizer's iteration count re-typed float32 is refused from the manifest alone, before any tensor file is read (was: loaded silently)", async () => {
        const { dir, fresh, before } = await saved("iter-float");
        const manifest = await manifestOf(dir);
        (manifest.optimizer[0] as { dtype: string }).dtype = "float32";
        await writeFile(join(dir, "manifest.json"), JSON.stringify(reseal(manifest)));
        // No tensor file at all: the structure is checked first.
        await rm(join(dir, "model"), { recursive: true });
        await rm(join(dir, "optimizer"), { recursive: true });
        await assert.rejects(
          loadCheckpoint(fresh, dir),
          oneLine(
            /optimizer\[0\] must be the optimizer's iteration count "iter", int32 \[\] \(got "iter", float32 \[\]\)/,
          ),
        );
        assert.deepEqual(await values(fresh), before);
      });
      it("an Adam checkpoint into a momentum trainer is refused by its structure, naming the optimizer", async () => {
        const { dir } = await saved("adam-into-momentum");
        const momentum = createTrainer({
          tf,
          model: tinyModel(),
          optimizer: tf.train.momentum(0.1, 0.9),
          weighting: art(),
          numTasks: 3,
        });
        await assert.rejects(
          loadCheckpoint(momentum, dir),
          oneLine(
            /6 optimizer slot tensors; Momentum keeps 1 \(momentum\) per trainable variable, 3 for this model's 3/,
          ),
        );
      });
      it(
        "a tensor file that is a symlink to /dev/zero or a FIFO is refused at once (was: 15 GB read, or a hang)",
        { skip: process.platform !== "linux", timeout: 20_000 },
        async () => {
          const { dir, fresh, before } = await saved("special");
          await rm(join(dir, "model", "0000.bin"));
          await symlink("/dev/zero", join(dir, "model", "0000.bin"));
          await refuses(
            fresh as Trainer<unknown>,
            dir,
            /model\/0000\.bin: is a symbolic link; a checkpoint file must be a regular file/,
            before,
          );
          await rm(join(dir, "model", "0000.bin"));
          execFileSync("mkfifo", [join(dir, "model", "0000.bin")]);
          await refuses(
            fresh as Trainer<unknown>,
            dir,
            /model\/0000\.bin: is a FIFO; a checkpoint file must be a regular file/,
            before,
          );
          await rm(join(dir, "model", "0000.bin"));
          await mkdir(join(dir, "model", "0000.bin"));
          await refuses(fresh as Trainer<unknown>, dir, /model\/0000\.bin: is a directory/, before);
        },
      );
      it("a tensor file of the wrong length is refused before it is read, in the memory store too", async () => {
        const { dir, fresh, before } = await saved("length");
        const files = new Map<string, Uint8Array>();
        for (const name of [
          "manifest.json",
          ...(await manifestOf(dir)).model.map((e) => e.file as string),
          ...(await manifestOf(dir)).optimizer.map((e) => e.file as string),
        ])
          files.set(name, await readFile(join(dir, name)));
        files.set("model/0001.bin", new Uint8Array(1 << 20));
        await assert.rejects(
          loadCheckpoint(fresh, memoryCheckpointStore(files)),
          oneLine(/memory\/model\/0001\.bin: expected 16 bytes for its entry's shape, found 1048576/),
        );
        assert.deepEqual(await values(fresh), before);
      });
    });
  });
});
