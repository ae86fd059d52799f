/**
 * What the WebGL backend (@tensorflow/tfjs-backend-webgl 4.22) needs to train the restoration
 * models and the audit pieces (see docs/backends.md, "webgl in Chromium"): its `PadV2` shaders
 * (packed and unpacked) do not compile above rank 4 (`lessThan` has no overload for the `ivec5`
 * and `ivec6` structs it generates), so the op throws "Failed to compile fragment shader" there;
 * it is replaced by one that composes pads of rank ≤ 4 (`pad-high-rank.ts`, as on WebGPU). The
 * `DepthToSpace` gradient that tfjs-core lacks is added. Every other kernel the audited pieces
 * and models use is shipped and matches cpu.
 */
import type { Tf } from "./types.js";
import type { TrainingKernelRegistration } from "./register.js";
import { registerMissingGradients } from "./register.js";
import { PAD_V2, padV2HighRankKernel } from "./kernels/pad-high-rank.js";

/** Kernels of the webgl package that `registerWebGlTrainingKernels` replaces (fail above rank 4). */
export const WEBGL_REPLACED_KERNEL_NAMES: readonly string[] = [PAD_V2];

/** Kernel functions built here, so a second call recognises them and leaves them alone. */
const OURS = new WeakSet<object>();

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
