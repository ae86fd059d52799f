import * as E from "fp-ts/Either";

import {
  invalidLoss,
  noPresentTask,
  unreadableLosses,
  wrongLength,
  type InvalidLoss,
  type StepError,
} from "./errors.js";
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

/**
 * A plain copy of the caller's losses, read once: a typed array (Float64Array, Float32Array) is
 * accepted as an array; anything else that is not an array, and any exception while reading
 * (a throwing getter, a Proxy), is an `UnreadableLosses` value, never a thrown exception.
 *
 * @example
 * readLosses(Float64Array.of(0.5, 0.25)) // Right([0.5, 0.25])
 * readLosses("0.5")                      // Left(UnreadableLosses "… expected an array …")
 */
export const readLosses = (losses: unknown): E.Either<StepError, TaskLosses> => {
  try {
    if (Array.isArray(losses)) {
      const length = losses.length;
      const copy = new Array<number | null>(length);
      for (let k = 0; k < length; k++) copy[k] = losses[k] as number | null;
      return E.right(copy);
    }
    if (ArrayBuffer.isView(losses) && !(losses instanceof DataView))
      return E.right(Array.from(losses as unknown as ArrayLike<number>));
    const what =
      losses === null ? "null" : typeof losses === "object" ? (losses.constructor?.name ?? "object") : typeof losses;
    return E.left(
      unreadableLosses(
        `expected an array (or a typed array) of task losses, one per task, null for an absent task (got ${what})`,
      ),
    );
  } catch (error) {
    return E.left(
      unreadableLosses(
        `reading them threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      ),
    );
  }
};

/**
 * Wraps a weighting's `step` (or `observe`) so that it sees a plain copy of the losses
 * (`readLosses`): the caller's array is read once, and what cannot be read is a `Left`.
 *
 * @example
 * const step = guardLosses((state, losses) => …);
 */
export const guardLosses =
  <S, R>(step: (state: S, losses: TaskLosses) => E.Either<StepError, R>) =>
  (state: S, losses: TaskLosses): E.Either<StepError, R> => {
    const read = readLosses(losses);
    return E.isLeft(read) ? read : step(state, read.right);
  };
