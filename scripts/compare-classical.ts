/**
 * The shipped models against simple classical tools (issue 23, item 2):
 *
 *   npm run compare:classical                      # both shipped models, validation and test
 *   npm run compare:classical -- --quick           # tiny grids and 2 tuning images (a smoke run)
 *   options: --data DIR (the real images: CBSD68/, Set14/, Set5/; default $ART_MTL_DATA or
 *            ../shared/data), --train-images N (tuning images, default 12), --json FILE (every
 *            number printed, as JSON), --tuned FILE (the tools' tuned parameters: read from FILE
 *            when it exists and was tuned with the same images and grids, else tuned and written
 *            there; the tuning is most of the run time and does not depend on the models),
 *            --ensemble (also the model told the task as a self-ensemble: `eval --ensemble`)
 *
 * Per task and per evaluation set it prints the PSNR (and SSIM) of the degraded input, of the
 * shipped model told the task, of its blind path (task id -1), and of every classical tool of
 * src/restoration/classical/ that fits the task, then the best classical tool and the model's
 * margin over it. PSNR/SSIM as `art-mtl eval` computes them: BasicSR convention, RGB, crop 0,
 * the kit's `scorePairs` / `evaluateSession`.
 *
 * Tuning: each tool's parameters are chosen per task by grid search on TRAINING images only —
 * N images of the CBSD68 training split that `npm run experiment` uses (CBSD68 sorted by name,
 * every 8th image held out for validation), centre 96x96, degraded once per task by the
 * project's degradations with a fixed seed (5000001) — maximizing their mean PSNR.
 *
 * Evaluation sets: the frozen sets the shipped models' eval.json / val-eval.json were scored on
 * (`eval.data` of models/NAME/config.json: runs/experiment/data/{validation,test}-{A,B}); when a
 * set is not on disk it is rebuilt in memory exactly as `npm run experiment -- --prepare-only`
 * would make it (same images, order, seeds 7000001 / 9000001, centre 96x96), and its inputs are
 * checked against the input PSNR recorded in the model's eval files. The test numbers leave out
 * Set5 head_GT.png, a duplicate of Set14 face.png.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";

import {
  bilateralFilter,
  clahe,
  dehazeDarkChannel,
  estimateNoiseSigma,
  gammaCorrect,
  gaussianSmooth,
  medianFilter,
  nlmDenoise,
  tvDenoise,
  unsharpMask,
  waveletDenoise,
} from "../src/restoration/classical/index.js";
import { listImageFiles } from "../src/restoration/data/folder.js";
import { frozenPairs, isFrozenSet, type FrozenPair } from "../src/restoration/data/frozen.js";
import { AIRNET_TASKS, MIOIR_TASKS, type TaskName } from "../src/restoration/degradations/degradations.js";
import type { RgbImage } from "../src/restoration/image.js";
import { psnr } from "../src/restoration/metrics/psnr.js";
import { pretrainedCheckpoint } from "../src/restoration/pretrained.js";
// Through the train entry: its modules are being reorganized, the entry's names stay.
import {
  evaluateSession,
  finitePsnrMean,
  loadEvalPairs,
  loadTrainedSession,
  scorePairs,
  type EvalResult,
  type TaskScore,
} from "../src/restoration/train/index.js";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    "train-images": { type: "string", default: "12" },
    quick: { type: "boolean", default: false },
    json: { type: "string" },
    tuned: { type: "string" },
    ensemble: { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help === true) {
  console.log(
    "usage: npm run compare:classical -- [--data DIR] [--train-images N] [--quick] [--json FILE] [--tuned FILE] [--ensemble]",
  );
  process.exit(0);
}
const started = performance.now();
const repo = resolve(import.meta.dirname, "..");
const dataRoot = resolve(values.data ?? process.env.ART_MTL_DATA ?? join(repo, "..", "shared", "data"));
const missing = ["CBSD68", "Set14", "Set5"].filter((set) => !existsSync(join(dataRoot, set)));
if (missing.length > 0) {
  console.error(
    `compare:classical needs the real images (${missing.join(", ")} missing under ${dataRoot}): pass --data DIR holding CBSD68/, Set14/ and Set5/, or set ART_MTL_DATA (see ../shared/data/README.md)`,
  );
  process.exit(2);
}
const trainImages = Number(values["train-images"]);
if (!Number.isInteger(trainImages) || trainImages < 1) {
  console.error(`--train-images: expected an integer >= 1 (got ${JSON.stringify(values["train-images"])})`);
  process.exit(2);
}
const quick = values.quick === true;
const SIDE = 96; // the frozen sets' centre crop (scripts/experiment/settings.ts evalSide)
const TUNE_SEED = 5_000_001;
const VALIDATION_SEED = 7_000_001; // scripts/experiment.ts prepareData
const TEST_SEED = 9_000_001;
const DUPLICATE_TEST_IMAGE = "Set5-head_GT.png"; // pixel-identical centre crop to Set14-face.png
const metric = { convention: "basicsr", cropBorder: 0, yChannel: false } as const;

// ---------------------------------------------------------------------------------------------
// The classical tools, their tasks and their grids.

type Params = Readonly<Record<string, number | string>>;
interface Tool {
  readonly name: string;
  readonly tasks: readonly TaskName[];
  readonly grid: readonly Params[];
  readonly run: (img: RgbImage, p: Params) => RgbImage;
  readonly describe: (p: Params) => string;
}

/** Every combination of the listed values (the last key varies fastest). */
const product = (axes: Record<string, readonly (number | string)[]>): Params[] =>
  Object.entries(axes).reduce<Params[]>(
    (acc, [key, vals]) => acc.flatMap((p) => vals.map((v) => ({ ...p, [key]: v }))),
    [{}],
  );
