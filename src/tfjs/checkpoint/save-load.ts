import { nodeOnly } from "../../platform/node.js";
import { sha256Hex } from "../../platform/sha256.js";
import type { Tf } from "../backend/types.js";
import { AdapterError } from "../errors.js";
import { restoreAdamAccumulators } from "../optimizer-state.js";
import type { Tensor, Variable } from "../tf.js";
import type { Trainer, TrainerHostState } from "../trainer.js";
import { fileCheckpointStore } from "./file-store.js";
import type { CheckpointReader, CheckpointStore } from "./store.js";

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
 * kept until the swap is durable; see `file-store.ts`). A crash leaves the old
 * checkpoint or the new one, and `loadCheckpoint` reads whichever is there.
 *
 * Integrity (format version 2): every tensor entry records its position (`index`), file, name,
 * shape, dtype and the SHA-256 of its file; the manifest's own `sha256` is the SHA-256 of a
 * canonical serialisation (keys sorted, no whitespace) of everything else in it: format, version,
 * step, weighting, numTasks, trainer host state, metadata and every entry. Both are required. On
 * load the manifest's checksum is checked first, then its structure against the trainer's model
 * variables and optimizer weights (counts, shapes, dtypes, slot names), and only then is a tensor
 * file read: opened once, a regular file (no symlink followed, no FIFO or device) of exactly the
 * expected byte length, and its bytes checked against their sum. Any mismatch, missing sum,
 * changed, truncated, swapped or missing file, or non-finite model weight is refused with one line
 * naming the field or file, before the trainer is touched. Version 1 checkpoints (written before
 * v2; their step, names, shapes and file list are under no checksum) load only when asked:
 * `loadCheckpoint(trainer, location, { allowUnverifiedV1: true })`, or rewrite them once as v2
 * with `upgradeCheckpoint(location)`.
 *
 * A path (string) means the file-system store, Node only: the browser build throws
 * `NodeOnlyError` for it and takes a store instead.
 */

/** Where a checkpoint is: a directory path (Node) or a `CheckpointStore` (anywhere). */
export type CheckpointLocation = string | CheckpointStore;

const storeOf = (location: CheckpointLocation, caller: string): CheckpointStore => {
  if (typeof location !== "string") return location;
  nodeOnly(
    `${caller} with a directory path`,
    "pass a CheckpointStore instead: memoryCheckpointStore() or indexedDbCheckpointStore(name)",
  );
  return fileCheckpointStore(location);
};

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The manifest's format tag. */
export const CHECKPOINT_FORMAT = "art-mtl-tfjs-checkpoint";
/** The format version `saveCheckpoint` writes. */
export const CHECKPOINT_VERSION = 2;
/** The largest manifest.json read (a manifest is a few kB plus the caller's metadata). */
const MAX_MANIFEST_BYTES = 64 * 2 ** 20;

/** One stored tensor, as a version 1 manifest had it (and the fields every version has). */
export interface CheckpointTensorEntry {
  /** Its position in `model` or `optimizer` (version 2; checked against where it sits and what it loads into). */
  readonly index?: number;
  /** Path relative to the checkpoint directory: `model/NNNN.bin` or `optimizer/NNNN.bin`, NNNN its position. */
  readonly file: string;
  /** The tensor's name when saved (informational for model variables, which load by position; an optimizer slot's name ends in its slot, e.g. `/m`). */
  readonly name: string;
  readonly shape: ReadonlyArray<number>;
  readonly dtype: "float32" | "int32";
  /** SHA-256 of the file's bytes (hex). Required in version 2; absent in version 1 checkpoints written before checksums. */
  readonly sha256?: string;
}

/** One stored tensor of a version 2 manifest: position and checksum required. */
export interface CheckpointTensorEntryV2 extends CheckpointTensorEntry {
  readonly index: number;
  readonly sha256: string;
}

/** The fields every manifest version has. */
interface ManifestCommon {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly step: number;
  /** The weighting's name (a checkpoint only loads into a trainer with the same weighting). */
  readonly weighting: string;
  readonly numTasks: number;
  readonly trainer: TrainerHostState;
  /** Whatever JSON the caller passed as metadata (e.g. config, data-loader position). */
  readonly metadata: unknown;
}

/** `manifest.json`, format version 2 (what `saveCheckpoint` writes). */
export interface CheckpointManifestV2 extends ManifestCommon {
  readonly version: 2;
  readonly model: ReadonlyArray<CheckpointTensorEntryV2>;
  readonly optimizer: ReadonlyArray<CheckpointTensorEntryV2>;
  /** SHA-256 (hex) of `canonicalCheckpointJson` of every other field of the manifest. */
  readonly sha256: string;
}

