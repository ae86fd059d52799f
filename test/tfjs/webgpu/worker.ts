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
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients
import {
  auditKernels, auditPieces, registerWebGpuTrainingKernels, restorationAuditPieces, selectBackend,
} from "../../../src/tfjs/index.js";
import type { AuditPiece, KernelAudit } from "../../../src/tfjs/index.js";
import { createModel } from "../../../src/restoration/models/index.js";
import {
  CHECKPOINT_CASES, TRAIN_CASES, runCheckpointCase, runModelTraining, runTrainCase,
} from "./scenarios.js";
import type { CheckpointRecord, TrainRecord } from "./scenarios.js";

/** The JSON the worker writes. */
export interface WorkerResult {
  readonly auto?: { choice: string; skipped: ReadonlyArray<{ choice: string; reason: string }>; navigatorGpuAfter: string };
  readonly selection?: { choice: string; backendName: string; notes: readonly string[] };
  readonly padShipped?: PadProbe[];
  readonly dilatedAuditShipped?: KernelAudit;
  readonly registration?: { first: unknown; second: unknown };
  readonly padFixed?: PadProbe[];
  readonly padLeakedTensors?: number;
  readonly train?: TrainRecord[];
  readonly checkpoints?: CheckpointRecord[];
  readonly modelTraining?: TrainRecord;
  readonly models?: ModelAudit[];
  readonly pieces?: PieceAudit[];
  readonly nearest?: Array<{ label: string; maxAbsDiff: number }>;
  /** Uncaptured GPU errors (validation errors outside an error scope): each one means a wrong result somewhere. */
  readonly uncapturedGpuErrors: string[];
  readonly seconds: Record<string, number>;
  readonly failure?: string;
}

export interface PadProbe {
  readonly label: string;
  readonly rank: number;
  /** The first GPU validation error while it ran, if any. */
  readonly gpuError: string | null;
  /** Largest |result - expected| (expected: a plain-JS pad). */
  readonly maxAbsDiff: number;
  readonly shapeOk: boolean;
}

export interface GradientComparison {
  /** Loss on webgpu and on cpu. */
  readonly loss: { readonly webgpu: number; readonly cpu: number };
  /** Per variable: largest |webgpu - cpu| over the largest |cpu| of that gradient. */
  readonly gradientRelDiff: readonly number[];
  /** Variables whose cpu gradient is all zeros (should be none: the test perturbs every variable). */
  readonly zeroGradients: number;
}

export interface ModelAudit extends GradientComparison {
  readonly spec: unknown;
  readonly parameterCount: number;
  readonly audit: KernelAudit;
  readonly forwardAudit: KernelAudit;
}

export interface PieceAudit {
  readonly name: string;
  readonly expectedToTrain: boolean;
  readonly audit: KernelAudit;
  readonly comparison?: GradientComparison;
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

/** A plain-JS constant pad of a row-major array, the reference for the pad probes. */
const padReference = (values: Float32Array, shape: number[], paddings: Array<[number, number]>, constant: number): Float32Array => {
  const outShape = shape.map((s, i) => s + paddings[i]![0] + paddings[i]![1]);
  const size = outShape.reduce((a, b) => a * b, 1);
  const outValues = new Float32Array(size).fill(constant);
  const inSize = values.length;
  for (let flat = 0; flat < inSize; flat++) {
    let rest = flat;
    let outIndex = 0;
    let outStride = 1;
    const coords: number[] = new Array<number>(shape.length);
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      coords[axis] = rest % shape[axis]!;
      rest = Math.floor(rest / shape[axis]!);
    }
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      outIndex += (coords[axis]! + paddings[axis]![0]) * outStride;
      outStride *= outShape[axis]!;
    }
    outValues[outIndex] = values[flat]!;
  }
  return outValues;
};