const pick = <T>(full: readonly T[], small: readonly T[]): readonly T[] => (quick ? small : full);
const num = (p: Params, key: string): number => p[key] as number;
const range = (from: number, to: number, step: number): number[] =>
  Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => Number((from + i * step).toFixed(6)));
const NOISE_TASKS: readonly TaskName[] = ["noise", "noise15", "noise25", "noise50"];

const TOOLS: readonly Tool[] = [
  {
    name: "gamma",
    tasks: ["lowlight"],
    grid: product({ gamma: pick(range(1, 3, 0.1), [1.5, 2]) }),
    run: (img, p) => gammaCorrect(img, num(p, "gamma")),
    describe: (p) => `out = in^(1/${num(p, "gamma")})`,
  },
  {
    name: "CLAHE",
    tasks: ["lowlight"],
    grid: product({ clipLimit: pick([1.25, 1.5, 2, 3, 4, 6, 10], [2]), tiles: pick([1, 2, 4, 8], [1, 4]) }),
    run: (img, p) => clahe(img, { clipLimit: num(p, "clipLimit"), tiles: num(p, "tiles") }),
    describe: (p) =>
      `clip limit ${num(p, "clipLimit")}, ${num(p, "tiles")}x${num(p, "tiles")} tiles, on V = max(R, G, B)`,
  },
  {
    name: "DCP",
    tasks: ["haze"],
    grid: product({
      patch: pick([3, 5, 9, 15, 21], [15]),
      omega: pick([0.5, 0.65, 0.8, 0.95, 1], [0.8, 0.95]),
      t0: pick([0.05, 0.1, 0.2, 0.35, 0.5], [0.1]),
      guided: pick([0, 4, 8, 16], [0, 8]),
    }),
    run: (img, p) =>
      dehazeDarkChannel(img, {
        patch: num(p, "patch"),
        omega: num(p, "omega"),
        t0: num(p, "t0"),
        guidedRadius: num(p, "guided"),
        guidedEps: 1e-3,
      }),
    describe: (p) =>
      `patch ${num(p, "patch")}, omega ${num(p, "omega")}, t0 ${num(p, "t0")}, ${num(p, "guided") > 0 ? `guided filter r ${num(p, "guided")}, eps 1e-3` : "no refinement"}`,
  },
  {
    name: "TV",
    tasks: NOISE_TASKS,
    grid: product({ k: pick([0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1, 1.2, 1.5], [0.8, 1.2]) }),
    run: (img, p) => tvDenoise(img, { weight: num(p, "k") * estimateNoiseSigma(img) }),
    describe: (p) => `weight = ${num(p, "k")} x sigma^`,
  },
  {
    name: "wavelet",
    tasks: NOISE_TASKS,
    grid: product({
      levels: pick([3, 4, 5], [3]),
      space: pick(["rgb", "ycbcr"], ["ycbcr"]),
      // 8 x 8 shifts are every shift a 3-level Haar transform can tell apart.
      shifts: pick([1, 4, 8], [1, 4]),
    }),
    run: (img, p) =>
      waveletDenoise(img, {
        levels: num(p, "levels"),
        colorSpace: p.space as "rgb" | "ycbcr",
        shifts: num(p, "shifts"),
      }),
    describe: (p) =>
      `Haar, ${num(p, "levels")} levels, ${String(p.space)}, ${num(p, "shifts") > 1 ? `cycle spinning ${num(p, "shifts")}x${num(p, "shifts")}` : "no cycle spinning"}`,
  },
  {
    name: "NLM",
    tasks: NOISE_TASKS,
    grid: product({
      patch: pick([5, 7], [5]),
      search: pick([7, 11, 21], [11]),
      k: pick([0.4, 0.5, 0.6, 0.8], [0.6, 1]),
    }),
    run: (img, p) => {
      const sigma = estimateNoiseSigma(img);
      return nlmDenoise(img, { patch: num(p, "patch"), search: num(p, "search"), h: num(p, "k") * sigma, sigma });
    },
    describe: (p) =>
      `patch ${num(p, "patch")}, search ${num(p, "search")}x${num(p, "search")}, h = ${num(p, "k")} x sigma^`,
  },
  {
    name: "unsharp",
    tasks: ["blur"],
    grid: product({
      sigma: pick([0.5, 1, 1.5, 2, 3], [1, 2]),
      amount: pick([0.25, 0.5, 1, 1.5, 2, 3, 4, 6], [0.5, 1]),
    }),
    run: (img, p) => unsharpMask(img, { sigma: num(p, "sigma"), amount: num(p, "amount") }),
    describe: (p) => `sigma ${num(p, "sigma")}, amount ${num(p, "amount")}`,
  },
  {
    name: "Gaussian",
    tasks: ["jpeg", "rain"],
    grid: product({ sigma: pick([0.3, 0.5, 0.7, 1, 1.5, 2, 3, 4], [0.5, 1]) }),
    run: (img, p) => gaussianSmooth(img, num(p, "sigma")),
    describe: (p) => `sigma ${num(p, "sigma")}`,
  },
  {
    name: "bilateral",
    tasks: ["jpeg", "rain"],
    grid: product({
      sigmaSpace: pick([0.5, 1, 2, 3, 5, 7], [1]),
      sigmaColor: pick([0.02, 0.05, 0.1, 0.2, 0.4, 0.8], [0.05, 0.1]),
    }),
    run: (img, p) => bilateralFilter(img, { sigmaSpace: num(p, "sigmaSpace"), sigmaColor: num(p, "sigmaColor") }),
    describe: (p) => `sigma_space ${num(p, "sigmaSpace")}, sigma_color ${num(p, "sigmaColor")}`,
  },
  {
    name: "median",
    tasks: ["rain"],
    grid: product({ size: pick([3, 5, 7, 9, 11, 15, 21], [3]) }),
    run: (img, p) => medianFilter(img, num(p, "size")),
    describe: (p) => `${num(p, "size")}x${num(p, "size")}`,
  },
];

