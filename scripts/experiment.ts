#!/usr/bin/env -S node --import tsx
/**
 * The replication of the paper's claim at CPU scale (docs/results.md):
 *
 *   npm run experiment -- --setting A            # 7 MiOIR-like tasks
 *   npm run experiment -- --setting B            # rain-haze-noise (AirNet-like)
 *
 *   npm run experiment -- --round 2 --setting B  # second round: the shipped recipe, blind model
 *   npm run experiment -- --round 2 --setting B --per-task 8   # the batch hypothesis
 *   npm run experiment -- --round 2 --setting iv --methods mixed,art   # the paper's setting iv (5 tasks)
 *   npm run experiment -- --round 2 --setting B --methods mixed,art --seeds 1 --steps 6000 --eval-every 500
 *                                                # learning curves on validation (eval-history.jsonl)
 *   npm run experiment -- --tables [--check]     # docs/results.md's tables from docs/data/ alone
 *
 * Options: --round 1|2 (default 1), --setting A|B (round 2 also iv), --seeds N (default 3),
 * --steps N (a steps count other than the setting's goes to its own folder, e.g. B-s6000),
 * --eval-every N (evaluate the validation set every N steps into each run's eval-history.jsonl;
 * the test set is scored after training), --per-task N (crops per
 * task in a batch; steps are scaled so that every run sees the same number of samples),
 * --methods a,b,c, --jobs N (parallel runs, default 2),
 * --out DIR (default runs/experiment, or runs/experiment/round2), --data DIR (clean images; default ../shared/data or
 * $ART_MTL_DATA), --summary-only (rebuild tables and figures from finished runs), --prepare-only
 * (make the train/validation split and the frozen sets, then stop: the shipped models' configs
 * in examples/configs/shipped/ train on them), --batch-study 2,4,8 (with --round 2: tabulate the
 * finished mixed and Art runs of those per-task batches, Art − mixed and the spread of Art's s),
 * --tag NAME (names the results section and figures, docs/img/results-NAME-*.svg; default the
 * round and block, e.g. round2-B), --preregistered (the third round's analysis of the finished
 * runs under --out: per-image scores kept in each run's per-image.json, then the primary
 * comparison Art − mixed and the Holm-adjusted secondaries SI − mixed and PCGrad − mixed, on
 * validation and on the de-duplicated test set; with --out docs/data/round3 it rebuilds the
 * docs' tables from the committed files alone), --tables (rewrite every table of docs/results.md
 * that docs/data/ can rebuild, between its <!-- tables:ID:start/end --> markers; with --check,
 * only say which differ and exit 1 if any: scripts/experiment/tables.ts), --export-data DIR (score
 * the finished runs of --methods x --seeds image by image and copy their small files to
 * DIR/<block>/<method>/seed<k>/, e.g. DIR = docs/data/round3).
 *
 * Data: training crops from CBSD68 minus a held-out validation split (every 8th image,
 * sorted by name); the test set is Set14 + Set5, degraded once per task with fixed seeds and
 * centre-cropped (frozen). Within a seed every method starts from the same initial weights and
 * sees the same batches (both are functions of the seed), so differences are paired.
 * Each run is a plain `art-mtl train` config in its run directory (config.json), so any
 * checkpoint can be reproduced with `art-mtl train --config <run>/config.json --force`.
 * Finished runs are skipped and interrupted ones resume from their last checkpoint (every 100
 * steps), so rerunning the same command continues where it stopped; each run's wall time
 * (training, from its log, across resumes) is recorded in its done.json.
 */
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";

