/**
 * Kernel audits and gradients of the three restoration models and of the audit pieces on a tested
 * backend against cpu in the same process, and the nearest-neighbour resize gradient against a
 * plain-JS adjoint: webgpu/worker.ts runs them on WebGPU in Node, test/browser/adapter-page.ts on
 * webgl and webgpu in Chromium. Browser-safe (no Node built-in); every result is plain JSON.
 */
import type * as tfCore from "@tensorflow/tfjs-core";

import { createModel } from "../../../src/restoration/models/index.js";
import { auditPieces, restorationAuditPieces, type AuditPiece } from "../../../src/tfjs/backend/audit-pieces.js";
import { auditKernels, type KernelAudit } from "../../../src/tfjs/index.js";

type Tf = typeof tfCore;

export interface GradientComparison {
  /** Loss on the tested backend and on cpu. */
  readonly loss: { readonly tested: number; readonly cpu: number };
  /** Per variable: largest |tested - cpu| over the largest |cpu| of that gradient. */
  readonly gradientRelDiff: readonly number[];
  /** Variables whose cpu gradient is all zeros (should be none: the audits perturb every variable). */
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

export const read = async (t: tfCore.Tensor): Promise<Float32Array> => (await t.data()) as Float32Array;

/** Largest |a - b| over the largest |b| (0 when both are all zeros). */
export const relDiff = (a: Float32Array, b: Float32Array): number => {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  if (a.length !== b.length) return Infinity;
  return scale === 0 ? (diff === 0 ? 0 : Infinity) : diff / scale;
};

/** Loss and gradients (in `names` order) of `variableGrads(loss)` on the active backend. */
const lossAndGradients = async (
  tf: Tf,
  loss: () => tfCore.Scalar,
  variables?: tfCore.Variable[],
): Promise<{ lossValue: number; values: Float32Array[] }> => {
  const { value, grads } = tf.variableGrads(loss, variables);
  const names = variables === undefined ? Object.keys(grads).sort() : variables.map((v) => v.name);
  const values = await Promise.all(names.map((n) => read(grads[n] as tfCore.Tensor)));
  const lossValue = (await read(value))[0] as number;
  tf.dispose([value, ...Object.values(grads)]);
  return { lossValue, values };
};

const comparisonOf = (
  tested: { lossValue: number; values: Float32Array[] },
  cpu: { lossValue: number; values: Float32Array[] },
): GradientComparison => ({
  loss: { tested: tested.lossValue, cpu: cpu.lossValue },
  gradientRelDiff: cpu.values.map((expected, i) => relDiff(tested.values[i] as Float32Array, expected)),
  zeroGradients: cpu.values.filter((g) => g.every((v) => v === 0)).length,
});

/**
 * Loss and gradients of `loss` on cpu and on `backend`, each from the same host values: tensors
 * are rebuilt on each backend by `reset` (data computed on a GPU cannot always be read
 * synchronously, so it cannot move back to cpu).
 */
export const compareGradients = async (
  tf: Tf,
  backend: string,
  variables: ReadonlyArray<tfCore.Variable>,
  reset: () => void,
  loss: () => tfCore.Scalar,
): Promise<GradientComparison> => {
  const on = async (name: string) => {
    await tf.setBackend(name);
    reset();
    return lossAndGradients(tf, loss, [...variables]);
  };
  const cpu = await on("cpu");
  return comparisonOf(await on(backend), cpu);
};

/**
 * The gradients of a loss over variables already on cpu (built there): cpu first, then `backend`
 * (the data moves to it).
 */
export const compareGradientsFromCpu = async (
  tf: Tf,
  backend: string,
  loss: () => tfCore.Scalar,
): Promise<GradientComparison> => {
  await tf.setBackend("cpu");
  const cpu = await lossAndGradients(tf, loss);
  await tf.setBackend(backend);
  return comparisonOf(await lossAndGradients(tf, loss), cpu);
};

export const MODEL_SPECS = [
  { kind: "srresnet", width: 8, blocks: 2, taskPrompt: true },
  { kind: "unet", width: 4, depth: 2 },
  { kind: "prompt-unet", width: 4, depth: 2, prompts: 3, promptSize: 4 },
] as const;

/**
 * For each restoration model: the gradients of an L1 loss on `backend` against cpu, `auditKernels`
 * of the training loss (forward and backward) and of a forward-only loss. Leaves `backend` active.
 */
export const auditModels = async (tf: Tf, backend: string): Promise<ModelAudit[]> => {
  const audits: ModelAudit[] = [];
  for (const spec of MODEL_SPECS) {
    await tf.setBackend("cpu");
    const model = createModel(tf, spec, { seed: 1, numTasks: 3 });
    const variables = model.variables as tfCore.Variable[];
    // The output conv starts at zero (the model starts as the identity), which would zero most
    // gradients: perturb every variable so each one gets a gradient worth comparing.
    const host = variables.map((v, i) =>
      tf.tidy(() => tf.add(v, tf.randomUniform(v.shape, -0.05, 0.05, "float32", 100 + i)).dataSync() as Float32Array),
    );
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
    const loss = (): tfCore.Scalar => tf.mean(tf.abs(tf.sub(model.apply(x, { taskIds: [0, 2] }), y))) as tfCore.Scalar;
    const comparison = await compareGradients(tf, backend, variables, reset, loss);
    // The audit profiles on cpu first, then runs on the backend: start from data held by cpu.
    await tf.setBackend("cpu");
    reset();
    await tf.setBackend(backend);
    const audit = await auditKernels(tf, loss);
    await tf.setBackend("cpu");
    reset();
    await tf.setBackend(backend);
    // Forward only: a loss over constants (no variable is watched, so no backward runs).
    const forwardAudit = await auditKernels(tf, () =>
      tf.tidy(() => tf.mean(tf.abs(tf.sub(model.apply(x, { taskIds: [1, -1] }), y))) as tfCore.Scalar),
    );
    audits.push({ spec, parameterCount: model.parameterCount, audit, forwardAudit, ...comparison });
    tf.dispose([x, y]);
    model.dispose();
  }
  return audits;
};

/**
 * `auditKernels` of every restoration audit piece on `backend` (each built on cpu, whose reference
 * run needs the data there), and the gradients of the trainable ones against cpu (nearest-neighbour
 * resize excepted: cpu is the wrong one there, see `nearestAdjoint`). Leaves `backend` active.
 */
export const auditAllPieces = async (tf: Tf, backend: string): Promise<PieceAudit[]> => {
  const audits: PieceAudit[] = [];
  await tf.setBackend("cpu");
  const auditRows = await (async () => {
    const pieces = restorationAuditPieces(tf);
    const rows: Array<{ name: string; expectedToTrain: boolean; audit: KernelAudit }> = [];
    for (const piece of pieces) {
      await tf.setBackend("cpu");
      const [row] = await auditPieces([piece], async (loss) => {
        await tf.setBackend(backend);
        return auditKernels(tf, loss);
      });
      if (row !== undefined) rows.push(row);
    }
    return rows;
  })();
  // Gradients: each piece built once on cpu; cpu first, then the backend (the data moves there).
  const comparable = new Map<string, AuditPiece>(
    restorationAuditPieces(tf)
      .filter((p) => p.expectedToTrain)
      .map((p) => [p.name, p]),
  );
  for (const row of auditRows) {
    const piece = comparable.get(row.name);
    let comparison: GradientComparison | undefined;
    if (piece !== undefined && !piece.name.startsWith("resizeNearestNeighbor")) {
      await tf.setBackend("cpu");
      const { loss, dispose } = piece.build();
      try {
        comparison = await compareGradientsFromCpu(tf, backend, loss);
      } finally {
        dispose();
      }
    }
    audits.push({
      name: row.name,
      expectedToTrain: row.expectedToTrain,
      audit: row.audit,
      ...(comparison === undefined ? {} : { comparison }),
    });
  }
  await tf.setBackend(backend);
  return audits;
};

/** The nearest-neighbour resize gradient against a plain-JS adjoint (cpu's kernel is wrong for batch > 1). */
export const nearestAdjoint = async (
  tf: Tf,
  backend: string,
): Promise<Array<{ label: string; maxAbsDiff: number }>> => {
  await tf.setBackend(backend);
  const rows: Array<{ label: string; maxAbsDiff: number }> = [];
  const [batch, channels] = [2, 3];
  for (const [inSize, outSize] of [
    [4, 8],
    [3, 7],
    [8, 4],
  ] as const) {
    for (const alignCorners of [false, true]) {
      const source = (d: number): number =>
        alignCorners
          ? Math.min(inSize - 1, Math.round((d * (inSize - 1)) / (outSize - 1)))
          : Math.min(inSize - 1, Math.floor((d * inSize) / outSize));
      const dy = tf.randomUniform([batch, outSize, outSize, channels], -1, 1, "float32", 11);
      const dyValues = await read(dy);
      const expected = new Float32Array(batch * inSize * inSize * channels);
      for (let b = 0; b < batch; b++)
        for (let y = 0; y < outSize; y++)
          for (let x = 0; x < outSize; x++)
            for (let c = 0; c < channels; c++) {
              const at = ((b * inSize + source(y)) * inSize + source(x)) * channels + c;
              expected[at] =
                (expected[at] as number) + (dyValues[((b * outSize + y) * outSize + x) * channels + c] as number);
            }
      const images = tf.zeros([batch, inSize, inSize, channels]);
      const grad = tf.grad((t: tfCore.Tensor) =>
        tf.sum(tf.mul(tf.image.resizeNearestNeighbor(t as tfCore.Tensor4D, [outSize, outSize], alignCorners), dy)),
      )(images);
      const got = await read(grad);
      let maxAbsDiff = 0;
      for (let i = 0; i < expected.length; i++)
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs((got[i] as number) - (expected[i] as number)));
      rows.push({ label: `batch ${batch}, ${inSize}->${outSize}, alignCorners ${alignCorners}`, maxAbsDiff });
      tf.dispose([dy, images, grad]);
    }
  }
  return rows;
};

