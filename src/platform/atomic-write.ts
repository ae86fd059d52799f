/**
 * Durable atomic file writes, the one helper for every file the project replaces in place:
 * checkpoint directories (tfjs adapter), a run's config.json/eval.json and log truncation,
 * frozen-set manifests and HTML reports. Write a temp file beside the target, fsync it, rename
 * it over the target, then fsync the directory so that the rename itself survives a crash or
 * power loss. A reader sees the old file or the new one, never half of one.
 *
 * It lives in the platform layer (src/platform/) so that the adapter, the kit and the CLI may all
 * import it. It is not exported from `art-mtl/tfjs`; the file checkpoint store
 * (`src/tfjs/checkpoint/file-store.ts`) uses it. Node's `fs` comes through `node.ts` beside it
 * (in a browser build these throw `NodeOnlyError`).
 */
import { closeSync, dirname, fsyncSync, mkdirSync, openSync, renameSync, resolve, writeFileSync } from "./node.js";

/** Error codes of platforms that cannot open or fsync a directory (Windows): nothing to do there. */
const UNSUPPORTED_DIRECTORY_SYNC = new Set(["EISDIR", "EPERM", "EINVAL", "EBADF", "EACCES", "ENOTSUP"]);

const unsupported = (error: unknown): boolean =>
  UNSUPPORTED_DIRECTORY_SYNC.has((error as NodeJS.ErrnoException).code ?? "");

/** Flushes a directory's entries (a rename or a new file in it) to disk. */
export function syncDirectory(directory: string): void {
  let fd: number;
  try {
    fd = openSync(directory, "r");
  } catch (error) {
    if (unsupported(error)) return;
    throw error;
  }
  try {
    fsyncSync(fd);
  } catch (error) {
    if (!unsupported(error)) throw error;
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `data` atomically and durably: `path.tmp` is written and fsynced, renamed
 * to `path`, and the directory fsynced. Creates the parent directory when missing.
 *
 * @example
 * writeFileAtomic("runs/a/eval.json", JSON.stringify(result));
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const directory = dirname(resolve(path));
  mkdirSync(directory, { recursive: true });
  const temp = `${path}.tmp`;
  const fd = openSync(temp, "w");
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  syncDirectory(directory);
}
