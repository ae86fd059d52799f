/**
 * What the WebGPU backend (@tensorflow/tfjs-backend-webgpu 4.22) needs to train the restoration
 * models correctly (see docs/backends.md, "WebGPU in Node"): its `PadV2` is replaced by one that
 * also works above rank 4, and the `DepthToSpace` gradient that tfjs-core lacks is added.
 * Every other kernel the audited pieces and models use is shipped and matches cpu.
 */
import { PAD_V2 } from "./kernels/pad-high-rank.js";
import { registerPadV2TrainingKernels, type TrainingKernelRegistration } from "./register.js";
import type { Tf } from "./types.js";

/** Kernels of the webgpu package that `registerWebGpuTrainingKernels` replaces (wrong above rank 4). */
export const WEBGPU_REPLACED_KERNEL_NAMES: readonly string[] = [PAD_V2];

/**
 * Replaces the WebGPU backend's `PadV2` (rank ≤ 4 still runs the shipped kernel) and registers the
 * missing `DepthToSpace` gradient. Idempotent. Call it after `@tensorflow/tfjs-backend-webgpu` has
 * been imported (`selectBackend(tf, "webgpu")` does). A backend without a `PadV2` is left alone.
 */
export function registerWebGpuTrainingKernels(tf: Tf, backendName = "webgpu"): TrainingKernelRegistration {
  return registerPadV2TrainingKernels(tf, backendName);
}