import { art, unwrap } from "../src/core/index.js";
import { createFrozenSet, isFrozenSet, listImageFiles } from "../src/restoration/data/index.js";
import { renderReport } from "../src/restoration/report/html.js";
import { readRun } from "../src/restoration/report/run.js";
import { evaluateSession, loadTrainedSession, resolveTrainConfig, trainRun } from "../src/restoration/train/index.js";
import type { EvalResult } from "../src/restoration/train/records.js";
import { main as benchmarkMain } from "./benchmarks/multi-mnist/run.js";
import { EXPERIMENT_METHODS, selectMethods, type ExperimentMethod } from "./experiment/methods.js";
import { perImageScores, preregisteredSection, scoreThirdRound } from "./experiment/preregistered.js";
import {
  EXPERIMENT_SETTINGS,
  EXPERIMENT_SETTINGS_ROUND2,
  ROUND2_METHODS,
  type ExperimentSetting,
  type SettingId,
} from "./experiment/settings.js";
import {
  artSignalTable,
  batchStudyFigure,
  batchStudyRows,
  batchStudyTable,
  lossFigures,
  psnrTables,
  weightFigure,
  weightSpreadTable,
  type BatchBlock,
  type ExperimentRun,
} from "./experiment/summary.js";
import { rebuildFigures, rebuildTables, tableRegion, writeTables } from "./experiment/tables.js";

// The multi-task benchmark outside restoration (scripts/benchmarks/multi-mnist/run.ts): its own options, then exit.
// (A static import: a dynamic one makes tsx run its import lexer over this file, which fails on it.)
if (process.argv.includes("--benchmark")) process.exit(await benchmarkMain(process.argv.slice(2)));

const repo = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    setting: { type: "string", default: "A" },
    round: { type: "string", default: "1" },
    "per-task": { type: "string" },
    seeds: { type: "string", default: "3" },
    steps: { type: "string" },
    methods: { type: "string" },
    jobs: { type: "string", default: "2" },
    out: { type: "string" },
    data: { type: "string" },
    job: { type: "string" },
    "summary-only": { type: "boolean", default: false },
    "prepare-only": { type: "boolean", default: false },
    "results-md": { type: "string" },
    "batch-study": { type: "string" },
    tag: { type: "string" },
    preregistered: { type: "boolean", default: false },
    tables: { type: "boolean", default: false },
    "eval-every": { type: "string" },
    "export-data": { type: "string" },
    check: { type: "boolean", default: false },
  },
  strict: true,
});

const fail = (message: string): never => {
  console.error(`experiment: ${message}`);
  process.exit(2);
};

/** One training run of the grid. */
interface Job {
  readonly setting: SettingId;
  readonly method: string;
  readonly seed: number;
  readonly runDir: string;
  readonly config: Record<string, unknown>;
  readonly validationSet: string;
  /** A learning curve: the config evaluates the validation set every `evalEvery` steps; the test set is scored after. */
  readonly testSet?: string;
}

// ---- worker mode: one job in this process ------------------------------------------------
if (values.job !== undefined) {
  const job = JSON.parse(values.job) as Job;
  const resolved = resolveTrainConfig(job.config);
  if (resolved._tag === "Left") fail(resolved.left.join("\n"));
  const config = (resolved as { right: Parameters<typeof trainRun>[0]["config"] }).right;
  // A run stopped part-way (a killed process, the end of a session) resumes from its checkpoint.
  const resume = existsSync(join(job.runDir, "checkpoint", "manifest.json"));
  const outcome = await trainRun({ config, ...(resume ? { resume: true } : { force: true }), log: () => undefined });
  // Validation scores (for choosing hyper-parameters without touching the test set).
  const session = await loadTrainedSession(join(job.runDir, "checkpoint"), config.backend);
  const score = (data: string): Promise<EvalResult> =>
    evaluateSession(session, {
      data,
      images: 1,
      size: 1,
      convention: "basicsr",
      checkpoint: join(job.runDir, "checkpoint"),
      step: session.step,
    });
  // A learning-curve run evaluated the validation set during training (eval.json is its last
  // point); eval.json then gets the test set, as in every other run.
  if (job.testSet !== undefined)
    writeFileSync(join(job.runDir, "eval.json"), JSON.stringify(await score(job.testSet), null, 2));
  const validation: EvalResult = await score(job.validationSet);
  writeFileSync(join(job.runDir, "val-eval.json"), JSON.stringify(validation, null, 2));
  // Training wall time across resumes is the last log record's time (it carries on from the checkpoint's).
  const records = readFileSync(join(job.runDir, "log.jsonl"), "utf8").trim().split("\n");
  const trainSeconds = (JSON.parse(records[records.length - 1]!) as { time: number }).time;
  writeFileSync(
    join(job.runDir, "done.json"),
    JSON.stringify({
      seconds: outcome.seconds,
      trainSeconds,
      resumed: resume,
      step: outcome.step,
      backend: outcome.backend,
    }),
  );
  process.exit(0);
}

