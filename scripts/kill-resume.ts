#!/usr/bin/env -S node --import tsx
/**
 * Kill-and-resume harness: `art-mtl train` is killed at random moments (SIGKILL, SIGTERM, SIGINT;
 * with checkpoints every 4 steps, so many kills land during a checkpoint write), resumed with
 * `--resume` until it finishes, with 1 and with 2 workers (a run of 150 steps of a small SRResNet
 * takes ~10-20 s here, start-up included, so kills land in start-up, training and checkpoint
 * writes alike). Then:
 * - the log holds every step once, in order (contiguous, no duplicate, no gap);
 * - the final model equals an uninterrupted run's bit for bit (wasm; resume restores Adam's running
 *   beta products exactly, see src/tfjs/optimizer-state.ts; before that fix a resume left ~1e-7,
 *   which grew to 6% over 60 steps).
 *
 *   npm run harness:kill-resume [-- --trials N --workers 1,2 --steps S --seed X]
 *
 * Prints one line per trial and a summary; exits 1 if any trial fails.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

import { Rng } from "../src/core/random.js";
import { parseLog } from "../src/restoration/train/run-dir.js";

const repo = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "4" },
    workers: { type: "string", default: "1,2" },
    steps: { type: "string", default: "150" },
    seed: { type: "string", default: "1" },
  },
});
const trials = Number(values.trials);
const workerCounts = (values.workers as string).split(",").map(Number);
const steps = Number(values.steps);
const rng = Rng.seeded(Number(values.seed));
const temp = mkdtempSync(join(tmpdir(), "art-mtl-kill-resume-"));

const configFor = (dir: string, workers: number): string => {
  const path = `${dir}.json`;
  writeFileSync(
    path,
    JSON.stringify({
      tasks: ["noise", "blur"],
      data: { source: "procedural", patchSize: 24, prefetch: "none" },
      model: { kind: "srresnet", width: 8, blocks: 2 },
      steps,
      batch: 8,
      lr: 1e-3,
      seed: 5,
      backend: "wasm",
      output: dir,
      checkpointEvery: 4,
      workers,
      eval: { images: 1, size: 16 },
    }),
  );
  return path;
};

/** Runs `train` (optionally killed after `killAfterMs` with `signal`); resolves to its exit code (or signal name) and stderr. */
const train = (
  config: string,
  extra: string[],
  kill?: { afterMs: number; signal: NodeJS.Signals },
): Promise<{ code: number | string; stderr: string }> =>
  new Promise((done) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(repo, "src/cli/main.ts"), "train", "--config", config, "--quiet", ...extra],
      { cwd: repo, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = kill === undefined ? undefined : setTimeout(() => child.kill(kill.signal), kill.afterMs);
    child.once("exit", (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      done({ code: code ?? signal ?? "?", stderr });
    });
  });

/** The run's log through the kit's own parser (lines that are not records are counted: a contiguous log has none). */
const logOf = (dir: string): { records: ReadonlyArray<{ step: number; loss: number }>; bad: number } =>
  existsSync(join(dir, "log.jsonl")) ? parseLog(readFileSync(join(dir, "log.jsonl"), "utf8")) : { records: [], bad: 0 };

/** The model tensors of a run's checkpoint, in manifest order. */
const modelTensors = (dir: string): Float32Array[] => {
  const manifest = JSON.parse(readFileSync(join(dir, "checkpoint", "manifest.json"), "utf8")) as {
    model: Array<{ file: string }>;
  };
  return manifest.model.map((entry) => {
    const bytes = readFileSync(join(dir, "checkpoint", entry.file));
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  });
};

const largestDifference = (a: Float32Array[], b: Float32Array[]): number =>
  a.reduce((worst, x, i) => {
    const y = b[i] as Float32Array;
    let scale = 0;
    let diff = 0;
    for (let j = 0; j < x.length; j++) {
      scale = Math.max(scale, Math.abs(y[j] as number));
      diff = Math.max(diff, Math.abs((x[j] as number) - (y[j] as number)));
    }
    return Math.max(worst, scale === 0 ? diff : diff / scale);
  }, 0);

