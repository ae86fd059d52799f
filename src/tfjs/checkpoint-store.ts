/**
 * Where a checkpoint's files live: a `CheckpointStore` holds one checkpoint (named byte blobs:
 * `manifest.json`, `model/0000.bin`, ...) and replaces it as a whole. `saveCheckpoint` and
 * `loadCheckpoint` take a store or, in Node, a directory path (the file-system store).
 *
 * Stores here: `memoryCheckpointStore` (anywhere; exports to and imports from one tar archive or
 * a map of files), `fileCheckpointStore` (Node; `checkpoint-file-store.ts`) and
 * `indexedDbCheckpointStore` (browsers; `checkpoint-indexeddb.ts`). Any object with this shape
 * works (e.g. one over the Origin Private File System, or a server's upload endpoint).
 */
import { AdapterError } from "./errors.js";

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
export function checkCheckpointFileLength(path: string, length: number, options: CheckpointReadOptions | undefined): void {
  if (options?.expectedBytes !== undefined && length !== options.expectedBytes) {
    throw new AdapterError("checkpoint", `${path}: expected ${options.expectedBytes} bytes for its entry's shape, found ${length} (truncated or replaced)`);
  }
  if (options?.maxBytes !== undefined && length > options.maxBytes) {
    throw new AdapterError("checkpoint", `${path}: ${length} bytes, more than the ${options.maxBytes} a checkpoint file may have here (not a checkpoint file)`);
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
export type CheckpointFiles = ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>> | Iterable<readonly [string, Uint8Array]>;

/**
 * Checks a file name of a checkpoint: relative, `/`-separated, no empty, `.` or `..` segment, no
 * backslash. Returns the name; throws `AdapterError("checkpoint")` otherwise.
 *
 * @example
 * checkCheckpointFileName("model/0000.bin") // "model/0000.bin"
 */
export function checkCheckpointFileName(file: string): string {
  const segments = file.split("/");
  if (file === "" || file.includes("\\") || file.includes("\0") || segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new AdapterError("checkpoint", `${JSON.stringify(file)} is not a checkpoint file name (relative, '/'-separated, no empty, '.' or '..' parts)`);
  }
  return file;
}

const isIterable = (value: unknown): value is Iterable<readonly [string, Uint8Array]> =>
  typeof value === "object" && value !== null && typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function";

/** The files as a sorted Map of private copies, names checked. */
const fileMap = (files: CheckpointFiles): Map<string, Uint8Array<ArrayBuffer>> => {
  const entries = isIterable(files) ? [...files] : Object.entries(files);
  const map = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const [name, bytes] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!(bytes instanceof Uint8Array)) throw new AdapterError("checkpoint", `checkpoint file ${name}: expected a Uint8Array`);
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
export function stagedCheckpointWriter(onCommit: (files: Map<string, Uint8Array<ArrayBuffer>>) => void | Promise<void>): CheckpointWriter {
  let staged: Map<string, Uint8Array> | null = new Map();
  const live = (): Map<string, Uint8Array> => {
    if (staged === null) throw new AdapterError("checkpoint", "this checkpoint writer was already committed or aborted");
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

/** A store in memory, with ways to get its files out and in. */
export interface MemoryCheckpointStore extends CheckpointStore {
  /** A copy of the stored checkpoint's files (an empty Map when there is none). */
  files(): Map<string, Uint8Array<ArrayBuffer>>;
  /**
   * The stored checkpoint as one tar archive (see `checkpointToTar`), e.g. to download it:
   * `new Blob([store.toTar()], { type: "application/x-tar" })`. Throws when there is none.
   */
  toTar(options?: CheckpointTarOptions): Uint8Array<ArrayBuffer>;
}

/**
 * A checkpoint store in memory; works everywhere. Starts empty, or holding `files` (e.g. the files
 * of a checkpoint directory, or `checkpointFromTar(bytes)` of an uploaded archive). A commit
 * swaps the whole set of files at once.
 *
 * @example
 * const store = memoryCheckpointStore(checkpointFromTar(new Uint8Array(await file.arrayBuffer())));
 * await loadCheckpoint(trainer, store);
 */
export function memoryCheckpointStore(files?: CheckpointFiles): MemoryCheckpointStore {
  let stored: Map<string, Uint8Array<ArrayBuffer>> | null = files === undefined ? null : fileMap(files);
  const location = "memory";
  return {
    location,
    open: async () => (stored === null ? null : mapCheckpointReader(location, stored)),
    begin: async () =>
      stagedCheckpointWriter((files) => {
        stored = files;
      }),
    remove: async () => {
      stored = null;
    },
    files: () => new Map([...(stored ?? new Map<string, Uint8Array<ArrayBuffer>>())].map(([name, bytes]) => [name, new Uint8Array(bytes)])),
    toTar: (options) => {
      if (stored === null) throw new AdapterError("checkpoint", "the memory store holds no checkpoint");
      return checkpointToTar(stored, options);
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

// ---------------------------------------------------------------------------------------------
// One archive for a whole checkpoint: POSIX ustar, so `tar -xf` gives back a directory that
// `loadCheckpoint(trainer, dir)` reads, and a directory packed with `tar -cf` loads here.

/** Options of `checkpointToTar`. */
export interface CheckpointTarOptions {
  /** The folder the files sit in inside the archive (default `"checkpoint"`; `""` for none). */
  readonly directory?: string;
}

const BLOCK = 512;
const ascii = new TextEncoder();
const text = new TextDecoder();

const writeField = (header: Uint8Array, offset: number, length: number, value: string): void => {
  const bytes = ascii.encode(value);
  if (bytes.length > length) throw new AdapterError("checkpoint", `tar: ${JSON.stringify(value)} does not fit a ${length}-byte field`);
  header.set(bytes, offset);
};
const octal = (value: number, digits: number): string => value.toString(8).padStart(digits, "0");

const tarHeader = (name: string, size: number, type: "0" | "5"): Uint8Array => {
  const header = new Uint8Array(BLOCK);
  const encoded = ascii.encode(name);
  let prefix = "";
  let short = name;
  if (encoded.length > 100) {
    // ustar splits a long name at a '/' into prefix (155 bytes) + name (100 bytes).
    const cut = name.lastIndexOf("/", name.length - 2);
    prefix = cut > 0 ? name.slice(0, cut) : "";
    short = cut > 0 ? name.slice(cut + 1) : name;
  }
  writeField(header, 0, 100, short);
  writeField(header, 100, 8, `${type === "5" ? "0000755" : "0000644"}\0`);
  writeField(header, 108, 8, "0000000\0");
  writeField(header, 116, 8, "0000000\0");
  writeField(header, 124, 12, `${octal(size, 11)}\0`);
  writeField(header, 136, 12, `${octal(0, 11)}\0`); // mtime 0: the same files give the same archive
  writeField(header, 156, 1, type);
  writeField(header, 257, 6, "ustar\0");
  writeField(header, 263, 2, "00");
  writeField(header, 345, 155, prefix);
  header.fill(0x20, 148, 156);
  const sum = header.reduce((a, b) => a + b, 0);
  writeField(header, 148, 8, `${octal(sum, 6)}\0 `);
  return header;
};

/**
 * Packs a checkpoint's files into one POSIX tar archive, under `directory/` (default
 * `checkpoint/`), with directory entries and fixed dates (the same files give the same bytes).
 *
 * @example
 * const tar = checkpointToTar(store.files()); // `tar -xf` it: checkpoint/manifest.json, checkpoint/model/...
 */
export function checkpointToTar(files: CheckpointFiles, options: CheckpointTarOptions = {}): Uint8Array<ArrayBuffer> {
  const map = fileMap(files);
  const root = (options.directory ?? "checkpoint").replace(/\/+$/, "");
  if (root !== "") checkCheckpointFileName(root);
  const full = (name: string) => (root === "" ? name : `${root}/${name}`);
  const folders = new Set<string>(root === "" ? [] : [root]);
  for (const name of map.keys()) {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) folders.add(full(parts.slice(0, i).join("/")));
  }
  const chunks: Uint8Array[] = [...folders].sort().map((folder) => tarHeader(`${folder}/`, 0, "5"));
  for (const [name, bytes] of map) {
    chunks.push(tarHeader(full(name), bytes.length, "0"), bytes);
    const pad = (BLOCK - (bytes.length % BLOCK)) % BLOCK;
    if (pad > 0) chunks.push(new Uint8Array(pad));
  }
  chunks.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

const readString = (bytes: Uint8Array, offset: number, length: number): string => {
  const field = bytes.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return text.decode(end < 0 ? field : field.subarray(0, end));
};

/**
 * Unpacks a tar archive of a checkpoint (from `checkpointToTar`, or `tar -cf` of a checkpoint
 * directory; ustar, GNU and pax names are understood) into its files. When the archive holds one
 * folder with the checkpoint inside (`checkpoint/manifest.json`), that folder is stripped.
 * Throws `AdapterError("checkpoint")` on a damaged archive.
 *
 * @example
 * const store = memoryCheckpointStore(checkpointFromTar(new Uint8Array(await response.arrayBuffer())));
 */
export function checkpointFromTar(archive: Uint8Array): Map<string, Uint8Array<ArrayBuffer>> {
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  let offset = 0;
  let longName: string | undefined;
  while (offset < archive.length) {
    if (offset + BLOCK > archive.length) throw new AdapterError("checkpoint", `tar: the archive ends inside a header (cut short)`);
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const stored = Number.parseInt(readString(header, 148, 8).trim() || "NaN", 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
    if (stored !== sum) throw new AdapterError("checkpoint", `tar: damaged header at byte ${offset} (not a tar archive, or cut short)`);
    const size = Number.parseInt(readString(header, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156] as number);
    const start = offset + BLOCK;
    if (start + size > archive.length) throw new AdapterError("checkpoint", `tar: the archive ends inside an entry (cut short)`);
    const data = archive.subarray(start, start + size);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "L") {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (type === "x") {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text.decode(data));
      if (path !== null) longName = path[1];
      continue;
    }
    if (type === "g") continue;
    const prefix = readString(header, 345, 155);
    const name = longName ?? (prefix === "" ? readString(header, 0, 100) : `${prefix}/${readString(header, 0, 100)}`);
    longName = undefined;
    if (type === "5") continue;
    if (type !== "0" && type !== "\0" && type !== "7") throw new AdapterError("checkpoint", `tar: entry ${name} is not a plain file (type ${JSON.stringify(type)})`);
    files.set(checkCheckpointFileName(name.replace(/^(\.\/)+/, "")), new Uint8Array(data));
  }
  if (!files.has("manifest.json")) {
    const tops = new Set([...files.keys()].map((name) => name.split("/")[0]));
    const [top] = tops;
    if (tops.size === 1 && top !== undefined && files.has(`${top}/manifest.json`)) {
      return new Map([...files].map(([name, bytes]) => [name.slice(top.length + 1), bytes]));
    }
  }
  return files;
}