// ---------------------------------------------------------------------------------------------
// Data: the split of scripts/experiment.ts, as folders of symbolic links in a temporary directory.

const scratch = mkdtempSync(join(tmpdir(), "compare-classical-"));
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
const makeFolder = (name: string, files: readonly { file: string; as: string }[]): string => {
  const dir = mkdtempSync(join(scratch, `${name}-`));
  for (const { file, as } of files) symlinkSync(file, join(dir, as));
  return dir;
};
const cbsd = listImageFiles(join(dataRoot, "CBSD68")).sort();
const trainFiles = cbsd.filter((_, i) => i % 8 !== 7);
const validationFiles = cbsd.filter((_, i) => i % 8 === 7);
const testFiles = ["Set14", "Set5"].flatMap((set) =>
  listImageFiles(join(dataRoot, set)).map((file) => ({ file, as: `${set}-${basename(file)}` })),
);
const tuneCount = Math.min(quick ? 2 : trainImages, trainFiles.length);
// Spread over the sorted training split: the middle image of each of tuneCount equal runs.
const tuneFiles = Array.from(
  { length: tuneCount },
  (_, i) => trainFiles[Math.floor(((i + 0.5) * trainFiles.length) / tuneCount)] as string,
);
const tuneFolder = makeFolder(
  "train",
  tuneFiles.map((file) => ({ file, as: basename(file) })),
);
const validationFolder = makeFolder(
  "validation",
  validationFiles.map((file) => ({ file, as: basename(file) })),
);
const testFolder = makeFolder("test", testFiles);

