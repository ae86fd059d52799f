import type { StepError } from "./errors.js";
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
    const name = taskNames?.[k];
    if (typeof loss !== "number") return invalidLoss(k, loss, "not-a-number", name);
    if (Number.isNaN(loss)) return invalidLoss(k, loss, "nan", name);
    if (!Number.isFinite(loss)) return invalidLoss(k, loss, "infinite", name);
    if (loss < 0) return invalidLoss(k, loss, "negative", name);
    if (loss === 0) return invalidLoss(k, loss, "zero", name);
    if (domain !== undefined && !domain.accepts(loss)) {
      return invalidLoss(k, loss, "out-of-domain", name, domain.description);
    }
    present++;
  }
  return present === 0 ? noPresentTask() : null;
};

/** Indices of the tasks present (non-null) in a loss vector. */
export const presentTasks = (losses: TaskLosses): number[] => {
  const present: number[] = [];
  for (let k = 0; k < losses.length; k++) if (losses[k] !== null) present.push(k);
  return present;
};
