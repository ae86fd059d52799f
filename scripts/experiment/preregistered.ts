/**
 * The third round's pre-registered analysis (docs/results.md, "Third round"): per-image scores
 * of finished runs, and the primary and secondary comparisons with their p values, Holm's
 * adjustment, the minimum detectable difference and image-level bootstrap intervals.
 *
 * Per-image scores are what an image-level bootstrap needs and `eval.json` does not keep: each
 * run's checkpoint is scored again image by image (`per-image.json` beside `val-eval.json`), with
 * the kit's own `evaluateSession` on one pair at a time; the per-task means of those scores must
 * equal the run's `val-eval.json` and `eval.json` (checked, to the last bit).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import type { TaskName } from "../../src/restoration/degradations/degradations.js";
import {
  bootstrapInterval,
  holmAdjust,
  mean,
  minimumDetectableDifference,
  pairedDifference,
  pairedPValue,
} from "../../src/restoration/experiment/stats.js";
import { evaluateSession, loadEvalPairs, loadTrainedSession } from "../../src/restoration/train/index.js";
import type { EvalResult } from "../../src/restoration/train/records.js";

/** One image of one task, scored. */
export interface ImageScore {
  readonly task: string;
  /** The clean image's file name in the frozen set, e.g. `108070.png`. */
  readonly image: string;
  readonly psnr: number;
  readonly inputPsnr: number;
}

/** A run's per-image scores on the validation and test sets. */
export interface PerImageScores {
  readonly validation: readonly ImageScore[];
  readonly test: readonly ImageScore[];
}

/**
 * Test images left out of the third round's test numbers: Set5 `head_GT.png` is Set14
 * `face.png` (their centre crops are pixel-identical), so it is counted once.
 */
export const DUPLICATE_TEST_IMAGES: readonly string[] = ["Set5-head_GT.png"];

const scoreSet = async (
  session: Awaited<ReturnType<typeof loadTrainedSession>>,
  set: string,
  tasks: readonly string[],
  checkpoint: string,
  reference: EvalResult,
): Promise<ImageScore[]> => {
  const pairs = await loadEvalPairs({ data: set, tasks: tasks as readonly TaskName[], images: 1, size: 1 });
  const scores: ImageScore[] = [];
  for (const pair of pairs) {
    const result = await evaluateSession(session, {
      data: set,
      images: 1,
      size: 1,
      convention: reference.convention,
      cropBorder: reference.cropBorder,
      yChannel: reference.yChannel,
      checkpoint,
      step: session.step,
      pairs: [pair],
      tasks: [pair.sample.task],
    });
    const score = result.tasks[0]!;
    scores.push({ task: pair.sample.task, image: pair.sample.image, psnr: score.psnr, inputPsnr: score.inputPsnr });
  }
  // The per-image scores must reproduce the run's own evaluation, task by task, bit for bit.
  for (const task of reference.tasks) {
    const own = scores.filter((s) => s.task === task.task).map((s) => s.psnr);
    const recomputed = own.reduce((a, b) => a + b, 0) / own.length;
    if (recomputed !== task.psnr)
      throw new Error(
        `${checkpoint}: per-image ${task.task} mean ${recomputed} differs from the run's ${task.psnr} (${set})`,
      );
  }
  return scores;
};

