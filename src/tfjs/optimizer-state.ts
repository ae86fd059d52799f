import type { Optimizer, Tf } from "./tf.js";

/**
 * Exact resume for tfjs' Adam (and Adamax's first moment): during training Adam keeps
 * beta1^(t+1) and beta2^(t+1) as float32 running products (`accBeta1 *= beta1` each step), but
 * `setWeights` recomputes them with `pow(beta, t + 1)`, which differs in the last bits. That
 * difference (~1e-7 relative) then grows with training: a run killed and resumed 60 steps before
 * its end ended 6% away from an uninterrupted one (scripts/kill-resume.ts). After `setWeights`,
 * this puts back the running products exactly as the steps made them: t float32 multiplications,
 * done on the host (a float32 product of two float32 numbers is correctly rounded on every
 * IEEE backend, so the host reproduces cpu's and wasm's bits).
 *
 * Optimizers without these accumulators (SGD, momentum, RMSProp, Adagrad, Adadelta) are left as
 * they are.
 *
 * @example
 * await optimizer.setWeights(saved);
 * restoreAdamAccumulators(tf, optimizer); // bit-identical continuation on cpu and wasm
 */
export const restoreAdamAccumulators = (tf: Tf, optimizer: Optimizer): void => {
  const adam = optimizer as unknown as {
    accBeta1?: { assign(value: unknown): void };
    accBeta2?: { assign(value: unknown): void };
    beta1?: number;
    beta2?: number;
    iterations?: number;
  };
  const iterations = adam.iterations;
  if (typeof iterations !== "number" || !Number.isSafeInteger(iterations) || iterations < 0) return;
  const runningProduct = (beta: number): number => {
    const b = Math.fround(beta);
    let acc = b;
    for (let i = 0; i < iterations; i++) acc = Math.fround(acc * b);
    return acc;
  };
  for (const [accumulator, beta] of [
    [adam.accBeta1, adam.beta1],
    [adam.accBeta2, adam.beta2],
  ] as const) {
    if (accumulator === undefined || typeof accumulator.assign !== "function" || typeof beta !== "number") continue;
    tf.tidy(() => accumulator.assign(tf.scalar(runningProduct(beta), "float32")));
  }
};
