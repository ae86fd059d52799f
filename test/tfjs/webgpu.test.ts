/**
 * WebGPU in Node (Dawn, the `webgpu` npm package) on SwiftShader, Chromium's CPU Vulkan driver:
 * the tfjs adapter on `webgpu` gives cpu's numbers.
 *
 * The WebGPU half runs in a child process (webgpu/worker.ts) started with SwiftShader as its only
 * Vulkan driver; the cpu half runs here, at the same time, from the same seeded scenarios
 * (webgpu/scenarios.ts). Outside CI the file skips when SwiftShader or the packages are missing;
 * under CI=true it fails instead (.ci/run installs SwiftShader with Debian's chromium).
 *
 * Tolerances are float32's: the two backends sum in different orders. Measured on SwiftShader
 * (docs/backends.md; the test prints them): task losses within 1.7e-7 relative, weights within
 * 8e-6 (Art with tau 0.05 sharpens loss differences), parameters after 3-5 Adam steps within
 * 1.7e-6 of their scale, gradients within 8e-7 of their largest entry, FAMO's logits within 6e-5.
 * The bounds below leave a factor of 10-60.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import { assertAllClose, relativeToScale } from "../support/all-close.js";
import { findSwiftShader, inCi, swiftShaderEnv } from "../support/swiftshader.js";
import {
  ABSENT,
  CHECKPOINT_CASES,
  numbersWithPaths,
  runCheckpointCase,
  runGradientTraining,
  runModelTraining,
  runTrainCase,
  TRAIN_CASES,
  TRAIN_STEPS,
  type CheckpointRecord,
  type GradientTrainingRecord,
  type StepRecord,
  type TrainRecord,
} from "./webgpu/scenarios.js";
import type { WorkerResult } from "./webgpu/worker.js";

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, "webgpu", "worker.ts");
/** The worker's wall-clock limit (it takes ~30 s on a 2-core machine). */
const WORKER_TIMEOUT_MS = 240_000;

/** Relative bounds (see the module note). */
const TOL = {
  losses: { rtol: 1e-5, atol: 1e-7 },
  /** Art with tau 0.05 is a sharp softmax of the losses: it amplifies their float32 differences ~50x. */
  weights: { rtol: 1e-4, atol: 1e-7 },
  /** Parameters after several Adam steps, relative to the largest magnitude of each variable. */
  params: 2e-5,
  /** Gradients, relative to the largest magnitude of each gradient. */
  gradients: 1e-5,
  /**
   * Encoded weighting states (Art's statistics, FAMO's logits and Adam moments). FAMO's logits
   * follow the loss *decreases*, differences of nearly equal float32 losses: measured 6e-5.
   */
  state: { rtol: 1e-3, atol: 1e-6 },
};

/** Why the WebGPU half cannot run here, or undefined when it can. */
const unavailable = (): string | undefined => {
  const require = createRequire(import.meta.url);
  for (const name of ["webgpu", "@tensorflow/tfjs-backend-webgpu"]) {
    try {
      require.resolve(name);
    } catch {
      return `${name} is not installed (a devDependency: run npm ci)`;
    }
  }
  const lookup = findSwiftShader();
  return "missing" in lookup ? lookup.missing : undefined;
};
const reason = unavailable();

const compareSteps = (gpu: ReadonlyArray<StepRecord>, cpu: ReadonlyArray<StepRecord>, label: string): void => {
  assert.equal(gpu.length, cpu.length, `${label}: steps`);
  gpu.forEach((g, i) => {
    const c = cpu[i] as StepRecord;
    assert.deepEqual(
      g.taskLosses.map((l) => l === null),
      c.taskLosses.map((l) => l === null),
      `${label} step ${i}: absent tasks`,
    );
    assertAllClose(g.taskLosses, c.taskLosses, TOL.losses, `${label} step ${i}: task losses`);
    assertAllClose(g.weights, c.weights, TOL.weights, `${label} step ${i}: weights`);
    assertAllClose(g.nextWeights, c.nextWeights, TOL.weights, `${label} step ${i}: next weights`);
  });
};