/** `manifest.json`, format version 1 (only `trainer` and `metadata`, and the files, had optional sums). */
export interface CheckpointManifestV1 extends ManifestCommon {
  readonly version: 1;
  readonly model: ReadonlyArray<CheckpointTensorEntry>;
  readonly optimizer: ReadonlyArray<CheckpointTensorEntry>;
  /** SHA-256 (hex) of `JSON.stringify(trainer)` and of `JSON.stringify(metadata)`. */
  readonly sha256?: { readonly trainer: string; readonly metadata: string };
}

/** A manifest as read: version 2, or version 1 where the caller allowed it. */
export type CheckpointManifest = CheckpointManifestV2 | CheckpointManifestV1;

/** Options of `loadCheckpoint` and `readCheckpointManifest`. */
export interface LoadCheckpointOptions {
  /**
   * Loads a version 1 checkpoint (written before format v2), whose step, weighting, entries and
   * file list are under no checksum: the sums it has are checked, its structure is checked
   * against the trainer, but a flipped bit in an unsummed field can go unnoticed. Default false:
   * a v1 checkpoint is refused, with a message saying how to load or upgrade it.
   */
  readonly allowUnverifiedV1?: boolean;
}

/** What `loadCheckpoint` returns. */
export interface LoadedCheckpoint {
  /** The step (from the checksummed manifest; equal to the trainer host state's step). */
  readonly step: number;
  readonly metadata: unknown;
  /** Where it was read from: the directory (DIR, or DIR.previous after a crash mid-save), or the store's location. */
  readonly directory: string;
  readonly manifest: CheckpointManifest;
  /** True for a version 2 checkpoint (everything checked against its sums); false for a v1 one loaded with `allowUnverifiedV1`. */
  readonly verified: boolean;
}

const bytesOf = (values: Float32Array | Int32Array): Uint8Array =>
  new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

const checkDtype = (tensor: Tensor, what: string): "float32" | "int32" => {
  if (tensor.dtype !== "float32" && tensor.dtype !== "int32") {
    throw new AdapterError("checkpoint", `${what}: only float32 and int32 tensors can be saved (got ${tensor.dtype})`);
  }
  return tensor.dtype;
};

/** Throws `AdapterError("checkpoint", message)` with the message on one line (a manifest's text may hold control characters). */
const fail = (message: string): never => {
  throw new AdapterError(
    "checkpoint",
    Array.from(message, (c) => (c < " " || c === "\u007f" || c === "\u2028" || c === "\u2029" ? " " : c)).join(""),
  );
};

/**
 * The canonical JSON of a manifest's content, the text its `sha256` is taken over: object keys
 * sorted (by UTF-16 code units), no whitespace, numbers and strings as `JSON.stringify` writes
 * them. The same value parsed from any formatting of the manifest gives the same text.
 *
 * @example
 * canonicalCheckpointJson({ b: [1, 2], a: "x" }) // '{"a":"x","b":[1,2]}'
 */
export function canonicalCheckpointJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    const text = JSON.stringify(value);
    if (text === undefined) return "null";
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((v: unknown) => canonicalCheckpointJson(v)).join(",")}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalCheckpointJson(record[k])}`).join(",")}}`;
}

/** The SHA-256 of a manifest's content (everything but its own `sha256`). */
const manifestDigest = async (manifest: Record<string, unknown>): Promise<string> => {
  const { sha256: _ignored, ...content } = manifest;
  let text: string;
  try {
    text = canonicalCheckpointJson(content);
  } catch (error) {
    if (error instanceof RangeError) return fail("the manifest is nested too deeply to be a checkpoint manifest");
    throw error;
  }
  return sha256Hex(text);
};

const HEX64 = /^[0-9a-f]{64}$/;
const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u);
const isCount = (u: unknown): u is number => typeof u === "number" && Number.isSafeInteger(u) && u >= 0;
const fileOf = (kind: "model" | "optimizer", i: number): string => `${kind}/${String(i).padStart(4, "0")}.bin`;
/** Elements above this are refused (a float32 tensor of 2^31 bytes does not fit a typed array anyway). */
const MAX_ELEMENTS = 2 ** 29;

