import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

import { Rng } from "../../src/core/random.js";
import {
  BatchSynthesizer,
  createFrozenSet,
  DatasetError,
  imageFolderSource,
  loadFrozenSet,
  loadPair,
  openPairedFolder,
  proceduralImageAt,
  streamBatches,
  taskCounts,
} from "../../src/restoration/data/index.js";
import { MIOIR_TASKS } from "../../src/restoration/degradations/index.js";
import { encodeJpeg, writePng } from "../../src/restoration/io/index.js";
import { sharedDataDir } from "./fixtures.js";

const temp = mkdtempSync(join(tmpdir(), "art-mtl-data-"));
after(() => rmSync(temp, { recursive: true, force: true }));

const writeProcedural = (path: string, size: number, index = 0, height = size) =>
  writePng(path, proceduralImageAt(7, index, size, height));

describe("taskCounts", () => {
  it("splits batch 14 over the 7 MiOIR tasks as 2 per task", () => {
    for (let step = 0; step < 5; step++)
      assert.deepEqual(taskCounts(14, [1, 1, 1, 1, 1, 1, 1], [0, 1, 2, 3, 4, 5, 6], step), [2, 2, 2, 2, 2, 2, 2]);
  });
  it("rotates the leftover slots so every task gets its exact share over K steps", () => {
    const totals = [0, 0, 0, 0, 0, 0, 0];
    for (let step = 0; step < 7; step++) {
      const counts = taskCounts(8, [1, 1, 1, 1, 1, 1, 1], [0, 1, 2, 3, 4, 5, 6], step);
      assert.equal(
        counts.reduce((a, b) => a + b),
        8,
      );
      counts.forEach((c, k) => (totals[k] = (totals[k] as number) + c));
    }
    assert.deepEqual(totals, [8, 8, 8, 8, 8, 8, 8]);
  });
  it("follows unequal proportions and draws only active tasks", () => {
    assert.deepEqual(taskCounts(8, [3, 1], [0, 1], 0), [6, 2]);
    assert.deepEqual(taskCounts(6, [1, 1, 1], [2], 0), [0, 0, 6]);
    assert.throws(() => taskCounts(4, [1, 0], [1], 0), /no active task/);
  });
});

describe("BatchSynthesizer", () => {
  const options = { tasks: ["noise", "rain", "haze"] as const, batchSize: 6, patchSize: 16, seed: 5 };
  it("gives the same batches for the same seed, whatever the order of steps, and labels every sample", async () => {
    const a = new BatchSynthesizer({ ...options, tasks: [...options.tasks] });
    const b = new BatchSynthesizer({ ...options, tasks: [...options.tasks] });
    const a0 = await a.batch(0);
    const a1 = await a.batch(1);
    const b1 = await b.batch(1);
    const b0 = await b.batch(0);
    assert.deepEqual(a0.inputs, b0.inputs);
    assert.deepEqual(a1.targets, b1.targets);
    assert.deepEqual([...a0.taskIds], [0, 0, 1, 1, 2, 2]);
    assert.deepEqual(a0.shape, [6, 16, 16, 3]);
    assert.equal(a0.inputs.length, 6 * 16 * 16 * 3);
    assert.notDeepEqual(a0.inputs, a1.inputs);
    const other = await new BatchSynthesizer({ ...options, tasks: [...options.tasks], seed: 6 }).batch(0);
    assert.notDeepEqual(other.inputs, a0.inputs);
    assert.ok(a0.inputs.every((v) => v >= 0 && v <= 1));
  });
  it("restricts draws to activeTasks(step) (a sequential curriculum)", async () => {
    const synth = new BatchSynthesizer(
      { ...options, tasks: [...options.tasks] },
      { activeTasks: (step) => (step < 2 ? [0] : [0, 1]) },
    );
    assert.deepEqual([...(await synth.batch(0)).taskIds], [0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...(await synth.batch(3)).taskIds], [0, 0, 0, 1, 1, 1]);
  });
  it("names the bad field", () => {
    assert.throws(
      () => new BatchSynthesizer({ ...options, tasks: [...options.tasks], batchSize: 0 }),
      /batchSize: expected an integer >= 1 \(got 0\)/,
    );
    assert.throws(
      () => new BatchSynthesizer({ ...options, tasks: [...options.tasks], proportions: [1, -1, 1] }),
      /proportions\[1\]/,
    );
  });
});

