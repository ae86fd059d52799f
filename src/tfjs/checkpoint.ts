import { AdapterError } from "./errors.js";
import type { Trainer, TrainerHostState } from "./trainer.js";
import type { Tensor, Variable } from "./tf.js";

/**
 * Checkpoints of a trainer in one directory, written atomically, with no dependency on
 * tfjs-node's `file://` handlers:
 *
 *   DIR/manifest.json          format, step, weighting name, trainer host state, user metadata,
 *                              and one entry per tensor (file, name, shape, dtype)
 *   DIR/model/NNNN.bin         one file per model variable (raw little-endian float32/int32)
 *   DIR/optimizer/NNNN.bin     one file per optimizer weight (`optimizer.getWeights()` order)
 *
 * Atomicity: everything is written and fsynced (files and directories) into `DIR.partial-*`;
 * then the old `DIR` (if any) is renamed to `DIR.previous`, the new one renamed to `DIR`, the
 * parent directory fsynced (see `atomic-write.ts`), and `DIR.previous` removed.
 * A crash at any point leaves either `DIR` or `DIR.previous` complete, and `loadCheckpoint`
 * reads whichever is there.
 *
 * Integrity: the manifest records the SHA-256 of every tensor file and of the trainer state and
 * metadata; loading refuses a changed, truncated or missing file, a changed state, or a
 * non-finite model weight, with an error naming the file, so a checkpoint cannot rot silently. Node's `fs` is loaded lazily so that importing this module in a
 * browser bundle costs nothing.
 */

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
  /** The directory actually read (DIR, or DIR.previous after a crash mid-save). */
  readonly directory: string;
  readonly manifest: CheckpointManifest;
}

const fsModules = async () => {
  const fs = await import("node:fs/promises");
  const path = await import("node:path");
  const atomic = await import("./atomic-write.js");
  const { createHash } = await import("node:crypto");
  const sha256 = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex");
  return { fs, path, atomic, sha256 };
};

const exists = async (fs: typeof import("node:fs/promises"), target: string): Promise<boolean> => {
  try {
    await fs.access(target);
    return true;
  } catch {
    return false;
  }
};

const bytesOf = (values: Float32Array | Int32Array): Uint8Array => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

const checkDtype = (tensor: Tensor, what: string): "float32" | "int32" => {
  if (tensor.dtype !== "float32" && tensor.dtype !== "int32") {
    throw new AdapterError("checkpoint", `${what}: only float32 and int32 tensors can be saved (got ${tensor.dtype})`);
  }
  return tensor.dtype;
};

/**
 * Saves the trainer's model variables, optimizer state, weighting state, step and `metadata`
 * (JSON) into `directory`, atomically (see the module comment). Reads every tensor back once
 * (checkpoints are rare). Applies any pending two-phase observation first.
 *
 * @example
 * await saveCheckpoint(trainer, "runs/exp1/checkpoint", { epoch: 3 });
 */
export const saveCheckpoint = async <S>(trainer: Trainer<S>, directory: string, metadata: unknown = null): Promise<CheckpointManifest> => {
  const { fs, path, atomic, sha256 } = await fsModules();
  const tf = trainer.tf;
  await trainer.flush();
  const target = path.resolve(directory);
  const parent = path.dirname(target);
  const base = path.basename(target);
  await fs.mkdir(parent, { recursive: true });
  // Leftovers of a crashed save are incomplete by construction; remove them.
  for (const name of await fs.readdir(parent)) {
    if (name.startsWith(`${base}.partial-`)) await fs.rm(path.join(parent, name), { recursive: true, force: true });
  }
  const partial = path.join(parent, `${base}.partial-${process.pid}-${Date.now()}`);
  await fs.mkdir(path.join(partial, "model"), { recursive: true });
  await fs.mkdir(path.join(partial, "optimizer"), { recursive: true });

  const writeTensor = async (tensor: Tensor, file: string): Promise<string> => {
    const values = (await tensor.data()) as Float32Array | Int32Array;
    const bytes = bytesOf(values);
    const handle = await fs.open(path.join(partial, file), "w");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return sha256(bytes);
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
    sha256: { trainer: sha256(JSON.stringify(hostState)), metadata: sha256(JSON.stringify(metadata ?? null)) },
  };
  // The tensor files' directory entries, then the manifest (fsynced, and its directory with it).
  atomic.syncDirectory(path.join(partial, "model"));
  atomic.syncDirectory(path.join(partial, "optimizer"));
  atomic.writeFileAtomic(path.join(partial, "manifest.json"), `${JSON.stringify(manifest, null, 1)}\n`);

  const previous = path.join(parent, `${base}.previous`);
  if (await exists(fs, path.join(target, "manifest.json"))) {
    await fs.rm(previous, { recursive: true, force: true });
    await fs.rename(target, previous);
  } else {
    // No complete checkpoint at DIR: keep DIR.previous (it may be the only good copy) until the new one is in place.
    await fs.rm(target, { recursive: true, force: true });
  }
  await fs.rename(partial, target);
  // Make the renames durable before the old copy goes.
  atomic.syncDirectory(parent);
  await fs.rm(previous, { recursive: true, force: true });
  return manifest;
};