/** Checks the fields load uses (types and ranges); `where` names the manifest file. */
const checkFields = (m: Record<string, unknown>, where: string, version: 1 | 2): void => {
  if (!isCount(m.step)) fail(`${where}: "step" must be an integer >= 0 (got ${JSON.stringify(m.step) ?? "nothing"})`);
  if (typeof m.weighting !== "string")
    fail(`${where}: "weighting" must be a string (got ${JSON.stringify(m.weighting) ?? "nothing"})`);
  if (!isCount(m.numTasks) || m.numTasks < 1)
    fail(`${where}: "numTasks" must be an integer >= 1 (got ${JSON.stringify(m.numTasks) ?? "nothing"})`);
  if (!isObject(m.trainer)) fail(`${where}: "trainer" (the trainer and weighting state) must be an object`);
  const trainer = m.trainer as Record<string, unknown>;
  if (trainer.step !== m.step)
    fail(
      `${where}: "trainer.step" (${JSON.stringify(trainer.step) ?? "nothing"}) differs from "step" (${String(m.step)})`,
    );
  if (!("metadata" in m)) fail(`${where}: "metadata" is missing`);
  for (const kind of ["model", "optimizer"] as const) {
    const entries = m[kind];
    if (!Array.isArray(entries)) fail(`${where}: "${kind}" must be a list of tensor entries`);
    (entries as unknown[]).forEach((e, i) => {
      const at = `${where}: ${kind}[${i}]`;
      if (!isObject(e)) return fail(`${at} must be an object {index, file, name, shape, dtype, sha256}`);
      if (version === 2 && e.index !== i)
        fail(
          `${at}: "index" is ${JSON.stringify(e.index) ?? "missing"}, not its position ${i} (entries swapped or moved)`,
        );
      if (e.file !== fileOf(kind, i))
        fail(
          `${at}: "file" is ${JSON.stringify(e.file) ?? "missing"}, expected "${fileOf(kind, i)}" (entries swapped or moved)`,
        );
      if (typeof e.name !== "string") fail(`${at}: "name" must be a string`);
      if (
        !Array.isArray(e.shape) ||
        e.shape.length > 8 ||
        !e.shape.every(isCount) ||
        (e.shape as number[]).reduce((a, b) => a * b, 1) > MAX_ELEMENTS
      ) {
        fail(
          `${at}: "shape" must be a list of at most 8 integers >= 0 with at most ${MAX_ELEMENTS} elements (got ${JSON.stringify(e.shape) ?? "nothing"})`,
        );
      }
      if (e.dtype !== "float32" && e.dtype !== "int32")
        fail(`${at}: "dtype" must be "float32" or "int32" (got ${JSON.stringify(e.dtype) ?? "nothing"})`);
      if (version === 2 || e.sha256 !== undefined) {
        if (typeof e.sha256 !== "string" || !HEX64.test(e.sha256))
          fail(
            `${at}: "sha256" (the checksum of ${fileOf(kind, i)}) must be 64 lowercase hex digits (got ${JSON.stringify(e.sha256) ?? "nothing"})`,
          );
      }
    });
  }
};

const v1Hint = (where: string): string =>
  `${where} is a version 1 checkpoint (its step, entries and file list are under no checksum); load it with loadCheckpoint(trainer, location, { allowUnverifiedV1: true }), or rewrite it once as version 2 with upgradeCheckpoint(location)`;

/**
 * Parses and verifies manifest bytes: a version 2 manifest against its required checksum (and its
 * fields' types); a version 1 one only when `allowV1` (its optional sums checked, its fields'
 * types too). Throws `AdapterError("checkpoint")` naming the field.
 */
const parseManifest = async (
  bytes: Uint8Array,
  where: string,
  allowV1: boolean | "peek",
): Promise<CheckpointManifest> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8.decode(bytes));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return fail(`${where} is not valid JSON (${error.message})`);
  }
  if (!isObject(parsed) || parsed.format !== CHECKPOINT_FORMAT) {
    return fail(
      `${where} is not an ${CHECKPOINT_FORMAT} v2 or v1 manifest ("format" is ${isObject(parsed) ? (JSON.stringify(parsed.format) ?? "missing") : "absent: not an object"})`,
    );
  }
  const m = parsed;
  if (m.version === 1 && typeof m.sha256 !== "string") {
    if (allowV1 === false) return fail(v1Hint(where));
    if (allowV1 === "peek") {
      // Looked at, not loaded: the shape of a manifest is enough (loadCheckpoint checks the rest).
      if (!Array.isArray(m.model) || !Array.isArray(m.optimizer) || !isObject(m.trainer))
        return fail(`${where} is not an ${CHECKPOINT_FORMAT} v2 or v1 manifest (no model, optimizer or trainer)`);
      return m as unknown as CheckpointManifestV1;
    }
    checkFields(m, where, 1);
    const sums = m.sha256;
    if (sums !== undefined) {
      if (!isObject(sums) || typeof sums.trainer !== "string" || typeof sums.metadata !== "string")
        return fail(`${where}: "sha256" must be {trainer, metadata} in a version 1 manifest`);
      if ((await sha256Hex(JSON.stringify(m.trainer))) !== sums.trainer)
        fail(`${where}: the trainer/weighting state does not match its checksum (changed since it was saved)`);
      if ((await sha256Hex(JSON.stringify(m.metadata ?? null))) !== sums.metadata)
        fail(`${where}: the metadata does not match its checksum (changed since it was saved)`);
    }
    return m as unknown as CheckpointManifestV1;
  }
  if (m.version !== CHECKPOINT_VERSION) {
    return fail(
      `${where}: "version" is ${JSON.stringify(m.version) ?? "missing"}; this art-mtl reads version 2 (and version 1 with allowUnverifiedV1)`,
    );
  }
  if (!("sha256" in m))
    return fail(
      `${where}: the manifest's checksum "sha256" is missing (a version 2 manifest requires it); the manifest is damaged: restore the checkpoint from a copy`,
    );
  if (typeof m.sha256 !== "string" || !HEX64.test(m.sha256))
    return fail(
      `${where}: the manifest's checksum "sha256" is malformed (expected 64 lowercase hex digits); the manifest is damaged: restore the checkpoint from a copy`,
    );
  if ((await manifestDigest(m)) !== m.sha256) {
    return fail(
      `${where}: the manifest does not match its checksum "sha256" (changed since it was saved: a flipped bit, an edit, or swapped entries); restore the checkpoint from a copy`,
    );
  }
  checkFields(m, where, 2);
  return m as unknown as CheckpointManifestV2;
};

