import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { runCli } from "../../src/cli/main.js";
import { proceduralImageAt } from "../../src/restoration/data/index.js";
import {
  decodePngAlpha,
  encodePng,
  isJpeg,
  pngFacts,
  readImageSync,
  writePng,
} from "../../src/restoration/io/index.js";
import {
  forwardFor,
  loadTrainedSession,
  resolveTrainConfig,
  restoreImage,
  selfEnsemble,
  trainRun,
} from "../../src/restoration/train/index.js";
import { readEvalHistory } from "../../src/restoration/train/run-dir.js";
import { assertAllClose } from "../support/all-close.js";

const temp = mkdtempSync(join(tmpdir(), "art-mtl-cli-"));
after(() => rmSync(temp, { recursive: true, force: true }));

/** Runs the CLI with captured output. */
const cli = async (...argv: string[]) => {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
};

/** A config small enough for a test: 2 tasks, batch 4, 16x16 patches, a 4-channel SRResNet on wasm. */
const tinyConfig = (output: string, extra: Record<string, unknown> = {}) => ({
  name: "tiny",
  tasks: ["noise", "rain"],
  data: { source: "procedural", patchSize: 16, prefetch: "thread" },
  model: { kind: "srresnet", width: 4, blocks: 1 },
  weighting: { name: "art" },
  steps: 4,
  batch: 4,
  lr: 1e-3,
  seed: 3,
  backend: "wasm",
  output,
  checkpointEvery: 2,
  eval: { data: "procedural", images: 1, size: 32 },
  ...extra,
});