// ---- tables: docs/results.md's tables rebuilt from the committed per-run files ------------
if (values.tables) {
  const page = join(repo, "docs", "results.md");
  const text = readFileSync(page, "utf8");
  const tables = await rebuildTables(join(repo, "docs", "data"));
  const differing = tables.filter((table) => tableRegion(text, table.id) !== table.markdown);
  for (const table of tables)
    console.log(`${table.id}: ${differing.includes(table) ? (values.check ? "DIFFERS" : "rewritten") : "unchanged"}`);
  const figures = rebuildFigures(join(repo, "docs", "data"));
  const figurePath = (name: string) => join(repo, "docs", "img", name);
  const staleFigures = figures.filter(
    (f) => !existsSync(figurePath(f.name)) || readFileSync(figurePath(f.name), "utf8") !== f.svg,
  );
  for (const figure of figures)
    console.log(
      `docs/img/${figure.name}: ${staleFigures.includes(figure) ? (values.check ? "DIFFERS" : "rewritten") : "unchanged"}`,
    );
  if (values.check) process.exit(differing.length + staleFigures.length === 0 ? 0 : 1);
  writeFileSync(page, writeTables(text, tables));
  for (const figure of staleFigures) writeFileSync(figurePath(figure.name), figure.svg);
  process.exit(0);
}

// ---- orchestrator ------------------------------------------------------------------------
const settingId = values.setting as string;
const round = Number(values.round);
if (round !== 1 && round !== 2) fail(`--round: expected 1 or 2 (got ${JSON.stringify(values.round)})`);
const settingsOfRound: Readonly<Partial<Record<string, ExperimentSetting>>> =
  round === 1 ? EXPERIMENT_SETTINGS : EXPERIMENT_SETTINGS_ROUND2;
const baseSetting: ExperimentSetting =
  settingsOfRound[settingId] ??
  fail(
    `--setting: expected ${Object.keys(settingsOfRound).join(", ")} in round ${round} (got ${JSON.stringify(settingId)})`,
  );
const perTask = values["per-task"] === undefined ? baseSetting.perTask : Number(values["per-task"]);
if (!Number.isInteger(perTask) || perTask < 1)
  fail(`--per-task: expected an integer >= 1 (got ${JSON.stringify(values["per-task"])})`);
// Same number of samples per run whatever the per-task batch: steps scale inversely.
const setting: ExperimentSetting = {
  ...baseSetting,
  perTask,
  steps: Math.round((baseSetting.steps * baseSetting.perTask) / perTask),
};
const steps = values.steps === undefined ? setting.steps : Number(values.steps);
if (!Number.isInteger(steps) || steps < 1)
  fail(`--steps: expected an integer >= 1 (got ${JSON.stringify(values.steps)})`);
const curveEvery = values["eval-every"] === undefined ? undefined : Number(values["eval-every"]);
if (curveEvery !== undefined && (!Number.isInteger(curveEvery) || curveEvery < 1))
  fail(`--eval-every: expected an integer >= 1 (got ${JSON.stringify(values["eval-every"])})`);
/** The folder of this grid under --out: the setting, then the per-task batch and the steps when they are not the setting's. */
const block = [
  setting.id,
  ...(perTask === baseSetting.perTask ? [] : [`pt${perTask}`]),
  ...(steps === setting.steps ? [] : [`s${steps}`]),
].join("-");
/** Names the figures and the results section; round 1 keeps its original names. */
const tag = values.tag ?? (round === 1 ? setting.id : `round2-${block}`);
if (!/^[A-Za-z0-9_-]+$/.test(tag)) fail(`--tag: letters, digits, - and _ only (got ${JSON.stringify(tag)})`);
const seeds = Number(values.seeds);
if (!Number.isInteger(seeds) || seeds < 1)
  fail(`--seeds: expected an integer >= 1 (got ${JSON.stringify(values.seeds)})`);
