/**
 * Where a checkpoint's files live: a `CheckpointStore` holds one checkpoint (named byte blobs:
 * `manifest.json`, `model/0000.bin`, ...) and replaces it as a whole. `saveCheckpoint` and
 * `loadCheckpoint` take a store or, in Node, a directory path (the file-system store).
 *
 * Stores here: `memoryCheckpointStore` (anywhere; exports to and imports from one tar archive or
 * a map of files; `memory-store.ts`), `fileCheckpointStore` (Node; `file-store.ts`) and
 * `indexedDbCheckpointStore` (browsers; `indexeddb-store.ts`). Any object with this shape
 * works (e.g. one over the Origin Private File System, or a server's upload endpoint).
 */
import { AdapterError } from "../errors.js";

/** The files of one checkpoint, read back: every read of one reader sees the same checkpoint. */
export interface CheckpointReader {
  /** Where this checkpoint was read from: a directory (DIR, or DIR.previous after a crash mid-save) or the store's location. */
  readonly location: string;
  /** The names of its files, sorted (`manifest.json`, `model/0000.bin`, ...). */
  list(): Promise<string[]>;
  /**
   * A file's bytes, or undefined when the file is missing. With `expectedBytes` (what
   * `loadCheckpoint` passes for a tensor file) a file of another length is refused before it is
   * read, with `maxBytes` a longer one; a store that reads from a file system opens the file once
   * and refuses anything but a regular file (a symlink, FIFO or device).
   */
  read(file: string, options?: CheckpointReadOptions): Promise<Uint8Array | undefined>;
}

/** What a reader checks before it reads a file. */
export interface CheckpointReadOptions {
  /** The file must have exactly this many bytes. */
  readonly expectedBytes?: number;
  /** The file must have at most this many bytes. */
  readonly maxBytes?: number;
}

/**
 * Checks a file's length against `options` (throws `AdapterError("checkpoint")` naming `path`).
 *
 * @example
 * checkCheckpointFileLength("ckpt/model/0000.bin", 432, { expectedBytes: 432 }); // passes
 */
export function checkCheckpointFileLength(
  path: string,
  length: number,
  options: CheckpointReadOptions | undefined,
): void {
  if (options?.expectedBytes !== undefined && length !== options.expectedBytes) {
    throw new AdapterError(
      "checkpoint",
      `${path}: expected ${options.expectedBytes} bytes for its entry's shape, found ${length} (truncated or replaced)`,
    );
  }
  if (options?.maxBytes !== undefined && length > options.maxBytes) {
    throw new AdapterError(
      "checkpoint",
      `${path}: ${length} bytes, more than the ${options.maxBytes} a checkpoint file may have here (not a checkpoint file)`,
    );
  }
}

/** A checkpoint being written: invisible to readers until `commit`. */
export interface CheckpointWriter {
  /** Adds a file (`/`-separated name; the store copies the bytes or writes them out before returning). */
  write(file: string, bytes: Uint8Array): Promise<void>;
  /** Makes the written files the store's checkpoint, replacing the previous one as a whole (atomically, as far as the medium allows). */
  commit(): Promise<void>;
  /** Drops what was written; the previous checkpoint stays. */
  abort(): Promise<void>;
}

/**
 * A place that holds one checkpoint.
 *
 * @example
 * const store = memoryCheckpointStore();
 * await saveCheckpoint(trainer, store, { epoch: 3 });
 * await loadCheckpoint(freshTrainer, store);
 */
export interface CheckpointStore {
  /** Where the checkpoint lives, for messages: a directory, `"memory"`, `"indexeddb:DB/NAME"`. */
  readonly location: string;
  /** The stored checkpoint, or null when there is none. */
  open(): Promise<CheckpointReader | null>;
  /** Starts a new checkpoint; the stored one stays readable until the writer commits. */
  begin(): Promise<CheckpointWriter>;
  /** Removes the stored checkpoint (nothing happens when there is none). */
  remove(): Promise<void>;
}