const compareParams = (
  gpu: ReadonlyArray<ReadonlyArray<number>>,
  cpu: ReadonlyArray<ReadonlyArray<number>>,
  label: string,
): void => {
  assert.equal(gpu.length, cpu.length, `${label}: variables`);
  gpu.forEach((g, i) => {
    const d = relativeToScale(g, cpu[i] as ReadonlyArray<number>);
    assert.ok(
      d <= TOL.params,
      `${label}: variable ${i} differs from cpu by ${d.toExponential(2)} of its scale (bound ${TOL.params})`,
    );
  });
};

const compareStates = (gpu: unknown, cpu: unknown, label: string): void => {
  const g = numbersWithPaths(gpu);
  const c = numbersWithPaths(cpu);
  assert.deepEqual(
    g.map(([p]) => p),
    c.map(([p]) => p),
    `${label}: state layout`,
  );
  assertAllClose(
    g.map(([, v]) => v),
    c.map(([, v]) => v),
    TOL.state,
    `${label}: weighting state (${g.map(([p]) => p).join(" ")})`,
  );
};

/** The largest relative differences from cpu, for docs/backends.md (printed, not asserted). */
const measuredDifferences = (
  gpu: WorkerResult,
  cpu: { train: TrainRecord[]; checkpoints: CheckpointRecord[]; modelTraining?: TrainRecord },
) => {
  const rel = (a: number | null, b: number | null): number =>
    a === null || b === null || b === 0 ? 0 : Math.abs(a - b) / Math.abs(b);
  const pairs: Array<[TrainRecord, TrainRecord]> = (gpu.train ?? []).map((g, i) => [g, cpu.train[i] as TrainRecord]);
  if (gpu.modelTraining !== undefined && cpu.modelTraining !== undefined)
    pairs.push([gpu.modelTraining, cpu.modelTraining]);
  let losses = 0;
  let weights = 0;
  let weightsWhere = "";
  let params = 0;
  let state = 0;
  let stateWhere = "";
  for (const [g, c] of pairs) {
    g.steps.forEach((s, i) => {
      const r = c.steps[i] as StepRecord;
      s.taskLosses.forEach((l, k) => (losses = Math.max(losses, rel(l, r.taskLosses[k] ?? null))));
      s.weights.forEach((w, k) => {
        const d = rel(w, r.weights[k] ?? null);
        if (d > weights) [weights, weightsWhere] = [d, `${g.name}, step ${i}`];
      });
    });
    g.params.forEach((p, i) => (params = Math.max(params, relativeToScale(p, c.params[i] as number[]))));
    const gs = numbersWithPaths(g.state);
    const cs = numbersWithPaths(c.state);
    // Relative where the value is not tiny (FAMO's Adam moments go down to ~1e-9).
    gs.forEach(([path, v], i) => {
      const r = cs[i]?.[1] ?? null;
      const d = r !== null && Math.abs(r) > 1e-4 ? rel(v, r) : 0;
      if (d > state) [state, stateWhere] = [d, `${g.name}, ${path}: ${String(v)} vs ${String(r)}`];
    });
  }
  const gradients = [
    ...(gpu.models ?? []).flatMap((m) => m.gradientRelDiff),
    ...(gpu.pieces ?? []).flatMap((p) => p.comparison?.gradientRelDiff ?? []),
  ];
  const modelLosses = [
    ...(gpu.models ?? []).map((m) => rel(m.loss.tested, m.loss.cpu)),
    ...(gpu.pieces ?? []).map((p) =>
      p.comparison === undefined ? 0 : rel(p.comparison.loss.tested, p.comparison.loss.cpu),
    ),
  ];
  const fmt = (x: number): string => x.toExponential(1);
  return {
    taskLosses: fmt(losses),
    weights: `${fmt(weights)} (${weightsWhere})`,
    paramsOfScale: fmt(params),
    weightingState: `${fmt(state)} (${stateWhere})`,
    auditLosses: fmt(Math.max(0, ...modelLosses)),
    gradientsOfScale: fmt(Math.max(0, ...gradients)),
  };
};