const PAD_CASES: Array<{ label: string; shape: number[]; paddings: Array<[number, number]>; constant: number }> = [
  { label: "rank 5, zeros between filter taps (trainableDilatedConv2d)", shape: [3, 1, 3, 1, 8], paddings: [[0, 0], [0, 1], [0, 0], [0, 1], [0, 0]], constant: 0 },
  { label: "rank 6, zeros between pixels (insertZerosBetweenPixels)", shape: [2, 3, 1, 4, 1, 2], paddings: [[0, 0], [0, 0], [0, 2], [0, 0], [0, 1], [0, 0]], constant: 0 },
  { label: "rank 5, every axis padded, constant 1.5", shape: [2, 3, 1, 2, 2], paddings: [[1, 0], [0, 2], [1, 1], [2, 0], [0, 1]], constant: 1.5 },
  { label: "rank 6, two unpadded runs", shape: [2, 2, 3, 2, 2, 2], paddings: [[0, 0], [0, 0], [1, 1], [0, 0], [0, 0], [2, 1]], constant: -1 },
  { label: "rank 4 (the shipped kernel)", shape: [2, 3, 4, 2], paddings: [[0, 1], [1, 1], [0, 0], [2, 0]], constant: 0.5 },
];

const probePads = async (): Promise<PadProbe[]> => {
  const probes: PadProbe[] = [];
  for (const c of PAD_CASES) {
    const size = c.shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, (_, i) => Math.sin(1.3 * i + 0.2));
    const expected = padReference(values, c.shape, c.paddings, c.constant);
    device().pushErrorScope("validation");
    const x = tf.tensor(values, c.shape);
    const y = tf.pad(x, c.paddings, c.constant);
    const got = (await y.data()) as Float32Array; // submits the GPU work inside the error scope
    const gpuError = await device().popErrorScope();
    const expectedShape = c.shape.map((s, i) => s + c.paddings[i]![0] + c.paddings[i]![1]);
    let maxAbsDiff = got.length === expected.length ? 0 : Infinity;
    for (let i = 0; i < Math.min(got.length, expected.length); i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i]! - expected[i]!));
    probes.push({
      label: c.label,
      rank: c.shape.length,
      gpuError: gpuError === null ? null : (gpuError.message.split("\n")[0] ?? ""),
      maxAbsDiff: Number.isNaN(maxAbsDiff) ? Infinity : maxAbsDiff,
      shapeOk: y.shape.join(",") === expectedShape.join(","),
    });
    tf.dispose([x, y]);
  }
  return probes;
};

const read = async (t: tf.Tensor): Promise<Float32Array> => (await t.data()) as Float32Array;

/** Largest |a - b| over the largest |b| (0 when both are all zeros). */
const relDiff = (a: Float32Array, b: Float32Array): number => {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  if (a.length !== b.length) return Infinity;
  return scale === 0 ? (diff === 0 ? 0 : Infinity) : diff / scale;
};

/**
 * Loss and gradients of `loss` on cpu and on webgpu, each from the same host values: tensors are
 * rebuilt on each backend by `reset` (data computed on the GPU cannot be read synchronously, so it
 * cannot move back to cpu).
 */
const compareGradients = async (variables: ReadonlyArray<tf.Variable>, reset: () => void, loss: () => tf.Scalar): Promise<GradientComparison> => {
  const on = async (backend: string) => {
    await tf.setBackend(backend);
    reset();
    const { value, grads } = tf.variableGrads(loss, [...variables]);
    const values = await Promise.all(variables.map((v) => read(grads[v.name] as tf.Tensor)));
    const lossValue = (await read(value))[0] as number;
    tf.dispose([value, ...Object.values(grads)]);
    return { lossValue, values };
  };
  const cpu = await on("cpu");
  const gpu = await on("webgpu");
  return {
    loss: { webgpu: gpu.lossValue, cpu: cpu.lossValue },
    gradientRelDiff: cpu.values.map((expected, i) => relDiff(gpu.values[i] as Float32Array, expected)),
    zeroGradients: cpu.values.filter((g) => g.every((v) => v === 0)).length,
  };
};

const MODEL_SPECS = [
  { kind: "srresnet", width: 8, blocks: 2, taskPrompt: true },
  { kind: "unet", width: 4, depth: 2 },
  { kind: "prompt-unet", width: 4, depth: 2, prompts: 3, promptSize: 4 },
] as const;