const jobs = Number(values.jobs);
if (!Number.isInteger(jobs) || jobs < 1) fail(`--jobs: expected an integer >= 1 (got ${JSON.stringify(values.jobs)})`);
let methods: ExperimentMethod[] = [];
try {
  methods = selectMethods(
    values.methods
      ?.split(",")
      .map((m) => m.trim())
      .filter(Boolean) ?? (round === 2 ? ROUND2_METHODS : undefined),
  );
} catch (error) {
  fail(`--methods: ${(error as Error).message}`);
}
const out = resolve(values.out ?? (round === 1 ? "runs/experiment" : "runs/experiment/round2"));
const dataRoot = resolve(values.data ?? process.env.ART_MTL_DATA ?? join(repo, "..", "shared", "data"));
const summaryOnly = values["summary-only"] === true;

/** Train/validation split of CBSD68 (symlinks), and the frozen validation and test sets. */
const prepareData = async (): Promise<{ trainDir: string; validationSet: string; testSet: string }> => {
  const cbsd = join(dataRoot, "CBSD68");
  if (!existsSync(cbsd))
    fail(`no clean images at ${cbsd}: pass --data DIR (holding CBSD68/, Set14/, Set5/) or set ART_MTL_DATA`);
  // Both rounds use the same split and frozen sets (round 1's folder).
  const dataDir = join(round === 1 ? out : resolve(out, ".."), "data");
  const trainDir = join(dataDir, "train");
  const validationDir = join(dataDir, "validation-images");
  const testDir = join(dataDir, "test-images");
  if (!existsSync(trainDir)) {
    const files = listImageFiles(cbsd).sort();
    for (const dir of [trainDir, validationDir, testDir]) mkdirSync(dir, { recursive: true });
    files.forEach((file, i) => symlinkSync(file, join(i % 8 === 7 ? validationDir : trainDir, basename(file))));
    for (const set of ["Set14", "Set5"]) {
      for (const file of listImageFiles(join(dataRoot, set)))
        symlinkSync(file, join(testDir, `${set}-${basename(file)}`));
    }
  }
  // The shipped models' fine-tuning data: the training split plus BSD200 (BSDS500 train, disjoint from CBSD68).
  const trainBsdDir = join(dataDir, "train-bsd");
  const bsd200 = join(dataRoot, "BSD200");
  if (!existsSync(trainBsdDir) && existsSync(bsd200)) {
    mkdirSync(trainBsdDir, { recursive: true });
    for (const file of listImageFiles(trainDir)) symlinkSync(realpathSync(file), join(trainBsdDir, basename(file)));
    for (const file of listImageFiles(bsd200)) symlinkSync(file, join(trainBsdDir, basename(file)));
  }
  const frozen = async (name: string, folder: string, seed: number) => {
    const dir = join(dataDir, `${name}-${setting.id}`);
    if (!isFrozenSet(dir)) {
      console.log(`freezing ${name} set for setting ${setting.id} (${folder})`);
      await createFrozenSet(dir, { tasks: setting.tasks, seed, source: { folder }, maxSide: setting.evalSide });
    }
    return dir;
  };
  return {
    trainDir,
    validationSet: await frozen("validation", validationDir, 7_000_001),
    testSet: await frozen("test", testDir, 9_000_001),
  };
};

const runDirOf = (method: string, seed: number, blockName = block) => join(out, blockName, method, `seed${seed}`);

