/**
 * Shared test helpers: both backends in one process, kernels run by name on either, and an
 * allClose with relative and absolute tolerances.
 */
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients (plain tfjs-core does not)

import { Rng } from "../../../src/core/random.js";
import { selectBackend } from "../../../src/tfjs/backend/index.js";
import { assertAllClose as sharedAssertAllClose } from "../../support/all-close.js";

export { tf };

/** Initialises wasm (with the training kernels) once and leaves it active. */
export async function useWasm(): Promise<void> {
  if (tf.getBackend() === "wasm") return;
  await selectBackend(tf, "wasm");
}

/** A named random input: shape plus float values (or given values). */
export interface KernelInput {
  readonly shape: number[];
  readonly values: Float32Array | Int32Array;
  readonly dtype?: "float32" | "int32";
}

/** Uniform(-1, 1) values for `shape` from a seeded generator. */
export function randomInput(rng: Rng, shape: number[]): KernelInput {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.uniform(-1, 1);
  return { shape, values };
}

/** Runs one kernel by name on `backend` and returns its output values and shape (the previously active backend is restored). */
export async function runKernelOn(
  backend: string,
  kernelName: string,
  inputs: Record<string, KernelInput>,
  attrs: Record<string, unknown>,
): Promise<{ shape: number[]; values: Float32Array | Int32Array | Uint8Array }> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const out = tf.tidy(() => {
      const tensors: Record<string, tf.Tensor> = {};
      for (const [name, input] of Object.entries(inputs))
        tensors[name] = tf.tensor(input.values, input.shape, input.dtype ?? "float32");
      return tf.engine().runKernel(kernelName, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
    });
    const values = (await out.data()) as Float32Array | Int32Array | Uint8Array;
    const shape = out.shape;
    out.dispose();
    return { shape, values };
  } finally {
    await tf.setBackend(previous);
  }
}

/** The project's allClose (test/support/all-close.ts) with this suite's default tolerances (float32 kernels). */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 1e-4, atol = 1e-4, label = "" }: { rtol?: number; atol?: number; label?: string } = {},
): void {
  sharedAssertAllClose(actual, expected, { rtol, atol }, label);
}

/** A seeded generator per test so failures reproduce. */
export function rngFor(seed: number): Rng {
  return Rng.seeded(seed);
}
