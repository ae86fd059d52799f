/**
 * The kit's errors: every error the kit throws for the user to act on (a config, a dataset, an
 * image file or a run directory that is wrong; a run directory in use; a data-parallel replica
 * that failed) extends `KitError`, so one `instanceof KitError` catches them all, and its
 * `userMessage` is the one line to show (what the CLI prints). The classes keep their own names
 * and fields: `TrainSetupError` (and `NoCheckpointError`), `RunDirectoryBusyError`,
 * `ParallelTrainingError`, `DatasetError`, `ImageFileError`, `RunDirError`.
 *
 * The adapter's errors cannot extend it (the adapter does not import the kit); those meant for
 * the user have the same `userMessage` (`AdapterError` of kind "checkpoint", `NoUsableBackendError`).
 *
 * @example
 * try { await trainRun({ config }); } catch (e) { if (e instanceof KitError) console.error(e.userMessage); else throw e; }
 */
export class KitError extends Error {
  /** The one line to show the user: the message. */
  get userMessage(): string {
    return this.message;
  }
}