const configFor = (
  method: ExperimentMethod,
  seed: number,
  trainDir: string,
  testSet: string,
  validationSet: string,
): Record<string, unknown> => ({
  name: `${setting.id}-${method.label}-seed${seed}`,
  tasks: setting.tasks,
  data: { source: { folder: trainDir }, patchSize: setting.patchSize, prefetch: "none" },
  model: setting.model,
  // RLW draws its weights and PCGrad its task order from their own seed: vary it with the run's seed.
  weighting: SEEDED_WEIGHTINGS.has(method.weighting.name)
    ? { ...method.weighting, options: { ...method.weighting.options, seed } }
    : method.weighting,
  steps,
  batch: setting.perTask * setting.tasks.length,
  lr: setting.lr,
  schedule: {
    kind: "cosine",
    minLr: setting.minLr ?? setting.lr / 10,
    ...(setting.warmupSteps === undefined ? {} : { warmupSteps: setting.warmupSteps }),
  },
  seed,
  backend: "wasm",
  output: runDirOf(method.label, seed),
  checkpointEvery: Math.min(steps, 100),
  // --eval-every: the validation curve (eval-history.jsonl); the job scores the test set after training.
  ...(curveEvery === undefined
    ? { eval: { data: testSet, convention: "basicsr" } }
    : { evalEvery: curveEvery, eval: { data: validationSet, convention: "basicsr" } }),
});

const SEEDED_WEIGHTINGS = new Set(["rlw", "pcgrad"]);

const runJob = (job: Job): Promise<number> =>
  new Promise((done) => {
    mkdirSync(job.runDir, { recursive: true });
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(repo, "scripts/experiment.ts"), "--job", JSON.stringify(job)],
      {
        cwd: repo,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => {
      if (code !== 0) writeFileSync(join(job.runDir, "error.txt"), stderr);
      done(code ?? 1);
    });
  });

const readRuns = (blockName = block): ExperimentRun[] => {
  const runs: ExperimentRun[] = [];
  for (const method of EXPERIMENT_METHODS) {
    for (let seed = 0; seed < 64; seed++) {
      const dir = runDirOf(method.label, seed, blockName);
      if (!existsSync(join(dir, "done.json"))) continue;
      const run = readRun(dir);
      const validation = JSON.parse(readFileSync(join(dir, "val-eval.json"), "utf8")) as EvalResult;
      const done = JSON.parse(readFileSync(join(dir, "done.json"), "utf8")) as { seconds: number };
      if (run.evaluation === undefined) continue;
      runs.push({ method: method.label, seed, test: run.evaluation, validation, log: run.log, seconds: done.seconds });
    }
  }
  return runs;
};

/** Replays a run's logged per-task losses through Art (paper preset) and returns s and r per step. */
const replayArt = (sequence: readonly (readonly (number | null)[])[]) => {
  const weighting = art();
  let state = unwrap(weighting.init(setting.tasks.length));
  return sequence.map((losses) => {
    const out = unwrap(weighting.step(state, losses));
    state = out.state;
    return { s: [...out.diagnostics.s!], r: [...out.diagnostics.r!] };
  });
};

