/**
 * Checkpoint stores: the same checkpoint format through a directory (Node), memory (with its tar
 * export/import) and IndexedDB (a small in-memory fake here; a real browser elsewhere). A
 * checkpoint written to a directory and read back through memory from the files' bytes resumes
 * exactly as the directory does; integrity checks name the file in every store; SHA-256 is the
 * same with WebCrypto, without it, and in node:crypto.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import { art } from "../../src/core/index.js";
import { sha256HexSync } from "../../src/platform/sha256.js";
import { checkCheckpointFileName } from "../../src/tfjs/checkpoint/store.js";
import {
  AdapterError,
  checkpointFromTar,
  checkpointToTar,
  copyCheckpoint,
  createTrainer,
  fileCheckpointStore,
  indexedDbCheckpointStore,
  listIndexedDbCheckpoints,
  loadCheckpoint,
  memoryCheckpointStore,
  readCheckpointManifest,
  saveCheckpoint,
  sha256Hex,
  type CheckpointStore,
  type Trainer,
} from "../../src/tfjs/index.js";
import { FakeIndexedDb } from "../support/fake-indexeddb.js";
import { fixedBatches, runSteps as runBatches, tinyModel } from "../support/tfjs-fixtures.js";

// SGD with momentum: resuming is bit-exact (Adam's recomputed bias correction may differ in the last ulp).
const make = () =>
  createTrainer({ tf, model: tinyModel(tf), optimizer: tf.train.momentum(0.05, 0.9), weighting: art(), numTasks: 3 });

const batches = fixedBatches(tf, 4, 400, 500);
const runSteps = <S>(trainer: Trainer<S>, from: number, to: number): Promise<void> =>
  runBatches(trainer, batches, from, to);
/** Every model variable's values, and the optimizer's, as plain arrays. */
const snapshot = async <S>(trainer: Trainer<S>): Promise<number[][]> => {
  const model = await Promise.all(trainer.checkpointVariables.map(async (v) => Array.from(await v.data())));
  const weights = await trainer.optimizer.getWeights();
  const optimizer = await Promise.all(weights.map(async (w) => Array.from(await w.tensor.data())));
  return [...model, ...optimizer];
};

/** The files of a directory, by `/`-separated relative name. */
const filesOf = async (dir: string): Promise<Map<string, Uint8Array>> => {
  const out = new Map<string, Uint8Array>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(relative(dir, path).split(sep).join("/"), new Uint8Array(await readFile(path)));
  }
  return out;
};

/** Resuming from `store` after 2 of 4 steps gives the same model and optimizer as 4 straight steps. */
const resumesExactly = async (save: (t: Trainer<unknown>) => Promise<CheckpointStore | string>): Promise<void> => {
  const straight = make();
  await runSteps(straight, 0, 4);
  const first = make();
  await runSteps(first, 0, 2);
  const location = await save(first as Trainer<unknown>);
  const resumed = make();
  const loaded = await loadCheckpoint(resumed, location);
  assert.equal(loaded.step, 2);
  assert.deepEqual(loaded.metadata, { note: "half" });
  assert.deepEqual(resumed.weightingState, first.weightingState);
  await runSteps(resumed, 2, 4);
  assert.deepEqual(resumed.weightingState, straight.weightingState);
  assert.deepEqual(await snapshot(resumed), await snapshot(straight));
};

