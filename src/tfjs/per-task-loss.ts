import type * as tfCore from "@tensorflow/tfjs-core";

import { AdapterError } from "./errors.js";
import type { Tensor, Tf } from "./tf.js";

/** Task ids of a batch, one per sample, as they come from a data loader. */
export type TaskIds = ReadonlyArray<number> | Int32Array;

/** Host-side facts about a batch's task ids, computed without touching the device. */
export interface TaskCounts {
  /** Samples per task (length K). */
  readonly counts: ReadonlyArray<number>;
  /** Whether each task has at least one sample in the batch (length K). */
  readonly present: ReadonlyArray<boolean>;
}

/** The per-task mean losses of a batch. */
export interface PerTaskLoss extends TaskCounts {
  /** `[K]` float32: the mean per-sample loss of each task, 0 for a task with no sample. */
  readonly losses: tfCore.Tensor1D;
}

/**
 * Checks task ids (integers in [0, numTasks), one per sample) and counts them, on the host.
 * Throws an `AdapterError` naming the first bad entry.
 */
export const countTasks = (taskIds: TaskIds, numTasks: number, batchSize?: number): TaskCounts => {
  if (!Number.isInteger(numTasks) || numTasks < 1) {
    throw new AdapterError("option", `numTasks must be an integer >= 1 (got ${numTasks})`);
  }
  if (batchSize !== undefined && taskIds.length !== batchSize) {
    throw new AdapterError("shape", `expected ${batchSize} task ids, one per sample (got ${taskIds.length})`);
  }
  const counts = new Array<number>(numTasks).fill(0);
  for (let b = 0; b < taskIds.length; b++) {
    const id = taskIds[b] as number;
    if (!Number.isInteger(id) || id < 0 || id >= numTasks) {
      throw new AdapterError("task-id", `task id of sample ${b} must be an integer in [0, ${numTasks}) (got ${id})`);
    }
    counts[id] = (counts[id] as number) + 1;
  }
  return { counts, present: counts.map((n) => n > 0) };
};

/**
 * The `[K, B]` averaging matrix of a batch: row k holds 1/n_k at the samples of task k and 0
 * elsewhere, so `matrix @ perSampleLoss` gives the per-task means in one matmul. It is built on
 * the host from the ids the loader already has, so no read-back is needed to group samples, and
 * a matmul (rather than a segment sum) has a forward and gradient kernel on every backend.
 */
export const taskMeanMatrix = (taskIds: TaskIds, counts: ReadonlyArray<number>): Float32Array => {
  const numTasks = counts.length;
  const batchSize = taskIds.length;
  const matrix = new Float32Array(numTasks * batchSize);
  for (let b = 0; b < batchSize; b++) {
    const k = taskIds[b] as number;
    matrix[k * batchSize + b] = 1 / (counts[k] as number);
  }
  return matrix;
};

/**
 * Per-task mean losses `[K]` from per-sample losses `[B]` and the samples' task ids, in one
 * pass (a `[K,B] x [B,1]` matmul). Task ids are checked on the host; a task absent from the
 * batch gets loss 0 and `present[k] = false` (report it to a weighting as null).
 * The caller owns the returned tensor (or calls this inside `tf.tidy`).
 *
 * @example
 * const { losses, present } = perTaskLoss(tf, tf.tensor1d([1, 2, 4]), [0, 0, 2], 3);
 * // losses → [1.5, 0, 4], present → [true, false, true]
 */
export const perTaskLoss = (tf: Tf, perSampleLoss: Tensor, taskIds: TaskIds, numTasks: number): PerTaskLoss => {
  if (perSampleLoss.rank !== 1) {
    throw new AdapterError(
      "shape",
      `perSampleLoss must be a 1-D tensor [B] with one loss per sample (got shape [${perSampleLoss.shape.join(",")}])`,
    );
  }
  const batchSize = perSampleLoss.shape[0] as number;
  const taskCounts = countTasks(taskIds, numTasks, batchSize);
  const losses = tf.tidy(() => {
    const matrix = tf.tensor2d(taskMeanMatrix(taskIds, taskCounts.counts), [numTasks, batchSize]);
    return tf.reshape(tf.matMul(matrix, tf.reshape(perSampleLoss, [batchSize, 1])), [numTasks]) as tfCore.Tensor1D;
  });
  return { losses, ...taskCounts };
};

/**
 * The default per-sample loss: the L1 distance between prediction and target, averaged over
 * every element of a sample (pixels and channels), giving `[B]`.
 */
export const l1PerSample = (tf: Tf, predictions: Tensor, targets: Tensor): tfCore.Tensor1D =>
  perSampleMean(tf, predictions, targets, (diff) => tf.abs(diff));

/** The Charbonnier loss's epsilon: below about this error it turns from L1-like into L2-like. */
export const CHARBONNIER_EPSILON = 1e-3;

/**
 * The Charbonnier per-sample loss: `sqrt(d² + ε²)` (ε = 1e-3) averaged over every element of a
 * sample, `[B]`. A smooth L1: the same pull as L1 on errors well above ε, with a finite gradient
 * at zero.
 */
export const charbonnierPerSample = (tf: Tf, predictions: Tensor, targets: Tensor): tfCore.Tensor1D =>
  perSampleMean(tf, predictions, targets, (diff) =>
    tf.sqrt(tf.add(tf.square(diff), CHARBONNIER_EPSILON * CHARBONNIER_EPSILON)),
  );

/** The PSNR loss's floor on the mean squared error: 1e-5, i.e. it saturates at 50 dB. */
export const PSNR_LOSS_FLOOR = 1e-5;

/**
 * The PSNR per-sample loss, for images in [0, 1]: `10·log10(1 + MSE/1e-5)`, which is 50 dB minus
 * the sample's PSNR while that is well below 50 dB, `[B]`. Minimising its mean maximises the mean
 * PSNR an evaluation reports: a dB gained on an easy sample counts as much as one on a hard
 * sample, where a pixel loss favours the hard ones. It is never negative (0 for an exact
 * prediction), so loss-ratio weightings (Art, SI, DWA) take it.
 */
export const psnrPerSample = (tf: Tf, predictions: Tensor, targets: Tensor): tfCore.Tensor1D =>
  tf.tidy(() => {
    const mse = perSampleMean(tf, predictions, targets, (diff) => tf.square(diff));
    return tf.mul(tf.log1p(tf.div(mse, PSNR_LOSS_FLOOR)), 10 / Math.LN10) as tfCore.Tensor1D;
  });

/** `elementLoss(predictions − targets)` averaged over each sample's elements, after checking shapes. */
const perSampleMean = (
  tf: Tf,
  predictions: Tensor,
  targets: Tensor,
  elementLoss: (diff: Tensor) => Tensor,
): tfCore.Tensor1D => {
  if (predictions.shape.length !== targets.shape.length || predictions.shape.some((d, i) => d !== targets.shape[i])) {
    throw new AdapterError(
      "shape",
      `predictions [${predictions.shape.join(",")}] and targets [${targets.shape.join(",")}] must have the same shape`,
    );
  }
  if (predictions.rank < 1) throw new AdapterError("shape", "predictions must have a batch dimension");
  return tf.tidy(() => {
    const batchSize = predictions.shape[0] as number;
    return tf.mean(tf.reshape(elementLoss(tf.sub(predictions, targets)), [batchSize, -1]), 1) as tfCore.Tensor1D;
  });
};
