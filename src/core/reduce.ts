import * as E from "fp-ts/Either";

import { showValue } from "./errors.js";
import type { TaskLosses } from "./weighting.js";

/**
 * The data-parallel contract: how per-task losses computed on several shards (devices, worker
 * threads, processes) combine into the per-task mean losses of the whole batch, the input every
 * weighting steps on. Each shard reports, per task, the SUM of its samples' losses and their
 * COUNT; the whole batch's mean of task k is (sum over shards of sums) / (sum of counts). Averaging
 * the shards' per-task means instead is wrong whenever tasks are split unevenly across shards.
 * Every rank reduces the same numbers and so computes the same weights: nothing needs broadcasting.
 */

/** One shard's per-task sums of sample losses and sample counts (length K each). */
export interface TaskLossShard {
  readonly sums: ReadonlyArray<number>;
  readonly counts: ReadonlyArray<number>;
}

/** A shard the reduction cannot use; the message names the shard, the task and the value. */
export interface InvalidShard {
  readonly _tag: "InvalidShard";
  readonly shardIndex: number;
  readonly taskIndex?: number;
  readonly value?: unknown;
  readonly message: string;
}

const invalidShard = (shardIndex: number, detail: string, taskIndex?: number, value?: unknown): InvalidShard => ({
  _tag: "InvalidShard",
  shardIndex,
  ...(taskIndex === undefined ? {} : { taskIndex, value }),
  message:
    taskIndex === undefined
      ? `shard ${shardIndex}: ${detail}`
      : `shard ${shardIndex}, task ${taskIndex}: ${detail} (got ${showValue(value)})`,
});

/**
 * The per-task mean losses of a batch split into shards: for each task, the sum of the shards'
 * sums over the sum of their counts, `null` where no shard saw the task. Left for no shards, sums
 * and counts of different lengths, a count that is not an integer >= 0, a sum that is not finite
 * or is negative, or a sum other than 0 for a count of 0.
 *
 * @example
 * reduceTaskLosses([
 *   { sums: [0.3, 0], counts: [3, 0] },   // shard 0: three samples of task 0 (mean 0.1)
 *   { sums: [0.5, 0.5], counts: [1, 2] }, // shard 1: one of task 0 (0.5), two of task 1
 * ]) // Right([0.2, 0.25]): (0.3 + 0.5) / 4 and 0.5 / 2; the mean of the shard means would say 0.3 for task 0
 */
export const reduceTaskLosses = (shards: ReadonlyArray<TaskLossShard>): E.Either<InvalidShard, TaskLosses> => {
  if (!Array.isArray(shards) || shards.length === 0)
    return E.left({ _tag: "InvalidShard", shardIndex: -1, message: "no shards: at least one is required" });
  // A malformed first shard is reported by the loop below (shard 0), not a TypeError here.
  const numTasks = (shards[0] as TaskLossShard | null | undefined)?.sums?.length ?? 0;
  const totals = new Array<number>(numTasks).fill(0);
  const counts = new Array<number>(numTasks).fill(0);
  for (const [s, shard] of shards.entries()) {
    if (!Array.isArray(shard?.sums) || !Array.isArray(shard?.counts))
      return E.left(invalidShard(s, "expected { sums: number[], counts: number[] }"));
    if (shard.sums.length !== numTasks || shard.counts.length !== numTasks) {
      return E.left(
        invalidShard(
          s,
          `expected ${numTasks} sums and ${numTasks} counts, one per task (got ${shard.sums.length} and ${shard.counts.length})`,
        ),
      );
    }
    for (let k = 0; k < numTasks; k++) {
      const sum: unknown = shard.sums[k];
      const count: unknown = shard.counts[k];
      if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0)
        return E.left(invalidShard(s, "a count must be an integer >= 0", k, count));
      if (typeof sum !== "number" || !Number.isFinite(sum))
        return E.left(invalidShard(s, "a sum must be a finite number", k, sum));
      if (sum < 0) return E.left(invalidShard(s, "a sum of losses must be >= 0", k, sum));
      if (count === 0 && sum !== 0) return E.left(invalidShard(s, "a task with no samples must have sum 0", k, sum));
      totals[k] = (totals[k] as number) + sum;
      counts[k] = (counts[k] as number) + count;
    }
  }
  return E.right(totals.map((total, k) => ((counts[k] as number) === 0 ? null : total / (counts[k] as number))));
};
