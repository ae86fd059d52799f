/** The training set-up's errors: what `buildSession`, the config readers and `trainRun` throw for the user to fix. */
import { KitError } from "../errors.js";

/** A problem with the run set-up that the user can fix (existing directory, nothing to resume, config mismatch). */
export class TrainSetupError extends KitError {
  override readonly name = "TrainSetupError";
}

/** `readCheckpointConfig` found no checkpoint (no manifest.json) at the directory. */
export class NoCheckpointError extends TrainSetupError {}