const log = (line: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
const signed = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(2)}` : "–");
const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

// ---------------------------------------------------------------------------------------------
// Tuning on training images.

const tuneTasks = [...new Set(TOOLS.flatMap((t) => t.tasks))];
log(
  `tuning on ${tuneFiles.length} CBSD68 training images (${tuneFiles.map((f) => basename(f)).join(", ")}), centre ${SIDE}x${SIDE}, seed ${TUNE_SEED}`,
);
const tunePairs = await frozenPairs({
  tasks: tuneTasks,
  seed: TUNE_SEED,
  source: { folder: tuneFolder },
  maxSide: SIDE,
});
interface Choice {
  readonly tool: string;
  readonly task: TaskName;
  readonly params: Params;
  readonly describe: string;
  readonly trainPsnr: number;
  readonly trainInputPsnr: number;
  readonly combos: number;
  readonly seconds: number;
}
const tuneStarted = performance.now();
/** What the tuning depends on: the tuning images and every tool's grid. */
const tuningKey = JSON.stringify({
  images: tuneFiles.map((f) => basename(f)),
  seed: TUNE_SEED,
  grids: TOOLS.map((t) => [t.name, t.tasks, t.grid]),
});
const cached =
  values.tuned !== undefined && existsSync(values.tuned)
    ? (JSON.parse(readFileSync(values.tuned, "utf8")) as { key: string; choices: Choice[] })
    : undefined;
const reuse = cached !== undefined && cached.key === tuningKey;
if (cached !== undefined && !reuse) log(`${values.tuned}: tuned with other images or grids; tuning again`);
const choices: Choice[] = reuse ? cached.choices : tuneTools();
if (reuse) log(`tuned parameters read from ${values.tuned} (same images and grids)`);
else if (values.tuned !== undefined)
  writeFileSync(values.tuned, `${JSON.stringify({ key: tuningKey, choices }, null, 1)}\n`);

function tuneTools(): Choice[] {
  const choices: Choice[] = [];
  for (const tool of TOOLS) {
    for (const task of tool.tasks) {
      const pairs = tunePairs.filter((p) => p.sample.task === task);
      const t0 = performance.now();
      let best: { params: Params; psnr: number } | undefined;
      for (const params of tool.grid) {
        const score = finitePsnrMean(pairs.map((p) => psnr(tool.run(p.input, params), p.target, metric))).mean;
        if (best === undefined || score > best.psnr) best = { params, psnr: score };
      }
      const chosen = best as { params: Params; psnr: number };
      const trainInputPsnr = finitePsnrMean(pairs.map((p) => psnr(p.input, p.target, metric))).mean;
      choices.push({
        tool: tool.name,
        task,
        params: chosen.params,
        describe: tool.describe(chosen.params),
        trainPsnr: chosen.psnr,
        trainInputPsnr,
        combos: tool.grid.length,
        seconds: (performance.now() - t0) / 1000,
      });
      log(
        `tuned ${tool.name} on ${task}: ${tool.describe(chosen.params)} (train ${fmt(trainInputPsnr)} -> ${fmt(chosen.psnr)} dB; ${tool.grid.length} settings, ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
    }
  }
  return choices;
}
const tuneSeconds = (performance.now() - tuneStarted) / 1000;

// ---------------------------------------------------------------------------------------------
// Evaluation sets, the models, the tools.

interface ModelSpec {
  readonly name: string;
  readonly setting: "A" | "B";
  readonly tasks: readonly TaskName[];
}
const MODELS: readonly ModelSpec[] = [
  { name: "all-in-one", setting: "A", tasks: MIOIR_TASKS },
  { name: "rain-haze-noise", setting: "B", tasks: AIRNET_TASKS },
];