const auditModels = async (): Promise<ModelAudit[]> => {
  const audits: ModelAudit[] = [];
  for (const spec of MODEL_SPECS) {
    await tf.setBackend("cpu");
    const model = createModel(tf, spec, { seed: 1, numTasks: 3 });
    const variables = model.variables as tf.Variable[];
    // The output conv starts at zero (the model starts as the identity), which would zero most
    // gradients: perturb every variable so each one gets a gradient worth comparing.
    const host = variables.map((v, i) => tf.tidy(() => tf.add(v, tf.randomUniform(v.shape, -0.05, 0.05, "float32", 100 + i)).dataSync() as Float32Array));
    const inputs = tf.tidy(() => tf.randomUniform([2, 16, 16, 3], 0, 1, "float32", 5).dataSync() as Float32Array);
    const targets = tf.tidy(() => tf.randomUniform([2, 16, 16, 3], 0, 1, "float32", 6).dataSync() as Float32Array);
    let x = tf.tensor4d(inputs, [2, 16, 16, 3]);
    let y = tf.tensor4d(targets, [2, 16, 16, 3]);
    const reset = (): void => {
      variables.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(host[i] as Float32Array, v.shape))));
      tf.dispose([x, y]);
      x = tf.tensor4d(inputs, [2, 16, 16, 3]);
      y = tf.tensor4d(targets, [2, 16, 16, 3]);
    };
    const loss = (): tf.Scalar => tf.mean(tf.abs(tf.sub(model.apply(x, { taskIds: [0, 2] }), y))) as tf.Scalar;
    const comparison = await compareGradients(variables, reset, loss);
    // The audit profiles on cpu first, then runs on webgpu: start from data held by cpu.
    await tf.setBackend("cpu");
    reset();
    await tf.setBackend("webgpu");
    const audit = await auditKernels(tf, loss);
    await tf.setBackend("cpu");
    reset();
    await tf.setBackend("webgpu");
    // Forward only: a loss over constants (no variable is watched, so no backward runs).
    const forwardAudit = await auditKernels(tf, () => tf.tidy(() => tf.mean(tf.abs(tf.sub(model.apply(x, { taskIds: [1, -1] }), y))) as tf.Scalar));
    audits.push({ spec, parameterCount: model.parameterCount, audit, forwardAudit, ...comparison });
    tf.dispose([x, y]);
    model.dispose();
  }
  return audits;
};

const auditAllPieces = async (): Promise<PieceAudit[]> => {
  // Build on cpu (the audit's reference run needs the data there), audit on webgpu.
  const audits: PieceAudit[] = [];
  await tf.setBackend("cpu");
  const auditRows = await (async () => {
    const pieces = restorationAuditPieces(tf);
    const rows: Array<{ name: string; expectedToTrain: boolean; audit: KernelAudit }> = [];
    for (const piece of pieces) {
      await tf.setBackend("cpu");
      const [row] = await auditPieces([piece], async (loss) => {
        await tf.setBackend("webgpu");
        return auditKernels(tf, loss);
      });
      if (row !== undefined) rows.push(row);
    }
    return rows;
  })();
  // Gradients: each piece built once on cpu; cpu first, then webgpu (the data moves to the GPU).
  const comparable = new Map<string, AuditPiece>(restorationAuditPieces(tf).filter((p) => p.expectedToTrain).map((p) => [p.name, p]));
  for (const row of auditRows) {
    const piece = comparable.get(row.name);
    let comparison: GradientComparison | undefined;
    if (piece !== undefined && !piece.name.startsWith("resizeNearestNeighbor")) {
      await tf.setBackend("cpu");
      const { loss, dispose } = piece.build();
      try {
        const on = async (backend: string) => {
          await tf.setBackend(backend);
          const { value, grads } = tf.variableGrads(loss);
          const names = Object.keys(grads).sort();
          const values = await Promise.all(names.map((n) => read(grads[n] as tf.Tensor)));
          const lossValue = (await read(value))[0] as number;
          tf.dispose([value, ...Object.values(grads)]);
          return { lossValue, values };
        };
        const cpu = await on("cpu");
        const gpu = await on("webgpu");
        comparison = {
          loss: { webgpu: gpu.lossValue, cpu: cpu.lossValue },
          gradientRelDiff: cpu.values.map((expected, i) => relDiff(gpu.values[i] as Float32Array, expected)),
          zeroGradients: cpu.values.filter((g) => g.every((v) => v === 0)).length,
        };
      } finally {
        dispose();
      }
    }
    audits.push({ name: row.name, expectedToTrain: row.expectedToTrain, audit: row.audit, ...(comparison === undefined ? {} : { comparison }) });
  }
  await tf.setBackend("webgpu");
  return audits;
};