const isManifest = (u: unknown): u is CheckpointManifest => {
  const m = u as Partial<CheckpointManifest> | null;
  return (
    typeof m === "object" && m !== null && m.format === CHECKPOINT_FORMAT && m.version === 1 &&
    Array.isArray(m.model) && Array.isArray(m.optimizer) && typeof m.trainer === "object" && m.trainer !== null
  );
};

/**
 * The manifest of the complete checkpoint at `directory` (or at `directory.previous` after a
 * crash mid-save), or null when there is none.
 */
export const readCheckpointManifest = async (directory: string): Promise<{ manifest: CheckpointManifest; directory: string } | null> => {
  const { fs, path } = await fsModules();
  const target = path.resolve(directory);
  for (const candidate of [target, `${target}.previous`]) {
    const file = path.join(candidate, "manifest.json");
    if (!(await exists(fs, file))) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await fs.readFile(file, "utf8"));
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      throw new AdapterError("checkpoint", `${file} is not valid JSON (${error.message})`);
    }
    if (!isManifest(parsed)) throw new AdapterError("checkpoint", `${file} is not an ${CHECKPOINT_FORMAT} v1 manifest`);
    return { manifest: parsed, directory: candidate };
  }
  return null;
};

/**
 * Loads a checkpoint into a trainer built like the one that saved it (same model architecture,
 * a fresh optimizer of the same kind, the same weighting): model variables (by position, shapes
 * checked), optimizer state (`setWeights`), weighting state (through its `stateCodec`), step and
 * lagged weights. Training on gives exactly what the uninterrupted run would have.
 *
 * @example
 * const resumed = await loadCheckpoint(trainer, "runs/exp1/checkpoint"); // resumed.step, resumed.metadata
 */
export const loadCheckpoint = async <S>(trainer: Trainer<S>, directory: string): Promise<LoadedCheckpoint> => {
  const { fs, path, sha256 } = await fsModules();
  const tf = trainer.tf;
  const found = await readCheckpointManifest(directory);
  if (found === null) throw new AdapterError("checkpoint", `no complete checkpoint at ${path.resolve(directory)}`);
  const { manifest } = found;
  const manifestFile = path.join(found.directory, "manifest.json");
  if (manifest.sha256 !== undefined) {
    if (sha256(JSON.stringify(manifest.trainer)) !== manifest.sha256.trainer) {
      throw new AdapterError("checkpoint", `${manifestFile}: the trainer/weighting state does not match its checksum (changed since it was saved)`);
    }
    if (sha256(JSON.stringify(manifest.metadata ?? null)) !== manifest.sha256.metadata) {
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
    const file = path.join(found.directory, entry.file);
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      throw new AdapterError("checkpoint", `${file}: missing (the checkpoint is incomplete)`);
    }
    const size = entry.shape.reduce((a, b) => a * b, 1);
    if (bytes.byteLength !== size * 4) {
      throw new AdapterError("checkpoint", `${file}: expected ${size * 4} bytes for [${entry.shape.join(",")}], found ${bytes.byteLength} (truncated or replaced)`);
    }
    if (entry.sha256 !== undefined && sha256(bytes) !== entry.sha256) {
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
  return { step: manifest.step, metadata: manifest.metadata, directory: found.directory, manifest };
};