const writeConfig = (name: string, config: unknown): string => {
  const path = join(temp, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
};

const readLog = (dir: string) =>
  readFileSync(join(dir, "log.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map(
      (line) =>
        JSON.parse(line) as {
          step: number;
          loss: number;
          taskLosses: (number | null)[];
          weights: number[];
          lr: number;
          time: number;
        },
    );

describe("art-mtl train / eval / restore / report (procedural, tiny model, wasm)", () => {
  const runDir = join(temp, "run");
  it("train writes config.json, log.jsonl (one line per step), checkpoint/ and eval.json", async () => {
    const { code, stdout, stderr } = await cli("train", "--config", writeConfig("tiny", tinyConfig(runDir)));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /trained tiny to step 4/);
    for (const file of ["config.json", "log.jsonl", "checkpoint/manifest.json", "eval.json"])
      assert.ok(existsSync(join(runDir, file)), file);
    const log = readLog(runDir);
    assert.deepEqual(
      log.map((r) => r.step),
      [1, 2, 3, 4],
    );
    for (const r of log) {
      assert.ok(Number.isFinite(r.loss) && r.loss > 0);
      assert.equal(r.taskLosses.length, 2);
      assert.ok(Math.abs(r.weights.reduce((a, b) => a + b) - 1) < 1e-9);
      assert.equal(r.lr, 1e-3);
    }
    const evaluation = JSON.parse(readFileSync(join(runDir, "eval.json"), "utf8"));
    assert.deepEqual(
      evaluation.tasks.map((t: { task: string }) => t.task),
      ["noise", "rain"],
    );
    assert.ok(
      evaluation.tasks.every(
        (t: { psnr: number; ssim: number }) => Number.isFinite(t.psnr) && t.ssim > 0 && t.ssim <= 1,
      ),
    );
  });
  it("refuses to overwrite a run without --resume or --force", async () => {
    const { code, stderr } = await cli("train", "--config", join(temp, "tiny.json"));
    assert.equal(code, 2);
    assert.match(stderr, /already holds a run .*--resume/);
  });
  it("--resume continues the step count, and the result equals an uninterrupted run", async () => {
    const { code, stderr } = await cli("train", "--config", join(temp, "tiny.json"), "--resume", "--steps", "6");
    assert.equal(code, 0, stderr);
    const resumed = readLog(runDir);
    assert.deepEqual(
      resumed.map((r) => r.step),
      [1, 2, 3, 4, 5, 6],
    );
    const straightDir = join(temp, "straight");
    assert.equal(
      (await cli("train", "--config", writeConfig("straight", tinyConfig(straightDir, { steps: 6 })), "--quiet")).code,
      0,
    );
    const straight = readLog(straightDir);
    assert.deepEqual(
      resumed.map((r) => r.loss),
      straight.map((r) => r.loss),
    );
    assert.deepEqual(
      resumed.map((r) => r.weights),
      straight.map((r) => r.weights),
    );
  });
  it("eval-history.jsonl holds every evaluation (each evalEvery steps and the last); a resume drops the ones after its checkpoint", async () => {
    const dir = join(temp, "history");
    const config = writeConfig("history", tinyConfig(dir, { evalEvery: 2, steps: 4 }));
    assert.equal((await cli("train", "--config", config, "--quiet")).code, 0);
    const path = join(dir, "eval-history.jsonl");
    const steps = () => readEvalHistory(path).map((r) => r.step);
    assert.deepEqual(steps(), [2, 4]);
    assert.deepEqual(readEvalHistory(path).at(-1), JSON.parse(readFileSync(join(dir, "eval.json"), "utf8")));
    // What a run killed after an evaluation past its last checkpoint leaves: that line, and a cut one.
    const stale = { ...readEvalHistory(path)[0]!, step: 5 };
    writeFileSync(path, readFileSync(path, "utf8") + JSON.stringify(stale) + '\n{"step":6,"tas');
    assert.deepEqual(steps(), [2, 4, 5]);
    const { code, stderr } = await cli("train", "--config", config, "--resume", "--steps", "6", "--quiet");
    assert.equal(code, 0, stderr);
    assert.deepEqual(steps(), [2, 4, 6]);
    assert.equal(
      readFileSync(path, "utf8").trim().split("\n").length,
      3,
      "one line per evaluation, the stale and cut lines gone",
    );
    // Resumed at its last step, the run evaluates that step again and keeps one line for it.
    assert.equal((await cli("train", "--config", config, "--resume", "--steps", "6", "--quiet")).code, 0);
    assert.deepEqual(steps(), [2, 4, 6]);
    assert.equal(readFileSync(path, "utf8").trim().split("\n").length, 3);
    // A new run in a folder that holds only a stale history (no run: no --force needed) starts a new curve.
    const fresh = join(temp, "history-fresh");
    mkdirSync(fresh, { recursive: true });
    writeFileSync(join(fresh, "eval-history.jsonl"), JSON.stringify(stale) + "\n");
    const freshConfig = writeConfig("history-fresh", tinyConfig(fresh, { evalEvery: 2, steps: 2 }));
    assert.equal((await cli("train", "--config", freshConfig, "--quiet")).code, 0);
    assert.deepEqual(
      readEvalHistory(join(fresh, "eval-history.jsonl")).map((r) => r.step),
      [2],
    );
  });
  it("eval prints the per-task markdown table and writes JSON", async () => {
    const out = join(temp, "eval-custom.json");
    const { code, stdout, stderr } = await cli(
      "eval",
      "--checkpoint",
      join(runDir, "checkpoint"),
      "--data",
      "procedural",
      "--images",
      "1",
      "--size",
      "24",
      "--convention",
      "skimage",
      "-o",
      out,
    );
    assert.equal(code, 0, stderr);
    assert.match(stdout, /\| task \| images \| input PSNR/);
    assert.match(stdout, /\| noise \| 1 \|/);
    const result = JSON.parse(readFileSync(out, "utf8"));
    assert.equal(result.convention, "skimage");
    assert.equal(result.step, 6);
  });
  it("eval --ensemble scores the self-ensemble and says so in the title and the JSON", async () => {
    const args = ["eval", "--checkpoint", join(runDir, "checkpoint"), "--images", "1", "--size", "24"];
    const plain = await cli(...args, "-o", join(temp, "eval-plain.json"));
    const ensemble = await cli(...args, "--ensemble", "-o", join(temp, "eval-ensemble.json"));
    assert.equal(ensemble.code, 0, ensemble.stderr);
    assert.match(ensemble.stdout, /\(step 6, self-ensemble\)/);
    assert.doesNotMatch(plain.stdout, /self-ensemble/);
    const [a, b] = ["eval-plain.json", "eval-ensemble.json"].map((f) =>
      JSON.parse(readFileSync(join(temp, f), "utf8")),
    );
    assert.equal(a.ensemble, undefined);
    assert.equal(b.ensemble, true);
    assert.ok(b.tasks.some((t: { psnr: number }, i: number) => t.psnr !== a.tasks[i].psnr));
  });
  it("eval --freeze writes a frozen set that eval then reads", async () => {
    const frozen = join(temp, "frozen");
    assert.equal(
      (await cli("eval", "--freeze", frozen, "--tasks", "noise,rain", "--images", "1", "--size", "24")).code,
      0,
    );
    assert.ok(existsSync(join(frozen, "manifest.json")));
    const { code, stdout } = await cli(
      "eval",
      "--checkpoint",
      join(runDir, "checkpoint"),
      "--data",
      frozen,
      "-o",
      join(temp, "e2.json"),
    );
    assert.equal(code, 0);
    assert.match(stdout, /\| rain \| 1 \|/);
  });
  it("eval scores a paired folder (input/ + target/) under the one task it is given", async () => {
    const paired = join(temp, "paired");
    mkdirSync(join(paired, "input"), { recursive: true });
    mkdirSync(join(paired, "target"), { recursive: true });
    for (const id of ["0001", "0002"]) {
      writePng(join(paired, "target", `${id}.png`), proceduralImageAt(4, Number(id), 24));
      writePng(join(paired, "input", `${id}_0.8_0.1.png`), proceduralImageAt(4, Number(id) + 10, 24));
    }
    const { code, stdout } = await cli(
      "eval",
      "--checkpoint",
      join(runDir, "checkpoint"),
      "--data",
      paired,
      "--tasks",
      "haze",
      "-o",
      join(temp, "e3.json"),
    );
    assert.equal(code, 0);
    assert.match(stdout, /\| haze \| 2 \|/);
    assert.match(
      (await cli("eval", "--checkpoint", join(runDir, "checkpoint"), "--data", paired)).stderr,
      /paired folder .* exactly one task/,
    );
  });
  it("restore tiles an image larger than the tile and keeps its size", async () => {
    const input = join(temp, "big.png");
    writePng(input, proceduralImageAt(5, 0, 70, 50));
    const output = join(temp, "big-restored.png");
    const { code, stderr } = await cli(
      "restore",
      input,
      "-o",
      output,
      "--checkpoint",
      join(runDir, "checkpoint"),
      "--tile",
      "32",
      "--overlap",
      "8",
    );
    assert.equal(code, 0, stderr);
    const restored = readImageSync(output);
    assert.equal(restored.width, 70);
    assert.equal(restored.height, 50);
    // --ensemble: what restoreImage gives for the self-ensemble of the same forward pass (no --task: the 4 flips).
    const ensembled = join(temp, "big-ensemble.png");
    const args = ["--checkpoint", join(runDir, "checkpoint"), "--tile", "32", "--overlap", "8"];
    const r = await cli("restore", input, "-o", ensembled, ...args, "--ensemble");
    assert.equal(r.code, 0, r.stderr);
    const session = await loadTrainedSession(join(runDir, "checkpoint"), "wasm");
    const expected = await restoreImage(
      session.tf,
      selfEnsemble(session.tf, forwardFor(session), 4),
      readImageSync(input),
      {
        tile: 32,
        overlap: 8,
      },
    );
    const got = readImageSync(ensembled);
    assertAllClose(
      Array.from(got.data),
      Array.from(expected.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255) / 255),
      { atol: 1.01 / 255 },
    );
    assert.ok(
      got.data.some((v, i) => Math.abs(v - (restored.data[i] as number)) > 0.5 / 255),
      "the ensemble differs from one pass",
    );
  });
  it("restore writes the format its output's extension names, keeps a PNG's alpha, gray and 16 bits, and shows progress over the tiles", async () => {
    const checkpoint = join(runDir, "checkpoint");
    const src = proceduralImageAt(7, 0, 40, 30);
    const alpha = Float32Array.from({ length: 40 * 30 }, (_, p) => (p % 11) / 10);
    const rgba16 = join(temp, "rgba16.png");
    writeFileSync(rgba16, encodePng(src, { bitDepth: 16, alpha }));
    const out = join(temp, "rgba16-restored.png");
    const r = await cli("restore", rgba16, "-o", out, "--checkpoint", checkpoint, "--tile", "24", "--overlap", "4");
    assert.equal(r.code, 0, r.stderr);
    const bytes = readFileSync(out);
    assert.deepEqual(pngFacts(bytes), { depth: 16, colorType: 6, gray: false, alpha: true });
    assertAllClose(
      Array.from(decodePngAlpha(bytes, "out")),
      Array.from(alpha, (a) => Math.round(a * 65535) / 65535),
      { atol: 1e-6 },
      "alpha passes through",
    );
    assert.match(r.stderr, /alpha kept; 16-bit kept/);
    // Not a terminal: plain progress lines over the tiles (2 x 2 tiles of 24 for 40 x 30), the last one at 4/4.
    assert.match(r.stderr, /rgba16\.png tiles 4\/4 100%/);
    const gray = join(temp, "gray.png");
    writeFileSync(gray, encodePng(src, { gray: true }));
    const grayOut = join(temp, "gray-restored.png");
    assert.equal((await cli("restore", gray, "-o", grayOut, "--checkpoint", checkpoint, "--quiet")).code, 0);
    assert.equal(pngFacts(readFileSync(grayOut))?.gray, true, "gray stays gray");
    assert.equal(
      (await cli("restore", gray, "-o", grayOut, "--checkpoint", checkpoint, "--rgb", "--overwrite")).code,
      0,
    );
    assert.equal(pngFacts(readFileSync(grayOut))?.colorType, 2, "--rgb writes RGB");
    const jpegOut = join(temp, "rgba-restored.jpg");
    const j = await cli("restore", rgba16, "-o", jpegOut, "--checkpoint", checkpoint, "--quality", "80", "--quiet");
    assert.equal(j.code, 0, j.stderr);
    assert.ok(isJpeg(readFileSync(jpegOut)), "a .jpg output is a JPEG");
    assert.match(j.stderr, /alpha dropped: JPEG has none; 16-bit input written as 8-bit JPEG/);
    const webp = await cli("restore", rgba16, "-o", join(temp, "x.webp"), "--checkpoint", checkpoint);
    assert.equal(webp.code, 2);
    assert.match(webp.stderr, /cannot write \.webp images; restore writes PNG \(\.png\) or JPEG \(\.jpg, \.jpeg\)/);
    assert.match((await cli("restore", rgba16, "-o", jpegOut, "--quality", "0")).stderr, /--quality/);
    const help = await cli("restore", "--help");
    for (const flag of [
      "--task",
      "--checkpoint",
      "--model",
      "--tile",
      "--overlap",
      "--backend",
      "--quality",
      "--format",
      "--rgb",
      "--overwrite",
      "--max-pixels",
      "--quiet",
    ])
      assert.ok(help.stdout.includes(flag), `restore --help lists ${flag}`);
  });
  it("restore never overwrites an input unless --overwrite: same file, folder into itself; -o a folder or a missing folder works", async () => {
    const checkpoint = join(runDir, "checkpoint");
    const photos = join(temp, "photos");
    mkdirSync(photos);
    for (const name of ["a.png", "b.png"]) writePng(join(photos, name), proceduralImageAt(6, name.length, 20, 20));
    const original = readFileSync(join(photos, "a.png"));
    const same = await cli("restore", join(photos, "a.png"), "-o", join(photos, "a.png"), "--checkpoint", checkpoint);
    assert.equal(same.code, 2);
    assert.match(
      same.stderr,
      /a\.png: is an input image; refusing to overwrite it \(choose another -o, or pass --overwrite\)/,
    );
    const inPlace = await cli("restore", photos, "-o", photos, "--checkpoint", checkpoint);
    assert.equal(inPlace.code, 2);
    assert.match(inPlace.stderr, /is the input folder itself/);
    assert.deepEqual(readFileSync(join(photos, "a.png")), original, "the input is untouched");
    // A folder into a new, nested folder; one file into an existing folder; into a missing folder.
    assert.equal((await cli("restore", photos, "-o", join(temp, "out", "deep"), "--checkpoint", checkpoint)).code, 0);
    assert.ok(existsSync(join(temp, "out", "deep", "a.png")) && existsSync(join(temp, "out", "deep", "b.png")));
    assert.equal(
      (await cli("restore", join(photos, "b.png"), "-o", join(temp, "out"), "--checkpoint", checkpoint)).code,
      0,
    );
    assert.ok(existsSync(join(temp, "out", "b.png")));
    assert.equal(
      (await cli("restore", join(photos, "b.png"), "-o", join(temp, "new", "x.png"), "--checkpoint", checkpoint)).code,
      0,
    );
    assert.ok(existsSync(join(temp, "new", "x.png")));
    const forced = await cli(
      "restore",
      join(photos, "a.png"),
      "-o",
      join(photos, "a.png"),
      "--checkpoint",
      checkpoint,
      "--overwrite",
    );
    assert.equal(forced.code, 0, forced.stderr);
    assert.notDeepEqual(readFileSync(join(photos, "a.png")), original, "--overwrite replaced it");
  });
  it("report writes one self-contained HTML file for several runs", async () => {
    const output = join(temp, "report.html");
    const { code, stdout } = await cli("report", runDir, join(temp, "straight"), "-o", output);
    assert.equal(code, 0);
    assert.match(stdout, /wrote .*report\.html \(2 runs/);
    const html = readFileSync(output, "utf8");
    assert.ok(html.includes("<svg"));
    assert.ok(!html.includes("<script"));
    assert.match(html, /<th colspan="2">tiny<\/th>/);
    // Both runs have checkpoints: the before/after pictures are in, one row per task.
    assert.match(html, /<h2>Before and after<\/h2>/);
    const tasks = (JSON.parse(readFileSync(join(runDir, "config.json"), "utf8")) as { tasks: string[] }).tasks;
    assert.equal(
      (html.match(/<img src="data:image\/png;base64,/g) ?? []).length,
      tasks.length * 4,
      "input, two runs, clean per task",
    );
    const without = await cli("report", runDir, "--no-samples", "-o", join(temp, "plain.html"));
    assert.equal(without.code, 0);
    assert.doesNotMatch(readFileSync(join(temp, "plain.html"), "utf8"), /Before and after/);
  });
});

describe("folder source, curriculum and worker prefetch", () => {
  it("trains from a folder through the worker, forwards skip warnings, and follows the sequential curriculum", async () => {
    const folder = join(temp, "clean");
    mkdirSync(folder);
    for (let i = 0; i < 3; i++) writePng(join(folder, `img${i}.png`), proceduralImageAt(9, i, 40));
    writeFileSync(join(folder, "broken.png"), "not an image");
    const dir = join(temp, "folder-run");
    const config = tinyConfig(dir, {
      data: {
        source: { folder, onBadFile: "skip" },
        patchSize: 16,
        prefetch: "worker",
        curriculum: { stepsPerTask: 2 },
      },
    });
    const { code, stderr } = await cli("train", "--config", writeConfig("folder", config));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /batches prefetched by worker/);
    assert.match(stderr, /warning: skipping .*broken\.png: unsupported format/);
    const log = readLog(dir);
    assert.equal(log[0]?.taskLosses[1], null); // steps 1-2: only the first task
    assert.deepEqual(log[0]?.weights, [1, 0]);
    assert.ok(typeof log[3]?.taskLosses[1] === "number"); // from step 3: both
  });
  it('a corrupt file with onBadFile "error" stops training with one line naming it', async () => {
    const folder = join(temp, "clean-bad");
    mkdirSync(folder);
    writeFileSync(join(folder, "only.png"), "not an image");
    const { code, stderr } = await cli(
      "train",
      "--config",
      writeConfig("folder-bad", tinyConfig(join(temp, "folder-bad"), { data: { source: { folder }, patchSize: 16 } })),
    );
    assert.equal(code, 2);
    assert.match(stderr, /only\.png: unsupported format/);
    assert.ok(!stderr.includes("    at "));
  });
});

describe("epoch-aware strategies", () => {
  it("DWA gets an endEpoch event every weighting.epochSteps steps (its weights leave uniform after two epochs)", async () => {
    const dir = join(temp, "dwa");
    const { code, stderr } = await cli(
      "train",
      "--quiet",
      "--config",
      writeConfig("dwa", tinyConfig(dir, { steps: 5, weighting: { name: "dwa", epochSteps: 1 } })),
    );
    assert.equal(code, 0, stderr);
    const log = readLog(dir);
    assert.deepEqual(log[0]?.weights, [0.5, 0.5]);
    assert.notDeepEqual(log[4]?.weights, [0.5, 0.5]);
  });
});

describe("stopping and resuming", () => {
  it("an abort (what SIGINT triggers) checkpoints the last finished step", async () => {
    const resolved = resolveTrainConfig(tinyConfig(join(temp, "aborted"), { steps: 50 }));
    assert.ok(E.isRight(resolved));
    const controller = new AbortController();
    const outcome = await trainRun({
      config: resolved.right,
      signal: controller.signal,
      progress: {
        write: (text) => (text.startsWith("tiny 2/50") ? controller.abort() : undefined),
        isTTY: false,
        plainEvery: 0,
      },
    });
    assert.equal(outcome.interrupted, true);
    assert.equal(outcome.step, 2);
    const manifest = JSON.parse(readFileSync(join(temp, "aborted", "checkpoint", "manifest.json"), "utf8"));
    assert.equal(manifest.step, 2);
  });
});

describe("resume checks", () => {
  it("refuses a resume whose data config changes the batches (naming the field), not one that changes only prefetch", async () => {
    const dir = join(temp, "resume-data");
    const saved = resolveTrainConfig(tinyConfig(dir));
    assert.ok(E.isRight(saved));
    mkdirSync(join(dir, "checkpoint"), { recursive: true });
    // A manifest holding only what the resume check reads (no variables: loading it fails later).
    const manifest = {
      format: "art-mtl-tfjs-checkpoint",
      version: 1,
      step: 2,
      weighting: "art",
      numTasks: 2,
      trainer: {},
      model: [],
      optimizer: [],
      metadata: { config: saved.right },
    };
    writeFileSync(join(dir, "checkpoint", "manifest.json"), JSON.stringify(manifest));
    const changed = await cli(
      "train",
      "--quiet",
      "--resume",
      "--config",
      writeConfig(
        "resume-patch",
        tinyConfig(dir, { data: { source: "procedural", patchSize: 24, prefetch: "thread" } }),
      ),
    );
    assert.equal(changed.code, 2, changed.stderr);
    assert.match(
      changed.stderr,
      /cannot resume: data\.patchSize differs from the checkpoint's \(checkpoint 16, config 24\)/,
    );
    const prefetchOnly = await cli(
      "train",
      "--quiet",
      "--resume",
      "--config",
      writeConfig(
        "resume-prefetch",
        tinyConfig(dir, { data: { source: "procedural", patchSize: 16, prefetch: "none" } }),
      ),
    );
    assert.doesNotMatch(prefetchOnly.stderr, /cannot resume/);
  });
  it('a resume says "no checkpoint" only when there is none; a checkpoint with a bad config is named as such', async () => {
    const none = await cli(
      "train",
      "--quiet",
      "--resume",
      "--config",
      writeConfig("resume-none", tinyConfig(join(temp, "resume-none"))),
    );
    assert.equal(none.code, 2);
    assert.match(none.stderr, /has no checkpoint to resume from/);
    const dir = join(temp, "resume-badconfig");
    mkdirSync(join(dir, "checkpoint"), { recursive: true });
    const manifest = {
      format: "art-mtl-tfjs-checkpoint",
      version: 1,
      step: 2,
      weighting: "art",
      numTasks: 2,
      trainer: {},
      model: [],
      optimizer: [],
      metadata: { config: { steps: 0 } },
    };
    writeFileSync(join(dir, "checkpoint", "manifest.json"), JSON.stringify(manifest));
    const bad = await cli("train", "--quiet", "--resume", "--config", writeConfig("resume-badconfig", tinyConfig(dir)));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /the checkpoint's config is not a training config/);
    assert.doesNotMatch(bad.stderr, /no checkpoint to resume from/);
  });
});

describe("user mistakes: one line, exit 2, no stack", () => {
  it("names the config field and value", async () => {
    const path = writeConfig("bad", { ...tinyConfig(join(temp, "bad")), batch: 0, schedule: { kind: "linear" } });
    const { code, stderr } = await cli("train", "--config", path);
    assert.equal(code, 2);
    assert.match(stderr, /batch: expected Count \(got 0\)/);
    assert.match(stderr, /schedule\.kind: expected "constant" \| "cosine" \| "step" \(got "linear"\)/);
    assert.ok(!stderr.includes("    at "), "no stack trace");
  });
  it("a diverging run (lr 1e308) says the true step once, the losses with NaN as NaN, and what was kept; exit 2, no stack", async () => {
    const dir = join(temp, "diverge");
    const { code, stderr } = await cli(
      "train",
      "--config",
      writeConfig("diverge", { ...tinyConfig(dir), lr: 1e308, checkpointEvery: 100 }),
      "--quiet",
    );
    assert.equal(code, 2, stderr);
    const line = stderr.split("\n").find((l) => l.includes("diverged")) ?? "";
    assert.match(
      line,
      /^art-mtl train: step (\d+): the weighting rejected the losses \[(NaN|Infinity|[\d.e+-]+|null)(, (NaN|Infinity|[\d.e+-]+|null))*\]: .* \(training diverged; try a lower lr; no checkpoint was written yet\)$/,
    );
    assert.ok(!/step \d+: step \d+/.test(line), `the step is said once: ${line}`);
    assert.match(line, /NaN/, "a NaN loss shows as NaN, not null");
    assert.ok(!stderr.includes("    at "), "no stack trace");
  });
  it("user errors are one line and exit 2, before any work: eval --size/--crop, a too-small or non-image file in eval --data, eval.size and a batch too big in a train config", async () => {
    const checkpoint = join(temp, "run", "checkpoint"); // trained by the first describe's first test
    const small = join(temp, "small-data");
    const text = join(temp, "text-data");
    mkdirSync(small);
    mkdirSync(text);
    writePng(join(small, "a.png"), proceduralImageAt(1, 1, 7, 5));
    writePng(join(text, "b.png"), proceduralImageAt(1, 2, 32, 32));
    writeFileSync(join(text, "c.png"), "not an image");
    const cases: Array<[string[], RegExp]> = [
      [
        ["eval", "--checkpoint", checkpoint, "--size", "8"],
        /^art-mtl eval: --size 8 with --crop 0 leaves 8x8 pixels; SSIM \(basicsr\) needs at least 11x11: raise --size or lower --crop\n$/,
      ],
      [
        ["eval", "--checkpoint", checkpoint, "--crop", "100"],
        /^art-mtl eval: --size 64 with --crop 100 leaves 0x0 pixels/,
      ],
      [
        ["eval", "--checkpoint", checkpoint, "--data", small],
        /^art-mtl eval: a\.png \(\w+-a\) is 7x5: SSIM \(basicsr\) needs at least 11x11 pixels after cropping 0 on each side; use larger images\n$/,
      ],
      [
        ["eval", "--checkpoint", checkpoint, "--data", text],
        /^art-mtl eval: .*c\.png: unsupported format \(not PNG or JPEG/,
      ],
      [
        [
          "train",
          "--config",
          writeConfig("small-eval", { ...tinyConfig(join(temp, "small-eval")), eval: { images: 1, size: 8 } }),
        ],
        /eval\.size: SSIM \(basicsr\) needs images of at least 11x11 \(got 8\)/,
      ],
      [
        ["train", "--config", writeConfig("huge-batch", { ...tinyConfig(join(temp, "huge-batch")), batch: 1e9 })],
        /batch, data\.patchSize, model\.width: one activation is 1000000000 × 16² × 4 = .* floats .*lower the batch, the patch size or the width/,
      ],
      [
        [
          "train",
          "--config",
          writeConfig("huge-patch", {
            ...tinyConfig(join(temp, "huge-patch")),
            data: { source: "procedural", patchSize: 100000 },
          }),
        ],
        /one activation is 4 × 100000² × 4 = .* floats/,
      ],
      [
        [
          "train",
          "--config",
          writeConfig("huge-width", {
            ...tinyConfig(join(temp, "huge-width")),
            model: { kind: "srresnet", width: 100000, blocks: 1 },
          }),
        ],
        /model\.width: one 3x3 convolution of width 100000 has 90\.0 G weights .* lower the width/,
      ],
    ];
    for (const [argv, pattern] of cases) {
      const { code, stderr } = await cli(...argv);
      assert.equal(code, 2, `${argv.join(" ")}: ${stderr}`);
      assert.match(stderr, pattern, argv.join(" "));
      assert.ok(!stderr.includes("    at "), `${argv.join(" ")}: no stack trace`);
    }
    assert.ok(!existsSync(join(temp, "huge-batch", "log.jsonl")), "refused before training");
    // An output that is a file, or under one.
    const file = join(temp, "a-file");
    writeFileSync(file, "x");
    for (const [output, pattern] of [
      [file, /^art-mtl train: output .*a-file: is a file, not a directory; choose another output\n$/],
      [
        join(file, "run"),
        /^art-mtl train: output .*a-file\/run: cannot create or write the run directory \(a part of the path is a file\); choose another output\n$/,
      ],
    ] as const) {
      const { code, stderr } = await cli(
        "train",
        "--config",
        writeConfig("file-output", { ...tinyConfig(output) }),
        "--quiet",
      );
      assert.equal(code, 2, stderr);
      assert.match(stderr, pattern);
    }
  });
  it("trains with a gradient-aware weighting (UPGrad: coefficients in the log as weights), checkpoints and resumes, on 1 worker and on 2", async () => {
    const dir = join(temp, "upgrad");
    const config = {
      ...tinyConfig(dir),
      tasks: ["noise", "rain", "blur"],
      batch: 6,
      weighting: { name: "upgrad" },
      steps: 4,
    };
    const first = await cli("train", "--config", writeConfig("upgrad", config), "--quiet");
    assert.equal(first.code, 0, first.stderr);
    const resumed = await cli(
      "train",
      "--config",
      writeConfig("upgrad", { ...config, steps: 6 }),
      "--resume",
      "--quiet",
    );
    assert.equal(resumed.code, 0, resumed.stderr);
    const log = readLog(dir);
    assert.deepEqual(
      log.map((l) => l.step),
      [1, 2, 3, 4, 5, 6],
    );
    for (const line of log) {
      assert.equal(line.weights.length, 3);
      // UPGrad's coefficients are >= its preference (1/3 each, the mean) and not on the simplex in general.
      assert.ok(
        line.weights.every((w) => w >= 1 / 3 - 1e-9),
        JSON.stringify(line.weights),
      );
      const weighted = line.taskLosses.reduce<number>(
        (sum, l, k) => sum + (l === null ? 0 : (line.weights[k] as number) * l),
        0,
      );
      assert.ok(Math.abs(line.loss - weighted) < 1e-9, "loss = Σ c_k L_k");
    }
    // With data-parallel workers too (test/restoration/parallel.test.ts compares them with one worker).
    const parallel = await cli(
      "train",
      "--config",
      writeConfig("upgrad-workers", { ...config, output: join(temp, "upgrad-w"), workers: 2 }),
    );
    assert.equal(parallel.code, 0, parallel.stderr);
    assert.match(parallel.stdout + parallel.stderr, /2 data-parallel workers/);
    assert.deepEqual(
      readLog(join(temp, "upgrad-w")).map((l) => l.step),
      [1, 2, 3, 4],
    );
    const unknown = await cli(
      "train",
      "--config",
      writeConfig("upgrad-pref", { ...config, weighting: { name: "upgrad", options: { prefVector: [1, 2] } } }),
      "--quiet",
    );
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /weighting\.options\.prefVector: expected 3 entries/);
  });
  it("names a bad weighting and a bad option", async () => {
    const { stderr } = await cli(
      "train",
      "--config",
      writeConfig("badw", { ...tinyConfig(join(temp, "badw")), weighting: { name: "art", options: { tua: 1 } } }),
    );
    assert.match(stderr, /weighting\.options\.tua: unknown key/);
  });
  it("rejects missing files and bad flags", async () => {
    assert.match((await cli("train", "--config", join(temp, "nope.json"))).stderr, /nope\.json: ENOENT/);
    assert.match((await cli("train")).stderr, /--config FILE is required/);
    assert.match((await cli("eval", "--checkpoint", temp)).stderr, /no checkpoint here/);
    assert.match(
      (await cli("eval", "--checkpoint", temp, "--convention", "matlab")).stderr,
      /--convention: expected one of basicsr\|skimage \(got "matlab"\)/,
    );
    assert.match(
      (await cli("restore", join(temp, "missing.png"), "-o", "x.png", "--checkpoint", temp)).stderr,
      /missing\.png: no such file/,
    );
    assert.match((await cli("report", join(temp, "nothing"))).stderr, /no such directory/);
    assert.match((await cli("demo", "--steps", "0")).stderr, /--steps: expected an integer >= 1 \(got "0"\)/);
  });
  it("an invalid checkpoint manifest (wrong format, not JSON) is one line naming the file", async () => {
    for (const [name, text, pattern] of [
      ["ckpt-format", JSON.stringify({ format: "nope" }), /manifest\.json is not an .* v1 manifest/],
      ["ckpt-json", "{ not json", /manifest\.json is not valid JSON/],
    ] as const) {
      const dir = join(temp, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "manifest.json"), text);
      const { code, stderr } = await cli("eval", "--checkpoint", dir);
      assert.equal(code, 2, stderr);
      assert.match(stderr, pattern);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      assert.ok(!stderr.includes("    at "), "no stack trace");
    }
  });
  it("a backend that is not installed is one line, exit 2", async () => {
    const { code, stderr } = await cli(
      "train",
      "--quiet",
      "--config",
      writeConfig("nogpu", tinyConfig(join(temp, "nogpu"), { backend: "node-gpu" })),
    );
    assert.equal(code, 2, stderr);
    assert.match(stderr, /no usable tfjs backend for 'node-gpu'/);
    assert.ok(!stderr.includes("    at "), "no stack trace");
  });
});
