/**
 * Data-parallel training on worker threads (config `workers`): the batch split, equality with
 * one worker, identical replicas, and failures that stop the run without hanging.
 *
 * Tolerance: N workers sum the same float32 gradients in another order than one worker does
 * (and the per-task sums are reduced in float64), so per-step losses and weights agree to
 * rtol 1e-5, and parameters after 4 Adam steps at lr 1e-3 to atol 1e-6 (measured: 1.5e-8).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { runCli } from "../../src/cli/main.js";
import { BatchSynthesizer } from "../../src/restoration/data/batches.js";
// The public entry: users catch it from art-mtl/restoration.
import { ParallelTrainingError } from "../../src/restoration/index.js";
import { buildSession, resolveTrainConfig, trainRun, type TrainConfig } from "../../src/restoration/train/index.js";
import { sameReplicaState, startParallelTraining } from "../../src/restoration/train/parallel/coordinator.js";
import { resolveWorkerCount, shardIndices, splitBatch } from "../../src/restoration/train/parallel/shards.js";
import { assertAllClose } from "../support/all-close.js";

const temp = mkdtempSync(join(tmpdir(), "art-mtl-parallel-"));
after(() => rmSync(temp, { recursive: true, force: true }));

/** 3 tasks, batch 3 (one sample per task): with 2 workers each shard misses at least one task. */
const config = (name: string, extra: Record<string, unknown> = {}): TrainConfig => {
  const resolved = resolveTrainConfig({
    name,
    tasks: ["noise", "rain", "blur"],
    data: { source: "procedural", patchSize: 16, prefetch: "thread" },
    model: { kind: "srresnet", width: 4, blocks: 1 },
    weighting: { name: "art" },
    steps: 4,
    batch: 3,
    lr: 1e-3,
    seed: 3,
    backend: "wasm",
    output: join(temp, name),
    checkpointEvery: 10,
    eval: { data: "procedural", images: 1, size: 16 },
    ...extra,
  });
  if (E.isLeft(resolved)) throw new Error(resolved.left.join("\n"));
  return resolved.right;
};

