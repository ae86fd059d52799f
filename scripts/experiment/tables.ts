/**
 * `npm run experiment -- --tables`: every table of docs/results.md that committed per-run files
 * can carry, rebuilt from them alone (docs/data/<round>/<setting>/<method>/seed<k>/: config,
 * eval, val-eval, done and, for the third round, per-image scores). Each table sits in
 * docs/results.md between `<!-- tables:<id>:start -->` and `<!-- tables:<id>:end -->`; the
 * command rewrites those regions (or, with `--check`, fails when one differs), and
 * test/restoration/tables.test.ts checks that the page shows exactly what this rebuilds.
 *
 * Not rebuilt: the first and second rounds' tables (their per-run files were not kept; only the
 * gradient-aware section's were) and anything that needs the per-step logs (weights, Art's
 * signals, loss figures), which are 235 KB a run and stay in runs/.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { holmAdjust } from "../../src/restoration/experiment/stats.js";
import { lineChart, PALETTE } from "../../src/restoration/report/svg.js";
import type { EvalResult } from "../../src/restoration/train/records.js";
import { readEvalHistory } from "../../src/restoration/train/run-dir.js";
import { EXPERIMENT_METHODS } from "./methods.js";
import {
  compare,
  perImageScores,
  preregisteredSection,
  scoreThirdRound,
  type PerImageScores,
} from "./preregistered.js";
import { pairedRows, pairedTable, psnrTables, scoreTable, type ExperimentRun } from "./summary.js";

/** One rebuilt region of docs/results.md. */
export interface RebuiltTable {
  readonly id: string;
  readonly markdown: string;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;

const seedDirs = (methodDir: string): { seed: number; dir: string }[] =>
  existsSync(methodDir)
    ? readdirSync(methodDir)
        .filter((name) => /^seed\d+$/.test(name))
        .map((name) => ({ seed: Number(name.slice(4)), dir: join(methodDir, name) }))
        .filter(({ dir }) => existsSync(join(dir, "done.json")))
        .sort((a, b) => a.seed - b.seed)
    : [];

/** The finished runs committed under `blockDir` (`<method>/seed<k>/`), in the methods' table order; no logs. */
export const readCommittedRuns = (blockDir: string): ExperimentRun[] =>
  EXPERIMENT_METHODS.flatMap((method) =>
    seedDirs(join(blockDir, method.label)).map(({ seed, dir }) => ({
      method: method.label,
      seed,
      test: readJson<EvalResult>(join(dir, "eval.json")),
      validation: readJson<EvalResult>(join(dir, "val-eval.json")),
      log: [],
      seconds: readJson<{ seconds: number }>(join(dir, "done.json")).seconds,
    })),
  );

/** The tasks of a block, from its first run's test evaluation (in the config's order). */
const tasksOf = (runs: readonly ExperimentRun[]): string[] => runs[0]?.test.tasks.map((t) => t.task) ?? [];

/** Per-image scores of the runs of `labels` under `blockDir` (all committed: no checkpoint needed). */
const committedScores = async (
  blockDir: string,
  labels: readonly string[],
): Promise<Map<string, Map<number, PerImageScores>>> => {
  const scored = new Map<string, Map<number, PerImageScores>>();
  for (const label of labels) {
    const bySeed = new Map<number, PerImageScores>();
    for (const { seed, dir } of seedDirs(join(blockDir, label))) {
      if (!existsSync(join(dir, "per-image.json"))) throw new Error(`${dir}: per-image.json is not committed`);
      bySeed.set(seed, await perImageScores(dir, { validation: "(unused)", test: "(unused)" }));
    }
    scored.set(label, bySeed);
  }
  return scored;
};

const order = EXPERIMENT_METHODS.map((m) => m.label);

const signed = (v: number, digits = 3) => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(digits)}`;
const interval = ([lo, hi]: readonly [number, number]) => `[${signed(lo, 2)}, ${signed(hi, 2)}]`;
const pText = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));

/** The gradient-aware section (second round's protocol): PSNR per task and the paired differences. */
const round2Gradient = (blockDir: string): RebuiltTable => {
  const runs = readCommittedRuns(blockDir);
  const tasks = tasksOf(runs);
  return {
    id: "round2-gradient-B",
    markdown: psnrTables(runs, tasks, order),
  };
};

/** Setting iv: Art − mixed with the third round's analysis, and the per-task scores. */
const round3SettingIv = async (blockDir: string): Promise<RebuiltTable> => {
  const runs = readCommittedRuns(blockDir);
  const tasks = tasksOf(runs);
  const scored = await committedScores(blockDir, ["mixed", "art"]);
  const rows = (["validation", "test"] as const).map((set) => ({
    set,
    row: compare(scored, "art", "mixed", set, "primary"),
  }));
  return {
    id: "round3-iv",
    markdown: [
      "**Art − mixed, mean PSNR over the 5 tasks, paired over seeds** (validation: the 8 held-out CBSD68 images; test: Set14 + Set5 without the duplicate, 18 images)",
      "",
      "| set | seeds | Δ mean PSNR (dB) | 95% t interval | p | MDE at 80% power | image bootstrap 95% | seeds favouring Art |",
      "| --- | ---: | ---: | --- | ---: | ---: | --- | ---: |",
      ...rows.map(
        ({ set, row }) =>
          `| ${set} | ${row.seeds} | ${signed(row.meanDifference)} | ${interval(row.ci95)} | ${pText(row.p)} | ${row.mde.toFixed(2)} | ${interval(row.bootstrap95)} | ${row.wins}/${row.seeds} |`,
      ),
      "",
      "**Validation PSNR (dB), mean ± std over seeds**",
      "",
      scoreTable(runs, tasks, order, "validation"),
      "",
      "**Test PSNR (dB), mean ± std over seeds** (each run's eval.json: all 19 test images, the duplicate photo included)",
      "",
      scoreTable(runs, tasks, order),
      "",
      "**Paired difference to mixed training (validation), by seed**",
      "",
      pairedTable(pairedRows(runs, tasks, order, "mixed", "validation"), tasks, "mixed"),
    ].join("\n"),
  };
};

/** One ablation value of a sweep. */
interface SweepArm {
  readonly label: string;
  /** The value as the paper's table writes it. */
  readonly value: string;
}

/**
 * A sweep in setting B: each arm − mixed on validation and test over the paired seeds, the MDE, and
 * the arm chosen on validation (highest validation mean), whose test result is the sweep's answer.
 */
const sweep = async (
  id: string,
  blockDir: string,
  parameter: string,
  arms: readonly SweepArm[],
): Promise<RebuiltTable> => {
  const scored = await committedScores(blockDir, ["mixed", ...arms.map((a) => a.label)]);
  // Only the seeds every arm finished, so that each row compares the same models of mixed training.
  const common = [...(scored.get("mixed")?.keys() ?? [])].filter((seed) =>
    arms.every((a) => scored.get(a.label)?.has(seed) === true),
  );
  const restricted = new Map(
    [...scored].map(([label, bySeed]) => [label, new Map([...bySeed].filter(([seed]) => common.includes(seed)))]),
  );
  const rows = arms.map((arm) => ({
    arm,
    validation: compare(restricted, arm.label, "mixed", "validation", "secondary"),
    test: compare(restricted, arm.label, "mixed", "test", "secondary"),
  }));
  const best = rows.reduce((a, b) => (b.validation.meanDifference > a.validation.meanDifference ? b : a));
  return {
    id,
    markdown: [
      `| ${parameter} | method | seeds | validation Δ vs mixed (dB) | 95% t interval | MDE | test Δ vs mixed (dB) | 95% t interval | seeds favouring (val / test) |`,
      "| --- | --- | ---: | ---: | --- | ---: | ---: | --- | ---: |",
      ...rows.map(
        ({ arm, validation, test }) =>
          `| ${arm === best.arm ? `**${arm.value}**` : arm.value} | \`${arm.label}\` | ${validation.seeds} | ${signed(validation.meanDifference)} | ${interval(validation.ci95)} | ${validation.mde.toFixed(2)} | ${signed(test.meanDifference)} | ${interval(test.ci95)} | ${validation.wins}/${validation.seeds} / ${test.wins}/${test.seeds} |`,
      ),
      "",
      `Chosen on validation: **${parameter} = ${best.arm.value}** (\`${best.arm.label}\`), validation ${signed(best.validation.meanDifference)} dB, test ${signed(best.test.meanDifference)} dB ${interval(best.test.ci95)} against mixed training (seeds ${common.join(", ")}; mixed training's runs are the primary comparison's).`,
    ].join("\n"),
  };
};