/** Scores a finished run image by image (once: the result is kept in `per-image.json`). */
export const perImageScores = async (
  runDir: string,
  sets: { readonly validation: string; readonly test: string },
): Promise<PerImageScores> => {
  const file = join(runDir, "per-image.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as PerImageScores;
  const checkpoint = join(runDir, "checkpoint");
  const session = await loadTrainedSession(checkpoint, "wasm");
  const tasks = session.config.tasks;
  const validationRef = JSON.parse(readFileSync(join(runDir, "val-eval.json"), "utf8")) as EvalResult;
  const testRef = JSON.parse(readFileSync(join(runDir, "eval.json"), "utf8")) as EvalResult;
  const scores: PerImageScores = {
    validation: await scoreSet(session, sets.validation, tasks, checkpoint, validationRef),
    test: await scoreSet(session, sets.test, tasks, checkpoint, testRef),
  };
  writeFileSync(file, JSON.stringify(scores, null, 1));
  return scores;
};

/** The endpoint of a run over a set of images: the mean over tasks of the per-task mean PSNR, each image counted `weight(image)` times. */
const endpoint = (scores: readonly ImageScore[], weight: (image: string) => number): number => {
  const tasks = [...new Set(scores.map((s) => s.task))];
  return mean(
    tasks.map((task) => {
      let sum = 0;
      let count = 0;
      for (const s of scores) {
        if (s.task !== task) continue;
        const w = weight(s.image);
        sum += w * s.psnr;
        count += w;
      }
      return sum / count;
    }),
  );
};

/** One comparison's result (treatment − control over paired seeds). */
export interface ComparisonRow {
  readonly treatment: string;
  readonly control: string;
  readonly role: "primary" | "secondary";
  readonly seeds: number;
  readonly meanDifference: number;
  readonly ci95: readonly [number, number];
  readonly p: number;
  /** Holm-adjusted over the secondaries (the primary's own p for the primary). */
  readonly pAdjusted: number;
  readonly mde: number;
  readonly bootstrap95: readonly [number, number];
  readonly wins: number;
}

/**
 * The paired comparison of two methods on one set ("validation", or "test" without the
 * duplicate image): seeds where both finished, Δ of the endpoint per seed, the t interval, p,
 * the minimum detectable difference at 80% power (from the observed σ_d) and an image-level
 * bootstrap interval (images resampled with replacement, the same draw for every seed and arm).
 */
export const compare = (
  runs: ReadonlyMap<string, ReadonlyMap<number, PerImageScores>>,
  treatment: string,
  control: string,
  set: "validation" | "test",
  role: "primary" | "secondary",
): Omit<ComparisonRow, "pAdjusted"> => {
  const a = runs.get(treatment) ?? new Map();
  const b = runs.get(control) ?? new Map();
  const seeds = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
  const scoresOf = (m: ReadonlyMap<number, PerImageScores>, seed: number) =>
    m.get(seed)![set].filter((s) => !(set === "test" && DUPLICATE_TEST_IMAGES.includes(s.image)));
  const images = [...new Set(seeds.length === 0 ? [] : scoresOf(a, seeds[0]!).map((s) => s.image))].sort();
  const all = () => 1;
  const d = pairedDifference(
    seeds.map((s) => endpoint(scoresOf(a, s), all)),
    seeds.map((s) => endpoint(scoresOf(b, s), all)),
  );
  const bootstrap95 = bootstrapInterval(
    images.length,
    (counts) => {
      const weight = (image: string) => counts[images.indexOf(image)]!;
      // A resample that drew no image of some task's set is impossible here: every image carries every task.
      return mean(seeds.map((s) => endpoint(scoresOf(a, s), weight) - endpoint(scoresOf(b, s), weight)));
    },
    { seed: 2026, draws: 10_000 },
  );
  return {
    treatment,
    control,
    role,
    seeds: seeds.length,
    meanDifference: d.meanDifference,
    ci95: d.ci95,
    p: pairedPValue(d),
    mde: minimumDetectableDifference(d.std, d.n),
    bootstrap95,
    wins: d.wins,
  };
};

/** The primary comparison and the Holm-adjusted secondaries on one set. */
export const preregisteredRows = (
  runs: ReadonlyMap<string, ReadonlyMap<number, PerImageScores>>,
  plan: { readonly primary: readonly [string, string]; readonly secondary: ReadonlyArray<readonly [string, string]> },
  set: "validation" | "test",
): ComparisonRow[] => {
  const primary = compare(runs, plan.primary[0], plan.primary[1], set, "primary");
  const secondary = plan.secondary.map(([t, c]) => compare(runs, t, c, set, "secondary"));
  const adjusted = holmAdjust(secondary.map((r) => r.p));
  return [{ ...primary, pAdjusted: primary.p }, ...secondary.map((r, i) => ({ ...r, pAdjusted: adjusted[i]! }))];
};

const signed = (v: number, digits = 2) => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(digits)}`;
const interval = ([lo, hi]: readonly [number, number]) => `[${signed(lo)}, ${signed(hi)}]`;
const pText = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));

/** The markdown table of `preregisteredRows`. */
export const preregisteredTable = (rows: readonly ComparisonRow[]): string =>
  [
    "| comparison | role | seeds | Δ mean PSNR (dB) | 95% t interval | p | p (Holm) | MDE at 80% power | image bootstrap 95% | seeds favouring |",
    "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.treatment} − ${r.control} | ${r.role} | ${r.seeds} | ${signed(r.meanDifference, 3)} | ${interval(r.ci95)} | ${pText(r.p)} | ${r.role === "primary" ? "–" : pText(r.pAdjusted)} | ${r.mde.toFixed(2)} | ${interval(r.bootstrap95)} | ${r.wins}/${r.seeds} |`,
    ),
  ].join("\n");

/** The plan written in docs/results.md before the third round ran; nothing here may change it. */
export const THIRD_ROUND_PLAN = {
  primary: ["art", "mixed"],
  secondary: [
    ["si", "mixed"],
    ["pcgrad", "mixed"],
  ],
} as const;

/**
 * The per-image scores of every finished run of the plan's methods under `blockDir`
 * (`<method>/seed<k>/`), scoring the runs that have none yet (which needs their checkpoints and
 * the frozen `sets`); runs whose `per-image.json` is committed need neither.
 */
export const scoreThirdRound = async (
  blockDir: string,
  sets: { readonly validation: string; readonly test: string },
  log: (line: string) => void = () => undefined,
): Promise<Map<string, Map<number, PerImageScores>>> => {
  const scored = new Map<string, Map<number, PerImageScores>>();
  for (const label of new Set([THIRD_ROUND_PLAN.primary, ...THIRD_ROUND_PLAN.secondary].flat())) {
    const bySeed = new Map<number, PerImageScores>();
    for (let seed = 0; seed < 64; seed++) {
      const dir = join(blockDir, label, `seed${seed}`);
      if (!existsSync(join(dir, "done.json"))) continue;
      if (!existsSync(join(dir, "per-image.json"))) log(`scoring ${label} seed ${seed} image by image`);
      bySeed.set(seed, await perImageScores(dir, sets));
    }
    scored.set(label, bySeed);
  }
  return scored;
};

/** The third round's tables as docs/results.md shows them. */
export const preregisteredSection = (scored: ReadonlyMap<string, ReadonlyMap<number, PerImageScores>>): string =>
  [
    "**Validation (the pre-registered endpoint): mean PSNR over the 5 tasks, paired over seeds**",
    "",
    preregisteredTable(preregisteredRows(scored, THIRD_ROUND_PLAN, "validation")),
    "",
    "**Test (descriptive only; Set14 + Set5 without the duplicate image, 18 images)**",
    "",
    preregisteredTable(preregisteredRows(scored, THIRD_ROUND_PLAN, "test")),
    "",
  ].join("\n");
