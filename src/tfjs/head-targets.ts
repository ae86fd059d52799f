import { AdapterError } from "./errors.js";
import type { Tensor } from "./tf.js";

/**
 * Checks what `stepHeads` is given, for `createTrainer` and `createGradientTrainer` alike: one
 * target tensor per task, each with the inputs' batch size, and an optional mask of `batchSize`
 * rows of `numTasks` entries, each 0 or 1 (1: that sample has a label for that task). Returns the
 * number of labelled samples of each task (all of them without a mask). Throws
 * `AdapterError("shape")` naming what is wrong.
 *
 * @example
 * checkHeadTargets([yLeft, yRight], [[1, 0], [1, 1]], 2, 2) // [2, 1]
 */
export const checkHeadTargets = (
  targets: ReadonlyArray<Tensor>,
  mask: ReadonlyArray<ReadonlyArray<number>> | undefined,
  batchSize: number,
  numTasks: number,
): number[] => {
  if (targets.length !== numTasks)
    throw new AdapterError(
      "shape",
      `stepHeads needs one target tensor per task (got ${targets.length} for ${numTasks} tasks)`,
    );
  targets.forEach((t, k) => {
    if (t.shape[0] !== batchSize)
      throw new AdapterError("shape", `targets[${k}] has batch size ${t.shape[0]}, inputs ${batchSize}`);
  });
  if (
    mask !== undefined &&
    (mask.length !== batchSize || mask.some((row) => row.length !== numTasks || row.some((m) => m !== 0 && m !== 1)))
  ) {
    throw new AdapterError("shape", `mask must be ${batchSize} rows of ${numTasks} entries, each 0 or 1`);
  }
  return Array.from({ length: numTasks }, (_, k) =>
    mask === undefined ? batchSize : mask.reduce((n, row) => n + (row[k] as number), 0),
  );
};
