/**
 * Errors of the platform layer (src/platform/). `NodeOnlyError` lives here because the browser
 * twin `node.browser.ts` throws it and the platform layer imports nothing from the layers above;
 * `art-mtl/tfjs` re-exports it (src/tfjs/errors.ts), the same class.
 */

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
    super(
      `${feature} needs Node.js (files, folders, worker threads): this is the browser build of art-mtl, which has none${hint === undefined ? "" : `; ${hint}`}`,
    );
    this.name = "NodeOnlyError";
  }

  /** The one line to show the user: the message. */
  get userMessage(): string {
    return this.message;
  }
}
