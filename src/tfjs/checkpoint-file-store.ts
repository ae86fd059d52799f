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
import type { CheckpointReader, CheckpointStore, CheckpointWriter } from "./checkpoint-store.js";
import { checkCheckpointFileName } from "./checkpoint-store.js";
import { AdapterError } from "./errors.js";
import { syncDirectory } from "./atomic-write.js";
import { basename, dirname, fsPromises as fs, join, nodeOnly, resolve } from "./platform/node.js";

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
  for (const entry of await fs.readdir(join(root, ...prefix.split("/").filter((s) => s !== "")), { withFileTypes: true })) {
    const name = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(root, name)));
    else if (entry.isFile()) out.push(name);
  }
  return out.sort();
};

const directoryReader = (root: string): CheckpointReader => ({
  location: root,
  list: () => listFiles(root),
  read: async (file) => {
    try {
      return await fs.readFile(pathOf(root, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  },
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
