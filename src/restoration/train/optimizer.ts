import type { Optimizer, Tf } from "../../tfjs/tf.js";

/**
 * The optimizer a training config trains with (Adam at the config's base learning rate; the
 * loop sets the schedule's rate before each update). One place, so the main thread and every
 * data-parallel replica build the same one.
 */
export const optimizerFor = (tf: Tf, config: { readonly lr: number }): Optimizer => tf.train.adam(config.lr);

/** Sets the learning rate of the next updates (tfjs optimizers read it on each update; Adam keeps it in a plain field). */
export const setLearningRate = (optimizer: Optimizer, lr: number): void => {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
};
