/**
 * The config's sequential curriculum (`data.curriculum.stepsPerTask`) as the batches' active
 * tasks: the strategies' sequential curriculum (`activeTasksAt` of src/strategies/sequential.ts)
 * with a stage boundary every `stepsPerTask` steps, in task order.
 */
import { activeTasksAt, type SequentialConfig } from "../../strategies/sequential.js";

/**
 * The sequential curriculum's active tasks at `step` (an integer >= 0): tasks 0..floor(step / stepsPerTask).
 * It is `activeTasksAt` with stages `[stepsPerTask, 2 stepsPerTask, …, (numTasks − 1) stepsPerTask]`.
 *
 * @example
 * sequentialCurriculum(3, 10)(15) // [0, 1]
 */
export const sequentialCurriculum = (numTasks: number, stepsPerTask: number): ((step: number) => number[]) => {
  const config: SequentialConfig = {
    stages: Array.from({ length: Math.max(0, numTasks - 1) }, (_, k) => (k + 1) * stepsPerTask),
    order: Array.from({ length: Math.max(0, numTasks) }, (_, k) => k),
  };
  return (step) => activeTasksAt(config, step);
};
