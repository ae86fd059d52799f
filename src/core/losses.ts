import type { InvalidLoss, StepError } from "./errors.js";
import { invalidLoss, noPresentTask, wrongLength } from "./errors.js";
import type { TaskLosses } from "./weighting.js";

/**
 * Checks a step's loss vector: the right length, every entry null (absent) or a finite
 * number > 0, at least one present, and (optionally) inside a rule's domain.
 * Returns the first problem, or null when the vector is usable. Shared by every weighting so
 * that all of them reject bad input the same way.
 *
 * @example
 * checkLosses([0.2, null], 2) // null
 * checkLosses([0.2, NaN], 2)  // InvalidLoss naming task 1 and NaN
 */
export const checkLosses = (
  losses: TaskLosses,
  numTasks: number,
  taskNames?: readonly string[],
  domain?: { readonly accepts: (loss: number) => boolean; readonly description: string },
): StepError | null => {
  if (!Array.isArray(losses)) return wrongLength(numTasks, Number.NaN);
  if (losses.length !== numTasks) return wrongLength(numTasks, losses.length);
  let present = 0;
  for (let k = 0; k < numTasks; k++) {
    const loss: unknown = losses[k];
    if (loss === null) continue;
    const problem = checkLossEntry(k, loss, taskNames);
    if (problem !== null) return problem;
    if (domain !== undefined && !domain.accepts(loss as number)) {
      return invalidLoss(k, loss, "out-of-domain", taskNames?.[k], domain.description);
    }
    present++;
  }
  return present === 0 ? noPresentTask() : null;
};

/**
 * Checks one non-null entry: a finite number > 0, else the `InvalidLoss` naming task `k`.
 * Weightings that validate inside their own loop call this per entry.
 */
export const checkLossEntry = (k: number, loss: unknown, taskNames?: readonly string[]): InvalidLoss | null => {
  if (typeof loss === "number" && loss > 0 && loss < Infinity) return null; // the common case, one test
  const name = taskNames?.[k];
  if (typeof loss !== "number") return invalidLoss(k, loss, "not-a-number", name);
  if (Number.isNaN(loss)) return invalidLoss(k, loss, "nan", name);
  if (!Number.isFinite(loss)) return invalidLoss(k, loss, "infinite", name);
  return invalidLoss(k, loss, loss < 0 ? "negative" : "zero", name);
};

/** Indices of the tasks present (non-null) in a loss vector. */
export const presentTasks = (losses: TaskLosses): number[] => {
  const present: number[] = [];
  for (let k = 0; k < losses.length; k++) if (losses[k] !== null) present.push(k);
  return present;
};
