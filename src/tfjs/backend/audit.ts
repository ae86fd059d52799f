/**
 * Finds out which kernels (and gradients) a computation needs that the active backend lacks,
 * by actually running it forward and backward.
 */
import type { Scalar, Tf } from "./types.js";

/** Result of `auditKernels`. */
export interface KernelAudit {
  /** The backend that was audited (the active one). */
  readonly backend: string;
  /** True when forward + backward ran on `backend` without error (false when it was not attempted because kernels are missing). */
  readonly ok: boolean;
  /** Every kernel the computation ran (forward and backward), as seen on the reference backend (or on `backend` when it succeeded). */
  readonly usedKernels: readonly string[];
  /** Kernels in `usedKernels` (or named by the failure) that `backend` has no implementation for. */
  readonly missingKernels: readonly string[];
  /** Kernels that tfjs-core has no gradient for although the loss depends on them through trainable inputs. */
  readonly missingGradients: readonly string[];
  /** Why it failed (or would fail) on `backend`, when `ok` is false. */
  readonly error?: string;
  /**
   * Tensors left allocated by the audit. Non-zero only when a backward pass threw: tfjs-core then
   * keeps the tensors it saved for backprop, and nothing outside the engine can release them.
   */
  readonly leakedTensors: number;
}

/** Options of `auditKernels`. */
export interface AuditOptions {
  /**
   * A backend that has (nearly) every kernel, used to list the kernels the computation runs even
   * past the first failure on the audited backend. Default "cpu"; `null` disables it.
   */
  readonly referenceBackend?: string | null;
}