describe("streamBatches", () => {
  const options = { tasks: [...MIOIR_TASKS], batchSize: 7, patchSize: 16, seed: 11 };
  for (const mode of ["none", "thread", "worker"] as const) {
    it(`yields exactly the synthesizer's batches in order (mode ${mode})`, async () => {
      const direct = new BatchSynthesizer(options);
      const stream = streamBatches(options, {}, { from: 3, to: 7, depth: 2, mode });
      assert.equal(stream.mode, mode);
      const steps: number[] = [];
      for await (const batch of stream) {
        const expected = await direct.batch(batch.step);
        assert.deepEqual(batch.inputs, expected.inputs);
        assert.deepEqual(batch.taskIds, expected.taskIds);
        steps.push(batch.step);
      }
      await stream.close();
      assert.deepEqual(steps, [3, 4, 5, 6]);
    });
  }
  it(
    "a worker that exits rejects the batches waiting for it and every later request (no hang)",
    { timeout: 30_000 },
    async () => {
      const stream = streamBatches(options, {}, { from: 0, to: 100, depth: 2, mode: "worker" });
      const waiting = stream.next();
      // Ending the worker while a batch is awaited: the same "exit" event as process.exit or an OOM kill.
      await stream.close();
      await assert.rejects(waiting, /the batch worker exited \(code \d+\)/);
      await assert.rejects(stream.next(), /the batch worker exited/);
    },
  );
});

describe("imageFolderSource", () => {
  const dir = join(temp, "clean");
  mkdirSync(dir);
  writeProcedural(join(dir, "a.png"), 40, 0);
  writeProcedural(join(dir, "b.png"), 32, 1, 48);
  it("draws seeded crops of the images in a folder", async () => {
    const source = imageFolderSource(dir);
    assert.deepEqual(
      source.files.map((f) => f.slice(dir.length + 1)),
      ["a.png", "b.png"],
    );
    const p1 = await source.drawPatch(Rng.seeded(3), 24, true);
    const p2 = await imageFolderSource(dir).drawPatch(Rng.seeded(3), 24, true);
    assert.equal(p1.width, 24);
    assert.deepEqual(p1.data, p2.data);
  });
  it("batches from a folder source", async () => {
    const batch = await new BatchSynthesizer({
      tasks: ["noise", "blur"],
      batchSize: 4,
      patchSize: 24,
      seed: 1,
      source: { folder: dir },
    }).batch(0);
    assert.deepEqual(batch.shape, [4, 24, 24, 3]);
  });
  it("stops on a corrupt file with an error naming it, or skips it with one warning", async () => {
    const bad = join(temp, "with-bad");
    mkdirSync(bad);
    writeProcedural(join(bad, "good.png"), 40);
    writeFileSync(join(bad, "broken.png"), "this is not a png");
    await assert.rejects(
      (async () => {
        const source = imageFolderSource(bad);
        for (let i = 0; i < 20; i++) await source.drawPatch(Rng.seeded(i), 16, false);
      })(),
      (error: unknown) =>
        error instanceof DatasetError &&
        /broken\.png: unsupported format/.test(error.message) &&
        error.file.endsWith("broken.png"),
    );
    const warnings: string[] = [];
    const source = imageFolderSource(bad, { onBadFile: "skip", onWarning: (m) => warnings.push(m) });
    for (let i = 0; i < 20; i++) assert.equal((await source.drawPatch(Rng.seeded(i), 16, false)).width, 16);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /skipping .*broken\.png/);
  });
  it("treats an image smaller than the patch the same way", async () => {
    const small = join(temp, "small");
    mkdirSync(small);
    writeProcedural(join(small, "big.png"), 40);
    writeProcedural(join(small, "tiny.png"), 8);
    await assert.rejects(
      (async () => {
        const source = imageFolderSource(small);
        for (let i = 0; i < 20; i++) await source.drawPatch(Rng.seeded(i), 16, false);
      })(),
      /tiny\.png: image 8x8 is smaller than the 16x16 patch/,
    );
    const source = imageFolderSource(small, { onBadFile: "skip" });
    for (let i = 0; i < 10; i++) await source.drawPatch(Rng.seeded(i), 16, false);
    assert.equal(source.skipped.length, 1);
  });
  it("rejects a folder without images", () => {
    const empty = join(temp, "empty");
    mkdirSync(empty);
    assert.throws(() => imageFolderSource(empty), /no image files/);
  });
});