/** One set's pairs: the frozen set on disk, else rebuilt in memory; and where they came from. */
async function setPairs(
  spec: ModelSpec,
  which: "validation" | "test",
): Promise<{ pairs: FrozenPair[]; source: string }> {
  const dir = join(repo, "runs", "experiment", "data", `${which}-${spec.setting}`);
  if (isFrozenSet(dir))
    return {
      pairs: await loadEvalPairs({ data: dir, tasks: spec.tasks, images: 1, size: SIDE }),
      source: `frozen set runs/experiment/data/${which}-${spec.setting}`,
    };
  const folder = which === "validation" ? validationFolder : testFolder;
  const seed = which === "validation" ? VALIDATION_SEED : TEST_SEED;
  const pairs = await frozenPairs({ tasks: spec.tasks, seed, source: { folder }, maxSide: SIDE });
  return {
    pairs,
    source: `runs/experiment/data/${which}-${spec.setting} rebuilt in memory (not on disk; same images, order and seed ${seed})`,
  };
}

/** Checks a set's inputs against the input PSNR its model's eval file recorded; returns a one-line verdict. */
function checkAgainstRecord(spec: ModelSpec, which: "validation" | "test", pairs: readonly FrozenPair[]): string {
  const file = join(repo, "models", spec.name, which === "validation" ? "val-eval.json" : "eval.json");
  if (!existsSync(file)) return `no ${file} to check against`;
  const record = JSON.parse(readFileSync(file, "utf8")) as EvalResult;
  let worst = 0;
  for (const task of record.tasks) {
    const values = pairs.filter((p) => p.sample.task === task.task).map((p) => psnr(p.input, p.target, metric));
    if (values.length !== task.count)
      return `MISMATCH: ${task.task} has ${values.length} pairs here, ${task.count} in models/${spec.name}/${basename(file)}`;
    worst = Math.max(worst, Math.abs(finitePsnrMean(values).mean - task.inputPsnr));
  }
  return worst < 1e-6
    ? `inputs match models/${spec.name}/${basename(file)} (input PSNR per task equal to 1e-6 dB, ${record.tasks[0]?.count ?? 0} images per task)`
    : `MISMATCH: input PSNR differs from models/${spec.name}/${basename(file)} by up to ${worst.toFixed(4)} dB`;
}

interface Row {
  readonly label: string;
  readonly scores: ReadonlyMap<string, TaskScore>;
}
interface SetReport {
  readonly model: string;
  readonly set: "validation" | "test";
  readonly source: string;
  readonly check: string;
  readonly images: number;
  readonly tasks: readonly TaskName[];
  readonly input: ReadonlyMap<string, TaskScore>;
  readonly told: ReadonlyMap<string, TaskScore>;
  readonly blind: ReadonlyMap<string, TaskScore>;
  /** The model told the task, as a self-ensemble (--ensemble only). */
  readonly toldEnsemble?: ReadonlyMap<string, TaskScore>;
  readonly tools: readonly Row[];
}
const byTask = (scores: readonly TaskScore[]) => new Map(scores.map((s) => [s.task, s]));

const reports: SetReport[] = [];
for (const spec of MODELS) {
  const checkpoint = pretrainedCheckpoint(spec.name);
  const session = await loadTrainedSession(checkpoint, "wasm");
  for (const which of ["validation", "test"] as const) {
    const { pairs: all, source } = await setPairs(spec, which);
    const check = checkAgainstRecord(spec, which, all);
    const pairs = which === "test" ? all.filter((p) => p.sample.image !== DUPLICATE_TEST_IMAGE) : all;
    log(`${spec.name}, ${which}: ${pairs.length} pairs (${source}); ${check}`);
    const base = {
      data: which,
      images: 1,
      size: SIDE,
      convention: metric.convention,
      cropBorder: 0,
      yChannel: false,
      checkpoint,
      step: session.step,
      pairs,
      tasks: spec.tasks,
    };
    const told = await evaluateSession(session, { ...base, blind: false });
    const blind = await evaluateSession(session, { ...base, blind: true });
    const ensemble = values.ensemble === true ? await evaluateSession(session, { ...base, ensemble: true }) : undefined;
    log(
      `${spec.name}, ${which}: model scored (told ${told.seconds.toFixed(1)} s, blind ${blind.seconds.toFixed(1)} s${ensemble === undefined ? "" : `, told self-ensemble ${ensemble.seconds.toFixed(1)} s`})`,
    );
    const tools: Row[] = [];
    for (const tool of TOOLS) {
      const tasks = spec.tasks.filter((t) => tool.tasks.includes(t));
      if (tasks.length === 0) continue;
      const scores: TaskScore[] = [];
      for (const task of tasks) {
        const choice = choices.find((c) => c.tool === tool.name && c.task === task) as Choice;
        const scored = await scorePairs(
          pairs.filter((p) => p.sample.task === task),
          [task],
          async (input) => tool.run(input, choice.params),
          metric,
        );
        scores.push(...scored.tasks);
      }
      tools.push({ label: tool.name, scores: byTask(scores) });
    }
    log(`${spec.name}, ${which}: classical tools scored`);
    const images = new Set(pairs.map((p) => p.sample.image)).size;
    reports.push({
      model: spec.name,
      set: which,
      source,
      check,
      images,
      tasks: spec.tasks,
      input: byTask(told.tasks),
      told: byTask(told.tasks),
      blind: byTask(blind.tasks),
      ...(ensemble === undefined ? {} : { toldEnsemble: byTask(ensemble.tasks) }),
      tools,
    });
  }
  session.model.dispose();
}