/**
 * Relative-log − mixed (added after the pre-registered family's results were known): its own p,
 * and Holm over the three secondaries (SI, PCGrad, relative-log) beside it, on validation and test.
 */
const relativeLog = async (blockDir: string): Promise<RebuiltTable> => {
  const scored = await committedScores(blockDir, ["mixed", "si", "pcgrad", "art-rellog"]);
  const lines = (["validation", "test"] as const).map((set) => {
    const rows = (["si", "pcgrad", "art-rellog"] as const).map((label) =>
      compare(scored, label, "mixed", set, "secondary"),
    );
    const holm = holmAdjust(rows.map((r) => r.p));
    const r = rows[2]!;
    return `| ${set} | ${r.seeds} | ${signed(r.meanDifference)} | ${interval(r.ci95)} | ${pText(r.p)} | ${pText(holm[2]!)} | ${r.mde.toFixed(2)} | ${interval(r.bootstrap95)} | ${r.wins}/${r.seeds} |`;
  });
  return {
    id: "round3-B-rellog",
    markdown: [
      "| art-rellog − mixed | seeds | Δ mean PSNR (dB) | 95% t interval | p | p (Holm over SI, PCGrad, relative-log) | MDE at 80% power | image bootstrap 95% | seeds favouring |",
      "| --- | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: |",
      ...lines,
    ].join("\n"),
  };
};

