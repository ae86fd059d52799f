/**
 * What the WebGL backend (@tensorflow/tfjs-backend-webgl 4.22) needs to train the restoration
 * models and the audit pieces (see docs/backends.md, "webgl in Chromium"): its `PadV2` shaders
 * (packed and unpacked) do not compile above rank 4 (`lessThan` has no overload for the `ivec5`
 * and `ivec6` structs it generates), so the op throws "Failed to compile fragment shader" there;
 * it is replaced by one that composes pads of rank ≤ 4 (`pad-high-rank.ts`, as on WebGPU). The
 * `DepthToSpace` gradient that tfjs-core lacks is added. Every other kernel the audited pieces
 * and models use is shipped and matches cpu.
 */
import { PAD_V2 } from "./kernels/pad-high-rank.js";
import { registerPadV2TrainingKernels, type TrainingKernelRegistration } from "./register.js";
import type { Tf } from "./types.js";

/** Kernels of the webgl package that `registerWebGlTrainingKernels` replaces (fail above rank 4). */
export const WEBGL_REPLACED_KERNEL_NAMES: readonly string[] = [PAD_V2];

/**
 * Replaces the WebGL backend's `PadV2` (rank ≤ 4 still runs the shipped kernel) and registers the
 * missing `DepthToSpace` gradient. Idempotent. Call it after `@tensorflow/tfjs-backend-webgl` has
 * been imported. A backend without a `PadV2` is left alone.
 *
 * @example
 * import "@tensorflow/tfjs-backend-webgl";
 * await tf.setBackend("webgl");
 * registerWebGlTrainingKernels(tf); // { replacedKernels: ["PadV2"], addedGradients: ["DepthToSpace"], ... }
 */
export function registerWebGlTrainingKernels(tf: Tf, backendName = "webgl"): TrainingKernelRegistration {
  return registerPadV2TrainingKernels(tf, backendName);
}