/** A checkpoint's files by name: a Map, a plain object, or [name, bytes] pairs. */
export type CheckpointFiles =
  ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>> | Iterable<readonly [string, Uint8Array]>;

/**
 * Checks a file name of a checkpoint: relative, `/`-separated, no empty, `.` or `..` segment, no
 * backslash. Returns the name; throws `AdapterError("checkpoint")` otherwise.
 *
 * @example
 * checkCheckpointFileName("model/0000.bin") // "model/0000.bin"
 */
export function checkCheckpointFileName(file: string): string {
  const segments = file.split("/");
  if (
    file === "" ||
    file.includes("\\") ||
    file.includes("\0") ||
    segments.some((s) => s === "" || s === "." || s === "..")
  ) {
    throw new AdapterError(
      "checkpoint",
      `${JSON.stringify(file)} is not a checkpoint file name (relative, '/'-separated, no empty, '.' or '..' parts)`,
    );
  }
  return file;
}

const isIterable = (value: unknown): value is Iterable<readonly [string, Uint8Array]> =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function";

/** The files as a sorted Map of private copies, names checked (for the stores and the tar codec; not re-exported by index.ts). */
export const fileMap = (files: CheckpointFiles): Map<string, Uint8Array<ArrayBuffer>> => {
  const entries = isIterable(files) ? [...files] : Object.entries(files);
  const map = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const [name, bytes] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!(bytes instanceof Uint8Array))
      throw new AdapterError("checkpoint", `checkpoint file ${name}: expected a Uint8Array`);
    map.set(checkCheckpointFileName(name), new Uint8Array(bytes));
  }
  return map;
};

/** A reader over an immutable map of files. */
export const mapCheckpointReader = (location: string, files: ReadonlyMap<string, Uint8Array>): CheckpointReader => ({
  location,
  list: async () => [...files.keys()].sort(),
  read: async (file, options) => {
    const bytes = files.get(file);
    if (bytes === undefined) return undefined;
    checkCheckpointFileLength(`${location}/${file}`, bytes.byteLength, options);
    return new Uint8Array(bytes);
  },
});

/**
 * A writer that keeps the files in memory until `commit`, which hands them (names checked, sorted,
 * each a copy with its own buffer) to `onCommit` at once: the stores' all-or-nothing writes.
 */
export function stagedCheckpointWriter(
  onCommit: (files: Map<string, Uint8Array<ArrayBuffer>>) => void | Promise<void>,
): CheckpointWriter {
  let staged: Map<string, Uint8Array> | null = new Map();
  const live = (): Map<string, Uint8Array> => {
    if (staged === null)
      throw new AdapterError("checkpoint", "this checkpoint writer was already committed or aborted");
    return staged;
  };
  return {
    write: async (file, bytes) => {
      // A copy with its own buffer (IndexedDB would clone a view's whole buffer).
      live().set(checkCheckpointFileName(file), new Uint8Array(bytes));
    },
    commit: async () => {
      const files = fileMap(live());
      staged = null;
      await onCommit(files);
    },
    abort: async () => {
      staged = null;
    },
  };
}

/**
 * Copies the checkpoint of one store into another (e.g. from IndexedDB into memory to download
 * it, or from a directory into IndexedDB). Returns the number of files copied; throws when `from`
 * holds none.
 *
 * @example
 * await copyCheckpoint(fileCheckpointStore("runs/a/checkpoint"), memoryStore);
 */
export async function copyCheckpoint(from: CheckpointStore, to: CheckpointStore): Promise<number> {
  const reader = await from.open();
  if (reader === null) throw new AdapterError("checkpoint", `no checkpoint at ${from.location}`);
  const writer = await to.begin();
  try {
    const names = await reader.list();
    for (const name of names) {
      const bytes = await reader.read(name);
      if (bytes === undefined) throw new AdapterError("checkpoint", `${reader.location}/${name}: listed but missing`);
      await writer.write(name, bytes);
    }
    await writer.commit();
    return names.length;
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw error;
  }
}
