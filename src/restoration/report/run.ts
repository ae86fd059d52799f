/**
 * Reading a run directory back (config.json, log.jsonl, eval.json) for the report.
 * Tolerant: a run still being written (a half line at the end of the log) or one without an
 * evaluation is reported with what it has.
 */
import { basename, existsSync, join, nodeOnly, readFileSync, resolve } from "../../platform/node.js";
import { KitError } from "../errors.js";
import { metricJsonReviver } from "../metrics/json.js";
import type { EvalResult, StepRecord } from "../train/records.js";
import { parseLog } from "../train/run-dir.js";

/** A run as the report sees it. */
export interface RunData {
  /** Display name: the config's `name`, else the directory name. */
  readonly name: string;
  readonly dir: string;
  /** The weighting's name from the config, when known. */
  readonly weighting: string;
  readonly tasks: readonly string[];
  readonly log: readonly StepRecord[];
  /** Log lines that could not be parsed (e.g. a line cut by a crash). */
  readonly badLogLines: number;
  readonly evaluation?: EvalResult;
  readonly config?: Record<string, unknown>;
}

/** Thrown when a path is not a run directory. */
export class RunDirError extends KitError {
  override readonly name = "RunDirError";
}

/** Reads a JSON file; PSNR/SSIM written as "Infinity" (see metricToJson) come back as numbers. */
const readJson = (path: string): unknown => {
  try {
    return JSON.parse(readFileSync(path, "utf8"), metricJsonReviver);
  } catch (error) {
    throw new RunDirError(`${path}: cannot read JSON (${(error as Error).message})`);
  }
};

/** Reads a run directory. Throws `RunDirError` when it has neither a log nor an eval.json. */
export function readRun(dir: string): RunData {
  nodeOnly("readRun", "build the RunData from the run's log records (parseLog) yourself");
  const root = resolve(dir);
  const configPath = join(root, "config.json");
  const logPath = join(root, "log.jsonl");
  const evalPath = join(root, "eval.json");
  if (!existsSync(root)) throw new RunDirError(`${dir}: no such directory`);
  if (!existsSync(logPath) && !existsSync(evalPath))
    throw new RunDirError(`${dir}: not a run directory (no log.jsonl or eval.json)`);
  const config = existsSync(configPath) ? (readJson(configPath) as Record<string, unknown>) : undefined;
  const { records, bad } = existsSync(logPath) ? parseLog(readFileSync(logPath, "utf8")) : { records: [], bad: 0 };
  const evaluation = existsSync(evalPath) ? (readJson(evalPath) as EvalResult) : undefined;
  const weightingField = config?.weighting as { name?: unknown } | undefined;
  const tasks = Array.isArray(config?.tasks)
    ? (config.tasks as string[])
    : (evaluation?.tasks.map((t) => t.task) ?? []);
  return {
    name: typeof config?.name === "string" ? config.name : basename(root),
    dir: root,
    weighting: typeof weightingField?.name === "string" ? weightingField.name : "?",
    tasks,
    log: records,
    badLogLines: bad,
    ...(evaluation === undefined ? {} : { evaluation }),
    ...(config === undefined ? {} : { config }),
  };
}