/** The optimizer slots tfjs's built-in optimizers keep per trainable variable, in `getWeights` order (`RMSProp` adds `mg` when centered). */
const OPTIMIZER_SLOTS: Readonly<Record<string, ReadonlyArray<string>>> = {
  SGD: [],
  Momentum: ["momentum"],
  Adagrad: ["accumulator"],
  Adam: ["m", "v"],
  Adadelta: ["accum_grad", "accum_var"],
  RMSProp: ["rms", "momentum"],
};
const slotsOf = (optimizer: unknown): ReadonlyArray<string> | undefined => {
  const o = optimizer as { getClassName?: () => string; centered?: boolean };
  const name = typeof o.getClassName === "function" ? o.getClassName() : undefined;
  if (name === undefined || !Object.hasOwn(OPTIMIZER_SLOTS, name)) return undefined;
  const slots = OPTIMIZER_SLOTS[name] as ReadonlyArray<string>;
  return name === "RMSProp" && o.centered === true ? [...slots, "mg"] : slots;
};

const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean =>
  a.length === b.length && a.every((d, j) => d === b[j]);
const showShape = (s: ReadonlyArray<number>): string => `[${s.join(",")}]`;

/**
 * What saving and loading a checkpoint needs of a trainer: the results of `createTrainer` and of
 * `createGradientTrainer` both are one, so either is saved and loaded without a cast.
 */
export type CheckpointableTrainer = Pick<
  Trainer<unknown>,
  | "tf"
  | "optimizer"
  | "numTasks"
  | "stepCount"
  | "checkpointVariables"
  | "trainableVariables"
  | "flush"
  | "hostState"
  | "restoreHostState"
> & { readonly weighting: { readonly name: string } };

/**
 * Checks a manifest's structure against the trainer, before any tensor is read: the weighting
 * and task count; one model entry per checkpoint variable with its shape and dtype; the optimizer
 * entries as the trainer's optimizer keeps them (the iteration count `iter` as int32 [], then for
 * a built-in optimizer one group per slot, each with one float32 entry per trainable variable of
 * that variable's shape, named `.../<slot>`).
 */
const checkStructure = (manifest: CheckpointManifest, trainer: CheckpointableTrainer, where: string): void => {
  if (manifest.weighting !== trainer.weighting.name) {
    fail(
      `${where}: the checkpoint was saved with weighting "${manifest.weighting}", the trainer uses "${trainer.weighting.name}"`,
    );
  }
  if (manifest.numTasks !== trainer.numTasks)
    fail(`${where}: the checkpoint is for ${manifest.numTasks} tasks, not ${trainer.numTasks} (numTasks)`);
  const variables = trainer.checkpointVariables;
  if (manifest.model.length !== variables.length) {
    fail(`${where}: the checkpoint holds ${manifest.model.length} model variables, the model has ${variables.length}`);
  }
  manifest.model.forEach((entry, i) => {
    const variable = variables[i] as Variable;
    if (!sameShape(entry.shape, variable.shape) || entry.dtype !== variable.dtype) {
      fail(
        `${where}: model[${i}] (${variable.name}): checkpoint has ${entry.dtype} ${showShape(entry.shape)}, model has ${variable.dtype} ${showShape(variable.shape)}`,
      );
    }
  });

  const entries = manifest.optimizer;
  const slots = slotsOf(trainer.optimizer);
  const first = entries[0];
  if (slots !== undefined && first === undefined)
    fail(`${where}: "optimizer" is empty; the optimizer's iteration count (iter, int32 []) is missing`);
  if (first !== undefined && (slots !== undefined || first.name === "iter")) {
    if (first.name !== "iter" || first.dtype !== "int32" || first.shape.length !== 0) {
      fail(
        `${where}: optimizer[0] must be the optimizer's iteration count "iter", int32 [] (got ${JSON.stringify(first.name)}, ${first.dtype} ${showShape(first.shape)})`,
      );
    }
  }
  if (slots === undefined) {
    // An optimizer this module does not know: each entry must at least be a tensor the optimizer could hold.
    return;
  }
  const rest = entries.slice(1);
  if (rest.length === 0) return; // saved before the first step: no slots yet
  const trainable = trainer.trainableVariables;
  const groups = slots.length;
  const className = (trainer.optimizer as { getClassName(): string }).getClassName();
  if (groups === 0 || rest.length % groups !== 0 || rest.length / groups > trainable.length) {
    fail(
      `${where}: the checkpoint holds ${rest.length} optimizer slot tensors; ${className} keeps ${groups === 0 ? "none" : `${groups} (${slots.join(", ")}) per trainable variable, ${groups * trainable.length} for this model's ${trainable.length}`}`,
    );
  }
  const perGroup = rest.length / groups;
  const full = perGroup === trainable.length;
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < perGroup; i++) {
      const position = 1 + g * perGroup + i;
      const entry = rest[g * perGroup + i] as CheckpointTensorEntry;
      const base = rest[i] as CheckpointTensorEntry;
      const suffix = `/${slots[g] as string}`;
      const at = `${where}: optimizer[${position}] (${JSON.stringify(entry.name)})`;
      if (
        !entry.name.endsWith(suffix) ||
        entry.name.slice(0, -suffix.length) !== base.name.slice(0, base.name.lastIndexOf("/"))
      ) {
        fail(
          `${at}: expected ${className}'s slot "${slots[g] as string}" of the variable of optimizer[${1 + i}] (${JSON.stringify(base.name)})`,
        );
      }
      if (entry.dtype !== "float32") fail(`${at}: ${className}'s slots are float32, the checkpoint has ${entry.dtype}`);
      const want = full ? (trainable[i] as Variable).shape : base.shape;
      if (!sameShape(entry.shape, want) || (!full && !trainable.some((v) => sameShape(v.shape, entry.shape)))) {
        fail(`${at}: shape ${showShape(entry.shape)}, the variable it belongs to has ${showShape(want)}`);
      }
    }
  }
};

