import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";

import { RUN_LOCK_FILE } from "../../src/restoration/train/run-lock.js";

/**
 * `art-mtl train` stops cleanly on SIGTERM and SIGHUP as on SIGINT: the real CLI in a child
 * process, a long tiny run, the signal sent after a few logged steps. Each must end with the exit
 * code of that signal (128 + its number), a checkpoint of the last logged step, no lock and no
 * staging folder left, and a log that `--resume` continues without a gap or a repeated step.
 */

const repo = resolve(import.meta.dirname, "..", "..");
const temp = mkdtempSync(join(tmpdir(), "art-mtl-signals-"));
after(() => rmSync(temp, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logSteps = (dir: string): number[] =>
  existsSync(join(dir, "log.jsonl"))
    ? readFileSync(join(dir, "log.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { step: number }).step)
    : [];

const configIn = (dir: string, steps: number, workers = 1): string => {
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
      checkpointEvery: 1000,
      workers,
      eval: { images: 1, size: 16 },
    }),
  );
  return path;
};

const train = (config: string, ...extra: string[]) => {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(repo, "src/cli/main.ts"), "train", "--config", config, "--quiet", ...extra],
    { cwd: repo, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, exited, stderr: () => stderr };
};

const stopWith = async (signal: "SIGTERM" | "SIGHUP" | "SIGINT", workers: number) => {
  const dir = join(temp, `${signal}-${workers}`);
  const config = configIn(dir, 100_000, workers);
  const run = train(config);
  for (let i = 0; i < 1800 && logSteps(dir).length < 3; i++) await sleep(100);
  assert.ok(logSteps(dir).length >= 3, `no steps logged (${run.stderr()})`);
  run.child.kill(signal);
  const code = await run.exited;
  const steps = logSteps(dir);
  return { dir, config, code, steps, stderr: run.stderr() };
};

const checkStopped = (r: Awaited<ReturnType<typeof stopWith>>, code: number, signal: string) => {
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr, new RegExp(`${signal}: finishing the current step and writing a checkpoint`));
  const manifest = JSON.parse(readFileSync(join(r.dir, "checkpoint", "manifest.json"), "utf8")) as { step: number };
  assert.equal(manifest.step, r.steps[r.steps.length - 1], "the checkpoint is of the last logged step");
  assert.ok(!existsSync(join(r.dir, RUN_LOCK_FILE)), "the lock is released");
  assert.deepEqual(
    readdirSync(r.dir).filter((f) => f.includes("partial")),
    [],
    "no staging folder left",
  );
  assert.deepEqual(
    r.steps,
    r.steps.map((_, i) => i + 1),
    "the log is contiguous",
  );
};

describe("train stops cleanly on SIGTERM and SIGHUP (as on SIGINT)", () => {
  it("SIGTERM, one worker: exit 143, a checkpoint of the last step; --resume continues the log without a gap; SIGHUP then: exit 129", async () => {
    const r = await stopWith("SIGTERM", 1);
    checkStopped(r, 143, "SIGTERM");
    const resumed = train(r.config, "--resume");
    const before = r.steps.length;
    for (let i = 0; i < 1800 && logSteps(r.dir).length < before + 3; i++) await sleep(100);
    resumed.child.kill("SIGHUP");
    const code = await resumed.exited;
    const steps = logSteps(r.dir);
    checkStopped({ ...r, code, steps, stderr: resumed.stderr() }, 129, "SIGHUP");
    assert.ok(steps.length > before, "the resumed run trained");
  });

  it("SIGTERM with 2 workers: exit 143, a checkpoint of the last step, no lock", async () => {
    checkStopped(await stopWith("SIGTERM", 2), 143, "SIGTERM");
  });
});