// ---------------------------------------------------------------------------------------------
// Tables.

/** The best classical tool of a task in one set (SR: bicubic, which is the input itself). */
const bestClassical = (
  r: SetReport,
  task: TaskName,
  key: "psnr" | "ssim",
): { name: string; value: number } | undefined => {
  if (task === "sr")
    return {
      name: "bicubic",
      value: key === "psnr" ? (r.input.get(task) as TaskScore).inputPsnr : (r.input.get(task) as TaskScore).inputSsim,
    };
  let best: { name: string; value: number } | undefined;
  for (const row of r.tools) {
    const s = row.scores.get(task);
    if (s !== undefined && (best === undefined || s[key] > best.value)) best = { name: row.label, value: s[key] };
  }
  return best;
};

function table(r: SetReport, key: "psnr" | "ssim"): string {
  const d = key === "psnr" ? 2 : 4;
  const inputOf = (s: TaskScore) => (key === "psnr" ? s.inputPsnr : s.inputSsim);
  const header = `| method | ${r.tasks.join(" | ")} | mean |`;
  const rule = `|---|${r.tasks.map(() => "---:").join("|")}|---:|`;
  const lines = [header, rule];
  const row = (label: string, cell: (t: TaskName) => number | undefined, withMean: boolean) => {
    const vals = r.tasks.map(cell);
    const mean = withMean && vals.every((v) => v !== undefined) ? meanOf(vals as number[]) : undefined;
    lines.push(
      `| ${label} | ${vals.map((v) => (v === undefined ? "–" : fmt(v, d))).join(" | ")} | ${mean === undefined ? "–" : fmt(mean, d)} |`,
    );
  };
  row("*degraded input*", (t) => inputOf(r.input.get(t) as TaskScore), true);
  row("**model, told the task**", (t) => (r.told.get(t) as TaskScore)[key], true);
  row("model, blind path", (t) => (r.blind.get(t) as TaskScore)[key], true);
  const { toldEnsemble } = r;
  if (toldEnsemble !== undefined)
    row("model, told, self-ensemble", (t) => (toldEnsemble.get(t) as TaskScore)[key], true);
  if (r.tasks.includes("sr"))
    row("bicubic (= the input)", (t) => (t === "sr" ? inputOf(r.input.get(t) as TaskScore) : undefined), false);
  for (const tool of r.tools) row(tool.label, (t) => tool.scores.get(t)?.[key], false);
  const bests = r.tasks.map((t) => bestClassical(r, t, key));
  lines.push(
    `| **best classical** | ${bests.map((b) => (b === undefined ? "–" : `${fmt(b.value, d)} (${b.name})`)).join(" | ")} | ${fmt(meanOf(bests.map((b) => b?.value ?? NaN)), d)} |`,
  );
  const margin = (label: string, model: ReadonlyMap<string, TaskScore>) => {
    const ms = r.tasks.map((t, i) => (model.get(t) as TaskScore)[key] - (bests[i]?.value ?? NaN));
    const cell = (v: number) => (key === "psnr" ? signed(v) : `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(4)}`);
    lines.push(`| ${label} | ${ms.map(cell).join(" | ")} | ${cell(meanOf(ms))} |`);
  };
  margin("model told − best classical", r.told);
  margin("model blind − best classical", r.blind);
  if (toldEnsemble !== undefined) margin("model told, self-ensemble − best classical", toldEnsemble);
  return lines.join("\n");
}