/**
 * Saves the trainer's model variables, optimizer state, weighting state, step and `metadata`
 * (JSON) into `location` (a directory path in Node, or any `CheckpointStore`), replacing the
 * checkpoint there as a whole (see the module comment). Writes format version 2: every entry and
 * field under the manifest's checksum. Reads every tensor back once (checkpoints are rare).
 * Applies any pending two-phase observation first.
 *
 * @example
 * await saveCheckpoint(trainer, "runs/exp1/checkpoint", { epoch: 3 }); // Node
 * await saveCheckpoint(trainer, indexedDbCheckpointStore("exp1"), { epoch: 3 }); // a browser
 */
export const saveCheckpoint = async (
  trainer: CheckpointableTrainer,
  location: CheckpointLocation,
  metadata: unknown = null,
): Promise<CheckpointManifestV2> => {
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

    const model: CheckpointTensorEntryV2[] = [];
    for (const [i, variable] of trainer.checkpointVariables.entries()) {
      const file = fileOf("model", i);
      const dtype = checkDtype(variable, `model variable ${i} (${variable.name})`);
      const digest = await writeTensor(variable, file);
      model.push({ index: i, file, name: variable.name, shape: [...variable.shape], dtype, sha256: digest });
    }

    const optimizerWeights = await trainer.optimizer.getWeights();
    const optimizer: CheckpointTensorEntryV2[] = [];
    try {
      for (const [i, named] of optimizerWeights.entries()) {
        const file = fileOf("optimizer", i);
        const dtype = checkDtype(named.tensor, `optimizer weight ${i} (${named.name})`);
        const digest = await writeTensor(named.tensor, file);
        optimizer.push({ index: i, file, name: named.name, shape: [...named.tensor.shape], dtype, sha256: digest });
      }
    } finally {
      // getWeights returns the live slot variables plus fresh tensors (e.g. the iteration count):
      // dispose only the fresh ones.
      for (const named of optimizerWeights) if (!(named.tensor instanceof tf.Variable)) named.tensor.dispose();
    }

    const hostState = trainer.hostState();
    const content = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      step: trainer.stepCount,
      weighting: trainer.weighting.name,
      numTasks: trainer.numTasks,
      trainer: hostState,
      model,
      optimizer,
      metadata: metadata ?? null,
    } as const;
    // JSON round trip: the manifest as a reader will see it (undefined fields dropped, -0 as 0).
    const plain = JSON.parse(JSON.stringify(content)) as Record<string, unknown>;
    const manifest = { ...plain, sha256: await manifestDigest(plain) } as unknown as CheckpointManifestV2;
    // A checkpoint that would not load is refused now, not at resume time.
    checkStructure(manifest, trainer, `saveCheckpoint(${store.location})`);
    // The manifest last: a checkpoint with a manifest is complete.
    await writer.write("manifest.json", utf8.encode(`${JSON.stringify(manifest, null, 1)}\n`));
    await writer.commit();
    return manifest;
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw error;
  }
};

/** Reads the manifest of the checkpoint `reader` holds (undefined when it has none): a regular file of at most 64 MiB. */
const readManifestBytes = (reader: CheckpointReader): Promise<Uint8Array | undefined> =>
  reader.read("manifest.json", { maxBytes: MAX_MANIFEST_BYTES });