const MISSING_KERNEL = /Kernel '([^']+)' not registered for backend '([^']+)'/;
const MISSING_GRADIENT = /gradient function not found for (\w+)/;

interface RunOutcome {
  readonly kernels: readonly string[];
  readonly error?: string;
}

/** The part of a WebGPU device (`GPUDevice`) used to catch validation errors. */
interface GpuErrorScopes {
  pushErrorScope(filter: "validation"): void;
  popErrorScope(): Promise<{ readonly message: string } | null>;
}

/**
 * The active backend's WebGPU device, when it has one (the tfjs WebGPU backend keeps it in
 * `device`). A GPU backend does not throw on an invalid shader or command buffer: the device
 * reports a validation error, the work is dropped, and the op returns a wrong result. An error
 * scope around the run turns that into an audit failure.
 */
function gpuErrorScopes(tf: Tf): { readonly device: GpuErrorScopes; readonly flush: () => void } | undefined {
  const backend = tf.backend() as { device?: Partial<GpuErrorScopes> } & Partial<
    Record<"ensureCommandEncoderReady" | "endComputePassEncoder" | "submitQueue", () => void>
  >;
  const device = backend.device;
  if (typeof device?.pushErrorScope !== "function" || typeof device.popErrorScope !== "function") return undefined;
  // tfjs batches GPU commands; submitting them inside the scope lets it see queue errors too. This
  // is the sequence the backend itself runs before a read-back (its methods, not public API:
  // skipped when a version lacks them).
  const flush = (): void => {
    const { ensureCommandEncoderReady, endComputePassEncoder, submitQueue } = backend;
    if (
      typeof ensureCommandEncoderReady !== "function" ||
      typeof endComputePassEncoder !== "function" ||
      typeof submitQueue !== "function"
    )
      return;
    ensureCommandEncoderReady.call(backend);
    endComputePassEncoder.call(backend);
    submitQueue.call(backend);
  };
  return { device: device as GpuErrorScopes, flush };
}

/** Runs `fn` (and, unless `forwardOnly`, its gradient w.r.t. the trainable variables it touches) under the profiler. */
async function profileRun(tf: Tf, fn: () => Scalar, forwardOnly = false): Promise<RunOutcome> {
  const gpu = gpuErrorScopes(tf);
  gpu?.device.pushErrorScope("validation");
  let gpuScopeOpen = gpu !== undefined;
  const closeGpuScope = async (): Promise<string | undefined> => {
    if (gpu === undefined || !gpuScopeOpen) return undefined;
    gpuScopeOpen = false;
    gpu.flush();
    const gpuError = await gpu.device.popErrorScope();
    return gpuError === null
      ? undefined
      : `GPU validation error on '${tf.getBackend()}' (the result would be wrong): ${firstLineOf(gpuError.message)}`;
  };
  try {
    const info = await tf.profile(() => {
      // Results are disposed right away: only the list of kernels is wanted.
      if (forwardOnly) {
        tf.dispose(tf.tidy(fn));
      } else {
        const { value, grads } = tf.variableGrads(fn);
        tf.dispose([value, ...Object.values(grads)]);
      }
      return [];
    });
    const gpuError = await closeGpuScope();
    return gpuError === undefined ? { kernels: info.kernelNames } : { kernels: info.kernelNames, error: gpuError };
  } catch (err) {
    await closeGpuScope();
    // tf.profile leaves the engine in profiling mode when its query throws; switch it back off
    // so later work does not keep paying for (and accumulating) kernel records.
    const state = tf.engine().state;
    state.profiling = false;
    state.activeProfile.kernels = [];
    return { kernels: [], error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Runs `fn` (a loss built from trainable `tf.variable`s) forward and backward and reports which
 * kernels the active backend is missing for it.
 *
 * First the computation is profiled on `referenceBackend` (default "cpu", which has nearly every
 * kernel) and each kernel it ran is looked up in the active backend's registry with
 * `tf.getKernel`; this lists *all* missing kernels, where a failing run would stop at the first.
 * When nothing is missing the computation is then run on the active backend itself, and a
 * "Kernel 'X' not registered" or "gradient function not found for X" error is caught and
 * reported; on a WebGPU backend, a GPU validation error during the run (an invalid shader: the
 * op then silently returns garbage) is reported the same way. Runs that would certainly fail are skipped, because tfjs-core keeps the tensors it
 * saved for backprop when a backward pass throws (a leak this helper cannot undo). The active
 * backend is restored before returning.
 */
export async function auditKernels(tf: Tf, fn: () => Scalar, options: AuditOptions = {}): Promise<KernelAudit> {
  const backend = tf.getBackend();
  const tensorsBefore = tf.memory().numTensors;
  const missingKernels = new Set<string>();
  const missingGradients = new Set<string>();
  const noteError = (message: string | undefined): void => {
    if (message === undefined) return;
    const kernel = MISSING_KERNEL.exec(message);
    if (kernel?.[1] !== undefined && kernel[2] === backend) missingKernels.add(kernel[1]);
    const gradient = MISSING_GRADIENT.exec(message);
    if (gradient?.[1] !== undefined) missingGradients.add(gradient[1]);
  };

  let usedKernels: readonly string[] = [];
  let referenceError: string | undefined;
  const reference = options.referenceBackend === undefined ? "cpu" : options.referenceBackend;
  if (reference !== null && reference !== backend && tf.engine().registryFactory[reference] !== undefined) {
    try {
      await tf.setBackend(reference);
      const onReference = await profileRun(tf, fn);
      referenceError = onReference.error;
      noteError(referenceError);
      // When even the reference cannot differentiate it, at least list the forward kernels.
      usedKernels = referenceError === undefined ? onReference.kernels : (await profileRun(tf, fn, true)).kernels;
    } finally {
      await tf.setBackend(backend);
    }
    for (const name of usedKernels) {
      if (tf.getKernel(name, backend) === undefined) missingKernels.add(name);
    }
  }

  let error: string | undefined;
  if (missingKernels.size > 0 || referenceError !== undefined) {
    error = referenceError ?? `not run on '${backend}': kernels missing: ${[...missingKernels].sort().join(", ")}`;
  } else {
    const onActive = await profileRun(tf, fn);
    error = onActive.error;
    noteError(error);
    if (error === undefined) usedKernels = onActive.kernels;
  }
  const sorted = (names: Iterable<string>): string[] => [...new Set(names)].sort();
  return {
    backend,
    ok: error === undefined,
    usedKernels: sorted(usedKernels),
    missingKernels: sorted(missingKernels),
    missingGradients: sorted(missingGradients),
    leakedTensors: tf.memory().numTensors - tensorsBefore,
    ...(error === undefined ? {} : { error }),
  };
}

function firstLineOf(message: string): string {
  return (message.split("\n")[0] ?? message).slice(0, 300);
}

/** Formats audits as a Markdown table (name | ok | missing kernels | missing gradients). */
export function formatAuditTable(rows: ReadonlyArray<{ readonly name: string; readonly audit: KernelAudit }>): string {
  const lines = ["| piece | trains on backend | missing kernels | missing gradients |", "|---|---|---|---|"];
  for (const { name, audit } of rows) {
    const list = (xs: readonly string[]): string => (xs.length === 0 ? "-" : xs.join(", "));
    lines.push(
      `| ${name} | ${audit.ok ? "yes" : "no"} | ${list(audit.missingKernels)} | ${list(audit.missingGradients)} |`,
    );
  }
  return lines.join("\n");
}