const summarize = (runs: ExperimentRun[]): string => {
  const order = EXPERIMENT_METHODS.map((m) => m.label);
  const tasks = setting.tasks as readonly string[];
  const figuresDir = join(repo, "docs", "img");
  mkdirSync(figuresDir, { recursive: true });
  const compared = ["mixed", "art"].filter((m) => runs.some((r) => r.method === m));
  const figures = lossFigures(runs, tasks, compared);
  const grid = `<svg xmlns="http://www.w3.org/2000/svg" width="${4 * 360}" height="${Math.ceil(figures.length / 4) * 240}">${figures
    .map(
      (svg, i) =>
        `<g transform="translate(${(i % 4) * 360},${Math.floor(i / 4) * 240})">${svg.replace(/^<svg[^>]*>/, "").replace(/<\/svg>\s*$/, "")}</g>`,
    )
    .join("")}</svg>`;
  writeFileSync(join(figuresDir, `results-${tag}-loss.svg`), grid);
  if (runs.some((r) => r.method === "art"))
    writeFileSync(join(figuresDir, `results-${tag}-weights.svg`), weightFigure(runs, tasks, "art"));
  const seedZero = runs
    .filter((r) => r.seed === 0 && compared.includes(r.method))
    .map((r) => readRun(runDirOf(r.method, 0)));
  if (seedZero.length > 0)
    writeFileSync(
      join(out, block, "report.html"),
      renderReport(seedZero, { title: `Replication, setting ${setting.id}: mixed vs Art (seed 0)` }),
    );
  const seconds = runs.map((r) => r.seconds ?? 0);
  const lines = [
    `### Setting ${setting.id}: ${setting.title}`,
    "",
    `Model SRResNet (width ${setting.model.width}, ${setting.model.blocks} blocks), ${steps} steps of batch ${setting.perTask * setting.tasks.length} (${setting.perTask} per task), ${setting.patchSize}x${setting.patchSize} crops from CBSD68 (train split), ${setting.model.taskPrompt === true ? "task-prompted" : "blind"} model, Adam lr ${setting.lr} with ${setting.warmupSteps === undefined ? "" : `${setting.warmupSteps} warm-up steps and `}cosine decay to ${setting.minLr ?? setting.lr / 10}, WASM backend; ${runs.length} runs taking ${(seconds.reduce((a, b) => a + b, 0) / 60).toFixed(0)} minutes of wall time in all (training and test evaluation, ${jobs} run(s) at a time on 2 cores). Test: Set14 + Set5, centre ${setting.evalSide}x${setting.evalSide}, degraded once per task (frozen); PSNR/SSIM in the BasicSR convention, RGB, crop 0.`,
    "",
    psnrTables(runs, tasks, order),
    "",
    "**How far the weights move from uniform** (mean over steps and seeds; per task: mean weight × K, 1 = uniform)",
    "",
    weightSpreadTable(runs, tasks, order),
    "",
    "**What Art's rule sees** (the logged losses of the `art` runs replayed through the rule; steps 21+)",
    "",
    runs.some((r) => r.method === "art") ? artSignalTable(runs, tasks, "art", replayArt) : "(no art runs)",
    "",
    `![training loss, mixed vs Art](img/results-${tag}-loss.svg)`,
    "",
    `![Art's weights over time](img/results-${tag}-weights.svg)`,
    "",
  ];
  return lines.join("\n");
};

if (values["batch-study"] !== undefined) {
  if (round !== 2) fail("--batch-study: needs --round 2");
  const sizes = values["batch-study"].split(",").map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1))
    fail(`--batch-study: expected crops per task, e.g. 2,4,8 (got ${JSON.stringify(values["batch-study"])})`);
  const blocks: BatchBlock[] = sizes.map((n) => ({
    perTask: n,
    steps: Math.round((baseSetting.steps * baseSetting.perTask) / n),
    runs: readRuns(n === baseSetting.perTask ? setting.id : `${setting.id}-pt${n}`).filter(
      (r) => r.method === "mixed" || r.method === "art",
    ),
  }));
  const rows = batchStudyRows(blocks, setting.tasks, replayArt);
  const figure = join(repo, "docs", "img", `results-round2-${setting.id}-batch.svg`);
  writeFileSync(figure, batchStudyFigure(rows, setting.tasks));
  const section = [
    `**The batch hypothesis, setting ${setting.id}**: Art (paper preset) − mixed at ${sizes.join(", ")} crops per task, every run seeing ${baseSetting.steps * baseSetting.perTask * setting.tasks.length} samples (${blocks.map((b) => `${b.runs.length} runs at ${b.perTask}`).join(", ")}). s is replayed from the Art runs' logged losses (steps 21+).`,
    "",
    batchStudyTable(rows, setting.tasks),
    "",
    `![s spread and Art − mixed vs crops per task](img/results-round2-${setting.id}-batch.svg)`,
    "",
  ].join("\n");
  const sectionFile = join(out, `results-round2-${setting.id}-batch.md`);
  writeFileSync(sectionFile, section);
  console.log(section);
  console.log(`wrote ${sectionFile} and ${figure}`);
  process.exit(0);
}
if (values.preregistered) {
  const dataDir = join(resolve(out, ".."), "data");
  const sets = { validation: join(dataDir, `validation-${setting.id}`), test: join(dataDir, `test-${setting.id}`) };
  const scored = await scoreThirdRound(join(out, block), sets, (line) => console.log(line));
  const section = preregisteredSection(scored);
  const file = join(out, `results-${tag}-preregistered.md`);
  writeFileSync(file, section);
  console.log(section);
  console.log(`wrote ${file}`);
  process.exit(0);
}

