/**
 * Registers the training kernels the wasm backend lacks (see docs/backends.md for the audit).
 */
import type { KernelConfig } from "@tensorflow/tfjs-core";
import type { Tf } from "./types.js";
import { conv2dBackpropFilterKernel } from "./kernels/conv2d-backprop-filter.js";
import { depthwiseBackpropFilterKernel, depthwiseBackpropInputKernel } from "./kernels/depthwise-backprop.js";
import { unsortedSegmentSumKernel } from "./kernels/unsorted-segment-sum.js";
import { depthToSpaceGradConfig } from "./kernels/depth-to-space-grad.js";

/** What `registerWasmTrainingKernels` did. */
export interface TrainingKernelRegistration {
  /** Backend the kernels were registered for. */
  readonly backendName: string;
  /** Kernels registered by this call. */
  readonly addedKernels: readonly string[];
  /** Kernels that were already registered (by an earlier call or by someone else) and left alone. */
  readonly keptKernels: readonly string[];
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

/** Names of the kernels `registerWasmTrainingKernels` provides. */
export const WASM_TRAINING_KERNEL_NAMES: readonly string[] = [
  "Conv2DBackpropFilter",
  "DepthwiseConv2dNativeBackpropInput",
  "DepthwiseConv2dNativeBackpropFilter",
  "UnsortedSegmentSum",
];

/** Names of the gradients `registerWasmTrainingKernels` provides when tfjs-core lacks them. */
export const MISSING_GRADIENT_NAMES: readonly string[] = ["DepthToSpace"];

/**
 * Registers, for `backendName` (default "wasm"), the gradient/forward kernels that backend lacks
 * and restoration models need, composed from the backend's own ops. Idempotent: a kernel that is
 * already registered (by an earlier call, or by another implementation) is left in place, and a
 * gradient is only added where tfjs-core has none, so nothing is ever overridden.
 */
export function registerWasmTrainingKernels(tf: Tf, backendName = "wasm"): TrainingKernelRegistration {
  const addedKernels: string[] = [];
  const keptKernels: string[] = [];
  for (const config of trainingKernelConfigs(tf, backendName)) {
    if (tf.getKernel(config.kernelName, backendName) !== undefined) {
      keptKernels.push(config.kernelName);
    } else {
      tf.registerKernel(config);
      addedKernels.push(config.kernelName);
    }
  }
  const addedGradients: string[] = [];
  const depthToSpaceGrad = depthToSpaceGradConfig(tf);
  if (tf.getGradient(depthToSpaceGrad.kernelName) === undefined) {
    tf.registerGradient(depthToSpaceGrad);
    addedGradients.push(depthToSpaceGrad.kernelName);
  }
  return { backendName, addedKernels, keptKernels, addedGradients };
}
