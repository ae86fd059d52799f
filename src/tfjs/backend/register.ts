/**
 * Registers the training kernels the wasm backend lacks (see docs/backends.md for the audit).
 */
import type { KernelConfig } from "@tensorflow/tfjs-core";

import { conv2dBackpropFilterKernel } from "./kernels/conv2d-backprop-filter.js";
import { conv2dBackpropInputKernel } from "./kernels/conv2d-backprop-input.js";
import { depthToSpaceGradConfig } from "./kernels/depth-to-space-grad.js";
import { depthwiseBackpropFilterKernel, depthwiseBackpropInputKernel } from "./kernels/depthwise-backprop.js";
import { maxPoolGradKernel } from "./kernels/max-pool-grad.js";
import { PAD_V2, replaceShippedPadV2 } from "./kernels/pad-high-rank.js";
import { unsortedSegmentSumKernel } from "./kernels/unsorted-segment-sum.js";
import type { Tf } from "./types.js";

/** What `registerWasmTrainingKernels` did. */
export interface TrainingKernelRegistration {
  /** Backend the kernels were registered for. */
  readonly backendName: string;
  /** Kernels registered by this call. */
  readonly addedKernels: readonly string[];
  /** Kernels that were already registered (by an earlier call or by someone else) and left alone. */
  readonly keptKernels: readonly string[];
  /** Kernels of the backend package replaced by this call (wrong results, or far too slow). */
  readonly replacedKernels: readonly string[];
  /** Gradients registered by this call (backend-independent, only where tfjs-core has none). */
  readonly addedGradients: readonly string[];
}

/** Builds every kernel config this module provides for `backendName`. */
export function trainingKernelConfigs(tf: Tf, backendName = "wasm"): KernelConfig[] {
  return [
    conv2dBackpropFilterKernel(tf, backendName),
    depthwiseBackpropInputKernel(tf, backendName),
    depthwiseBackpropFilterKernel(tf, backendName),
    unsortedSegmentSumKernel(tf, backendName),
  ];
}

/** Builds the replacement kernel configs for `backendName` (see `WASM_REPLACED_KERNEL_NAMES`). */
export function replacementKernelConfigs(tf: Tf, backendName = "wasm"): KernelConfig[] {
  return [maxPoolGradKernel(tf, backendName), conv2dBackpropInputKernel(tf, backendName)];
}

/** Names of the kernels `registerWasmTrainingKernels` provides. */
export const WASM_TRAINING_KERNEL_NAMES: readonly string[] = [
  "Conv2DBackpropFilter",
  "DepthwiseConv2dNativeBackpropInput",
  "DepthwiseConv2dNativeBackpropFilter",
  "UnsortedSegmentSum",
];

/**
 * Kernels that wasm has but that `registerWasmTrainingKernels` replaces: `MaxPoolGrad` computes
 * wrong gradients; `Conv2DBackpropInput` is a slow loop outside XNNPACK (~8x a forward conv).
 */
export const WASM_REPLACED_KERNEL_NAMES: readonly string[] = ["MaxPoolGrad", "Conv2DBackpropInput"];

/** Marks kernel functions built here, so a second registration recognises them. */
const OURS = new WeakSet<object>();

/** Names of the gradients `registerWasmTrainingKernels` provides when tfjs-core lacks them. */
export const MISSING_GRADIENT_NAMES: readonly string[] = ["DepthToSpace"];

/**
 * Registers, for `backendName` (default "wasm"), the gradient/forward kernels that backend lacks
 * and restoration models need, composed from the backend's own ops. Idempotent: a missing kernel
 * that is already registered (by an earlier call, or by another implementation) is left in place,
 * and a gradient is only added where tfjs-core has none. The deliberate overrides are the shipped
 * kernels in `WASM_REPLACED_KERNEL_NAMES` (one wrong, one slow); each is replaced once (pass
 * `{ replaceShippedKernels: false }` to keep them). Call it after the wasm package has been
 * imported (`selectBackend` does): importing it registers its own kernels over same-named ones.
 */
export function registerWasmTrainingKernels(
  tf: Tf,
  backendName = "wasm",
  options: { readonly replaceShippedKernels?: boolean } = {},
): TrainingKernelRegistration {
  const addedKernels: string[] = [];
  const keptKernels: string[] = [];
  for (const config of trainingKernelConfigs(tf, backendName)) {
    if (tf.getKernel(config.kernelName, backendName) !== undefined) {
      keptKernels.push(config.kernelName);
    } else {
      OURS.add(config.kernelFunc);
      tf.registerKernel(config);
      addedKernels.push(config.kernelName);
    }
  }
  const replacedKernels: string[] = [];
  if (options.replaceShippedKernels !== false && backendName === "wasm") {
    for (const config of replacementKernelConfigs(tf, backendName)) {
      const current = tf.getKernel(config.kernelName, backendName);
      if (current !== undefined && OURS.has(current.kernelFunc)) continue;
      // Unregistering drops the old kernel's setup/dispose hooks too; ours needs neither.
      if (current !== undefined) tf.unregisterKernel(config.kernelName, backendName);
      OURS.add(config.kernelFunc);
      tf.registerKernel(config);
      replacedKernels.push(config.kernelName);
    }
  }
  const addedGradients = registerMissingGradients(tf);
  return { backendName, addedKernels, keptKernels, replacedKernels, addedGradients };
}

/**
 * Registers the gradients in `MISSING_GRADIENT_NAMES` where tfjs-core has none (the gradient
 * registry is global: this covers every backend). Returns the names it registered.
 */
export function registerMissingGradients(tf: Tf): string[] {
  const addedGradients: string[] = [];
  const depthToSpaceGrad = depthToSpaceGradConfig(tf);
  if (tf.getGradient(depthToSpaceGrad.kernelName) === undefined) {
    tf.registerGradient(depthToSpaceGrad);
    addedGradients.push(depthToSpaceGrad.kernelName);
  }
  return addedGradients;
}

/**
 * What the GPU backends (WebGPU, WebGL) need for training: their shipped `PadV2` replaced (it is
 * wrong or does not compile above rank 4) and the missing gradients registered. Idempotent; a
 * backend without a `PadV2` is left alone. `registerWebGpuTrainingKernels` and
 * `registerWebGlTrainingKernels` are this, each with its backend's name as the default.
 */
export function registerPadV2TrainingKernels(tf: Tf, backendName: string): TrainingKernelRegistration {
  const pad = replaceShippedPadV2(tf, backendName);
  const addedGradients = registerMissingGradients(tf);
  return {
    backendName,
    addedKernels: [],
    keptKernels: pad === "kept" ? [PAD_V2] : [],
    replacedKernels: pad === "replaced" ? [PAD_V2] : [],
    addedGradients,
  };
}
