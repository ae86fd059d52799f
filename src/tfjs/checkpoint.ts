import type { CheckpointReader, CheckpointStore } from "./checkpoint-store.js";
import { fileCheckpointStore } from "./checkpoint-file-store.js";
import { AdapterError } from "./errors.js";
import { nodeOnly } from "./platform/node.js";
import { sha256Hex } from "./platform/sha256.js";
import type { Trainer, TrainerHostState } from "./trainer.js";
import type { Tensor, Variable } from "./tf.js";

/**
 * Checkpoints of a trainer, with no dependency on tfjs-node's `file://` handlers. One checkpoint
 * is a set of files in a `CheckpointStore` (a directory in Node, memory or IndexedDB anywhere):
 *
 *   manifest.json          format, step, weighting name, trainer host state, user metadata,
 *                          and one entry per tensor (file, name, shape, dtype, SHA-256)
 *   model/NNNN.bin         one file per model variable (raw little-endian float32/int32)
 *   optimizer/NNNN.bin     one file per optimizer weight (`optimizer.getWeights()` order)
 *
 * Atomicity is the store's: every file goes to a writer that commits them as a whole (in a
 * directory: written and fsynced into `DIR.partial-*`, then renamed over `DIR` with `DIR.previous`
 * kept until the swap is durable; see `checkpoint-file-store.ts`). A crash leaves the old
 * checkpoint or the new one, and `loadCheckpoint` reads whichever is there.
 *
 * Integrity: the manifest records the SHA-256 of every tensor file and of the trainer state and
 * metadata (WebCrypto, or plain JavaScript where it is missing: the same digests in Node and in a
 * browser); loading refuses a changed, truncated or missing file, a changed state, or a
 * non-finite model weight, with an error naming the file, so a checkpoint cannot rot silently.
 *
 * A path (string) means the file-system store, Node only: the browser build throws
 * `NodeOnlyError` for it and takes a store instead.
 */

/** Where a checkpoint is: a directory path (Node) or a `CheckpointStore` (anywhere). */
export type CheckpointLocation = string | CheckpointStore;

export * from "./checkpoint-store.js";
export { fileCheckpointStore } from "./checkpoint-file-store.js";
export * from "./checkpoint-indexeddb.js";

const storeOf = (location: CheckpointLocation, caller: string): CheckpointStore => {
  if (typeof location !== "string") return location;
  nodeOnly(`${caller} with a directory path`, "pass a CheckpointStore instead: memoryCheckpointStore() or indexedDbCheckpointStore(name)");
  return fileCheckpointStore(location);
};

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The manifest's format tag. */
export const CHECKPOINT_FORMAT = "art-mtl-tfjs-checkpoint";

/** One stored tensor. */
export interface CheckpointTensorEntry {
  /** Path relative to the checkpoint directory. */
  readonly file: string;
  /** The tensor's name when saved (informational for model variables, which load by position). */
  readonly name: string;
  readonly shape: ReadonlyArray<number>;
  readonly dtype: "float32" | "int32";
  /** SHA-256 of the file's bytes (hex); checked on load. Absent in checkpoints written before checksums. */
  readonly sha256?: string;
}

/** `manifest.json`. */
export interface CheckpointManifest {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: 1;
  readonly step: number;
  /** The weighting's name (a checkpoint only loads into a trainer with the same weighting). */
  readonly weighting: string;
  readonly numTasks: number;
  readonly trainer: TrainerHostState;
  readonly model: ReadonlyArray<CheckpointTensorEntry>;
  readonly optimizer: ReadonlyArray<CheckpointTensorEntry>;
  /** Whatever JSON the caller passed as metadata (e.g. config, data-loader position). */
  readonly metadata: unknown;
  /** SHA-256 (hex) of `JSON.stringify(trainer)` and of `JSON.stringify(metadata)`: the weighting and host state, and the metadata, as saved. */
  readonly sha256?: { readonly trainer: string; readonly metadata: string };
}

/** What `loadCheckpoint` returns. */
export interface LoadedCheckpoint {
  readonly step: number;
  readonly metadata: unknown;
  /** Where it was read from: the directory (DIR, or DIR.previous after a crash mid-save), or the store's location. */
  readonly directory: string;
  readonly manifest: CheckpointManifest;
}

const bytesOf = (values: Float32Array | Int32Array): Uint8Array => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

const checkDtype = (tensor: Tensor, what: string): "float32" | "int32" => {
  if (tensor.dtype !== "float32" && tensor.dtype !== "int32") {
    throw new AdapterError("checkpoint", `${what}: only float32 and int32 tensors can be saved (got ${tensor.dtype})`);
  }
  return tensor.dtype;
};

