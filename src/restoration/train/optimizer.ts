import type { Optimizer, Tf } from "../../tfjs/index.js";

/**
 * The optimizer a training config trains with (Adam at the config's base learning rate; the
 * loop sets the schedule's rate before each update). One place, so the main thread and every
 * data-parallel replica build the same one. Betas and epsilon are tfjs' defaults, given
 * explicitly: tfjs takes the default epsilon from the backend, 1e-4 on webgl (docs/backends.md).
 */
export const optimizerFor = (tf: Tf, config: { readonly lr: number }): Optimizer =>
  tf.train.adam(config.lr, 0.9, 0.999, 1e-7);

/** Sets the learning rate of the next updates (tfjs optimizers read it on each update; Adam keeps it in a plain field). */
export const setLearningRate = (optimizer: Optimizer, lr: number): void => {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
};
