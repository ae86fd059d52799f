/**
 * Loading tfjs for the kit's commands: `@tensorflow/tfjs-core` plus the backend the config names,
 * through `selectBackend` (which also registers the wasm training kernels and the gradients).
 */
import { selectBackend, type BackendChoice, type BackendSelection, type Tf } from "../../tfjs/index.js";

/** The loaded namespace and what was selected. */
export interface LoadedTf {
  readonly tf: Tf;
  readonly selection: BackendSelection;
}

let loaded: Promise<LoadedTf> | undefined;
let loadedChoice: BackendChoice | undefined;

/**
 * Imports tfjs-core and initialises `choice` (once per process; a second call with another
 * choice switches the backend; a failed attempt is forgotten, so a later call tries again).
 * `log` receives the backend decisions.
 */
export async function loadTf(choice: BackendChoice, log?: (line: string) => void): Promise<LoadedTf> {
  if (loaded !== undefined && loadedChoice === choice) return loaded;
  loadedChoice = choice;
  const attempt = (async () => {
    const tf = (await import("@tensorflow/tfjs-core")) as unknown as Tf;
    const selection = await selectBackend(tf, choice, log === undefined ? {} : { log });
    return { tf, selection };
  })();
  loaded = attempt;
  attempt.catch(() => {
    if (loaded === attempt) {
      loaded = undefined;
      loadedChoice = undefined;
    }
  });
  return attempt;
}