export interface PadProbe {
  readonly label: string;
  readonly rank: number;
  /** The first GPU validation error while it ran, if any (WebGPU: the op does not throw). */
  readonly gpuError: string | null;
  /** The error the op threw, if it did (WebGL: a shader that does not compile). */
  readonly error?: string;
  /** Largest |result - expected| (expected: a plain-JS pad); Infinity when the op threw. */
  readonly maxAbsDiff: number;
  readonly shapeOk: boolean;
}

/** The part of a WebGPU device used to catch validation errors. */
export interface GpuErrorScopes {
  pushErrorScope(filter: "validation"): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

/** A plain-JS constant pad of a row-major array, the reference for the pad probes. */
const padReference = (
  values: Float32Array,
  shape: number[],
  paddings: Array<[number, number]>,
  constant: number,
): Float32Array => {
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

export const PAD_CASES: Array<{ label: string; shape: number[]; paddings: Array<[number, number]>; constant: number }> =
  [
    {
      label: "rank 5, zeros between filter taps (trainableDilatedConv2d)",
      shape: [3, 1, 3, 1, 8],
      paddings: [
        [0, 0],
        [0, 1],
        [0, 0],
        [0, 1],
        [0, 0],
      ],
      constant: 0,
    },
    {
      label: "rank 6, zeros between pixels (insertZerosBetweenPixels)",
      shape: [2, 3, 1, 4, 1, 2],
      paddings: [
        [0, 0],
        [0, 0],
        [0, 2],
        [0, 0],
        [0, 1],
        [0, 0],
      ],
      constant: 0,
    },
    {
      label: "rank 5, every axis padded, constant 1.5",
      shape: [2, 3, 1, 2, 2],
      paddings: [
        [1, 0],
        [0, 2],
        [1, 1],
        [2, 0],
        [0, 1],
      ],
      constant: 1.5,
    },
    {
      label: "rank 6, two unpadded runs",
      shape: [2, 2, 3, 2, 2, 2],
      paddings: [
        [0, 0],
        [0, 0],
        [1, 1],
        [0, 0],
        [0, 0],
        [2, 1],
      ],
      constant: -1,
    },
    {
      label: "rank 4 (the shipped kernel)",
      shape: [2, 3, 4, 2],
      paddings: [
        [0, 1],
        [1, 1],
        [0, 0],
        [2, 0],
      ],
      constant: 0.5,
    },
  ];

/**
 * `tf.pad` of `PAD_CASES` on the active backend against a plain-JS pad. With `device` (WebGPU),
 * each runs inside a validation error scope; an op that throws is recorded, not rethrown.
 */
export const probePads = async (tf: Tf, device?: GpuErrorScopes): Promise<PadProbe[]> => {
  const probes: PadProbe[] = [];
  for (const c of PAD_CASES) {
    const size = c.shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, (_, i) => Math.sin(1.3 * i + 0.2));
    const expected = padReference(values, c.shape, c.paddings, c.constant);
    const expectedShape = c.shape.map((s, i) => s + c.paddings[i]![0] + c.paddings[i]![1]);
    device?.pushErrorScope("validation");
    const x = tf.tensor(values, c.shape);
    let y: tfCore.Tensor | undefined;
    try {
      y = tf.pad(x, c.paddings, c.constant);
      const got = (await y.data()) as Float32Array; // submits the GPU work inside the error scope
      const gpuError = (await device?.popErrorScope()) ?? null;
      let maxAbsDiff = got.length === expected.length ? 0 : Infinity;
      for (let i = 0; i < Math.min(got.length, expected.length); i++)
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i]! - expected[i]!));
      probes.push({
        label: c.label,
        rank: c.shape.length,
        gpuError: gpuError === null ? null : (gpuError.message.split("\n")[0] ?? ""),
        maxAbsDiff: Number.isNaN(maxAbsDiff) ? Infinity : maxAbsDiff,
        shapeOk: y.shape.join(",") === expectedShape.join(","),
      });
    } catch (error) {
      const gpuError = (await device?.popErrorScope()) ?? null;
      probes.push({
        label: c.label,
        rank: c.shape.length,
        gpuError: gpuError === null ? null : (gpuError.message.split("\n")[0] ?? ""),
        error: (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "",
        maxAbsDiff: Infinity,
        shapeOk: false,
      });
    } finally {
      tf.dispose(y === undefined ? [x] : [x, y]);
    }
  }
  return probes;
};