/**
 * The manifest of the complete checkpoint at `location` (a directory path in Node, where
 * `directory.previous` is read after a crash mid-save; or a `CheckpointStore`), or null when there
 * is none. A version 2 manifest is verified against its checksum (a damaged one is refused, as
 * `loadCheckpoint` would); a version 1 manifest is returned as it is (`verified: false`): it is
 * for looking at, `loadCheckpoint` refuses it unless asked.
 *
 * @example
 * const found = await readCheckpointManifest("runs/exp1/checkpoint"); // found?.manifest.step
 */
export const readCheckpointManifest = async (
  location: CheckpointLocation,
): Promise<{ manifest: CheckpointManifest; directory: string; verified: boolean } | null> => {
  const reader = await storeOf(location, "readCheckpointManifest").open();
  if (reader === null) return null;
  const bytes = await readManifestBytes(reader);
  if (bytes === undefined) return null;
  const manifest = await parseManifest(bytes, `${reader.location}/manifest.json`, "peek");
  return { manifest, directory: reader.location, verified: manifest.version === CHECKPOINT_VERSION };
};

/** A tensor of a stored entry's shape and dtype over bytes `readTensorFile` read (an aligned copy). */
const tensorOf = (tf: Tf, entry: CheckpointTensorEntry, data: Uint8Array): Tensor =>
  tf.tensor(
    entry.dtype === "int32" ? new Int32Array(data.buffer) : new Float32Array(data.buffer),
    [...entry.shape],
    entry.dtype,
  );

/** Reads one tensor file: exactly the bytes its entry says, checked against its sum (when it has one), finite when float32. */
const readTensorFile = async (
  reader: CheckpointReader,
  entry: CheckpointTensorEntry,
  kind: "model" | "optimizer",
): Promise<Uint8Array> => {
  const file = `${reader.location}/${entry.file}`;
  const size = entry.shape.reduce((a, b) => a * b, 1) * 4;
  const bytes = await reader.read(entry.file, { expectedBytes: size });
  if (bytes === undefined) return fail(`${file}: missing (the checkpoint is incomplete)`);
  if (bytes.byteLength !== size) {
    return fail(
      `${file}: expected ${size} bytes for ${showShape(entry.shape)}, found ${bytes.byteLength} (truncated or replaced)`,
    );
  }
  if (entry.sha256 !== undefined && (await sha256Hex(bytes)) !== entry.sha256) {
    return fail(`${file}: checksum mismatch (the file changed since the checkpoint was saved)`);
  }
  // Copy into an aligned buffer (a Buffer may sit at any offset of a shared pool).
  const aligned = new Uint8Array(bytes.byteLength);
  aligned.set(bytes);
  if (entry.dtype === "float32") {
    const values = new Float32Array(aligned.buffer);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      fail(
        `${file}: non-finite value ${values[bad]} at index ${bad} (${entry.name}); the ${kind === "model" ? "model" : "optimizer state"} diverged before this checkpoint`,
      );
  }
  if (
    entry.dtype === "int32" &&
    kind === "optimizer" &&
    entry.name === "iter" &&
    (new Int32Array(aligned.buffer)[0] as number) < 0
  ) {
    fail(`${file}: the optimizer's iteration count is negative`);
  }
  return aligned;
};

/**
 * Loads a checkpoint into a trainer built like the one that saved it (same model architecture,
 * a fresh optimizer of the same kind, the same weighting): model variables (by position, shapes
 * checked), optimizer state (`setWeights`), weighting state (through its `stateCodec`), step and
 * lagged weights. Training on gives exactly what the uninterrupted run would have. `location` is
 * a directory path (Node) or a `CheckpointStore`. Everything is verified (see the module
 * comment) before the trainer is touched; a version 1 checkpoint needs `allowUnverifiedV1`.
 *
 * @example
 * const resumed = await loadCheckpoint(trainer, "runs/exp1/checkpoint"); // resumed.step, resumed.metadata
 * await loadCheckpoint(trainer, "old-run/checkpoint", { allowUnverifiedV1: true }); // written before format v2
 */