/** The learning-curve runs of a block (`<method>/seed0/eval-history.jsonl`, validation): the curve of each method. */
const curves = (blockDir: string, labels: readonly string[]) =>
  labels
    .map((label) => ({ label, history: readEvalHistory(join(blockDir, label, "seed0", "eval-history.jsonl")) }))
    .filter((c) => c.history.length > 0);

/** The plateau runs: validation mean PSNR every evaluation, each method and Art − mixed, and the test score at the end. */
const plateauTable = (blockDir: string): RebuiltTable => {
  const [mixed, art] = curves(blockDir, ["mixed", "art"]);
  if (mixed === undefined || art === undefined)
    throw new Error(`${blockDir}: the mixed and art curves are not both committed`);
  const at = (c: typeof mixed, step: number) => c.history.find((r) => r.step === step)?.mean.psnr ?? Number.NaN;
  const test = (label: string) => readJson<EvalResult>(join(blockDir, label, "seed0", "eval.json")).mean.psnr;
  const steps = mixed.history.map((r) => r.step);
  const artSteps = art.history.map((r) => r.step);
  const last = steps.at(-1)!;
  if (steps.join() !== artSteps.join())
    throw new Error(
      `${blockDir}: the curves were evaluated at different steps (mixed ${steps.join()}, art ${artSteps.join()})`,
    );
  return {
    id: "round3-B-plateau",
    markdown: [
      "| step | mixed: validation PSNR (dB) | Art | Art − mixed | mixed: gain since the previous row | Art: gain |",
      "| ---: | ---: | ---: | ---: | ---: | ---: |",
      ...steps.map((step, i) => {
        const previous = steps[i - 1];
        const gain = (c: typeof mixed) => (previous === undefined ? "–" : signed(at(c, step) - at(c, previous), 2));
        return `| ${step} | ${at(mixed, step).toFixed(2)} | ${at(art, step).toFixed(2)} | ${signed(at(art, step) - at(mixed, step), 2)} | ${gain(mixed)} | ${gain(art)} |`;
      }),
      `| test, step ${steps.at(-1)} | ${test("mixed").toFixed(2)} | ${test("art").toFixed(2)} | ${signed(test("art") - test("mixed"), 2)} | | |`,
      "",
      `Validation gain of the last 1,000 steps (step ${last - 1000} to ${last}): mixed ${signed(at(mixed, last) - at(mixed, last - 1000), 2)} dB, Art ${signed(at(art, last) - at(art, last - 1000), 2)} dB.`,
    ].join("\n"),
  };
};

