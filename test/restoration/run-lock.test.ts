import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";

import { runCli } from "../../src/cli/main.js";
import { acquireRunLock, RUN_LOCK_FILE, RunDirectoryBusyError } from "../../src/restoration/train/run-lock.js";

const repo = resolve(import.meta.dirname, "..", "..");
const temp = mkdtempSync(join(tmpdir(), "art-mtl-lock-"));
after(() => rmSync(temp, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logLines = (dir: string): number =>
  existsSync(join(dir, "log.jsonl"))
    ? readFileSync(join(dir, "log.jsonl"), "utf8").split("\n").filter(Boolean).length
    : 0;
const waitFor = async (what: string, ok: () => boolean, seconds = 90) => {
  for (let i = 0; i < seconds * 10; i++) {
    if (ok()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
};

/** A long tiny run in a child process (the first writer). */
const startTrainer = (config: string): ChildProcess =>
  spawn(process.execPath, ["--import", "tsx", join(repo, "src/cli/main.ts"), "train", "--config", config, "--quiet"], {
    cwd: repo,
    stdio: ["ignore", "ignore", "pipe"],
  });
const configIn = (dir: string, steps: number): string => {
  const path = join(temp, `${dir.split("/").pop()}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      tasks: ["noise", "blur"],
      data: { source: "procedural", patchSize: 16, prefetch: "none" },
      model: { kind: "srresnet", width: 4, blocks: 1 },
      steps,
      batch: 4,
      backend: "wasm",
      output: dir,
      checkpointEvery: 5,
      eval: { images: 1, size: 16 },
    }),
  );
  return path;
};
const cli = async (argv: string[]) => {
  let stderr = "";
  const code = await runCli(argv, { stdout: () => undefined, stderr: (t) => (stderr += t) });
  return { code, stderr };
};

describe("one writer per run directory", () => {
  it("the lock names its owner, refuses a second holder and is released", () => {
    const dir = join(temp, "unit");
    mkdirSync(dir, { recursive: true });
    const release = acquireRunLock(dir);
    const owner = JSON.parse(readFileSync(join(dir, RUN_LOCK_FILE), "utf8")) as { pid: number; host: string };
    assert.deepEqual([owner.pid, owner.host], [process.pid, hostname()]);
    assert.throws(
      () => acquireRunLock(dir),
      (e: unknown) => e instanceof RunDirectoryBusyError && e.message.includes(`pid ${process.pid}`),
    );
    release();
    assert.ok(!existsSync(join(dir, RUN_LOCK_FILE)));
    acquireRunLock(dir)();
    // A lock whose owner is gone is stale; one from another host is never assumed stale.
    writeFileSync(join(dir, RUN_LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: "then" }));
    acquireRunLock(dir)();
    writeFileSync(join(dir, RUN_LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: "elsewhere", since: "then" }));
    assert.throws(() => acquireRunLock(dir), /pid 4206649 on elsewhere/);
  });

  it("a second train on a busy directory refuses at once, naming the owner, and the first keeps training untouched", async () => {
    const dir = join(temp, "busy");
    const config = configIn(dir, 100_000);
    const first = startTrainer(config);
    let firstErr = "";
    first.stderr?.on("data", (c: Buffer) => (firstErr += c.toString()));
    try {
      await waitFor("the first trainer's checkpoint", () => existsSync(join(dir, "checkpoint", "manifest.json")));
      for (const flag of ["--resume", "--force"]) {
        const second = await cli(["train", "--config", config, flag, "--quiet"]);
        assert.equal(second.code, 2, second.stderr);
        assert.match(second.stderr, new RegExp(`is in use: train \\(pid ${first.pid} on ${hostname()}\\)`));
      }
      const before = logLines(dir);
      await waitFor("the first trainer to go on", () => logLines(dir) > before + 5);
      assert.equal(first.exitCode, null, `the first trainer still runs (${firstErr})`);
    } finally {
      first.kill("SIGKILL");
    }
  });

  it("a stale lock taken over by 6 resumers at the same moment has exactly one owner, in each of 30 synchronised trials", async () => {
    const trials = Array.from({ length: 30 }, (_, t) => {
      const dir = join(temp, `race-${t}`);
      mkdirSync(dir, { recursive: true });
      // A dead owner on this host: every contender sees a stale lock and tries to take it over.
      writeFileSync(join(dir, RUN_LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 4321, host: hostname(), since: "then" }));
      return dir;
    });
    const start = Date.now() + 10_000; // after every contender has started (tsx start-up)
    const contenders = Array.from({ length: 6 }, () =>
      spawn(
        process.execPath,
        ["--import", "tsx", join(repo, "test/support/lock-contender.ts"), String(start), ...trials],
        { cwd: repo, stdio: ["ignore", "pipe", "pipe"] },
      ),
    );
    const outputs = await Promise.all(
      contenders.map(
        (child) =>
          new Promise<string>((done) => {
            let out = "";
            child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
            child.stderr?.on("data", (c: Buffer) => (out += c.toString()));
            child.once("exit", () => done(out));
          }),
      ),
    );
    const lines = outputs.flatMap((o) => o.trim().split("\n"));
    assert.ok(!lines.some((l) => l.includes("error")), lines.filter((l) => l.includes("error")).join("\n"));
    assert.equal(lines.length, 6 * trials.length, "every contender answered every trial");
    // Contenders that reached a trial late did not try; among those on time, exactly one wins.
    const onTime = trials.map((_, t) => lines.filter((l) => l === `${t} won` || l === `${t} busy`).length);
    const winners = trials.map((_, t) => lines.filter((l) => l === `${t} won`).length);
    assert.deepEqual(
      winners,
      onTime.map((n) => (n > 0 ? 1 : 0)),
      `winners per trial: ${winners.join(" ")} (contenders on time: ${onTime.join(" ")})`,
    );
    const raced = onTime.filter((n) => n >= 2).length;
    assert.ok(
      raced >= 20,
      `only ${raced} of ${trials.length} trials had 2 or more contenders on time (the machine is too loaded to race)`,
    );
    console.log(`# lock race: ${raced} trials with >= 2 contenders on time (${onTime.join(" ")}), one owner in each`);
    for (const dir of trials) assert.ok(!existsSync(join(dir, RUN_LOCK_FILE)), "released by its one owner");
  });

  it("after the owner is killed with SIGKILL, train --resume takes the stale lock and finishes", async () => {
    const dir = join(temp, "killed");
    const config = configIn(dir, 40);
    const owner = startTrainer(config);
    await waitFor("a checkpoint", () => existsSync(join(dir, "checkpoint", "manifest.json")));
    owner.kill("SIGKILL");
    await new Promise((r) => owner.once("exit", r));
    assert.ok(existsSync(join(dir, RUN_LOCK_FILE)), "the killed owner left its lock");
    const resumed = await cli(["train", "--config", config, "--resume", "--quiet"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(logLines(dir), 40);
    assert.ok(!existsSync(join(dir, RUN_LOCK_FILE)), "released at the end");
  });
});