const SIGNALS: NodeJS.Signals[] = ["SIGKILL", "SIGTERM", "SIGINT"];
let failures = 0;
const keep = new Set<string>();
const started = performance.now();
try {
  for (const workers of workerCounts) {
    const referenceDir = join(temp, `reference-${workers}`);
    const reference = await train(configFor(referenceDir, workers), []);
    if (reference.code !== 0) throw new Error(`the uninterrupted run failed: ${reference.stderr}`);
    const want = modelTensors(referenceDir);
    // A resumed run is checked against the uninterrupted one with the same worker count.
    for (let t = 0; t < trials; t++) {
      const dir = join(temp, `trial-${workers}-${t}`);
      const config = configFor(dir, workers);
      const kills: string[] = [];
      let finished = false;
      for (let attempt = 0; attempt < 40 && !finished; attempt++) {
        const hasCheckpoint = existsSync(join(dir, "checkpoint", "manifest.json"));
        const flags = attempt === 0 ? [] : hasCheckpoint ? ["--resume"] : ["--force"];
        // Start-up (tsx, wasm, workers) takes 2-6 s; kill somewhere in the run.
        const kill =
          attempt < 4
            ? {
                afterMs: Math.round(rng.uniform(3000, 14000)),
                signal: SIGNALS[Math.floor(rng.uniform(0, SIGNALS.length))] as NodeJS.Signals,
              }
            : undefined;
        const outcome = await train(config, flags, kill);
        // What the run said of where it started and stopped (for a failure's diagnosis).
        const said = [...outcome.stderr.matchAll(/(resuming \S+ at step \d+|stopped at step \d+)/g)]
          .map((m) => m[1]?.replace(/ \S+ at /, " at "))
          .join(", ");
        if (outcome.code === 0) finished = true;
        else if (kill !== undefined)
          kills.push(`${kill.signal}@${kill.afterMs}ms→${outcome.code}${said === "" ? "" : ` (${said})`}`);
        else throw new Error(`trial ${t}: an unkilled run failed (${outcome.code}): ${outcome.stderr}`);
      }
      const log = logOf(dir);
      const logged = log.records.map((r) => r.step);
      const contiguous = log.bad === 0 && logged.length === steps && logged.every((s, i) => s === i + 1);
      const diff = largestDifference(modelTensors(dir), want);
      // Resume is exact (Adam's running products restored): on wasm the bits must match.
      const ok = finished && contiguous && diff === 0;
      let where = "";
      if (!ok) {
        failures++;
        // Where the run left the uninterrupted one: the first logged loss that differs by more than float32 drift.
        const mine = log.records.map((r) => r.loss);
        const theirs = logOf(referenceDir).records.map((r) => r.loss);
        const first = mine.findIndex(
          (l, i) =>
            Math.abs(l - (theirs[i] ?? Number.NaN)) > 1e-4 * Math.abs(theirs[i] ?? 1) ||
            Number.isNaN(theirs[i] ?? Number.NaN),
        );
        where = `; first differing step ${first + 1} (${mine[first]} vs ${theirs[first]}); kept in ${dir}`;
        keep.add(dir);
      }
      console.log(
        `workers ${workers}, trial ${t}: ${ok ? "ok" : "FAILED"}; kills ${kills.join(", ") || "none"}; log ${contiguous ? "contiguous" : `NOT contiguous (${logged.length} lines)`}; model vs uninterrupted: ${diff.toExponential(2)} of scale${where}`,
      );
    }
  }
} finally {
  if (keep.size === 0) rmSync(temp, { recursive: true, force: true });
}
console.log(
  `kill-resume: ${workerCounts.length * trials} trials, ${failures} failed, ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
process.exitCode = failures === 0 ? 0 : 1;