/** The nearest-neighbour resize gradient against a plain-JS adjoint (cpu's kernel is wrong for batch > 1). */
const nearestAdjoint = async (): Promise<Array<{ label: string; maxAbsDiff: number }>> => {
  await tf.setBackend("webgpu");
  const rows: Array<{ label: string; maxAbsDiff: number }> = [];
  const [batch, channels] = [2, 3];
  for (const [inSize, outSize] of [[4, 8], [3, 7], [8, 4]] as const) {
    for (const alignCorners of [false, true]) {
      const source = (d: number): number => alignCorners
        ? Math.min(inSize - 1, Math.round((d * (inSize - 1)) / (outSize - 1)))
        : Math.min(inSize - 1, Math.floor((d * inSize) / outSize));
      const dy = tf.randomUniform([batch, outSize, outSize, channels], -1, 1, "float32", 11);
      const dyValues = await read(dy);
      const expected = new Float32Array(batch * inSize * inSize * channels);
      for (let b = 0; b < batch; b++) for (let y = 0; y < outSize; y++) for (let x = 0; x < outSize; x++) for (let c = 0; c < channels; c++) {
        const at = ((b * inSize + source(y)) * inSize + source(x)) * channels + c;
        expected[at] = (expected[at] as number) + (dyValues[((b * outSize + y) * outSize + x) * channels + c] as number);
      }
      const images = tf.zeros([batch, inSize, inSize, channels]);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [outSize, outSize], alignCorners), dy)))(images);
      const got = await read(grad);
      let maxAbsDiff = 0;
      for (let i = 0; i < expected.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs((got[i] as number) - (expected[i] as number)));
      rows.push({ label: `batch ${batch}, ${inSize}->${outSize}, alignCorners ${alignCorners}`, maxAbsDiff });
      tf.dispose([dy, images, grad]);
    }
  }
  return rows;
};

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
    device().onuncapturederror = (event) => result.uncapturedGpuErrors.push((event.error?.message ?? "unknown GPU error").split("\n")[0] ?? "");
    return { choice: selection.choice, backendName: selection.backendName, notes: selection.notes };
  });
  result.padShipped = await section("pad, shipped kernel", probePads);
  result.dilatedAuditShipped = await section("audit dilated conv, shipped pad", async () => {
    await tf.setBackend("cpu");
    const piece = restorationAuditPieces(tf).find((p) => p.name.startsWith("conv2d dilation 2 (trainableDilatedConv2d)"));
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
  result.padFixed = await section("pad, replacement", probePads);
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
      for (const [i, c] of CHECKPOINT_CASES.entries()) records.push(await runCheckpointCase(tf, c, join(root, `case-${i}`)));
      return records;
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
  result.modelTraining = await section("model training", () => runModelTraining(tf));
  result.models = await section("model audits", auditModels);
  result.pieces = await section("piece audits", auditAllPieces);
  result.nearest = await section("nearest adjoint", nearestAdjoint);
};

try {
  await main();
} catch (err) {
  result.failure = err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err);
}
writeFileSync(out, JSON.stringify(result));
// Dawn can keep the event loop alive; the results are written.
process.exit(result.failure === undefined ? 0 : 1);