type LogRecord = { step: number; loss: number; taskLosses: (number | null)[]; weights: number[] };
const readLog = (dir: string): LogRecord[] =>
  readFileSync(join(dir, "log.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as LogRecord);

/** A checkpoint's step and model parameters (all variables, concatenated). */
const readCheckpoint = (dir: string): { step: number; parameters: Float32Array } => {
  const manifest = JSON.parse(readFileSync(join(dir, "checkpoint", "manifest.json"), "utf8")) as {
    step: number;
    model: { file: string }[];
  };
  const parts = manifest.model.map(
    (entry) => new Float32Array(new Uint8Array(readFileSync(join(dir, "checkpoint", entry.file))).buffer),
  );
  const parameters = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    parameters.set(part, offset);
    offset += part.length;
  }
  return { step: manifest.step, parameters };
};

const assertSameTraining = (a: LogRecord[], b: LogRecord[]): void => {
  assert.deepEqual(
    a.map((r) => r.step),
    b.map((r) => r.step),
  );
  a.forEach((r, i) => {
    const s = b[i] as LogRecord;
    assertAllClose(r.taskLosses, s.taskLosses, { rtol: 1e-5 }, `step ${r.step} task losses`);
    assertAllClose(r.weights, s.weights, { rtol: 1e-5 }, `step ${r.step} weights`);
    assertAllClose([r.loss], [s.loss], { rtol: 1e-5 }, `step ${r.step} loss`);
  });
};

describe("splitting a global batch over replicas", () => {
  it("deals samples in turn, so each task spreads evenly and a shard may miss a task", () => {
    assert.deepEqual(shardIndices(7, 2), [
      [0, 2, 4, 6],
      [1, 3, 5],
    ]);
    assert.deepEqual(shardIndices(6, 3), [
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    assert.throws(() => shardIndices(2, 3), /batch 2 cannot be split over 3 replicas/);
    const sample = 2 * 2 * 3;
    const batch = {
      shape: [5, 2, 2, 3] as const,
      inputs: Float32Array.from({ length: 5 * sample }, (_, i) => i),
      targets: Float32Array.from({ length: 5 * sample }, (_, i) => -i),
      taskIds: Int32Array.from([0, 0, 0, 1, 2]),
    };
    const shards = splitBatch(batch, 2, 4, [0, -1, 0, 1, 2]);
    assert.deepEqual(
      shards.map((s) => s.indices),
      [
        [0, 2, 4],
        [1, 3],
      ],
    );
    assert.deepEqual(
      shards.map((s) => s.counts),
      [
        [2, 0, 1, 0],
        [1, 1, 0, 0],
      ],
      "task 0's three samples: 2 + 1; tasks 1 and 2 in one shard each; task 3 in none",
    );
    assert.deepEqual([...(shards[1]?.modelTaskIds ?? [])], [-1, 1]);
    assert.deepEqual(shards[0]?.shape, [3, 2, 2, 3]);
    assert.equal(shards[0]?.inputs[sample], 2 * sample, "the shard's second sample is the batch's third");
    assert.equal(shards[1]?.targets[sample + 1], -(3 * sample + 1));
  });
  it("resolves workers: default 1, auto = one per core up to the batch, never more than the batch", () => {
    assert.equal(resolveWorkerCount(undefined, 14), 1);
    assert.equal(resolveWorkerCount("auto", 14, 2), 2);
    assert.equal(resolveWorkerCount("auto", 3, 16), 3);
    assert.equal(resolveWorkerCount(4, 14), 4);
    assert.throws(() => resolveWorkerCount(5, 4), /5 workers need a batch of at least 5/);
    const ok = resolveTrainConfig({ steps: 1, workers: "auto" });
    assert.ok(E.isRight(ok) && ok.right.workers === "auto");
    const byDefault = resolveTrainConfig({ steps: 1 });
    assert.ok(E.isRight(byDefault) && byDefault.right.workers === 1);
    const bad = (workers: unknown) => {
      const r = resolveTrainConfig({ steps: 1, batch: 4, workers });
      return E.isLeft(r) ? r.left : [];
    };
    assert.deepEqual(bad(0), ['workers: expected "auto" or an integer >= 1 (got 0)']);
    assert.deepEqual(bad("all"), ['workers: expected "auto" or an integer >= 1 (got "all")']);
    assert.deepEqual(bad(5), ["workers: each worker needs at least one sample of the batch (4) (got 5)"]);
  });
});

describe("data-parallel training (wasm, SRResNet width 4, 16x16 crops)", () => {
  it("2 workers give the same per-step losses, weights and final parameters as 1 worker (Art, shards missing tasks)", async () => {
    const one = await trainRun({ config: config("one"), evaluateAtEnd: false });
    const two = await trainRun({ config: config("two", { workers: 2 }), evaluateAtEnd: false });
    assert.equal(one.workers, 1);
    assert.equal(two.workers, 2);
    assertSameTraining(readLog(join(temp, "two")), readLog(join(temp, "one")));
    const a = readCheckpoint(join(temp, "one"));
    const b = readCheckpoint(join(temp, "two"));
    assert.equal(b.step, 4);
    assertAllClose(b.parameters, a.parameters, { atol: 1e-6 }, "final parameters");
  });
  it("a two-phase weighting (FAMO) and a task-prompted model with blind samples train the same on 2 workers", async () => {
    const extra = {
      weighting: { name: "famo" },
      model: { kind: "srresnet", width: 4, blocks: 1, taskPrompt: true },
      blindRate: 0.4,
      batch: 5,
      steps: 3,
    };
    await trainRun({ config: config("famo-one", extra), evaluateAtEnd: false });
    await trainRun({ config: config("famo-two", { ...extra, workers: 2 }), evaluateAtEnd: false });
    assertSameTraining(readLog(join(temp, "famo-two")), readLog(join(temp, "famo-one")));
    assertAllClose(
      readCheckpoint(join(temp, "famo-two")).parameters,
      readCheckpoint(join(temp, "famo-one")).parameters,
      { atol: 1e-6 },
      "final parameters",
    );
  });
  // Gradient-aware weightings: the shards' task gradients are summed before the Gramian is formed,
  // on the host in float64 (one worker forms it on the device in float32), so the coefficients
  // agree to float32 rounding of G, not bit for bit.
  for (const name of ["upgrad", "graddrop"]) {
    it(`a gradient-aware weighting (${name}${name === "graddrop" ? ", which needs the gradients themselves" : ", on the Gramian"}) trains the same on 2 workers as on 1, shards missing tasks`, async () => {
      // Batch 5 over 3 tasks: unequal task counts (2, 2, 1), so a wrong division by the counts shows.
      const extra = { weighting: { name }, steps: 3, batch: 5 };
      await trainRun({ config: config(`${name}-one`, extra), evaluateAtEnd: false });
      const two = await trainRun({ config: config(`${name}-two`, { ...extra, workers: 2 }), evaluateAtEnd: false });
      assert.equal(two.workers, 2);
      const a = readLog(join(temp, `${name}-one`));
      const b = readLog(join(temp, `${name}-two`));
      assert.deepEqual(
        b.map((r) => r.step),
        [1, 2, 3],
      );
      b.forEach((r, i) => {
        const s = a[i] as LogRecord;
        assertAllClose(r.taskLosses, s.taskLosses, { rtol: 1e-5 }, `step ${r.step} task losses`);
        assertAllClose(r.weights, s.weights, { rtol: 1e-4, atol: 1e-6 }, `step ${r.step} coefficients`);
      });
      if (name === "upgrad")
        assert.ok(
          b.some((r) => r.weights.some((w) => Math.abs(w - 1 / 3) > 1e-3)),
          `the coefficients moved off the mean (the Gramian mattered): ${JSON.stringify(b.map((r) => r.weights))}`,
        );
      assertAllClose(
        readCheckpoint(join(temp, `${name}-two`)).parameters,
        readCheckpoint(join(temp, `${name}-one`)).parameters,
        { atol: 1e-5 },
        "final parameters",
      );
    });
  }
  it("replicas stay bitwise identical (3 replicas, 7 samples over 7 tasks)", async () => {
    const c = config("replicas", { tasks: ["sr", "blur", "noise", "jpeg", "rain", "haze", "lowlight"], batch: 7 });
    const session = await buildSession(c);
    const parallel = await startParallelTraining({ session, replicas: 3 });
    try {
      const before = await parallel.snapshots();
      const synth = new BatchSynthesizer({
        tasks: c.tasks,
        batchSize: c.batch,
        patchSize: c.data.patchSize,
        seed: c.seed,
      });
      const tensors: number[] = [];
      for (let step = 0; step < 3; step++) {
        const result = await parallel.step(await synth.batch(step), c.lr);
        assert.equal(result.step, step + 1);
        assert.equal(result.taskLosses.filter((l) => l !== null).length, 7);
        tensors.push(...(await parallel.snapshots()).map((s) => s.tensors ?? -1));
      }
      assert.equal(
        new Set(tensors.slice(3)).size,
        1,
        `no tensor leaks in the replicas after the first step (${tensors.join(", ")})`,
      );
      const after = await parallel.snapshots();
      assert.equal(after.length, 3);
      assert.ok(after.every((s) => s.appliedStep === 3));
      assert.ok(
        sameReplicaState(after[1]!, after[0]!) && sameReplicaState(after[2]!, after[0]!),
        "every replica holds bitwise the same variables and optimizer state",
      );
      assert.ok(!sameReplicaState({ ...before[0]!, appliedStep: 3 }, after[0]!), "and they trained");
      await parallel.syncSession();
      assert.equal(session.trainer.stepCount, 3);
    } finally {
      await parallel.close();
      session.model.dispose();
    }
  });
});

describe("a failing worker stops the run with a clear error, never a hang", () => {
  it("a worker that exits at step 3 leaves a checkpoint of step 2; resuming on 1 worker, then on 2, ends where an uninterrupted run does", async () => {
    const c = config("crash", { workers: 2 });
    await assert.rejects(
      trainRun({ config: c, evaluateAtEnd: false, parallel: { fault: { replica: 1, step: 3, kind: "exit" } } }),
      (error: Error) => {
        assert.ok(error instanceof ParallelTrainingError);
        assert.match(
          error.message,
          /^worker 1 exited unexpectedly \(code 70\) at step 3; checkpoint of step 2 written \(continue with --resume\)$/,
        );
        return true;
      },
    );
    assert.equal(readCheckpoint(join(temp, "crash")).step, 2);
    assert.deepEqual(
      readLog(join(temp, "crash")).map((r) => r.step),
      [1, 2],
    );
    // A checkpoint resumes with any number of workers: step 3 on one, step 4 on two (Adam state loaded into the replicas).
    assert.equal(
      (await trainRun({ config: { ...c, steps: 3, workers: 1 }, resume: true, evaluateAtEnd: false })).step,
      3,
    );
    const resumed = await trainRun({ config: c, resume: true, evaluateAtEnd: false });
    assert.equal(resumed.step, 4);
    assert.equal(resumed.workers, 2);
    assertSameTraining(readLog(join(temp, "crash")), readLog(join(temp, "one")));
    assertAllClose(
      readCheckpoint(join(temp, "crash")).parameters,
      readCheckpoint(join(temp, "one")).parameters,
      { atol: 1e-6 },
      "final parameters",
    );
  });
  it("a worker that throws, or hangs past the timeout, is named; the survivors' last step is saved", async () => {
    await assert.rejects(
      trainRun({
        config: config("throw", { workers: 2 }),
        evaluateAtEnd: false,
        parallel: { fault: { replica: 0, step: 2, kind: "throw" } },
      }),
      /^ParallelTrainingError: worker 0 failed at step 2: injected fault in replica 0 at step 2; checkpoint of step 1 written/,
    );
    assert.equal(readCheckpoint(join(temp, "throw")).step, 1);
    const started = performance.now();
    await assert.rejects(
      trainRun({
        config: config("hang", { workers: 2 }),
        evaluateAtEnd: false,
        parallel: { timeoutMs: 1500, fault: { replica: 1, step: 2, kind: "hang" } },
      }),
      /^ParallelTrainingError: worker 1 did not finish step 2 within 1.5 s \(hung\?\); checkpoint of step 1 written/,
    );
    assert.ok(performance.now() - started < 20_000, "the timeout, not a hang");
    assert.equal(readCheckpoint(join(temp, "hang")).step, 1);
    assert.ok(existsSync(join(temp, "hang", "config.json")));
  });
});

describe("art-mtl train --workers", () => {
  it("overrides the config's workers, checks the value, and says how many replicas train", async () => {
    const path = join(temp, "cli.json");
    const { workers: _workers, ...plain } = config("cli", { steps: 2 });
    writeFileSync(path, JSON.stringify(plain));
    let stderr = "";
    const io = { stdout: () => undefined, stderr: (t: string) => void (stderr += t) };
    assert.equal(await runCli(["train", "--config", path, "--workers", "0"], io), 2);
    assert.match(stderr, /--workers: expected "auto" or an integer >= 1 \(got "0"\)/);
    stderr = "";
    assert.equal(await runCli(["train", "--config", path, "--workers", "4"], io), 2);
    assert.match(stderr, /workers: each worker needs at least one sample of the batch \(3\) \(got 4\)/);
    stderr = "";
    assert.equal(await runCli(["train", "--config", path, "--workers", "2", "--quiet"], io), 0, stderr);
    assert.match(stderr, /; 2 data-parallel workers/);
    assert.equal(
      (JSON.parse(readFileSync(join(temp, "cli", "config.json"), "utf8")) as { workers: unknown }).workers,
      2,
    );
    assert.equal(readCheckpoint(join(temp, "cli")).step, 2);
  });
});
