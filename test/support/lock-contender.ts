/**
 * One contender of the run-lock race (test/restoration/run-lock.test.ts): for each trial folder
 * in argv[3..], waits until that trial's start time (argv[2] + t × 300 ms), tries
 * `acquireRunLock`, holds a won lock until 200 ms after the start, releases it, and prints one
 * line per trial: "t won" or "t busy" (or "t error: …"), or "t late" when it reached the trial
 * more than 50 ms after its start (a loaded machine), without trying: a late try could take a
 * lock released by the trial's owner, which is not a race.
 */
import { acquireRunLock, RunDirectoryBusyError } from "../../src/restoration/train/run-lock.js";

const start = Number(process.argv[2]);
const dirs = process.argv.slice(3);
const spinUntil = (time: number) => {
  while (Date.now() < time) {
    /* spin: every contender leaves its wait within the same millisecond */
  }
};
const sleepUntil = (time: number) => new Promise((r) => setTimeout(r, Math.max(0, time - Date.now())));
for (const [t, dir] of dirs.entries()) {
  const at = start + t * 300;
  await sleepUntil(at - 20);
  spinUntil(at);
  if (Date.now() > at + 50) {
    console.log(`${t} late`);
    continue;
  }
  try {
    const release = acquireRunLock(dir);
    await sleepUntil(at + 200);
    release();
    console.log(`${t} won`);
  } catch (error) {
    console.log(error instanceof RunDirectoryBusyError ? `${t} busy` : `${t} error: ${(error as Error).message}`);
  }
}
