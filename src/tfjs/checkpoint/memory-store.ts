/** A checkpoint store in memory (works everywhere), with its files out and in as a map or one tar archive. */
import { AdapterError } from "../errors.js";
import {
  fileMap,
  mapCheckpointReader,
  stagedCheckpointWriter,
  type CheckpointFiles,
  type CheckpointStore,
} from "./store.js";
import { checkpointToTar, type CheckpointTarOptions } from "./tar.js";

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
    files: () =>
      new Map(
        [...(stored ?? new Map<string, Uint8Array<ArrayBuffer>>())].map(([name, bytes]) => [
          name,
          new Uint8Array(bytes),
        ]),
      ),
    toTar: (options) => {
      if (stored === null) throw new AdapterError("checkpoint", "the memory store holds no checkpoint");
      return checkpointToTar(stored, options);
    },
  };
}
