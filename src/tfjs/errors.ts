/**
 * Errors of the tfjs adapter. They are thrown (tfjs code is exception-based), carry a `_tag`
 * so callers can tell them apart, and say what was expected and what was given.
 *
 * Those meant for the user (not a mistake of the calling code) have a `userMessage`, the one line
 * to show, as the kit's `KitError`s have (the adapter cannot import the kit's base class):
 * `AdapterError` of kind "checkpoint", `NoUsableBackendError` (backend/select.ts) and the
 * platform's `NodeOnlyError`. The CLI prints it (src/cli/commands/shared.ts).
 */

/** Why an adapter call was rejected. */
export type AdapterErrorKind =
  /** A tensor or array has the wrong shape or length. */
  | "shape"
  /** A task id is not an integer in [0, numTasks). */
  | "task-id"
  /** An option is invalid (e.g. numTasks < 1). */
  | "option"
  /** The weighting rejected this step's losses (see `cause`, a core `StepError`). */
  | "weighting"
  /** A checkpoint is missing, incomplete, or does not fit the model/optimizer/weighting. */
  | "checkpoint";

/** An error raised by `art-mtl/tfjs`. */
export class AdapterError extends Error {
  readonly _tag = "AdapterError";
  constructor(
    readonly kind: AdapterErrorKind,
    message: string,
    /** The underlying problem, e.g. the weighting's `StepError` value. */
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = "AdapterError";
  }

  /** For a checkpoint that is missing, invalid or does not fit: the message, to show the user; undefined for the other kinds (a mistake of the calling code). */
  get userMessage(): string | undefined {
    return this.kind === "checkpoint" ? this.message : undefined;
  }
}

// Defined in the platform layer (whose browser twin throws it); re-exported here, the same class,
// so `import { NodeOnlyError } from "art-mtl/tfjs"` and `instanceof` work as before.
export { NodeOnlyError } from "../platform/errors.js";
