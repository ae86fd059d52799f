/**
 * Scoring a model per task: restore every input of an evaluation set, then PSNR/SSIM against
 * its target (BasicSR convention by default), averaged per task, next to the scores of the
 * degraded inputs themselves.
 */
import { existsSync, join, nodeOnly } from "../../platform/node.js";
import { DatasetError } from "../data/folder.js";
import { EVAL_PROCEDURAL_SEED, frozenPairs, isFrozenSet, loadFrozenSet, type FrozenPair } from "../data/frozen.js";
import { loadPair, openPairedFolder } from "../data/paired.js";
import type { TaskName } from "../degradations/degradations.js";
import type { RgbImage } from "../image.js";
import type { MetricOptions } from "../metrics/prepare.js";
import { psnr } from "../metrics/psnr.js";
import { ssim } from "../metrics/ssim.js";
import type { TaskScore } from "./records.js";

/** What to evaluate on. */
export interface EvalDataOptions {
  /**
   * `"procedural"`, a frozen set directory, a paired folder (`input/` + `target/`, one task), or a
   * folder of clean images (degraded here with fixed seeds).
   */
  readonly data: string;
  readonly tasks: readonly TaskName[];
  /** Images per task for procedural/folder data. */
  readonly images: number;
  /** Procedural image side, or the centre-crop of folder images. */
  readonly size: number;
  /** Degradation seed (default 1). */
  readonly seed?: number;
}

/**
 * The evaluation pairs: a frozen set is read as saved (restricted to `tasks` when it has
 * more); `procedural` and clean folders are degraded in memory exactly as `createFrozenSet` would.
 */
export async function loadEvalPairs(options: EvalDataOptions): Promise<FrozenPair[]> {
  const seed = options.seed ?? 1;
  if (options.data === "procedural") {
    return frozenPairs({
      tasks: options.tasks,
      seed,
      source: { procedural: { count: options.images, size: options.size, seed: EVAL_PROCEDURAL_SEED } },
    });
  }
  nodeOnly(
    `loadEvalPairs with data ${JSON.stringify(options.data)}`,
    'use data: "procedural", or make the pairs with frozenPairs()',
  );
  if (!existsSync(options.data))
    throw new DatasetError(
      options.data,
      `${options.data}: no such directory (expected "procedural", a frozen set, or a folder of clean images)`,
    );
  if (isFrozenSet(options.data)) {
    const set = loadFrozenSet(options.data);
    const wanted = set.manifest.samples.filter((s) => (options.tasks as readonly string[]).includes(s.task));
    if (wanted.length === 0)
      throw new DatasetError(
        join(options.data, "manifest.json"),
        `${options.data}: no sample of the tasks ${options.tasks.join(", ")} (the set has ${set.manifest.tasks.join(", ")})`,
      );
    const pairs: FrozenPair[] = [];
    for (const sample of wanted) pairs.push({ sample, ...(await set.load(sample)) });
    return pairs;
  }
  if (existsSync(join(options.data, "input")) && existsSync(join(options.data, "target"))) {
    // A paired test set (Rain100L-, SOTS-style): its inputs are already degraded, by one task.
    if (options.tasks.length !== 1) {
      throw new DatasetError(
        options.data,
        `${options.data} is a paired folder (input/, target/) of one degradation: name its task with exactly one task (got ${options.tasks.join(", ")})`,
      );
    }
    const task = options.tasks[0] as TaskName;
    const set = openPairedFolder(options.data);
    const pairs: FrozenPair[] = [];
    for (const pair of set.pairs) {
      const { input, target } = await loadPair(pair);
      pairs.push({
        sample: {
          name: pair.name,
          task,
          taskId: 0,
          image: pair.target,
          seed: 0,
          params: {},
          width: input.width,
          height: input.height,
        },
        input,
        target,
      });
    }
    return pairs;
  }
  return frozenPairs({
    tasks: options.tasks,
    seed,
    source: { folder: options.data, limit: options.images },
    maxSide: options.size,
  });
}

/** Mean of a list (NaN for an empty one). */
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * The mean PSNR over the images that differ from their clean image, and how many are identical
 * (PSNR +Infinity). +Infinity when every image is identical.
 *
 * @example
 * finitePsnrMean([30, Infinity, 32]) // { mean: 31, identical: 1 }
 */
export function finitePsnrMean(values: readonly number[]): { mean: number; identical: number } {
  const finite = values.filter((v) => v !== Number.POSITIVE_INFINITY);
  const identical = values.length - finite.length;
  return { mean: finite.length === 0 && identical > 0 ? Number.POSITIVE_INFINITY : mean(finite), identical };
}

