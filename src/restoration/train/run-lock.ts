/**
 * One writer per run directory: `train` holds `RUN_DIR/train.lock` while it runs. The lock is
 * created atomically (O_EXCL), names its owner (pid, host, start time), is removed when the run
 * ends, and is recognised as stale when its owner is gone (same host, no such process), so a run
 * killed with SIGKILL can be resumed without a manual clean-up.
 */
import { closeSync, hostname, join, nodeOnly, openSync, readFileSync, rmSync, writeSync } from "../../tfjs/platform/node.js";

/** What the lock file holds. */
export interface RunLockOwner {
  readonly pid: number;
  readonly host: string;
  /** ISO time the owner took the lock. */
  readonly since: string;
}

/** The run directory is in use by another live process. */
export class RunDirectoryBusyError extends Error {
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
    return typeof parsed.pid === "number" && typeof parsed.host === "string" && typeof parsed.since === "string" ? (parsed as RunLockOwner) : undefined;
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

/**
 * Takes the run directory's lock (the directory must exist) and returns its release function.
 * Throws `RunDirectoryBusyError` when a live process holds it; a lock whose owner is gone (same
 * host, process not running) is replaced. A lock from another host is never assumed stale.
 */
export function acquireRunLock(runDir: string): () => void {
  nodeOnly("acquireRunLock");
  const path = join(runDir, RUN_LOCK_FILE);
  const me: RunLockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = readOwner(path);
      const stale = owner !== undefined && owner.host === me.host && owner.pid !== process.pid && !isAlive(owner.pid);
      if (!stale) throw new RunDirectoryBusyError(runDir, owner);
      rmSync(path, { force: true });
      continue;
    }
    try {
      writeSync(fd, `${JSON.stringify(me)}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Remove only our own lock (never one a later owner took after ours went stale).
      if (readOwner(path)?.pid === me.pid) rmSync(path, { force: true });
    };
  }
  throw new RunDirectoryBusyError(runDir, readOwner(path));
}