describe("paired folders", () => {
  const make = (root: string, inputs: string[], targets: string[]) => {
    mkdirSync(join(root, "input"), { recursive: true });
    mkdirSync(join(root, "target"), { recursive: true });
    inputs.forEach((name, i) => writeProcedural(join(root, "input", name), 12, i));
    targets.forEach((name, i) => writeProcedural(join(root, "target", name), 12, i + 50));
  };
  it("pairs same-name folders (Rain100L-style)", async () => {
    const root = join(temp, "rain");
    make(root, ["r1.png", "r2.png"], ["r1.png", "r2.png"]);
    const set = openPairedFolder(root);
    assert.equal(set.layout, "same-name");
    assert.deepEqual(
      set.pairs.map((p) => p.name),
      ["r1", "r2"],
    );
    const { input, target } = await loadPair(set.pairs[0]!);
    assert.equal(input.width, target.width);
  });
  it("pairs ID_* inputs with ID targets (SOTS-style)", () => {
    const root = join(temp, "sots");
    make(root, ["0001_0.8_0.2.png", "0001_0.9_0.1.png", "0002_1_0.2.png"], ["0001.png", "0002.png"]);
    const set = openPairedFolder(root);
    assert.equal(set.layout, "id-prefix");
    assert.deepEqual(
      set.pairs.map((p) => p.target.slice(-8)),
      ["0001.png", "0001.png", "0002.png"],
    );
  });
  it("names the unmatched inputs", () => {
    const root = join(temp, "unmatched");
    make(root, ["a.png", "b.png"], ["a.png"]);
    assert.throws(() => openPairedFolder(root), /1 of 2 inputs have no target .*b\.png/);
    assert.throws(() => openPairedFolder(root, { layout: "id-prefix" }), /under layout id-prefix/);
    assert.throws(() => openPairedFolder(join(temp, "nope")), /folder not found/);
  });
});

describe("frozen evaluation sets", () => {
  it("round-trips: the manifest and PNG pairs load back, and a second creation is identical", async () => {
    const dir = join(temp, "frozen");
    const options = {
      tasks: ["noise", "rain"] as ("noise" | "rain")[],
      seed: 3,
      source: { procedural: { count: 2, size: 24 } },
    };
    const manifest = await createFrozenSet(dir, options);
    assert.equal(manifest.samples.length, 4);
    const set = loadFrozenSet(dir);
    assert.deepEqual(set.manifest, manifest);
    const sample = set.manifest.samples[0]!;
    assert.equal(sample.task, "noise");
    assert.ok(sample.params.sigma! > 0);
    const { input, target } = await set.load(sample);
    assert.equal(input.width, 24);
    assert.notDeepEqual(input.data, target.data);
    const again = join(temp, "frozen2");
    await createFrozenSet(again, options);
    assert.deepEqual(
      readFileSync(join(again, "input", `${sample.name}.png`)),
      readFileSync(join(dir, "input", `${sample.name}.png`)),
    );
    assert.equal(openPairedFolder(dir).pairs.length, 4);
  });
  it("refuses a folder where two files would give the same sample name (a.png and a.jpg), naming both", async () => {
    const dir = join(temp, "same-stem");
    mkdirSync(dir);
    writeProcedural(join(dir, "a.png"), 24, 0);
    writeFileSync(join(dir, "a.jpg"), encodeJpeg(proceduralImageAt(7, 1, 24), 90));
    await assert.rejects(
      createFrozenSet(join(temp, "same-stem-set"), { tasks: ["noise"], seed: 1, source: { folder: dir } }),
      (e: unknown) =>
        e instanceof DatasetError &&
        /a\.jpg and a\.png|a\.png and a\.jpg/.test(e.message) &&
        /sample "a"/.test(e.message),
    );
    assert.ok(!existsSync(join(temp, "same-stem-set", "manifest.json")));
  });
  it("names the bad manifest field", () => {
    const dir = join(temp, "bad-manifest");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "manifest.json"),
      JSON.stringify({ version: 1, seed: "x", tasks: [], source: "", samples: [] }),
    );
    assert.throws(() => loadFrozenSet(dir), /seed: expected number \(got "x"\)/);
  });
});

const realDataDir = sharedDataDir();
const realData = realDataDir ?? "";
describe("real images (uses ../shared/data or ART_MTL_DATA; skipped when absent, an error under CI=true)", () => {
  it(
    "real data: draws crops from Set14 (mixed PNG types) and freezes a Set5 set",
    { skip: realDataDir === undefined },
    async () => {
      const source = imageFolderSource(join(realData, "Set14"));
      const batch = await new BatchSynthesizer({
        tasks: [...MIOIR_TASKS],
        batchSize: 7,
        patchSize: 48,
        seed: 1,
        source: { folder: join(realData, "Set14") },
      }).batch(0);
      assert.equal(batch.inputs.length, 7 * 48 * 48 * 3);
      assert.equal(source.files.length, 14);
      const manifest = await createFrozenSet(join(temp, "set5"), {
        tasks: ["noise"],
        seed: 1,
        source: { folder: join(realData, "Set5"), limit: 2 },
        maxSide: 64,
      });
      assert.equal(manifest.samples.length, 2);
      assert.ok(manifest.samples.every((s) => s.width <= 64 && s.height <= 64));
    },
  );
});