/** The figures `--tables` writes beside the tables (docs/img/), rebuilt from the same files. */
export const rebuildFigures = (dataRoot: string): { readonly name: string; readonly svg: string }[] => {
  const blockDir = join(dataRoot, "round3", "B-s6000");
  const runs = curves(blockDir, ["mixed", "art"]);
  if (runs.length === 0) return [];
  const tasks = runs[0]!.history[0]!.tasks.map((t) => t.task);
  const panels = ["mean", ...tasks].map((task) =>
    lineChart(
      runs.map((run, i) => ({
        label: run.label,
        color: PALETTE[i % PALETTE.length]!,
        dashed: i > 0,
        x: run.history.map((r) => r.step),
        y: run.history.map((r) => (task === "mean" ? r.mean.psnr : r.tasks.find((t) => t.task === task)!.psnr)),
      })),
      {
        title: task === "mean" ? "validation PSNR, mean of the 5 tasks" : `validation PSNR, ${task}`,
        xLabel: "step",
        yLabel: "dB",
        width: 360,
        height: 240,
      },
    ),
  );
  const grid = `<svg xmlns="http://www.w3.org/2000/svg" width="${3 * 360}" height="${Math.ceil(panels.length / 3) * 240}">${panels
    .map(
      (svg, i) =>
        `<g transform="translate(${(i % 3) * 360},${Math.floor(i / 3) * 240})">${svg.replace(/^<svg[^>]*>/, "").replace(/<\/svg>\s*$/, "")}</g>`,
    )
    .join("")}</svg>\n`;
  return [{ name: "results-round3-B-plateau.svg", svg: grid }];
};

/** The third round's ablations in setting B: the paper's Table 5 (τ) and Table 4 (β, s̃ alone). */
const SWEEPS: readonly { id: string; parameter: string; arms: readonly SweepArm[] }[] = [
  {
    id: "round3-B-tau",
    parameter: "τ",
    arms: [
      { label: "art-tau0.1", value: "0.1" },
      { label: "art-tau1", value: "1" },
      { label: "art", value: "3 (preset)" },
      { label: "art-tau7", value: "7" },
      { label: "art-tau10", value: "10" },
    ],
  },
  {
    id: "round3-B-ema",
    parameter: "β",
    arms: [
      { label: "s-raw", value: '0 ("no EMA": L / previous L, rate 1 in the spec\'s form)' },
      { label: "s-ema-r0.001", value: "0.001" },
      { label: "s-ema", value: "0.01 (preset)" },
      { label: "s-ema-r0.1", value: "0.1" },
    ],
  },
];

/** Every rebuildable table, from the committed files under `dataRoot` (docs/data). */
export const rebuildTables = async (dataRoot: string): Promise<RebuiltTable[]> => {
  const tables: RebuiltTable[] = [];
  const gradient = join(dataRoot, "round2-gradient", "B");
  if (existsSync(gradient)) tables.push(round2Gradient(gradient));
  const round3B = join(dataRoot, "round3", "B");
  if (existsSync(round3B)) {
    const scored = await scoreThirdRound(round3B, { validation: "(unused)", test: "(unused)" });
    tables.push({ id: "round3-B-preregistered", markdown: preregisteredSection(scored).trimEnd() });
    for (const { id, parameter, arms } of SWEEPS)
      if (arms.every((arm) => existsSync(join(round3B, arm.label))))
        tables.push(await sweep(id, round3B, parameter, arms));
    if (existsSync(join(round3B, "art-rellog"))) tables.push(await relativeLog(round3B));
  }
  const iv = join(dataRoot, "round3", "iv");
  if (existsSync(iv)) tables.push(await round3SettingIv(iv));
  const plateau = join(dataRoot, "round3", "B-s6000");
  if (existsSync(plateau)) tables.push(plateauTable(plateau));
  return tables;
};

const marker = (id: string, end: "start" | "end") => `<!-- tables:${id}:${end} -->`;

/** The region of `page` between a table's markers (without the marker lines' newlines), or undefined. */
export const tableRegion = (page: string, id: string): string | undefined => {
  const start = page.indexOf(marker(id, "start"));
  const end = page.indexOf(marker(id, "end"));
  if (start < 0 || end < start) return undefined;
  return page.slice(start + marker(id, "start").length, end).replace(/^\n+|\n+$/g, "");
};

/** `page` with each table's region replaced by its rebuilt markdown; throws on a table without markers. */
export const writeTables = (page: string, tables: readonly RebuiltTable[]): string =>
  tables.reduce((text, table) => {
    const start = text.indexOf(marker(table.id, "start"));
    const end = text.indexOf(marker(table.id, "end"));
    if (start < 0 || end < start)
      throw new Error(`docs/results.md has no ${marker(table.id, "start")} ... ${marker(table.id, "end")} region`);
    return `${text.slice(0, start + marker(table.id, "start").length)}\n\n${table.markdown}\n\n${text.slice(end)}`;
  }, page);