/**
 * Saves the trainer's model variables, optimizer state, weighting state, step and `metadata`
 * (JSON) into `location` (a directory path in Node, or any `CheckpointStore`), replacing the
 * checkpoint there as a whole (see the module comment). Reads every tensor back once
 * (checkpoints are rare). Applies any pending two-phase observation first.
 *
 * @example
 * await saveCheckpoint(trainer, "runs/exp1/checkpoint", { epoch: 3 }); // Node
 * await saveCheckpoint(trainer, indexedDbCheckpointStore("exp1"), { epoch: 3 }); // a browser
 */
export const saveCheckpoint = async <S>(trainer: Trainer<S>, location: CheckpointLocation, metadata: unknown = null): Promise<CheckpointManifest> => {
  const store = storeOf(location, "saveCheckpoint");
  const tf = trainer.tf;
  await trainer.flush();
  const writer = await store.begin();
  try {
    const writeTensor = async (tensor: Tensor, file: string): Promise<string> => {
      const bytes = bytesOf((await tensor.data()) as Float32Array | Int32Array);
      await writer.write(file, bytes);
      return sha256Hex(bytes);
    };

    const model: CheckpointTensorEntry[] = [];
    for (const [i, variable] of trainer.checkpointVariables.entries()) {
      const file = `model/${String(i).padStart(4, "0")}.bin`;
      const dtype = checkDtype(variable, `model variable ${i} (${variable.name})`);
      const digest = await writeTensor(variable, file);
      model.push({ file, name: variable.name, shape: [...variable.shape], dtype, sha256: digest });
    }

    const optimizerWeights = await trainer.optimizer.getWeights();
    const optimizer: CheckpointTensorEntry[] = [];
    try {
      for (const [i, named] of optimizerWeights.entries()) {
        const file = `optimizer/${String(i).padStart(4, "0")}.bin`;
        const dtype = checkDtype(named.tensor, `optimizer weight ${i} (${named.name})`);
        const digest = await writeTensor(named.tensor, file);
        optimizer.push({ file, name: named.name, shape: [...named.tensor.shape], dtype, sha256: digest });
      }
    } finally {
      // getWeights returns the live slot variables plus fresh tensors (e.g. the iteration count):
      // dispose only the fresh ones.
      for (const named of optimizerWeights) if (!(named.tensor instanceof tf.Variable)) named.tensor.dispose();
    }

    const hostState = trainer.hostState();
    const manifest: CheckpointManifest = {
      format: CHECKPOINT_FORMAT,
      version: 1,
      step: trainer.stepCount,
      weighting: trainer.weighting.name,
      numTasks: trainer.numTasks,
      trainer: hostState,
      model,
      optimizer,
      metadata,
      sha256: { trainer: await sha256Hex(JSON.stringify(hostState)), metadata: await sha256Hex(JSON.stringify(metadata ?? null)) },
    };
    // The manifest last: a checkpoint with a manifest is complete.
    await writer.write("manifest.json", utf8.encode(`${JSON.stringify(manifest, null, 1)}\n`));
    await writer.commit();
    return manifest;
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw error;
  }
};

const isManifest = (u: unknown): u is CheckpointManifest => {
  const m = u as Partial<CheckpointManifest> | null;
  return (
    typeof m === "object" && m !== null && m.format === CHECKPOINT_FORMAT && m.version === 1 &&
    Array.isArray(m.model) && Array.isArray(m.optimizer) && typeof m.trainer === "object" && m.trainer !== null
  );
};

/** The manifest of the checkpoint `reader` holds, or null when it has no manifest.json. */
const readManifest = async (reader: CheckpointReader): Promise<CheckpointManifest | null> => {
  const file = `${reader.location}/manifest.json`;
  const bytes = await reader.read("manifest.json");
  if (bytes === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8.decode(bytes));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new AdapterError("checkpoint", `${file} is not valid JSON (${error.message})`);
  }
  if (!isManifest(parsed)) throw new AdapterError("checkpoint", `${file} is not an ${CHECKPOINT_FORMAT} v1 manifest`);
  return parsed;
};

/**
 * The manifest of the complete checkpoint at `location` (a directory path in Node, where
 * `directory.previous` is read after a crash mid-save; or a `CheckpointStore`), or null when there
 * is none.
 *
 * @example
 * const found = await readCheckpointManifest("runs/exp1/checkpoint"); // found?.manifest.step
 */
export const readCheckpointManifest = async (location: CheckpointLocation): Promise<{ manifest: CheckpointManifest; directory: string } | null> => {
  const reader = await storeOf(location, "readCheckpointManifest").open();
  if (reader === null) return null;
  const manifest = await readManifest(reader);
  return manifest === null ? null : { manifest, directory: reader.location };
};