describe("checkpoint stores", () => {
  let root = "";
  before(async () => {
    await tf.setBackend("cpu");
    root = await mkdtemp(join(tmpdir(), "art-mtl-stores-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("a checkpoint written to a directory and read through memory (its files' bytes copied) resumes exactly as the directory does", async () => {
    const dir = join(root, "to-memory");
    let viaDirectory: number[][] = [];
    await resumesExactly(async (trainer) => {
      await saveCheckpoint(trainer, dir, { note: "half" });
      return dir;
    });
    // The same checkpoint through memory: same manifest, same resumed run.
    await resumesExactly(async (trainer) => {
      await saveCheckpoint(trainer, dir, { note: "half" });
      const files = await filesOf(dir);
      assert.deepEqual(
        [...files.keys()].filter((f) => !f.endsWith(".bin")),
        ["manifest.json"],
      );
      const store = memoryCheckpointStore(files);
      assert.deepEqual((await readCheckpointManifest(store))?.manifest, (await readCheckpointManifest(dir))?.manifest);
      const fromDir = make();
      await loadCheckpoint(fromDir, dir);
      viaDirectory = await snapshot(fromDir);
      return store;
    });
    assert.ok(viaDirectory.length > 3);
  });

  it("memory → tar → `tar -xf` → loadCheckpoint(directory), and `tar -cf` of a directory → checkpointFromTar → memory, both resume exactly", async () => {
    // Written in memory, downloaded as one tar, unpacked by the system's tar, loaded by path.
    await resumesExactly(async (trainer) => {
      const store = memoryCheckpointStore();
      await saveCheckpoint(trainer, store, { note: "half" });
      const tar = store.toTar();
      assert.equal(tar.length % 512, 0);
      const out = join(root, "untarred");
      await mkdir(out, { recursive: true });
      await writeFile(join(out, "ckpt.tar"), tar);
      execFileSync("tar", ["-xf", "ckpt.tar"], { cwd: out });
      assert.deepEqual(await filesOf(join(out, "checkpoint")), store.files());
      return join(out, "checkpoint");
    });
    // A directory packed by the system's tar (names like ./model/0000.bin), unpacked here.
    await resumesExactly(async (trainer) => {
      const dir = join(root, "packed");
      await saveCheckpoint(trainer, dir, { note: "half" });
      execFileSync("tar", ["-cf", join(root, "packed.tar"), "."], { cwd: dir });
      const files = checkpointFromTar(await readFile(join(root, "packed.tar")));
      assert.deepEqual(files, await filesOf(dir));
      return memoryCheckpointStore(files);
    });
  });

  it("tar: the same files give the same archive; a folder is stripped; damage is refused", () => {
    const files = { "manifest.json": new TextEncoder().encode("{}\n"), "model/0000.bin": Uint8Array.of(1, 2, 3, 4) };
    const a = checkpointToTar(files);
    assert.deepEqual(checkpointToTar(new Map(Object.entries(files).reverse())), a);
    assert.deepEqual(checkpointFromTar(a), new Map(Object.entries(files)));
    assert.deepEqual(checkpointFromTar(checkpointToTar(files, { directory: "" })), new Map(Object.entries(files)));
    const damaged = a.slice();
    damaged[0] = (damaged[0] as number) ^ 0x20;
    assert.throws(
      () => checkpointFromTar(damaged),
      (e: unknown) => e instanceof AdapterError && /damaged header at byte 0/.test(e.message),
    );
    assert.throws(() => checkpointFromTar(a.subarray(0, 1024 + 100)), /cut short/);
    for (const bad of ["", "/abs", "a/../b", "a//b", "a\\b", "./a"])
      assert.throws(() => checkCheckpointFileName(bad), AdapterError, bad);
  });

  it("refuses a changed, truncated or missing file read through memory, naming the file", async () => {
    const trainer = make();
    await runSteps(trainer, 0, 1);
    const store = memoryCheckpointStore();
    await saveCheckpoint(trainer, store);
    const good = store.files();
    const load = (files: ReadonlyMap<string, Uint8Array>) => loadCheckpoint(make(), memoryCheckpointStore(files));
    const changed = new Map<string, Uint8Array>(good);
    const bytes = (good.get("model/0000.bin") as Uint8Array).slice();
    bytes[0] = (bytes[0] as number) ^ 0x01;
    changed.set("model/0000.bin", bytes);
    await assert.rejects(
      load(changed),
      (e: unknown) =>
        e instanceof AdapterError &&
        e.kind === "checkpoint" &&
        /^memory\/model\/0000\.bin: checksum mismatch/.test(e.message),
    );
    const truncated = new Map<string, Uint8Array>(good);
    truncated.set("optimizer/0001.bin", (good.get("optimizer/0001.bin") as Uint8Array).subarray(0, 8));
    await assert.rejects(load(truncated), /memory\/optimizer\/0001\.bin: expected \d+ bytes .* found 8/);
    const missing = new Map(good);
    missing.delete("model/0002.bin");
    await assert.rejects(load(missing), /memory\/model\/0002\.bin: missing/);
    const noManifest = new Map(good);
    noManifest.delete("manifest.json");
    await assert.rejects(load(noManifest), /no complete checkpoint at memory/);
    await assert.rejects(loadCheckpoint(make(), memoryCheckpointStore()), /no complete checkpoint at memory/);
    assert.equal((await loadCheckpoint(make(), memoryCheckpointStore(good))).step, 1);
  });

  it("a store keeps the old checkpoint until a save commits; a failed save leaves it (directory: no partial left)", async () => {
    const trainer = make();
    await runSteps(trainer, 0, 1);
    const dir = join(root, "failed-save");
    const memory = memoryCheckpointStore();
    for (const location of [dir, memory] as const) await saveCheckpoint(trainer, location, { n: 1 });
    await runSteps(trainer, 1, 2);
    // A metadata value JSON cannot hold fails the save after the tensor files are written.
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const location of [dir, memory] as const) {
      await assert.rejects(saveCheckpoint(trainer, location, cyclic), /circular/i);
      assert.equal((await readCheckpointManifest(location))?.manifest.step, 1);
    }
    assert.deepEqual(
      (await readdir(root)).filter((n) => n.startsWith("failed-save")),
      ["failed-save"],
    );
    // A writer is single-use.
    const writer = await memory.begin();
    await writer.commit();
    await assert.rejects(writer.write("x", new Uint8Array(1)), /already committed/);
    assert.deepEqual(memory.files(), new Map());
    await memory.remove();
    assert.equal(await memory.open(), null);
    await fileCheckpointStore(dir).remove();
    assert.equal(await readCheckpointManifest(dir), null);
  });

  it("copyCheckpoint moves a checkpoint between stores unchanged", async () => {
    const trainer = make();
    await runSteps(trainer, 0, 1);
    const dir = join(root, "copy");
    await saveCheckpoint(trainer, dir);
    const memory = memoryCheckpointStore();
    assert.equal(
      await copyCheckpoint(fileCheckpointStore(dir), memory),
      1 + 3 + (await trainer.optimizer.getWeights()).length,
    );
    assert.deepEqual(memory.files(), await filesOf(dir));
    await assert.rejects(copyCheckpoint(memoryCheckpointStore(), memory), /no checkpoint at memory/);
  });

  describe("IndexedDB (an in-memory fake of the API)", () => {
    it("saves, loads after 'a reload' (a new store object), lists, removes; resumes exactly", async () => {
      const idb = new FakeIndexedDb();
      await resumesExactly(async (trainer) => {
        await saveCheckpoint(trainer, indexedDbCheckpointStore("run-a", { indexedDB: idb.asFactory }), {
          note: "half",
        });
        return indexedDbCheckpointStore("run-a", { indexedDB: idb.asFactory });
      });
      const b = indexedDbCheckpointStore("run-b", { indexedDB: idb.asFactory, database: "other" });
      assert.equal(b.location, "indexeddb:other/run-b");
      assert.equal(await b.open(), null);
      assert.deepEqual(await listIndexedDbCheckpoints({ indexedDB: idb.asFactory }), ["run-a"]);
      const a = indexedDbCheckpointStore("run-a", { indexedDB: idb.asFactory });
      await a.remove();
      assert.equal(await a.open(), null);
      assert.deepEqual(await listIndexedDbCheckpoints({ indexedDB: idb.asFactory }), []);
    });

    it("a save whose transaction aborts leaves the previous checkpoint; integrity is checked as in every store", async () => {
      const idb = new FakeIndexedDb();
      const store = indexedDbCheckpointStore("run", { indexedDB: idb.asFactory });
      const trainer = make();
      await runSteps(trainer, 0, 1);
      await saveCheckpoint(trainer, store, { n: 1 });
      await runSteps(trainer, 1, 2);
      idb.failNextCommit = true;
      await assert.rejects(saveCheckpoint(trainer, store, { n: 2 }), /disk is full/);
      assert.deepEqual((await readCheckpointManifest(store))?.manifest.metadata, { n: 1 });
      // Change one byte inside the stored record: loading names the file.
      const record = idb.databases.get("art-mtl-checkpoints")?.data.get("checkpoints")?.get("run") as {
        files: Record<string, Uint8Array>;
      };
      const file = record.files["model/0001.bin"] as Uint8Array;
      file[0] = (file[0] as number) ^ 0x01;
      await assert.rejects(
        loadCheckpoint(make(), store),
        (e: unknown) =>
          e instanceof AdapterError &&
          /^indexeddb:art-mtl-checkpoints\/run\/model\/0001\.bin: checksum mismatch/.test(e.message),
      );
    });

    it("without IndexedDB, says so", () => {
      assert.throws(
        () => indexedDbCheckpointStore("x"),
        (e: unknown) => e instanceof AdapterError && /no IndexedDB here/.test(e.message),
      );
    });
  });

  it("SHA-256: WebCrypto, the plain-JS fallback and node:crypto agree (block edges, UTF-8 strings)", async () => {
    assert.ok(globalThis.crypto?.subtle !== undefined, "Node 20 has WebCrypto on globalThis");
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_001]) {
      const bytes = randomBytes(n + 5).subarray(5); // at an offset of its buffer
      const expected = createHash("sha256").update(bytes).digest("hex");
      assert.equal(await sha256Hex(bytes), expected, `WebCrypto, ${n} bytes`);
      assert.equal(sha256HexSync(bytes), expected, `fallback, ${n} bytes`);
    }
    const text = JSON.stringify({ name: "très ☃", weights: [0.5, 1e-300] });
    assert.equal(await sha256Hex(text), createHash("sha256").update(text).digest("hex"));
    assert.equal(sha256HexSync(text), createHash("sha256").update(text).digest("hex"));
  });
});

describe("docs/browser.md's checkpoint example", () => {
  it("examples/browser-checkpoint.ts runs, prints what the page says, and the page shows it unchanged", async () => {
    const { spawnSync } = await import("node:child_process");
    const repo = join(import.meta.dirname, "..", "..");
    const run = spawnSync(process.execPath, ["--import", "tsx", "examples/browser-checkpoint.ts"], {
      cwd: repo,
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout
      .trim()
      .split("\n")
      .filter((l) => !/^(Hi|=+|)$/.test(l.trim()) && !l.startsWith("Hi,"));
    assert.deepEqual(lines.slice(-2), ['resumed at step 2 ({"epoch":1}) from 32 files', "step 3"]);
    const page = await readFile(join(repo, "docs", "browser.md"), "utf8");
    assert.ok(page.includes('It prints `resumed at step 2 ({"epoch":1}) from 32 files` and `step 3`'));
    const example = await readFile(join(repo, "examples", "browser-checkpoint.ts"), "utf8");
    const body = example
      .split("\n")
      .filter((l) => !l.startsWith("//"))
      .join("\n")
      .trim();
    assert.ok(page.includes(body), "docs/browser.md shows examples/browser-checkpoint.ts verbatim");
  });
});