if (values["export-data"] !== undefined) {
  // The finished runs' small files, per-image scores included (computed here from the checkpoints
  // and the frozen sets), copied to DIR/<block>/<method>/seed<k>/ for committing (docs/data/round3).
  const dataDir = join(resolve(out, ".."), "data");
  const sets = { validation: join(dataDir, `validation-${setting.id}`), test: join(dataDir, `test-${setting.id}`) };
  const files = ["config.json", "eval.json", "val-eval.json", "done.json", "per-image.json", "eval-history.jsonl"];
  for (const method of methods) {
    for (let seed = 0; seed < seeds; seed++) {
      const runDir = runDirOf(method.label, seed);
      if (!existsSync(join(runDir, "done.json"))) continue;
      if (!existsSync(join(runDir, "per-image.json")))
        console.log(`scoring ${method.label} seed ${seed} image by image`);
      await perImageScores(runDir, sets);
      const target = join(resolve(values["export-data"]), block, method.label, `seed${seed}`);
      mkdirSync(target, { recursive: true });
      for (const file of files)
        if (existsSync(join(runDir, file))) copyFileSync(join(runDir, file), join(target, file));
      console.log(`${method.label} seed ${seed} -> ${target}`);
    }
  }
  process.exit(0);
}

const { trainDir, validationSet, testSet } = summaryOnly
  ? { trainDir: "", validationSet: "", testSet: "" }
  : await prepareData();
if (values["prepare-only"] === true) {
  console.log(`train images: ${trainDir}\nvalidation set: ${validationSet}\ntest set: ${testSet}`);
  process.exit(0);
}
if (!summaryOnly) {
  const pending: Job[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    for (const method of methods) {
      const runDir = runDirOf(method.label, seed);
      if (existsSync(join(runDir, "done.json"))) continue;
      rmSync(join(runDir, "error.txt"), { force: true });
      pending.push({
        setting: setting.id,
        method: method.label,
        seed,
        runDir,
        config: configFor(method, seed, trainDir, testSet, validationSet),
        validationSet,
        ...(curveEvery === undefined ? {} : { testSet }),
      });
    }
  }
  console.log(
    `setting ${setting.id}: ${pending.length} runs to do (${methods.length} methods x ${seeds} seeds, ${steps} steps each), ${jobs} at a time`,
  );
  const started = performance.now();
  let finished = 0;
  let failed = 0;
  const queue = [...pending];
  await Promise.all(
    Array.from({ length: Math.min(jobs, queue.length) }, async () => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        const code = await runJob(job);
        finished++;
        if (code !== 0) failed++;
        const elapsed = (performance.now() - started) / 1000;
        const eta = (elapsed / finished) * (pending.length - finished);
        console.log(
          `[${finished}/${pending.length}] ${job.method} seed ${job.seed}: ${code === 0 ? "done" : `FAILED (see ${join(job.runDir, "error.txt")})`}; elapsed ${(elapsed / 60).toFixed(1)} min, ETA ${(eta / 60).toFixed(1)} min`,
        );
      }
    }),
  );
  if (failed > 0) console.log(`${failed} run(s) failed; rerun the same command to retry them`);
}
const runs = readRuns();
if (runs.length === 0) fail(`no finished runs under ${join(out, block)}`);
const section = summarize(runs);
const sectionFile = join(out, `results-${tag}.md`);
writeFileSync(sectionFile, section);
console.log(section);
console.log(`\nwrote ${sectionFile}, docs/img/results-${tag}-*.svg and ${join(out, block, "report.html")}`);