/** Runs the worker under SwiftShader and returns what it wrote (or throws with its output). */
const runWorker = async (): Promise<{ result: WorkerResult; wallSeconds: number }> => {
  const lookup = findSwiftShader();
  if ("missing" in lookup) throw new Error(lookup.missing);
  const dir = mkdtempSync(join(tmpdir(), "art-mtl-webgpu-"));
  const out = join(dir, "result.json");
  const start = performance.now();
  try {
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", WORKER, out], {
        env: swiftShaderEnv(lookup.found),
        stdio: ["ignore", "pipe", "pipe"],
      });
      const keep = (chunk: Buffer): void => {
        output.push(chunk.toString());
        if (output.length > 400) output.splice(0, output.length - 400);
      };
      child.stdout.on("data", keep);
      child.stderr.on("data", keep);
      const timer = setTimeout(() => child.kill("SIGKILL"), WORKER_TIMEOUT_MS);
      child.on("error", reject);
      child.on("exit", (exitCode, signal) => {
        clearTimeout(timer);
        resolve(signal === null ? exitCode : -1);
      });
    });
    const tail = output.join("").slice(-4000);
    if (!existsSync(out))
      throw new Error(
        `the WebGPU worker wrote no result (exit ${String(code)}${code === -1 ? `, killed after ${WORKER_TIMEOUT_MS / 1000} s` : ""}):\n${tail}`,
      );
    const result = JSON.parse(readFileSync(out, "utf8")) as WorkerResult;
    if (result.failure !== undefined || code !== 0)
      throw new Error(`the WebGPU worker failed (exit ${String(code)}): ${result.failure ?? ""}\n${tail}`);
    return { result, wallSeconds: (performance.now() - start) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

if (reason !== undefined && inCi()) {
  describe("WebGPU in Node on SwiftShader", () => {
    it("has what it needs (required under CI)", () => {
      assert.fail(`CI=true and the WebGPU tests cannot run: ${reason}`);
    });
  });
} else {
  describe("WebGPU in Node on SwiftShader (tfjs-backend-webgpu through Dawn) against cpu", { skip: reason }, () => {
    let gpu: WorkerResult;
    const cpu: {
      train: TrainRecord[];
      checkpoints: CheckpointRecord[];
      modelTraining?: TrainRecord;
      gradientTraining?: GradientTrainingRecord;
    } = { train: [], checkpoints: [] };
    let cpuRoot = "";

    before(async () => {
      // The worker and the cpu reference run at the same time (one core each).
      const worker = runWorker();
      worker.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
      await tf.setBackend("cpu");
      tf.env().set("IS_TEST", true);
      cpuRoot = mkdtempSync(join(tmpdir(), "art-mtl-webgpu-cpu-"));
      for (const c of TRAIN_CASES) cpu.train.push(await runTrainCase(tf, c));
      for (const [i, c] of CHECKPOINT_CASES.entries())
        cpu.checkpoints.push(await runCheckpointCase(tf, c, join(cpuRoot, `case-${i}`)));
      cpu.modelTraining = await runModelTraining(tf);
      cpu.gradientTraining = await runGradientTraining(tf);
      const { result, wallSeconds } = await worker;
      gpu = result;
      const sections = Object.entries(gpu.seconds)
        .map(([name, s]) => `${name} ${s.toFixed(1)} s`)
        .join(", ");
      console.log(`# WebGPU worker: ${wallSeconds.toFixed(1)} s wall (${sections})`);
      console.log(`# largest differences from cpu: ${JSON.stringify(measuredDifferences(gpu, cpu))}`);
    });
    after(() => {
      if (cpuRoot !== "") rmSync(cpuRoot, { recursive: true, force: true });
    });

    it("'auto' skips the software adapter (slower than wasm), restores navigator, and 'webgpu' starts on it when asked", () => {
      assert.equal(gpu.auto?.choice, "cpu");
      const skipped = gpu.auto?.skipped.find((s) => s.choice === "webgpu");
      assert.match(skipped?.reason ?? "", /only a software adapter .*swiftshader.*select 'webgpu' explicitly/i);
      assert.equal(gpu.auto?.navigatorGpuAfter, "undefined", "a skipped WebGPU leaves no navigator.gpu behind");
      assert.equal(gpu.selection?.backendName, "webgpu");
      assert.ok(
        gpu.selection?.notes.some((n) => /adapter .*swiftshader.*software/i.test(n)),
        gpu.selection?.notes.join("\n"),
      );
    });

    it("the shipped PadV2 is wrong above rank 4 (a GPU validation error, garbage out); the replacement matches a JS pad at ranks 4-6", () => {
      const shipped = gpu.padShipped ?? [];
      const fixed = gpu.padFixed ?? [];
      assert.equal(shipped.length, 5);
      for (const probe of shipped) {
        if (probe.rank > 4) {
          assert.match(
            probe.gpuError ?? "",
            /WGSL|Invalid|vec5|vec6/,
            `${probe.label}: the shipped kernel reports a validation error`,
          );
          assert.ok(
            probe.maxAbsDiff > 0.1,
            `${probe.label}: the shipped kernel's result is wrong (max diff ${probe.maxAbsDiff})`,
          );
        } else {
          assert.equal(probe.gpuError, null, probe.label);
          assert.equal(probe.maxAbsDiff, 0, probe.label);
        }
      }
      for (const probe of fixed) {
        assert.equal(probe.gpuError, null, probe.label);
        assert.ok(probe.shapeOk, probe.label);
        assert.equal(probe.maxAbsDiff, 0, `${probe.label}: a pad copies values exactly`);
      }
      assert.equal(gpu.padLeakedTensors, 0, "the composed pad releases its intermediates");
      assert.deepEqual(gpu.registration?.first, {
        backendName: "webgpu",
        addedKernels: [],
        keptKernels: [],
        replacedKernels: ["PadV2"],
        addedGradients: ["DepthToSpace"],
      });
      assert.deepEqual(
        gpu.registration?.second,
        { backendName: "webgpu", addedKernels: [], keptKernels: ["PadV2"], replacedKernels: [], addedGradients: [] },
        "idempotent",
      );
      // auditKernels sees the validation error: without the fix the dilated conv piece does not pass.
      assert.equal(gpu.dilatedAuditShipped?.ok, false);
      assert.match(gpu.dilatedAuditShipped?.error ?? "", /GPU validation error/);
    });

    for (const [index, c] of TRAIN_CASES.entries()) {
      it(`${c.name}: per-step task losses and weights, final parameters and weighting state equal cpu's`, () => {
        const g = gpu.train?.[index] as TrainRecord;
        const r = cpu.train[index] as TrainRecord;
        assert.equal(g.name, c.name);
        assert.equal(g.backend, "webgpu");
        assert.equal(r.backend, "cpu");
        compareSteps(g.steps, r.steps, c.name);
        compareParams(g.params, r.params, c.name);
        compareStates(g.state, r.state, c.name);
      });
    }

    it("absent tasks: a batch without a task gives it a null loss and weight 0 on webgpu, and the others still sum to 1", () => {
      for (const record of gpu.train ?? []) {
        for (const { step, task } of ABSENT) {
          const s = record.steps[step] as StepRecord;
          assert.equal(s.taskLosses[task], null, `${record.name} step ${step}`);
          assert.equal(s.weights[task], 0, `${record.name} step ${step}`);
          assert.ok(Math.abs(s.weights.reduce((a, b) => a + b, 0) - 1) < 1e-9, `${record.name} step ${step}: simplex`);
        }
      }
    });

    it("FAMO's two phases: the post-update observation moves its logits on webgpu as on cpu", () => {
      for (const [index, c] of TRAIN_CASES.entries()) {
        if (c.weighting !== "famo") continue;
        const state = gpu.train?.[index]?.state as { logits: number[]; pending: unknown; step: number };
        assert.ok(
          state.logits.some((l) => Math.abs(l) > 1e-3),
          `${c.name}: the logits moved (${state.logits.join(", ")})`,
        );
        // Same-batch: flush applied the last observation. Next-step: the last losses wait for the next batch.
        if (c.observation === "same-batch")
          assert.equal(state.pending, null, `${c.name}: no observation left pending after flush`);
        else
          assert.equal(
            (state.pending as unknown[] | null)?.length,
            3,
            `${c.name}: the last step's losses wait for the next batch`,
          );
        assert.equal(state.step, TRAIN_STEPS);
      }
      // The observation mode matters: same-batch and next-step end in different logits (on both backends).
      const sameBatch = gpu.train?.[TRAIN_CASES.findIndex((c) => c.observation === "same-batch" && !c.lagged)]
        ?.state as { logits: number[] };
      const nextStep = gpu.train?.[TRAIN_CASES.findIndex((c) => c.observation === "next-step")]?.state as {
        logits: number[];
      };
      assert.notDeepEqual(sameBatch.logits, nextStep.logits);
    });

    it("leaks no tensor: tf.memory().numTensors is the same after every step", () => {
      for (const record of [...(gpu.train ?? []), gpu.modelTraining as TrainRecord]) {
        const counts = record.steps.map((s) => s.tensors);
        assert.ok(
          counts.every((n) => n === counts[0]),
          `${record.name}: ${counts.join(", ")}`,
        );
      }
    });

    it("reads nothing synchronously: no dataSync/arraySync, no device readSync, exact mode runs two passes (syncRead false)", () => {
      for (const record of [...(gpu.train ?? []), gpu.modelTraining as TrainRecord]) {
        assert.equal(record.syncRead, false, record.name);
        assert.deepEqual(record.syncReads, { dataSync: 0, arraySync: 0, deviceReadSync: 0 }, record.name);
      }
      // The counter is live: cpu's exact mode reads inside the taped pass with dataSync.
      assert.ok((cpu.train[0] as TrainRecord).syncReads.dataSync > 0);
    });

    for (const [index, c] of CHECKPOINT_CASES.entries()) {
      it(`checkpoint (${c.name}): saved on webgpu after 2 steps, loaded into fresh objects, 2 more steps = 4 straight steps, = cpu`, () => {
        const g = gpu.checkpoints?.[index] as CheckpointRecord;
        const r = cpu.checkpoints[index] as CheckpointRecord;
        assert.equal(g.resumed.loadedStep, 2);
        // Resumed vs straight on webgpu: the same computation, so float32 ulps at most (Adam's bias correction is recomputed).
        compareSteps(g.resumed.steps, g.straight.steps.slice(2), `${c.name} resumed vs straight (webgpu)`);
        g.resumed.params.forEach((p, i) =>
          assertAllClose(p, g.straight.params[i] as number[], { rtol: 1e-6, atol: 1e-6 }, `${c.name}: variable ${i}`),
        );
        compareStates(g.resumed.state, g.straight.state, `${c.name} resumed vs straight (webgpu)`);
        // And the webgpu run equals cpu's.
        compareSteps(g.straight.steps, r.straight.steps, `${c.name} straight`);
        compareParams(g.resumed.params, r.resumed.params, `${c.name} resumed`);
      });
    }

    it("a task-prompted SRResNet 8x2 trains with Art (exact) on webgpu as on cpu", () => {
      const g = gpu.modelTraining as TrainRecord;
      const r = cpu.modelTraining as TrainRecord;
      compareSteps(g.steps, r.steps, g.name);
      compareParams(g.params, r.params, g.name);
      assert.ok((g.steps[2] as StepRecord).loss < (g.steps[0] as StepRecord).loss, "the loss falls");
    });

    it("a gradient-aware weighting (UPGrad) trains through createGradientTrainer on webgpu as on cpu: losses, Gramians, coefficients, parameters; one read-back per step, no sync read, no leak", () => {
      const g = gpu.gradientTraining as GradientTrainingRecord;
      const r = cpu.gradientTraining as GradientTrainingRecord;
      assert.equal(g.backend, "webgpu");
      assert.equal(g.steps.length, r.steps.length);
      g.steps.forEach((s, i) => {
        const c = r.steps[i] as GradientTrainingRecord["steps"][number];
        assert.deepEqual(
          s.taskLosses.map((l) => l === null),
          c.taskLosses.map((l) => l === null),
          `step ${i}: absent tasks`,
        );
        assertAllClose(s.taskLosses, c.taskLosses, TOL.losses, `step ${i}: task losses`);
        // Entries relative to the largest one (a float32 dot product over every parameter).
        const scale = Math.max(...c.gramian.flat().map(Math.abs));
        assertAllClose(s.gramian.flat(), c.gramian.flat(), { rtol: 0, atol: 1e-5 * scale }, `step ${i}: Gramian`);
        assertAllClose(s.coefficients, c.coefficients, { rtol: 1e-4, atol: 1e-6 }, `step ${i}: coefficients`);
        assert.equal(s.tensors, g.steps[0]?.tensors, `step ${i}: tensors leaked`);
      });
      compareParams(g.params, r.params, "UPGrad");
      assert.deepEqual(g.syncReads, { dataSync: 0, arraySync: 0, deviceReadSync: 0 }, "no synchronous read on webgpu");
    });

    it("auditKernels of the restoration models (srresnet, unet, prompt-unet) on webgpu: nothing missing, forward and gradients equal cpu's", () => {
      assert.deepEqual(
        (gpu.models ?? []).map((m) => (m.spec as { kind: string }).kind),
        ["srresnet", "unet", "prompt-unet"],
      );
      for (const m of gpu.models ?? []) {
        const label = JSON.stringify(m.spec);
        for (const audit of [m.audit, m.forwardAudit]) {
          assert.equal(audit.backend, "webgpu", label);
          assert.equal(audit.ok, true, `${label}: ${audit.error ?? ""}`);
          assert.deepEqual(audit.missingKernels, [], label);
          assert.deepEqual(audit.missingGradients, [], label);
          assert.equal(audit.leakedTensors, 0, label);
        }
        assert.ok(
          m.audit.usedKernels.includes("Conv2DBackpropFilter") && m.audit.usedKernels.includes("Conv2DBackpropInput"),
          `${label}: the audit ran the backward`,
        );
        assertAllClose([m.loss.tested], [m.loss.cpu], TOL.losses, `${label}: loss`);
        assert.equal(m.zeroGradients, 0, `${label}: every variable gets a gradient`);
        m.gradientRelDiff.forEach((d, i) =>
          assert.ok(
            d <= TOL.gradients,
            `${label}: gradient ${i} differs from cpu by ${d.toExponential(2)} of its scale`,
          ),
        );
      }
    });

    it("auditKernels of the restoration pieces on webgpu (after the fix): the same verdicts as on wasm, gradients equal cpu's", () => {
      const pieces = gpu.pieces ?? [];
      assert.ok(pieces.length >= 20);
      for (const p of pieces) {
        assert.equal(p.audit.ok, p.expectedToTrain, `${p.name}: ${p.audit.error ?? "ok"}`);
        if (!p.expectedToTrain) continue;
        assert.deepEqual(p.audit.missingKernels, [], p.name);
        assert.equal(p.audit.leakedTensors, 0, p.name);
        if (p.name.startsWith("resizeNearestNeighbor")) continue; // cpu is the wrong one there: see below
        assert.ok(p.comparison !== undefined, p.name);
        assertAllClose([p.comparison.loss.tested], [p.comparison.loss.cpu], TOL.losses, `${p.name}: loss`);
        p.comparison.gradientRelDiff.forEach((d, i) =>
          assert.ok(
            d <= TOL.gradients,
            `${p.name}: gradient ${i} differs from cpu by ${d.toExponential(2)} of its scale`,
          ),
        );
      }
      // The pieces that fail everywhere fail here for the documented reasons.
      const fft = pieces.find((p) => p.name.startsWith("FFT"));
      assert.deepEqual(fft?.audit.missingGradients, ["Complex"]);
      const dilated = pieces.find((p) => p.name === "conv2d dilation 2 (tf.conv2d)");
      assert.match(dilated?.audit.error ?? "", /dilation rates greater than 1/);
    });

    it("the nearest-neighbour resize gradient on webgpu matches a plain-JS adjoint for batch 2", () => {
      assert.equal(gpu.nearest?.length, 6);
      for (const row of gpu.nearest ?? []) assert.ok(row.maxAbsDiff <= 1e-5, `${row.label}: ${row.maxAbsDiff}`);
    });

    it("no GPU validation error went unnoticed (outside the deliberate probe of the shipped pad)", () => {
      assert.deepEqual(gpu.uncapturedGpuErrors, []);
    });
  });
}