const out: string[] = [];
const say = (line = "") => out.push(line);
say(`# Shipped models against classical tools (npm run compare:classical)`);
say();
say(
  `PSNR in dB (then SSIM), BasicSR convention, RGB, crop 0, as \`art-mtl eval\` computes them. Every classical tool's parameters were chosen per task by grid search on ${tuneFiles.length} CBSD68 training images (centre ${SIDE}x${SIDE}, degraded once per task with seed ${TUNE_SEED}), maximizing mean PSNR; the evaluation sets played no part. "best classical" is the best tool of each task on the table's own set (SR: bicubic, which is the model's input itself). sigma^ = the noise sigma estimated from the image (median(|HH1|) / 0.6745 of the finest diagonal Haar band, averaged over R, G, B).${quick ? " **--quick: tiny grids, 2 tuning images; not the documented numbers.**" : ""}`,
);
say();
say(`## Chosen parameters (training images)`);
say();
say(`| task | tool | parameters | train input PSNR | train tool PSNR | grid |`);
say(`|---|---|---|---:|---:|---:|`);
const taskOrder = [
  ...MIOIR_TASKS,
  ...AIRNET_TASKS.filter((t) => !(MIOIR_TASKS as readonly string[]).includes(t)),
] as TaskName[];
for (const task of taskOrder) {
  for (const c of choices.filter((x) => x.task === task))
    say(`| ${task} | ${c.tool} | ${c.describe} | ${fmt(c.trainInputPsnr)} | ${fmt(c.trainPsnr)} | ${c.combos} |`);
}
for (const r of reports) {
  say();
  say(`## ${r.model}, ${r.set} set`);
  say();
  say(
    `${r.images} images x ${r.tasks.length} tasks, ${r.source}; ${r.check}.${r.set === "test" ? ` Set5 head_GT.png (pixel-identical to Set14 face.png) is left out of these numbers, so they differ from eval.json's 19-image means.` : ""}`,
  );
  say();
  say(`PSNR (dB):`);
  say();
  say(table(r, "psnr"));
  say();
  say(`SSIM:`);
  say();
  say(table(r, "ssim"));
}
say();
say(`## Where the model wins and loses (PSNR, model told the task − best classical tool)`);
say();
for (const r of reports) {
  const parts = r.tasks.map((t) => {
    const b = bestClassical(r, t, "psnr") as { name: string; value: number };
    return `${t} ${signed((r.told.get(t) as TaskScore).psnr - b.value)} (vs ${b.name})`;
  });
  say(`- ${r.model}, ${r.set}: ${parts.join(", ")}`);
  const { toldEnsemble } = r;
  if (toldEnsemble !== undefined) {
    const margins = r.tasks.map(
      (t) =>
        `${t} ${signed((toldEnsemble.get(t) as TaskScore).psnr - (bestClassical(r, t, "psnr") as { value: number }).value)}`,
    );
    say(`- ${r.model}, ${r.set}, told as a self-ensemble: ${margins.join(", ")}`);
  }
}
const seconds = (performance.now() - started) / 1000;
say();
const cpu = process.cpuUsage();
say(
  `Run time: ${seconds.toFixed(0)} s wall in all (tuning ${tuneSeconds.toFixed(0)} s), one process; ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s of CPU time.`,
);
console.log(out.join("\n"));

if (values.json !== undefined) {
  const plain = (m: ReadonlyMap<string, TaskScore>) => Object.fromEntries(m);
  writeFileSync(
    values.json,
    JSON.stringify(
      {
        seconds,
        tuneSeconds,
        tuneImages: tuneFiles.map((f) => basename(f)),
        choices,
        reports: reports.map((r) => ({
          ...r,
          input: plain(r.input),
          told: plain(r.told),
          blind: plain(r.blind),
          ...(r.toldEnsemble === undefined ? {} : { toldEnsemble: plain(r.toldEnsemble) }),
          tools: r.tools.map((t) => ({ label: t.label, scores: plain(t.scores) })),
        })),
      },
      null,
      2,
    ) + "\n",
  );
}
