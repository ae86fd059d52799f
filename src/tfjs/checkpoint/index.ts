/**
 * Checkpoints of a trainer (grouped as tfjs-core groups its `io/`):
 *
 *   save-load.ts        saveCheckpoint, loadCheckpoint, the manifest format and its checks
 *   store.ts            the CheckpointStore interface (reader, writer) and helpers to write one
 *   memory-store.ts     memoryCheckpointStore (anywhere)
 *   file-store.ts       fileCheckpointStore (Node: a directory, written atomically)
 *   indexeddb-store.ts  indexedDbCheckpointStore (browsers)
 *   tar.ts              one tar archive for a whole checkpoint
 */
export * from "./save-load.js";
export type {
  CheckpointFiles,
  CheckpointReader,
  CheckpointReadOptions,
  CheckpointStore,
  CheckpointWriter,
} from "./store.js";
export {
  checkCheckpointFileLength,
  checkCheckpointFileName,
  copyCheckpoint,
  mapCheckpointReader,
  stagedCheckpointWriter,
} from "./store.js";
export * from "./memory-store.js";
export { fileCheckpointStore } from "./file-store.js";
export * from "./indexeddb-store.js";
export * from "./tar.js";
