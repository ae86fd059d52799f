import { ParallelTrainingError } from "../../restoration/index.js";
import { processIo, UsageError, type CommandIo } from "../args.js";

/** Helpers the commands share (so that no command imports another). */

/**
 * The one line to show for an error the kit or the adapter raised for the user, or undefined for
 * any other error. Every `KitError` of art-mtl/restoration has a `userMessage` (a config, dataset,
 * image file or run directory that is wrong, a run directory in use, a failed replica); so do the
 * adapter's user-facing errors (`AdapterError` of kind "checkpoint", `NoUsableBackendError`,
 * `NodeOnlyError`), which cannot extend the kit's class.
 */
export const userMessageOf = (error: unknown): string | undefined => {
  const message = error instanceof Error ? (error as { userMessage?: unknown }).userMessage : undefined;
  return typeof message === "string" ? message : undefined;
};

/**
 * Turns the user-facing errors of the kit and the adapter (bad config, bad data, a checkpoint
 * that is invalid or does not fit, a backend that is not installed) into one-line usage errors
 * (exit code 2); rethrows any other error. A failed data-parallel replica is not a usage error:
 * `train` reports it itself (exit code 1).
 */
export const asUsageError = (error: unknown): never => {
  const message = error instanceof ParallelTrainingError ? undefined : userMessageOf(error);
  if (message !== undefined) throw new UsageError(message);
  throw error;
};

/** Whether the CLI writes to a terminal (only the real process streams can be). */
export const stderrIsTTY = (io: CommandIo): boolean => io === processIo && process.stderr.isTTY === true;
