import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

import {
  createFrozenSet,
  DEFAULT_PRETRAINED,
  evaluateSession,
  isTaskName,
  loadEvalPairs,
  loadTrainedSession,
  METRIC_CONVENTIONS,
  PRETRAINED_MODELS,
  scoresMarkdown,
  type MetricConvention,
  type TaskName,
} from "../../restoration/index.js";
import { ProgressBar, writeJsonAtomic } from "../../restoration/internal.js";
import { choiceFlag, numberFlag, parseFlags, UsageError, type CommandIo } from "../args.js";
import { checkpointFromFlags } from "./model-flags.js";
import { asUsageError, stderrIsTTY } from "./shared.js";

/**
 * `art-mtl eval --checkpoint DIR --data DATA`: per-task PSNR/SSIM of a trained model, as a
 * markdown table on stdout and a JSON file (the run's eval.json by default).
 * `art-mtl eval --freeze OUT --data DATA`: saves the evaluation pairs as a frozen set instead.
 */

/** The help text of `art-mtl eval`. */
export const EVAL_USAGE = `usage: art-mtl eval [--checkpoint DIR | --model NAME] [--data DATA] [options]
       art-mtl eval --freeze OUT_DIR --data DATA --tasks a,b,... [--images N] [--size N] [--seed S]
DATA: "procedural" (default; fixed-seed procedural images), a frozen set directory (manifest.json),
a paired folder (input/ + target/, Rain100L- or SOTS-style; give its one task with --tasks), or a
folder of clean images (degraded here with fixed seeds, centre-cropped to --size).
  --checkpoint DIR     a checkpoint from art-mtl train (default: the shipped model)
  --model NAME         a shipped model: ${PRETRAINED_MODELS.map((m) => m.name).join(", ")} (default ${DEFAULT_PRETRAINED})
  --tasks a,b          tasks to score (default: the checkpoint's tasks)
  --images N           images per task for procedural/folder data (default 4)
  --size N             procedural image side / folder centre-crop (default 64)
  --seed S             degradation seed for procedural/folder data (default 1)
  --convention C       basicsr (default: 8-bit, peak 255) | skimage (float, data range 1)
  --crop N             pixels dropped on each side before scoring (default 0)
  --y                  score the luma Y channel instead of RGB
  --blind              do not tell a task-prompted model each image's task (score its blind path)
  --ensemble           restore each image as the mean of 8 passes over its rotations and flips
                       (self-ensemble: 8x the time)
  --tile N             tile side for large images (default 128)
  --backend B          tfjs backend (default: the checkpoint config's)
  -o, --output FILE    JSON output (default: RUN_DIR/eval.json when DIR is RUN_DIR/checkpoint)
  --freeze OUT_DIR     write the pairs (PNG + manifest.json) as a frozen set and exit`;

const parseTasks = (value: string | undefined): TaskName[] | undefined => {
  if (value === undefined) return undefined;
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.find((name) => !isTaskName(name));
  if (bad !== undefined || names.length === 0)
    throw new UsageError(`--tasks: expected comma-separated task names (got ${JSON.stringify(bad ?? value)})`);
  return names as TaskName[];
};

