/**
 * The file-system checkpoint store (Node): one checkpoint in one directory, written atomically.
 *
 * Atomicity: every file is written and fsynced into `DIR.partial-*`, then its directories are
 * fsynced; on commit the old `DIR` (if complete) is renamed to `DIR.previous`, the new one renamed
 * to `DIR`, the parent directory fsynced (see `atomic-write.ts`), and `DIR.previous` removed. A
 * crash at any point leaves either `DIR` or `DIR.previous` complete (holding `manifest.json`),
 * and the store reads whichever is there. Leftover `DIR.partial-*` directories of a crashed save
 * are removed by the next one.
 */
import { syncDirectory } from "../../platform/atomic-write.js";
import { basename, dirname, fsPromises as fs, join, nodeOnly, resolve } from "../../platform/node.js";
import { AdapterError } from "../errors.js";
import {
  checkCheckpointFileLength,
  checkCheckpointFileName,
  type CheckpointReader,
  type CheckpointReadOptions,
  type CheckpointStore,
  type CheckpointWriter,
} from "./store.js";

const exists = async (target: string): Promise<boolean> => {
  try {
    await fs.access(target);
    return true;
  } catch {
    return false;
  }
};

const pathOf = (root: string, file: string): string => join(root, ...checkCheckpointFileName(file).split("/"));

/** The files under `root`, as `/`-separated names, sorted. */
const listFiles = async (root: string, prefix = ""): Promise<string[]> => {
  const out: string[] = [];
  for (const entry of await fs.readdir(join(root, ...prefix.split("/").filter((s) => s !== "")), {
    withFileTypes: true,
  })) {
    const name = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(root, name)));
    else if (entry.isFile()) out.push(name);
  }
  return out.sort();
};

const kindOf = (stat: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
  isSymbolicLink(): boolean;
}): string =>
  stat.isDirectory()
    ? "a directory"
    : stat.isFIFO()
      ? "a FIFO"
      : stat.isCharacterDevice() || stat.isBlockDevice()
        ? "a device"
        : stat.isSocket()
          ? "a socket"
          : stat.isSymbolicLink()
            ? "a symbolic link"
            : "not a regular file";

/**
 * Reads one checkpoint file: opened once, without following a symlink (O_NOFOLLOW) and without
 * blocking on a FIFO (O_NONBLOCK); the open file must be a regular file of the length `options`
 * allows (fstat), and only then are its bytes read, exactly that many.
 */
const readCheckpointFile = async (
  path: string,
  options: CheckpointReadOptions | undefined,
): Promise<Uint8Array | undefined> => {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  if (O_NOFOLLOW === undefined) {
    // No O_NOFOLLOW (Windows): refuse a symlink by lstat first.
    try {
      const link = await fs.lstat(path);
      if (link.isSymbolicLink())
        throw new AdapterError("checkpoint", `${path}: is a symbolic link; a checkpoint file must be a regular file`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }
  let handle: Awaited<ReturnType<typeof fs.open>>;
  try {
    handle = await fs.open(path, O_RDONLY | (O_NOFOLLOW ?? 0) | (O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP" || code === "EMLINK")
      throw new AdapterError("checkpoint", `${path}: is a symbolic link; a checkpoint file must be a regular file`);
    throw new AdapterError("checkpoint", `${path}: cannot be opened (${code ?? String(error)})`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile())
      throw new AdapterError("checkpoint", `${path}: is ${kindOf(stat)}; a checkpoint file must be a regular file`);
    checkCheckpointFileLength(path, stat.size, options);
    const bytes = new Uint8Array(stat.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled !== bytes.length)
      throw new AdapterError(
        "checkpoint",
        `${path}: shrank to ${filled} bytes while it was read (changed under the reader)`,
      );
    return bytes;
  } catch (error) {
    if (error instanceof AdapterError) throw error;
    throw new AdapterError(
      "checkpoint",
      `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  } finally {
    await handle.close();
  }
};

const directoryReader = (root: string): CheckpointReader => ({
  location: root,
  list: () => listFiles(root),
  read: (file, options) => readCheckpointFile(pathOf(root, file), options),
});

/**
 * The checkpoint in directory `directory` (Node only; what `saveCheckpoint(trainer, path)` uses).
 * See the module comment for how a save stays atomic.
 *
 * @example
 * const store = fileCheckpointStore("runs/exp1/checkpoint");
 * await copyCheckpoint(store, memoryCheckpointStore());
 */
export function fileCheckpointStore(directory: string): CheckpointStore {
  nodeOnly("fileCheckpointStore", "use memoryCheckpointStore() or indexedDbCheckpointStore(name)");
  const target = resolve(directory);
  const parent = dirname(target);
  const base = basename(target);
  const previous = join(parent, `${base}.previous`);

  const removePartials = async (): Promise<void> => {
    if (!(await exists(parent))) return;
    // Leftovers of a crashed save are incomplete by construction; remove them.
    for (const name of await fs.readdir(parent)) {
      if (name.startsWith(`${base}.partial-`)) await fs.rm(join(parent, name), { recursive: true, force: true });
    }
  };

  return {
    location: target,
    open: async () => {
      for (const candidate of [target, previous]) {
        if (await exists(join(candidate, "manifest.json"))) return directoryReader(candidate);
      }
      return null;
    },
    begin: async (): Promise<CheckpointWriter> => {
      await fs.mkdir(parent, { recursive: true });
      await removePartials();
      const partial = join(parent, `${base}.partial-${process.pid}-${Date.now()}`);
      await fs.mkdir(partial, { recursive: true });
      const folders = new Set<string>([partial]);
      let done = false;
      const live = () => {
        if (done) throw new AdapterError("checkpoint", "this checkpoint writer was already committed or aborted");
      };
      return {
        write: async (file, bytes) => {
          live();
          const path = pathOf(partial, file);
          const folder = dirname(path);
          if (!folders.has(folder)) {
            await fs.mkdir(folder, { recursive: true });
            for (let f = folder; f !== partial && !folders.has(f); f = dirname(f)) folders.add(f);
          }
          const handle = await fs.open(path, "w");
          try {
            await handle.writeFile(bytes);
            await handle.sync();
          } finally {
            await handle.close();
          }
        },
        commit: async () => {
          live();
          done = true;
          // The files' directory entries (deepest first), then the swap.
          for (const folder of [...folders].sort((a, b) => b.length - a.length)) syncDirectory(folder);
          if (await exists(join(target, "manifest.json"))) {
            await fs.rm(previous, { recursive: true, force: true });
            await fs.rename(target, previous);
          } else {
            // No complete checkpoint at DIR: keep DIR.previous (it may be the only good copy) until the new one is in place.
            await fs.rm(target, { recursive: true, force: true });
          }
          await fs.rename(partial, target);
          // Make the renames durable before the old copy goes.
          syncDirectory(parent);
          await fs.rm(previous, { recursive: true, force: true });
        },
        abort: async () => {
          if (done) return;
          done = true;
          await fs.rm(partial, { recursive: true, force: true });
        },
      };
    },
    remove: async () => {
      for (const path of [target, previous]) await fs.rm(path, { recursive: true, force: true });
      await removePartials();
    },
  };
}