/**
 * Restores each pair's input with `restore` and scores it. Returns one score per task, in the
 * order of `tasks`, and their unweighted mean.
 */
export async function scorePairs(
  pairs: readonly FrozenPair[],
  tasks: readonly string[],
  restore: (input: RgbImage, task: string) => Promise<RgbImage>,
  metric: MetricOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<{ tasks: TaskScore[]; mean: { psnr: number; ssim: number } }> {
  const byTask = new Map<string, { psnr: number[]; ssim: number[]; inPsnr: number[]; inSsim: number[] }>();
  // SSIM's window must fit the cropped image: say which image does not, before any restoring.
  const window = (metric.convention ?? "basicsr") === "basicsr" ? 11 : 7;
  const crop = metric.cropBorder ?? 0;
  for (const pair of pairs) {
    const { width, height } = pair.target;
    if (width - 2 * crop < window || height - 2 * crop < window) {
      throw new DatasetError(
        pair.sample.image,
        `${pair.sample.image} (${pair.sample.name}) is ${width}x${height}: SSIM (${metric.convention ?? "basicsr"}) needs at least ${window}x${window} pixels after cropping ${crop} on each side; use larger images${crop > 0 ? " or a smaller --crop" : ""}`,
      );
    }
  }
  let done = 0;
  for (const pair of pairs) {
    const restored = await restore(pair.input, pair.sample.task);
    const entry = byTask.get(pair.sample.task) ?? { psnr: [], ssim: [], inPsnr: [], inSsim: [] };
    entry.psnr.push(psnr(restored, pair.target, metric));
    entry.ssim.push(ssim(restored, pair.target, metric));
    entry.inPsnr.push(psnr(pair.input, pair.target, metric));
    entry.inSsim.push(ssim(pair.input, pair.target, metric));
    byTask.set(pair.sample.task, entry);
    onProgress?.(++done, pairs.length);
  }
  const scores: TaskScore[] = tasks
    .filter((task) => byTask.has(task))
    .map((task) => {
      const e = byTask.get(task) as { psnr: number[]; ssim: number[]; inPsnr: number[]; inSsim: number[] };
      const output = finitePsnrMean(e.psnr);
      const input = finitePsnrMean(e.inPsnr);
      return {
        task,
        count: e.psnr.length,
        psnr: output.mean,
        ssim: mean(e.ssim),
        inputPsnr: input.mean,
        inputSsim: mean(e.inSsim),
        identical: output.identical,
        inputIdentical: input.identical,
      };
    });
  return {
    tasks: scores,
    mean: { psnr: finitePsnrMean(scores.map((s) => s.psnr)).mean, ssim: mean(scores.map((s) => s.ssim)) },
  };
}

/** A markdown table of scores (what `eval` prints). */
export function scoresMarkdown(scores: readonly TaskScore[], overall: { psnr: number; ssim: number }): string {
  const f = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
  // A PSNR left out of a mean because images equal their clean image says how many, beside it.
  const p = (v: number, identical: number | undefined) =>
    identical !== undefined && identical > 0 && Number.isFinite(v) ? `${f(v, 2)} (+${identical} identical)` : f(v, 2);
  const lines = [
    "| task | images | input PSNR | input SSIM | PSNR | SSIM | vs input |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const gain = (s: TaskScore) =>
    Number.isFinite(s.psnr - s.inputPsnr)
      ? `${s.psnr - s.inputPsnr >= 0 ? "+" : "−"}${Math.abs(s.psnr - s.inputPsnr).toFixed(2)} dB${s.psnr < s.inputPsnr ? " (below input)" : ""}`
      : "–";
  for (const s of scores)
    lines.push(
      `| ${s.task} | ${s.count} | ${p(s.inputPsnr, s.inputIdentical)} | ${f(s.inputSsim, 4)} | ${p(s.psnr, s.identical)} | ${f(s.ssim, 4)} | ${gain(s)} |`,
    );
  const finiteInputs = scores.map((s) => s.inputPsnr).filter(Number.isFinite);
  const inP = mean(finiteInputs);
  const inS = mean(scores.map((s) => s.inputSsim));
  const skipped = scores.length - finiteInputs.length;
  const inCell =
    skipped > 0 ? `${f(inP, 2)} (${skipped} task${skipped === 1 ? "" : "s"} all identical, left out)` : f(inP, 2);
  lines.push(
    `| **mean** | ${scores.reduce((a, s) => a + s.count, 0)} | ${inCell} | ${f(inS, 4)} | **${f(overall.psnr, 2)}** | **${f(overall.ssim, 4)}** | |`,
  );
  return lines.join("\n") + "\n";
}