/** The `eval` command. */
export const evalCommand = async (argv: readonly string[], io: CommandIo): Promise<number> => {
  const { values } = parseFlags(argv, {
    checkpoint: { type: "string" },
    model: { type: "string" },
    data: { type: "string" },
    tasks: { type: "string" },
    images: { type: "string" },
    size: { type: "string" },
    seed: { type: "string" },
    convention: { type: "string" },
    crop: { type: "string" },
    y: { type: "boolean" },
    blind: { type: "boolean" },
    ensemble: { type: "boolean" },
    tile: { type: "string" },
    backend: { type: "string" },
    output: { type: "string", short: "o" },
    freeze: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.stdout(EVAL_USAGE + "\n");
    return 0;
  }
  const isCount = (n: number) => Number.isInteger(n) && n >= 1;
  const images = numberFlag("images", values.images, isCount, "an integer >= 1") ?? 4;
  const size = numberFlag("size", values.size, (n) => Number.isInteger(n) && n >= 8, "an integer >= 8") ?? 64;
  const seed = numberFlag("seed", values.seed, (n) => Number.isInteger(n) && n >= 0, "an integer >= 0") ?? 1;
  const tile = numberFlag("tile", values.tile, (n) => Number.isInteger(n) && n >= 16, "an integer >= 16") ?? 128;
  const crop = numberFlag("crop", values.crop, (n) => Number.isInteger(n) && n >= 0, "an integer >= 0") ?? 0;
  const convention: MetricConvention = choiceFlag("convention", values.convention, METRIC_CONVENTIONS) ?? "basicsr";
  const backend = choiceFlag("backend", values.backend, ["auto", "wasm", "cpu", "node", "node-gpu", "webgpu"] as const);
  const tasks = parseTasks(values.tasks);
  const data = values.data ?? "procedural";
  // Procedural images are --size square: their SSIM window must fit after --crop (folders are checked per image).
  const window = convention === "basicsr" ? 11 : 7;
  if (data === "procedural" && size - 2 * crop < window) {
    throw new UsageError(
      `--size ${size} with --crop ${crop} leaves ${Math.max(0, size - 2 * crop)}x${Math.max(0, size - 2 * crop)} pixels; SSIM (${convention}) needs at least ${window}x${window}: raise --size or lower --crop`,
    );
  }

  if (values.freeze !== undefined) {
    if (tasks === undefined) throw new UsageError("--freeze needs --tasks (which degradations to apply)");
    if (data !== "procedural" && !existsSync(data))
      throw new UsageError(`--data: no such folder ${JSON.stringify(data)}`);
    const source = data === "procedural" ? { procedural: { count: images, size } } : { folder: data, limit: images };
    const manifest = await createFrozenSet(values.freeze, {
      tasks,
      seed,
      source,
      ...(data === "procedural" ? {} : { maxSide: size }),
    }).catch(asUsageError);
    io.stdout(`wrote frozen set ${values.freeze}: ${manifest.samples.length} pairs (${tasks.join(", ")})\n`);
    return 0;
  }
  const checkpoint = checkpointFromFlags(values);
  const session = await loadTrainedSession(checkpoint, backend).catch(asUsageError);
  const evalTasks = tasks ?? [...session.config.tasks];
  const unknown = evalTasks.find((task) => !session.config.tasks.includes(task));
  if (unknown !== undefined)
    io.stderr(
      `note: task ${unknown} was not trained by this checkpoint (its tasks: ${session.config.tasks.join(", ")})\n`,
    );
  const pairs = await loadEvalPairs({ data, tasks: evalTasks, images, size, seed }).catch(asUsageError);
  const bar = new ProgressBar("eval", pairs.length, 0, { write: io.stderr, isTTY: stderrIsTTY(io), plainEvery: 30 });
  const result = await evaluateSession(session, {
    data,
    images,
    size,
    convention,
    cropBorder: crop,
    yChannel: values.y === true,
    tile,
    checkpoint: resolve(checkpoint),
    step: session.step,
    pairs,
    tasks: evalTasks,
    blind: values.blind === true,
    ensemble: values.ensemble === true,
    onProgress: (done) => bar.update(done),
  }).catch(asUsageError);
  bar.finish();
  const runDir = dirname(resolve(checkpoint));
  // A shipped model's run directory is part of the package: never write into it.
  const output =
    values.output ??
    (values.checkpoint !== undefined && existsSync(join(runDir, "config.json"))
      ? join(runDir, "eval.json")
      : "eval.json");
  writeJsonAtomic(output, result);
  const what = values.checkpoint ?? `shipped model ${values.model ?? DEFAULT_PRETRAINED}`;
  io.stdout(
    `${what} (step ${session.step}${values.blind === true ? ", blind" : ""}${values.ensemble === true ? ", self-ensemble" : ""}) on ${data}, ${convention}${values.y === true ? ", Y" : ""}, crop ${crop}:\n\n`,
  );
  io.stdout(scoresMarkdown(result.tasks, result.mean));
  io.stdout(`\nwrote ${output}\n`);
  return 0;
};
