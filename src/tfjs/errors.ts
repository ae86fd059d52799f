/**
 * Errors of the tfjs adapter. They are thrown (tfjs code is exception-based), carry a `_tag`
 * so callers can tell them apart, and say what was expected and what was given.
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
}

/**
 * Thrown by the browser builds of `art-mtl/tfjs` and `art-mtl/restoration` when a function that
 * needs Node.js (a file path, a folder, a run directory, a worker thread, the shipped models'
 * files) is called. Every export exists in both builds with the same types; only these calls
 * fail, at call time, naming the feature and, where there is one, the browser alternative.
 *
 * @example
 * try { await readImage("photo.png"); } catch (e) { if (e instanceof NodeOnlyError) console.log(e.feature); } // "readImage"
 */
export class NodeOnlyError extends Error {
  readonly _tag = "NodeOnlyError";
  constructor(
    /** The function or feature that was called, e.g. `"readImage"` or `"saveCheckpoint(trainer, path)"`. */
    readonly feature: string,
    /** What to do instead in a browser, when there is something. */
    readonly hint?: string,
  ) {
    super(`${feature} needs Node.js (files, folders, worker threads): this is the browser build of art-mtl, which has none${hint === undefined ? "" : `; ${hint}`}`);
    this.name = "NodeOnlyError";
  }
}
