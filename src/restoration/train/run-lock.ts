/**
 * One writer per run directory: `train` holds `RUN_DIR/train.lock` while it runs. The lock names
 * its owner (pid, host, start time), is removed when the run ends, and is recognised as stale
 * when its owner is gone (same host, no such process), so a run killed with SIGKILL can be
 * resumed without a manual clean-up.
 *
 * Atomic under concurrency: the lock is written in full to a file of the taker's own and then
 * hard-linked into place (`link` fails if the lock exists, so no one ever reads a half-written
 * lock), and only the holder of a short-lived takeover file (`train.lock.takeover`, created with
 * O_EXCL) may remove a stale lock, after reading it again under that file. So of many resumers
 * taking over one stale lock at the same moment, exactly one owns the run.
 */
import {
  closeSync,
  hostname,
  join,
  linkSync,
  nodeOnly,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "../../platform/node.js";
import { KitError } from "../errors.js";

/** What the lock file holds. */
export interface RunLockOwner {
  readonly pid: number;
  readonly host: string;
  /** ISO time the owner took the lock. */
  readonly since: string;
}

/** The run directory is in use by another live process. */
export class RunDirectoryBusyError extends KitError {
  override readonly name = "RunDirectoryBusyError";
  constructor(
    readonly runDir: string,
    readonly owner: RunLockOwner | undefined,
  ) {
    super(
      owner === undefined
        ? `${runDir} is in use by another train process (its lock ${join(runDir, RUN_LOCK_FILE)} cannot be read)`
        : `${runDir} is in use: train (pid ${owner.pid} on ${owner.host}) has been writing it since ${owner.since}; wait for it, stop it, or use another output`,
    );
  }
}

/** The lock's file name inside the run directory. */
export const RUN_LOCK_FILE = "train.lock";

const readOwner = (path: string): RunLockOwner | undefined => {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<RunLockOwner>;
    return typeof parsed.pid === "number" && typeof parsed.host === "string" && typeof parsed.since === "string"
      ? (parsed as RunLockOwner)
      : undefined;
  } catch {
    return undefined;
  }
};

/** True when `pid` is a live process on this machine (signal 0 tests without signalling). */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** The takeover file's name inside the run directory (held for microseconds while a stale lock is removed). */
export const RUN_LOCK_TAKEOVER_FILE = "train.lock.takeover";

const sameOwner = (a: RunLockOwner | undefined, b: RunLockOwner | undefined): boolean =>
  a !== undefined && b !== undefined && a.pid === b.pid && a.host === b.host && a.since === b.since;

/** Blocks the thread for `ms` (a takeover in progress lasts microseconds; waiting is rare). */
const pause = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/**
 * Removes the stale lock held by `stale` under the takeover file; false when another taker holds
 * the takeover file (try again). A takeover file older than a minute was left by a process that
 * died in the microseconds it holds it: reported, never guessed away.
 */
const removeStaleLock = (runDir: string, path: string, stale: RunLockOwner): boolean => {
  const takeover = join(runDir, RUN_LOCK_TAKEOVER_FILE);
  let fd: number;
  try {
    fd = openSync(takeover, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const age = Date.now() - (statSync(takeover, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > 60_000) {
      throw new Error(
        `${takeover} is ${Math.round(age / 1000)} s old: a process died while taking over the lock of ${runDir}; make sure no train runs there, then delete it`,
      );
    }
    return false;
  }
  try {
    closeSync(fd);
    // Under the takeover file, only a taker removes locks: if the lock is still the stale one, it stays so until removed here.
    if (sameOwner(readOwner(path), stale)) rmSync(path, { force: true });
    return true;
  } finally {
    rmSync(takeover, { force: true });
  }
};

/**
 * Takes the run directory's lock (the directory must exist) and returns its release function.
 * Throws `RunDirectoryBusyError` when a live process holds it; a lock whose owner is gone (same
 * host, process not running) is taken over. A lock from another host is never assumed stale.
 */
export function acquireRunLock(runDir: string): () => void {
  nodeOnly("acquireRunLock");
  const path = join(runDir, RUN_LOCK_FILE);
  const me: RunLockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  // The lock's content, complete, in a file of our own: linking it makes the lock appear whole.
  const mine = join(runDir, `${RUN_LOCK_FILE}.${process.pid}.${Math.random().toString(36).slice(2)}`);
  writeFileSync(mine, `${JSON.stringify(me)}\n`, { flag: "wx" });
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        linkSync(mine, path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP")
          return acquireWithoutLinks(runDir, path, me);
        if (code !== "EEXIST") throw error;
        const owner = readOwner(path);
        // An unreadable lock is being written by a taker without hard links, or is damaged: busy either way.
        const stale = owner !== undefined && owner.host === me.host && owner.pid !== process.pid && !isAlive(owner.pid);
        if (!stale) throw new RunDirectoryBusyError(runDir, owner);
        if (!removeStaleLock(runDir, path, owner)) pause(5);
        continue;
      }
      return releaser(path, me);
    }
    throw new RunDirectoryBusyError(runDir, readOwner(path));
  } finally {
    rmSync(mine, { force: true });
  }
}

const releaser = (path: string, me: RunLockOwner): (() => void) => {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    // Remove only our own lock (never one a later owner took after ours went stale).
    if (sameOwner(readOwner(path), me)) rmSync(path, { force: true });
  };
};

/** A file system without hard links: O_EXCL creation, then the content (a reader may see it empty for an instant: busy). */
const acquireWithoutLinks = (runDir: string, path: string, me: RunLockOwner): (() => void) => {
  for (let attempt = 0; attempt < 200; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = readOwner(path);
      const stale = owner !== undefined && owner.host === me.host && owner.pid !== process.pid && !isAlive(owner.pid);
      if (!stale) throw new RunDirectoryBusyError(runDir, owner);
      if (!removeStaleLock(runDir, path, owner)) pause(5);
      continue;
    }
    try {
      writeSync(fd, `${JSON.stringify(me)}\n`);
    } finally {
      closeSync(fd);
    }
    return releaser(path, me);
  }
  throw new RunDirectoryBusyError(runDir, readOwner(path));
};