/**
 * Loads a checkpoint into a trainer built like the one that saved it (same model architecture,
 * a fresh optimizer of the same kind, the same weighting): model variables (by position, shapes
 * checked), optimizer state (`setWeights`), weighting state (through its `stateCodec`), step and
 * lagged weights. Training on gives exactly what the uninterrupted run would have. `location` is
 * a directory path (Node) or a `CheckpointStore`.
 *
 * @example
 * const resumed = await loadCheckpoint(trainer, "runs/exp1/checkpoint"); // resumed.step, resumed.metadata
 */
export const loadCheckpoint = async <S>(trainer: Trainer<S>, location: CheckpointLocation): Promise<LoadedCheckpoint> => {
  const store = storeOf(location, "loadCheckpoint");
  const tf = trainer.tf;
  const reader = await store.open();
  const manifest = reader === null ? null : await readManifest(reader);
  if (reader === null || manifest === null) throw new AdapterError("checkpoint", `no complete checkpoint at ${store.location}`);
  const manifestFile = `${reader.location}/manifest.json`;
  if (manifest.sha256 !== undefined) {
    if ((await sha256Hex(JSON.stringify(manifest.trainer))) !== manifest.sha256.trainer) {
      throw new AdapterError("checkpoint", `${manifestFile}: the trainer/weighting state does not match its checksum (changed since it was saved)`);
    }
    if ((await sha256Hex(JSON.stringify(manifest.metadata ?? null))) !== manifest.sha256.metadata) {
      throw new AdapterError("checkpoint", `${manifestFile}: the metadata does not match its checksum (changed since it was saved)`);
    }
  }
  if (manifest.weighting !== trainer.weighting.name) {
    throw new AdapterError("checkpoint", `the checkpoint was saved with weighting "${manifest.weighting}", the trainer uses "${trainer.weighting.name}"`);
  }
  const variables = trainer.checkpointVariables;
  if (manifest.model.length !== variables.length) {
    throw new AdapterError("checkpoint", `the checkpoint holds ${manifest.model.length} model variables, the model has ${variables.length}`);
  }
  manifest.model.forEach((entry, i) => {
    const variable = variables[i] as Variable;
    const same = entry.shape.length === variable.shape.length && entry.shape.every((d, j) => d === variable.shape[j]);
    if (!same || entry.dtype !== variable.dtype) {
      throw new AdapterError(
        "checkpoint",
        `model variable ${i} (${variable.name}): checkpoint has ${entry.dtype} [${entry.shape.join(",")}], model has ${variable.dtype} [${variable.shape.join(",")}]`,
      );
    }
  });

  const readTensor = async (entry: CheckpointTensorEntry): Promise<Tensor> => {
    const file = `${reader.location}/${entry.file}`;
    const bytes = await reader.read(entry.file);
    if (bytes === undefined) throw new AdapterError("checkpoint", `${file}: missing (the checkpoint is incomplete)`);
    const size = entry.shape.reduce((a, b) => a * b, 1);
    if (bytes.byteLength !== size * 4) {
      throw new AdapterError("checkpoint", `${file}: expected ${size * 4} bytes for [${entry.shape.join(",")}], found ${bytes.byteLength} (truncated or replaced)`);
    }
    if (entry.sha256 !== undefined && (await sha256Hex(bytes)) !== entry.sha256) {
      throw new AdapterError("checkpoint", `${file}: checksum mismatch (the file changed since the checkpoint was saved)`);
    }
    // Copy into an aligned buffer (a Buffer may sit at any offset of a shared pool).
    const aligned = new Uint8Array(bytes.byteLength);
    aligned.set(bytes);
    const values = entry.dtype === "int32" ? new Int32Array(aligned.buffer) : new Float32Array(aligned.buffer);
    if (values instanceof Float32Array) {
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new AdapterError("checkpoint", `${file}: non-finite value ${values[bad]} at index ${bad} (${entry.name}); the model diverged before this checkpoint`);
    }
    return tf.tensor(values, [...entry.shape], entry.dtype);
  };

  // Read everything before touching the trainer, so a bad file leaves it unchanged.
  const modelValues: Tensor[] = [];
  const optimizerValues: { name: string; tensor: Tensor }[] = [];
  try {
    for (const entry of manifest.model) modelValues.push(await readTensor(entry));
    for (const entry of manifest.optimizer) optimizerValues.push({ name: entry.name, tensor: await readTensor(entry) });
    trainer.restoreHostState(manifest.trainer);
    modelValues.forEach((value, i) => (variables[i] as Variable).assign(value));
    await trainer.optimizer.setWeights(optimizerValues);
  } finally {
    // Variables made by setWeights share the data (reference counted), so these can go.
    for (const value of modelValues) value.dispose();
    for (const named of optimizerValues) named.tensor.dispose();
  }
  return { step: manifest.step, metadata: manifest.metadata, directory: reader.location, manifest };
};
