/**
 * The WebGPU half of webgpu.test.ts, run in its own process (navigator.gpu, the backend
 * registration and the Vulkan driver are per process): `node --import tsx worker.ts <out.json>`,
 * started with SwiftShader's LD_LIBRARY_PATH and VK_ICD_FILENAMES (test/support/swiftshader.ts).
 *
 * It selects WebGPU through `selectBackend`, probes the shipped PadV2, registers the fixes, runs
 * the training scenarios of scenarios.ts, audits the restoration models and pieces (forward and
 * gradients, against cpu in this process), and writes everything as JSON for the parent to check.
 * It asserts nothing itself, except that each section ran: a thrown error is recorded and the
 * process exits 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import { auditPieces, restorationAuditPieces } from "../../../src/tfjs/backend/audit-pieces.js";
import {
  auditKernels,
  registerWebGpuTrainingKernels,
  selectBackend,
  type KernelAudit,
} from "../../../src/tfjs/index.js";
import {
  auditAllPieces,
  auditModels,
  nearestAdjoint,
  probePads,
  type ModelAudit,
  type PadProbe,
  type PieceAudit,
} from "./audits.js";
import {
  CHECKPOINT_CASES,
  runCheckpointCase,
  runGradientTraining,
  runModelTraining,
  runTrainCase,
  TRAIN_CASES,
  type CheckpointRecord,
  type GradientTrainingRecord,
  type TrainRecord,
} from "./scenarios.js";

/** The JSON the worker writes. */
export interface WorkerResult {
  readonly auto?: {
    choice: string;
    skipped: ReadonlyArray<{ choice: string; reason: string }>;
    navigatorGpuAfter: string;
  };
  readonly selection?: { choice: string; backendName: string; notes: readonly string[] };
  readonly padShipped?: PadProbe[];
  readonly dilatedAuditShipped?: KernelAudit;
  readonly registration?: { first: unknown; second: unknown };
  readonly padFixed?: PadProbe[];
  readonly padLeakedTensors?: number;
  readonly train?: TrainRecord[];
  readonly checkpoints?: CheckpointRecord[];
  readonly modelTraining?: TrainRecord;
  readonly gradientTraining?: GradientTrainingRecord;
  readonly models?: ModelAudit[];
  readonly pieces?: PieceAudit[];
  readonly nearest?: Array<{ label: string; maxAbsDiff: number }>;
  /** Uncaptured GPU errors (validation errors outside an error scope): each one means a wrong result somewhere. */
  readonly uncapturedGpuErrors: string[];
  readonly seconds: Record<string, number>;
  readonly failure?: string;
}

const out = process.argv[2];
if (out === undefined) throw new Error("usage: worker.ts <out.json>");

const result: { -readonly [K in keyof WorkerResult]: WorkerResult[K] } = { uncapturedGpuErrors: [], seconds: {} };
const section = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
  const start = performance.now();
  try {
    return await run();
  } finally {
    result.seconds[name] = Math.round(performance.now() - start) / 1000;
  }
};

interface GpuDevice {
  pushErrorScope(filter: "validation"): void;
  popErrorScope(): Promise<{ message: string } | null>;
  onuncapturederror: ((event: { error?: { message?: string } }) => void) | null;
}
const device = (): GpuDevice => (tf.findBackend("webgpu") as unknown as { device: GpuDevice }).device;

const main = async (): Promise<void> => {
  // tfjs' test mode: every kernel is checked for leaked data ids (and no "install tfjs-node" banner).
  tf.env().set("IS_TEST", true);
  result.auto = await section("auto", async () => {
    const auto = await selectBackend(tf, "auto", { order: ["webgpu", "cpu"] });
    return {
      choice: auto.choice,
      skipped: auto.skipped,
      navigatorGpuAfter: typeof (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu,
    };
  });
  result.selection = await section("select webgpu", async () => {
    const selection = await selectBackend(tf, "webgpu", { registerTrainingKernels: false });
    device().onuncapturederror = (event) =>
      result.uncapturedGpuErrors.push((event.error?.message ?? "unknown GPU error").split("\n")[0] ?? "");
    return { choice: selection.choice, backendName: selection.backendName, notes: selection.notes };
  });
  result.padShipped = await section("pad, shipped kernel", () => probePads(tf, device()));
  result.dilatedAuditShipped = await section("audit dilated conv, shipped pad", async () => {
    await tf.setBackend("cpu");
    const piece = restorationAuditPieces(tf).find((p) =>
      p.name.startsWith("conv2d dilation 2 (trainableDilatedConv2d)"),
    );
    if (piece === undefined) throw new Error("no trainableDilatedConv2d piece");
    const [row] = await auditPieces([piece], async (loss) => {
      await tf.setBackend("webgpu");
      return auditKernels(tf, loss);
    });
    if (row === undefined) throw new Error("no audit row");
    return row.audit;
  });
  await tf.setBackend("webgpu");
  result.registration = { first: registerWebGpuTrainingKernels(tf), second: registerWebGpuTrainingKernels(tf) };
  const tensorsBeforePads = tf.memory().numTensors;
  result.padFixed = await section("pad, replacement", () => probePads(tf, device()));
  result.padLeakedTensors = tf.memory().numTensors - tensorsBeforePads;

  await tf.setBackend("webgpu");
  result.train = await section("train cases", async () => {
    const records: TrainRecord[] = [];
    for (const c of TRAIN_CASES) records.push(await runTrainCase(tf, c));
    return records;
  });
  result.checkpoints = await section("checkpoints", async () => {
    const root = mkdtempSync(join(tmpdir(), "art-mtl-webgpu-ckpt-"));
    try {
      const records: CheckpointRecord[] = [];
      for (const [i, c] of CHECKPOINT_CASES.entries())
        records.push(await runCheckpointCase(tf, c, join(root, `case-${i}`)));
      return records;
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
  result.modelTraining = await section("model training", () => runModelTraining(tf));
  result.gradientTraining = await section("gradient-aware training", () => runGradientTraining(tf));
  result.models = await section("model audits", () => auditModels(tf, "webgpu"));
  result.pieces = await section("piece audits", () => auditAllPieces(tf, "webgpu"));
  result.nearest = await section("nearest adjoint", () => nearestAdjoint(tf, "webgpu"));
};

try {
  await main();
} catch (err) {
  result.failure = err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err);
}
writeFileSync(out, JSON.stringify(result));
// Dawn can keep the event loop alive; the results are written.
process.exit(result.failure === undefined ? 0 : 1);
