/**
 * How a global batch is split across data-parallel replicas. Pure functions (no tfjs, no
 * threads), so the split is tested on its own and is the same on every run.
 */
import { availableParallelism } from "../../../platform/node.js";
import type { Batch } from "../../data/batches.js";

/** The part of a global batch one replica trains on. */
export interface Shard {
  /** Indices of the shard's samples in the global batch, ascending. */
  readonly indices: readonly number[];
  /** [size, height, width, 3]. */
  readonly shape: readonly [number, number, number, number];
  readonly inputs: Float32Array;
  readonly targets: Float32Array;
  /** Task index of each sample (for the per-task loss sums). */
  readonly taskIds: Int32Array;
  /** What the model is told about each sample (task id, or -1 to train a task-prompted model's blind path). */
  readonly modelTaskIds: Int32Array;
  /** Samples per task in this shard (0 for a task the shard does not hold). */
  readonly counts: readonly number[];
}

/**
 * The global batch's sample indices for each of `replicas` shards: samples are dealt in turn
 * (sample b to shard b mod replicas). The batch groups samples by task, so every task's samples
 * spread over the shards as evenly as possible (shard sizes, and each task's share of a shard,
 * differ by at most one); a shard misses a task that has fewer samples than there are shards.
 *
 * @example
 * shardIndices(7, 2) // [[0, 2, 4, 6], [1, 3, 5]]
 */
export function shardIndices(batchSize: number, replicas: number): number[][] {
  if (!(Number.isInteger(replicas) && replicas >= 1))
    throw new RangeError(`replicas: expected an integer >= 1 (got ${replicas})`);
  if (!(Number.isInteger(batchSize) && batchSize >= replicas))
    throw new RangeError(
      `batch ${batchSize} cannot be split over ${replicas} replicas (each needs at least one sample)`,
    );
  const shards = Array.from({ length: replicas }, () => [] as number[]);
  for (let b = 0; b < batchSize; b++) (shards[b % replicas] as number[]).push(b);
  return shards;
}

/**
 * Splits a batch into `replicas` shards (see `shardIndices`). `modelTaskIds` are the ids the
 * model is shown (default: the task ids). The arrays are fresh copies (they can be transferred).
 */
export function splitBatch(
  batch: Pick<Batch, "shape" | "inputs" | "targets" | "taskIds">,
  replicas: number,
  numTasks: number,
  modelTaskIds?: ArrayLike<number>,
): Shard[] {
  const [batchSize, height, width, channels] = batch.shape;
  const sampleSize = height * width * channels;
  return shardIndices(batchSize, replicas).map((indices) => {
    const size = indices.length;
    const inputs = new Float32Array(size * sampleSize);
    const targets = new Float32Array(size * sampleSize);
    const taskIds = new Int32Array(size);
    const shown = new Int32Array(size);
    const counts = new Array<number>(numTasks).fill(0);
    indices.forEach((b, i) => {
      inputs.set(batch.inputs.subarray(b * sampleSize, (b + 1) * sampleSize), i * sampleSize);
      targets.set(batch.targets.subarray(b * sampleSize, (b + 1) * sampleSize), i * sampleSize);
      const task = batch.taskIds[b] as number;
      if (!(Number.isInteger(task) && task >= 0 && task < numTasks))
        throw new RangeError(`task id of sample ${b} must be an integer in [0, ${numTasks}) (got ${task})`);
      taskIds[i] = task;
      shown[i] = modelTaskIds === undefined ? task : (modelTaskIds[b] as number);
      counts[task] = (counts[task] as number) + 1;
    });
    return { indices, shape: [size, height, width, channels], inputs, targets, taskIds, modelTaskIds: shown, counts };
  });
}

/**
 * The number of replicas a `workers` setting gives: `"auto"` is one per core
 * (`os.availableParallelism()`), at most one per sample of the batch; a number is taken as is
 * but must not exceed the batch (every replica needs a sample).
 */
export function resolveWorkerCount(
  workers: number | "auto" | undefined,
  batchSize: number,
  cores: number = availableParallelism(),
): number {
  if (workers === undefined) return 1;
  if (workers === "auto") return Math.max(1, Math.min(cores, batchSize));
  if (!(Number.isInteger(workers) && workers >= 1))
    throw new RangeError(`workers: expected "auto" or an integer >= 1 (got ${workers})`);
  if (workers > batchSize)
    throw new RangeError(
      `workers: ${workers} workers need a batch of at least ${workers} samples (batch is ${batchSize})`,
    );
  return workers;
}
