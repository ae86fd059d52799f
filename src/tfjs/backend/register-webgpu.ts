/**
 * What the WebGPU backend (@tensorflow/tfjs-backend-webgpu 4.22) needs to train the restoration
 * models correctly (see docs/backends.md, "WebGPU in Node"): its `PadV2` is replaced by one that
 * also works above rank 4, and the `DepthToSpace` gradient that tfjs-core lacks is added.
 * Every other kernel the audited pieces and models use is shipped and matches cpu.
 */
import type { Tf } from "./types.js";
import type { TrainingKernelRegistration } from "./register.js";
import { registerMissingGradients } from "./register.js";
import { PAD_V2, padV2HighRankKernel } from "./kernels/pad-high-rank.js";

/** Kernels of the webgpu package that `registerWebGpuTrainingKernels` replaces (wrong above rank 4). */
export const WEBGPU_REPLACED_KERNEL_NAMES: readonly string[] = [PAD_V2];

/** Kernel functions built here, so a second call recognises them and leaves them alone. */
const OURS = new WeakSet<object>();

/**
 * Replaces the WebGPU backend's `PadV2` (rank ≤ 4 still runs the shipped kernel) and registers the
 * missing `DepthToSpace` gradient. Idempotent. Call it after `@tensorflow/tfjs-backend-webgpu` has
 * been imported (`selectBackend(tf, "webgpu")` does). A backend without a `PadV2` is left alone.
 */
export function registerWebGpuTrainingKernels(tf: Tf, backendName = "webgpu"): TrainingKernelRegistration {
  const replacedKernels: string[] = [];
  const keptKernels: string[] = [];
  const current = tf.getKernel(PAD_V2, backendName);
  if (current !== undefined && OURS.has(current.kernelFunc)) {
    keptKernels.push(PAD_V2);
  } else if (current !== undefined) {
    const config = padV2HighRankKernel(tf, backendName, current.kernelFunc);
    // PadV2 has no setup/dispose hooks to lose by unregistering.
    tf.unregisterKernel(PAD_V2, backendName);
    OURS.add(config.kernelFunc);
    tf.registerKernel(config);
    replacedKernels.push(PAD_V2);
  }
  const addedGradients = registerMissingGradients(tf);
  return { backendName, addedKernels: [], keptKernels, replacedKernels, addedGradients };
}