export const loadCheckpoint = async (
  trainer: CheckpointableTrainer,
  location: CheckpointLocation,
  options: LoadCheckpointOptions = {},
): Promise<LoadedCheckpoint> => {
  const store = storeOf(location, "loadCheckpoint");
  const tf = trainer.tf;
  const reader = await store.open();
  const bytes = reader === null ? undefined : await readManifestBytes(reader);
  if (reader === null || bytes === undefined) return fail(`no complete checkpoint at ${store.location}`);
  const where = `${reader.location}/manifest.json`;
  const manifest = await parseManifest(bytes, where, options.allowUnverifiedV1 === true);
  checkStructure(manifest, trainer, where);

  // Read everything before touching the trainer, so a bad file leaves it unchanged.
  const modelBytes: Uint8Array[] = [];
  const optimizerBytes: Uint8Array[] = [];
  for (const entry of manifest.model) modelBytes.push(await readTensorFile(reader, entry, "model"));
  for (const entry of manifest.optimizer) optimizerBytes.push(await readTensorFile(reader, entry, "optimizer"));
  const modelValues: Tensor[] = [];
  const optimizerValues: { name: string; tensor: Tensor }[] = [];
  try {
    manifest.model.forEach((entry, i) => modelValues.push(tensorOf(tf, entry, modelBytes[i] as Uint8Array)));
    manifest.optimizer.forEach((entry, i) =>
      optimizerValues.push({ name: entry.name, tensor: tensorOf(tf, entry, optimizerBytes[i] as Uint8Array) }),
    );
    trainer.restoreHostState(manifest.trainer);
    const variables = trainer.checkpointVariables;
    modelValues.forEach((value, i) => (variables[i] as Variable).assign(value));
    await trainer.optimizer.setWeights(optimizerValues);
    // setWeights recomputes Adam's beta powers with pow: put back the running products the steps made.
    restoreAdamAccumulators(trainer.tf, trainer.optimizer);
  } finally {
    // Variables made by setWeights share the data (reference counted), so these can go.
    for (const value of modelValues) value.dispose();
    for (const named of optimizerValues) named.tensor.dispose();
  }
  return {
    step: manifest.trainer.step,
    metadata: manifest.metadata,
    directory: reader.location,
    manifest,
    verified: manifest.version === CHECKPOINT_VERSION,
  };
};

/** What `loadCheckpointWeights` did: variables (named without their instance prefix) filled from the checkpoint, left as created, and checkpoint tensors no variable took. */
export interface LoadedWeights {
  readonly step: number;
  readonly loaded: readonly string[];
  readonly fresh: readonly string[];
  /** The fresh variables the mapping set to zero. */
  readonly zeroed: readonly string[];
  readonly unused: readonly string[];
}

