/**
 * Paths of a run directory and small file helpers (atomic JSON writes, log truncation on resume).
 */
import { writeFileAtomic } from "../../platform/atomic-write.js";
import {
  closeSync,
  dirname,
  existsSync,
  join,
  mkdirSync,
  nodeOnly,
  openSync,
  readFileSync,
  writeSync,
} from "../../platform/node.js";
import { metricJsonReplacer, metricJsonReviver } from "../metrics/json.js";
import type { EvalResult, StepRecord } from "./records.js";

/** The files of a run directory. */
export const runPaths = (runDir: string) => {
  nodeOnly("runPaths");
  return {
    config: join(runDir, "config.json"),
    log: join(runDir, "log.jsonl"),
    checkpoint: join(runDir, "checkpoint"),
    eval: join(runDir, "eval.json"),
    /** Every evaluation of the run (each `evalEvery` steps and the last), one `EvalResult` a line: the validation curve. */
    evalHistory: join(runDir, "eval-history.jsonl"),
    report: join(runDir, "report.html"),
  };
};

/**
 * Writes JSON atomically and durably (`writeFileAtomic`): a reader sees the old or the new file,
 * never half. Non-finite numbers are written as metricToJson does ("Infinity", not null: PSNR of
 * identical images).
 */
export function writeJsonAtomic(path: string, value: unknown): void {
  nodeOnly("writeJsonAtomic");
  writeFileAtomic(path, JSON.stringify(value, metricJsonReplacer, 2) + "\n");
}

/**
 * Parses log.jsonl text: the step records, each with its line as written (`lines[i]` is the
 * text of `records[i]`), and the number of lines that are not records (e.g. a line cut by a
 * crash). The one log parser: the report reads with it and `truncateLog` rewrites with it.
 */
export function parseLog(text: string): { records: StepRecord[]; lines: string[]; bad: number } {
  const records: StepRecord[] = [];
  const lines: string[] = [];
  let bad = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const r = JSON.parse(line) as StepRecord;
      if (
        typeof r === "object" &&
        r !== null &&
        typeof r.step === "number" &&
        Array.isArray(r.taskLosses) &&
        Array.isArray(r.weights)
      ) {
        records.push(r);
        lines.push(line);
      } else bad++;
    } catch {
      bad++;
    }
  }
  return { records, lines, bad };
}

/**
 * Keeps the log lines of steps <= `lastStep` (a resumed run redoes the steps after its
 * checkpoint, so their old lines go; lines that are not records, e.g. cut by a crash, go too)
 * and returns the last kept record.
 */
export function truncateLog(path: string, lastStep: number): StepRecord | undefined {
  nodeOnly("truncateLog");
  if (!existsSync(path)) return undefined;
  const { records, lines } = parseLog(readFileSync(path, "utf8"));
  const kept: string[] = [];
  let last: StepRecord | undefined;
  records.forEach((record, i) => {
    if (record.step <= lastStep) {
      kept.push(lines[i] as string);
      last = record;
    }
  });
  writeFileAtomic(path, kept.length === 0 ? "" : kept.join("\n") + "\n");
  return last;
}

/**
 * The evaluations of a run's `eval-history.jsonl`, in step order, one per step (a step evaluated
 * twice, which a resume can do, keeps its last line); lines that are not evaluations (cut by a
 * crash) are skipped. Empty when the file does not exist.
 */
export function readEvalHistory(path: string): EvalResult[] {
  nodeOnly("readEvalHistory");
  if (!existsSync(path)) return [];
  const byStep = new Map<number, EvalResult>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      const result = JSON.parse(line, metricJsonReviver) as EvalResult;
      if (typeof result?.step === "number" && Array.isArray(result.tasks)) byStep.set(result.step, result);
    } catch {
      // a line cut by a crash
    }
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** Appends one evaluation to `eval-history.jsonl` (one write: a crash loses at most this line). */
export function appendEvalHistory(path: string, result: EvalResult): void {
  nodeOnly("appendEvalHistory");
  const fd = openSync(path, "a");
  try {
    writeSync(fd, JSON.stringify(result, metricJsonReplacer) + "\n");
  } finally {
    closeSync(fd);
  }
}

/** Keeps the evaluations of steps <= `lastStep` in `eval-history.jsonl` (a resume redoes the later ones). */
export function truncateEvalHistory(path: string, lastStep: number): void {
  nodeOnly("truncateEvalHistory");
  if (!existsSync(path)) return;
  const kept = readEvalHistory(path).filter((result) => result.step <= lastStep);
  writeFileAtomic(path, kept.map((result) => JSON.stringify(result, metricJsonReplacer) + "\n").join(""));
}

/** An append-only JSON Lines writer (one write per record, so a crash loses at most the line in flight). */
export class JsonlWriter {
  private readonly fd: number;
  constructor(path: string) {
    nodeOnly("JsonlWriter");
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, "a");
  }
  /** Writes one record as one line. */
  append(record: unknown): void {
    writeSync(this.fd, JSON.stringify(record) + "\n");
  }
  /** Closes the file. */
  close(): void {
    closeSync(this.fd);
  }
}
