import { DatasetError, ImageFileError, RunDirectoryBusyError, TrainSetupError } from "../../restoration/index.js";
import { AdapterError, NoUsableBackendError } from "../../tfjs/index.js";
import type { CommandIo } from "../args.js";
import { processIo, UsageError } from "../args.js";

/** Helpers the commands share (so that no command imports another). */

/**
 * Turns the user-facing errors of the kit and the adapter (bad config, bad data, a checkpoint
 * that is invalid or does not fit, a backend that is not installed) into one-line usage errors.
 */
export const asUsageError = (error: unknown): never => {
  if (
    error instanceof TrainSetupError ||
    error instanceof DatasetError ||
    error instanceof ImageFileError ||
    (error instanceof AdapterError && error.kind === "checkpoint") ||
    error instanceof NoUsableBackendError ||
    error instanceof RunDirectoryBusyError
  ) {
    throw new UsageError(error.message);
  }
  throw error;
};

/** Whether the CLI writes to a terminal (only the real process streams can be). */
export const stderrIsTTY = (io: CommandIo): boolean => io === processIo && process.stderr.isTTY === true;