/** A variable's name without its per-instance prefix (`srresnet_3/head/filter` → `head/filter`): what stays the same across builds of one model. */
export const withoutInstance = (name: string): string => name.replace(/^[^/]+\//, "");

/**
 * How a warm start maps a checkpoint onto a model whose layers moved (see `loadCheckpointWeights`'s
 * `mapping`): names are without the per-instance prefix.
 */
export interface WeightMapping {
  /** Checkpoint name → the model variable it fills, for the tensors whose name changed; the others fill their namesake. */
  readonly rename?: ReadonlyMap<string, string>;
  /** Model variables the checkpoint does not fill that start at zero instead of their initialisation. */
  readonly zero?: readonly string[];
}

/** Options of `loadCheckpointWeights`. */
export interface LoadWeightsOptions {
  /**
   * Computes the mapping from the checkpoint's model tensor names (e.g. a deeper model of the same
   * kind: the layers after the new ones renamed, the new ones zeroed so they start as the
   * identity). It may throw to refuse the checkpoint.
   */
  readonly mapping?: (checkpointNames: readonly string[]) => WeightMapping;
}

/**
 * Fills model variables from a checkpoint's model tensors, matched by name (without the
 * per-instance prefix, or through `options.mapping`) — a warm start: the optimizer and weighting
 * states are not read, and variables the checkpoint lacks (layers added since) keep their values
 * (or are zeroed, as the mapping says). Verified as `loadCheckpoint` verifies (manifest and file
 * checksums, finite values) before any variable changes. Throws `AdapterError("checkpoint")` when
 * a name matches with another shape or dtype, when no variable matches at all, or when the
 * mapping names a variable the model lacks or one the checkpoint fills.
 *
 * @example
 * const { loaded, fresh } = await loadCheckpointWeights(tf, model.variables, "models/all-in-one/checkpoint");
 */
export const loadCheckpointWeights = async (
  tf: Tf,
  variables: readonly Variable[],
  location: CheckpointLocation,
  options: LoadWeightsOptions = {},
): Promise<LoadedWeights> => {
  const store = storeOf(location, "loadCheckpointWeights");
  const reader = await store.open();
  const bytes = reader === null ? undefined : await readManifestBytes(reader);
  if (reader === null || bytes === undefined) return fail(`no complete checkpoint at ${store.location}`);
  const manifest = await parseManifest(bytes, `${reader.location}/manifest.json`, false);
  const mapping = options.mapping?.(manifest.model.map((entry) => withoutInstance(entry.name))) ?? {};
  const rename = mapping.rename ?? new Map<string, string>();
  const entries = new Map<string, CheckpointTensorEntry>();
  for (const entry of manifest.model) {
    const name = rename.get(withoutInstance(entry.name)) ?? withoutInstance(entry.name);
    const other = entries.get(name);
    if (other !== undefined)
      fail(
        `${reader.location}: the mapping fills ${name} twice (from ${withoutInstance(other.name)} and ${withoutInstance(entry.name)})`,
      );
    entries.set(name, entry);
  }
  const byName = new Map(variables.map((variable) => [withoutInstance(variable.name), variable] as const));
  for (const [from, to] of rename) {
    if (!byName.has(to)) fail(`${reader.location}: the mapping renames ${from} to ${to}, which the model lacks`);
  }
  const zeroed = mapping.zero ?? [];
  for (const name of zeroed) {
    if (!byName.has(name)) fail(`${reader.location}: the mapping zeroes ${name}, which the model lacks`);
    if (entries.has(name)) fail(`${reader.location}: the mapping zeroes ${name}, which the checkpoint fills`);
  }
  const matched: { variable: Variable; entry: CheckpointTensorEntry }[] = [];
  const fresh: string[] = [];
  for (const variable of variables) {
    const name = withoutInstance(variable.name);
    const entry = entries.get(name);
    if (entry === undefined) {
      fresh.push(name);
      continue;
    }
    if (entry.dtype !== variable.dtype || showShape(entry.shape) !== showShape(variable.shape)) {
      fail(
        `${reader.location}: ${name} is ${entry.dtype} ${showShape(entry.shape)} in the checkpoint but ${variable.dtype} ${showShape(variable.shape)} in the model (a different architecture or size)`,
      );
    }
    matched.push({ variable, entry });
  }
  if (matched.length === 0) {
    fail(
      `${reader.location}: none of the model's ${variables.length} variables is in the checkpoint (a different architecture)`,
    );
  }
  const data: Uint8Array[] = [];
  for (const { entry } of matched) data.push(await readTensorFile(reader, entry, "model"));
  matched.forEach(({ variable, entry }, i) => {
    const value = tensorOf(tf, entry, data[i] as Uint8Array);
    variable.assign(value);
    value.dispose();
  });
  for (const name of zeroed) {
    const variable = byName.get(name) as Variable;
    const zeros = tf.zerosLike(variable);
    variable.assign(zeros);
    zeros.dispose();
  }
  const taken = new Set(matched.map(({ entry }) => entry.name));
  return {
    step: manifest.step,
    loaded: matched.map(({ variable }) => withoutInstance(variable.name)),
    fresh,
    zeroed,
    unused: manifest.model.filter((entry) => !taken.has(entry.name)).map((entry) => withoutInstance(entry.name)),
  };
};

/**
 * Rewrites a version 1 checkpoint at `location` as version 2, in place (through the store, so
 * atomically): the tensor files are copied byte for byte, each gets its SHA-256 and position, and
 * the manifest its checksum. The sums the v1 manifest has are checked first (a file or state that
 * does not match refuses); fields v1 did not sum are taken as they are, so upgrade a checkpoint
 * you trust. A version 2 checkpoint is verified and left as it is. Returns the new manifest.
 *
 * @example
 * await upgradeCheckpoint("runs/old/checkpoint"); // then loadCheckpoint(trainer, "runs/old/checkpoint")
 */
export const upgradeCheckpoint = async (location: CheckpointLocation): Promise<CheckpointManifestV2> => {
  const store = storeOf(location, "upgradeCheckpoint");
  const reader = await store.open();
  const bytes = reader === null ? undefined : await readManifestBytes(reader);
  if (reader === null || bytes === undefined) return fail(`no complete checkpoint at ${store.location}`);
  const manifest = await parseManifest(bytes, `${reader.location}/manifest.json`, true);
  if (manifest.version === CHECKPOINT_VERSION) return manifest;
  const files = new Map<string, Uint8Array>();
  const entriesOf = async (kind: "model" | "optimizer"): Promise<CheckpointTensorEntryV2[]> => {
    const out: CheckpointTensorEntryV2[] = [];
    for (const [i, entry] of manifest[kind].entries()) {
      const data = await readTensorFile(reader, entry, kind);
      files.set(entry.file, data);
      out.push({
        index: i,
        file: entry.file,
        name: entry.name,
        shape: [...entry.shape],
        dtype: entry.dtype,
        sha256: await sha256Hex(data),
      });
    }
    return out;
  };
  const model = await entriesOf("model");
  const optimizer = await entriesOf("optimizer");
  const content = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    step: manifest.step,
    weighting: manifest.weighting,
    numTasks: manifest.numTasks,
    trainer: manifest.trainer,
    model,
    optimizer,
    metadata: manifest.metadata ?? null,
  };
  const plain = JSON.parse(JSON.stringify(content)) as Record<string, unknown>;
  const upgraded = { ...plain, sha256: await manifestDigest(plain) } as unknown as CheckpointManifestV2;
  const writer = await store.begin();
  try {
    for (const [file, data] of files) await writer.write(file, data);
    await writer.write("manifest.json", utf8.encode(`${JSON.stringify(upgraded, null, 1)}\n`));
    await writer.commit();
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw error;
  }
  return upgraded;
};
