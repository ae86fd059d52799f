import { mean, pairedDifference, sampleStd } from "../../src/restoration/experiment/stats.js";
import { lineChart, PALETTE, smooth, type Series } from "../../src/restoration/report/svg.js";
import type { EvalResult, StepRecord } from "../../src/restoration/train/records.js";

/**
 * Turns the runs of a replication into what docs/results.md shows: per-task PSNR/SSIM
 * (mean ± std over seeds), the paired difference of every method to mixed training with its
 * 95% interval, and the figures (per-task training loss, mixed vs Art; Art's weights).
 */

/** One finished run: a method, a seed, its test (and optional validation) scores, its log. */
export interface ExperimentRun {
  readonly method: string;
  readonly seed: number;
  readonly test: EvalResult;
  readonly validation?: EvalResult;
  readonly log: readonly StepRecord[];
  readonly seconds?: number;
}

const fmt = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");
const pm = (values: readonly number[], digits = 2): string =>
  values.length > 1 ? `${fmt(mean(values), digits)} ± ${fmt(sampleStd(values), digits)}` : fmt(mean(values), digits);

/** Runs grouped by method (in the given method order), each sorted by seed. */
export const groupByMethod = (
  runs: readonly ExperimentRun[],
  methodOrder: readonly string[],
): Map<string, ExperimentRun[]> => {
  const groups = new Map<string, ExperimentRun[]>();
  for (const method of methodOrder) {
    const mine = runs.filter((r) => r.method === method).sort((a, b) => a.seed - b.seed);
    if (mine.length > 0) groups.set(method, mine);
  }
  return groups;
};

const scoreOf = (
  run: ExperimentRun,
  task: string | "mean",
  metric: "psnr" | "ssim",
  split: "test" | "validation",
): number => {
  const result = split === "test" ? run.test : run.validation;
  if (result === undefined) return Number.NaN;
  if (task === "mean") return result.mean[metric];
  return result.tasks.find((t) => t.task === task)?.[metric] ?? Number.NaN;
};

/** The markdown table of per-task PSNR (mean ± std over seeds) and the average PSNR/SSIM. */
export const scoreTable = (
  runs: readonly ExperimentRun[],
  tasks: readonly string[],
  methodOrder: readonly string[],
  split: "test" | "validation" = "test",
): string => {
  const groups = groupByMethod(runs, methodOrder);
  const header = `| method | seeds | ${tasks.join(" | ")} | avg PSNR | avg SSIM |`;
  const rule = `|---|---|${tasks.map(() => "---").join("|")}|---|---|`;
  const inputRow = (() => {
    const any = runs[0]?.[split === "test" ? "test" : "validation"];
    if (any === undefined) return [];
    const cells = tasks.map((task) => fmt(any.tasks.find((t) => t.task === task)?.inputPsnr ?? Number.NaN));
    const avg = mean(any.tasks.map((t) => t.inputPsnr));
    const avgSsim = mean(any.tasks.map((t) => t.inputSsim));
    return [`| *degraded input* | – | ${cells.join(" | ")} | ${fmt(avg)} | ${fmt(avgSsim, 4)} |`];
  })();
  const rows = [...groups].map(([method, group]) => {
    const cells = tasks.map((task) => pm(group.map((r) => scoreOf(r, task, "psnr", split))));
    return `| ${method} | ${group.length} | ${cells.join(" | ")} | ${pm(group.map((r) => scoreOf(r, "mean", "psnr", split)))} | ${pm(
      group.map((r) => scoreOf(r, "mean", "ssim", split)),
      4,
    )} |`;
  });
  return [header, rule, ...inputRow, ...rows].join("\n");
};

/** One method's paired comparison with the baseline, on the average PSNR and SSIM. */
export interface PairedRow {
  readonly method: string;
  readonly n: number;
  readonly psnr: ReturnType<typeof pairedDifference>;
  readonly ssim: ReturnType<typeof pairedDifference>;
  /** Per-task mean PSNR difference. */
  readonly perTask: readonly number[];
}

/** Paired differences of every method to `baseline`, matched by seed. */
export const pairedRows = (
  runs: readonly ExperimentRun[],
  tasks: readonly string[],
  methodOrder: readonly string[],
  baseline: string,
  split: "test" | "validation" = "test",
): PairedRow[] => {
  const groups = groupByMethod(runs, methodOrder);
  const base = groups.get(baseline);
  if (base === undefined) return [];
  const rows: PairedRow[] = [];
  for (const [method, group] of groups) {
    if (method === baseline) continue;
    const pairs = group.flatMap((run) => {
      const match = base.find((b) => b.seed === run.seed);
      return match === undefined ? [] : [[run, match] as const];
    });
    if (pairs.length === 0) continue;
    const diff = (task: string | "mean", metric: "psnr" | "ssim") =>
      pairedDifference(
        pairs.map(([r]) => scoreOf(r, task, metric, split)),
        pairs.map(([, b]) => scoreOf(b, task, metric, split)),
      );
    rows.push({
      method,
      n: pairs.length,
      psnr: diff("mean", "psnr"),
      ssim: diff("mean", "ssim"),
      perTask: tasks.map((task) => diff(task, "psnr").meanDifference),
    });
  }
  return rows;
};

/** The markdown table of paired differences (Δ avg PSNR with its 95% interval, wins, Δ per task). */
export const pairedTable = (rows: readonly PairedRow[], tasks: readonly string[], baseline: string): string => {
  const header = `| method − ${baseline} | pairs | Δ avg PSNR (dB) | 95% CI | wins | Δ avg SSIM | ${tasks.map((t) => `Δ ${t}`).join(" | ")} |`;
  const rule = `|---|---|---|---|---|---|${tasks.map(() => "---").join("|")}|`;
  const lines = rows.map(
    (row) =>
      `| ${row.method} | ${row.n} | ${row.psnr.meanDifference >= 0 ? "+" : ""}${fmt(row.psnr.meanDifference, 3)} | [${fmt(row.psnr.ci95[0], 3)}, ${fmt(row.psnr.ci95[1], 3)}] | ${row.psnr.wins}/${row.n} | ${row.ssim.meanDifference >= 0 ? "+" : ""}${fmt(row.ssim.meanDifference, 4)} | ${row.perTask.map((d) => `${d >= 0 ? "+" : ""}${fmt(d, 2)}`).join(" | ")} |`,
  );
  return [header, rule, ...lines].join("\n");
};

/**
 * The PSNR part of a results section: test PSNR per task (mean ± std over seeds), then the paired
 * differences to mixed training on test and on validation, each under its heading.
 */
export const psnrTables = (runs: readonly ExperimentRun[], tasks: readonly string[], methodOrder: readonly string[]) =>
  [
    "**Test PSNR (dB), mean ± std over seeds**",
    "",
    scoreTable(runs, tasks, methodOrder),
    "",
    "**Paired difference to mixed training (test), by seed; 95% interval from Student's t**",
    "",
    pairedTable(pairedRows(runs, tasks, methodOrder, "mixed"), tasks, "mixed"),
    "",
    "**Validation split (CBSD68 held-out images): paired difference to mixed**",
    "",
    pairedTable(pairedRows(runs, tasks, methodOrder, "mixed", "validation"), tasks, "mixed"),
  ].join("\n");

/** Per-step series of one task's loss, averaged over the runs (absent steps skipped), then smoothed. */
const meanTaskLoss = (
  runs: readonly ExperimentRun[],
  task: number,
  smoothing: number,
): { x: number[]; y: number[] } => {
  const length = Math.min(...runs.map((r) => r.log.length));
  const x: number[] = [];
  const raw: (number | null)[] = [];
  for (let i = 0; i < length; i++) {
    const values = runs
      .map((r) => r.log[i]!.taskLosses[task])
      .filter((v): v is number => v !== null && v !== undefined);
    x.push(runs[0]!.log[i]!.step);
    raw.push(values.length === 0 ? null : mean(values));
  }
  return { x, y: smooth(raw, smoothing) };
};

/**
 * Small multiples: per task, the smoothed training loss of each method (mean over seeds), log y,
 * as in the paper's Fig. 2 c/d. One SVG string per task.
 */
export const lossFigures = (
  runs: readonly ExperimentRun[],
  tasks: readonly string[],
  methods: readonly string[],
  smoothing = 0.9,
): string[] => {
  const groups = groupByMethod(runs, methods);
  return tasks.map((task, k) => {
    const series: Series[] = [...groups].map(([method, group], i) => ({
      label: method,
      color: PALETTE[i % PALETTE.length]!,
      dashed: i > 0,
      ...meanTaskLoss(group, k, smoothing),
    }));
    return lineChart(series, {
      title: `${task}: training L1 (mean of seeds, smoothed)`,
      xLabel: "step",
      yLabel: "L1",
      logY: true,
      width: 360,
      height: 240,
    });
  });
};

/** Art's weights over time (seed-averaged, smoothed), one line per task. */
export const weightFigure = (
  runs: readonly ExperimentRun[],
  tasks: readonly string[],
  method: string,
  smoothing = 0.9,
): string => {
  const group = runs.filter((r) => r.method === method);
  const length = Math.min(...group.map((r) => r.log.length));
  const series: Series[] = tasks.map((task, k) => {
    const x: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < length; i++) {
      x.push(group[0]!.log[i]!.step);
      raw.push(mean(group.map((r) => r.log[i]!.weights[k] ?? 0)));
    }
    return { label: task, color: PALETTE[k % PALETTE.length]!, x, y: smooth(raw, smoothing) };
  });
  return lineChart(series, {
    title: `${method}: task weights (mean of seeds, smoothed)`,
    xLabel: "step",
    yLabel: "weight",
    width: 560,
    height: 280,
    yMin: 0,
  });
};

/**
 * How far a method's weights move from uniform: per task, the mean weight over training (× K,
 * so 1 = uniform), and the median and 95th percentile over steps of max w / min w among the
 * tasks present (a median: a few near-one-hot steps would swamp a mean).
 */
export const weightSpreadTable = (
  runs: readonly ExperimentRun[],
  tasks: readonly string[],
  methods: readonly string[],
): string => {
  // A gradient-aware method's coefficients are not on the simplex: with `withScale`, each step's
  // weights are divided by their sum over the present tasks (so ×K still reads "1 = uniform"),
  // and a column gives the median sum (1 for every loss weighting).
  const sums = (records: ExperimentRun["log"]) =>
    records.map((record) => record.weights.reduce((total, w, k) => total + (record.taskLosses[k] === null ? 0 : w), 0));
  const withScale = runs.some((r) => sums(r.log).some((sum) => Math.abs(sum - 1) > 1e-6));
  const header = `| method | max/min weight per step: median (95th pct) | ${withScale ? "Σ weights: median | " : ""}${tasks.map((t) => `${t} (×K)`).join(" | ")} |`;
  const rule = `|---|---|${withScale ? "---|" : ""}${tasks.map(() => "---").join("|")}|`;
  const rows = [...groupByMethod(runs, methods)].map(([method, group]) => {
    const raw = group.flatMap((r) => r.log);
    const rawSums = sums(raw);
    const records = withScale
      ? raw.map((record, i) => ({ ...record, weights: record.weights.map((w) => w / ((rawSums[i] as number) || 1)) }))
      : raw;
    const ratios = records
      .map((record) => {
        const present = record.weights.filter((_, k) => record.taskLosses[k] !== null);
        return Math.max(...present) / Math.min(...present);
      })
      .sort((a, b) => a - b);
    const perTask = tasks.map((_, k) => mean(records.map((record) => (record.weights[k] ?? 0) * tasks.length)));
    const ratio = (q: number) => {
      const v = quantile(ratios, q);
      return v < 1e4 ? fmt(v, 2) : v.toExponential(1);
    };
    const scale = withScale
      ? `${fmt(
          quantile(
            [...rawSums].sort((a, b) => a - b),
            0.5,
          ),
          2,
        )} | `
      : "";
    return `| ${method} | ${ratio(0.5)} (${ratio(0.95)}) | ${scale}${perTask.map((w) => fmt(w, 2)).join(" | ")} |`;
  });
  return [header, rule, ...rows].join("\n");
};

const quantile = (sorted: readonly number[], q: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (position - lo);
};

/**
 * What Art sees in a run's logged losses: the logged per-task losses are replayed through the
 * pure rule (`weighting`), and per task the 5%–95% range of s (local convergence rate) and r
 * (global correction weight) is reported, skipping the first 20 steps of warm-up of the EMA.
 * Wide s ranges with r near 1 mean the weights follow mini-batch noise more than convergence.
 */
export const artSignalTable = (
  runs: readonly ExperimentRun[],
  tasks: readonly string[],
  method: string,
  replay: (losses: readonly (readonly (number | null)[])[]) => { s: (number | null)[]; r: (number | null)[] }[],
): string => {
  const group = runs.filter((r) => r.method === method);
  const s: number[][] = tasks.map(() => []);
  const r: number[][] = tasks.map(() => []);
  for (const run of group) {
    const diagnostics = replay(run.log.map((record) => record.taskLosses));
    diagnostics.slice(20).forEach((d) => {
      tasks.forEach((_, k) => {
        if (d.s[k] !== null && d.s[k] !== undefined) s[k]!.push(d.s[k]!);
        if (d.r[k] !== null && d.r[k] !== undefined) r[k]!.push(d.r[k]!);
      });
    });
  }
  const range = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `${fmt(quantile(sorted, 0.05), 2)}–${fmt(quantile(sorted, 0.95), 2)}`;
  };
  const header = `| ${method}: replayed signal | ${tasks.join(" | ")} |`;
  const rule = `|---|${tasks.map(() => "---").join("|")}|`;
  return [
    header,
    rule,
    `| s (5%–95%) | ${s.map(range).join(" | ")} |`,
    `| r (5%–95%) | ${r.map(range).join(" | ")} |`,
  ].join("\n");
};

/** One per-task batch size of the batch study: its finished runs (Art and mixed, paired by seed). */
export interface BatchBlock {
  /** Crops per task in a batch. */
  readonly perTask: number;
  readonly steps: number;
  readonly runs: readonly ExperimentRun[];
}

/** What the batch study reports for one per-task batch size. */
export interface BatchStudyRow {
  readonly perTask: number;
  readonly steps: number;
  readonly test: PairedRow | undefined;
  readonly validation: PairedRow | undefined;
  /** Per task: the 5%–95% width of Art's s (replayed from the `art` runs' logged losses, steps 21+). */
  readonly sWidth: readonly number[];
}

/**
 * The batch hypothesis (docs/results.md, second round): per per-task batch size, Art − mixed
 * (test and validation) and how widely Art's local convergence signal s spreads. If s is mostly
 * mini-batch noise, its spread shrinks about as 1/sqrt(crops per task).
 */
export const batchStudyRows = (
  blocks: readonly BatchBlock[],
  tasks: readonly string[],
  replay: (losses: readonly (readonly (number | null)[])[]) => { s: (number | null)[] }[],
): BatchStudyRow[] =>
  [...blocks]
    .sort((a, b) => a.perTask - b.perTask)
    .map((block) => {
      const find = (split: "test" | "validation") =>
        pairedRows(block.runs, tasks, ["mixed", "art"], "mixed", split).find((row) => row.method === "art");
      const s: number[][] = tasks.map(() => []);
      for (const run of block.runs.filter((r) => r.method === "art")) {
        replay(run.log.map((record) => record.taskLosses))
          .slice(20)
          .forEach((d) => d.s.forEach((v, k) => (v === null || v === undefined ? undefined : s[k]!.push(v))));
      }
      const sWidth = s.map((values) => {
        const sorted = [...values].sort((a, b) => a - b);
        return quantile(sorted, 0.95) - quantile(sorted, 0.05);
      });
      return { perTask: block.perTask, steps: block.steps, test: find("test"), validation: find("validation"), sWidth };
    });

/** The batch study as one markdown table. */
export const batchStudyTable = (rows: readonly BatchStudyRow[], tasks: readonly string[]): string => {
  const signed = (v: number, digits: number) => `${v >= 0 ? "+" : ""}${fmt(v, digits)}`;
  const diff = (row: PairedRow | undefined) =>
    row === undefined
      ? "n/a | n/a"
      : `${signed(row.psnr.meanDifference, 3)} [${fmt(row.psnr.ci95[0], 3)}, ${fmt(row.psnr.ci95[1], 3)}] | ${row.psnr.wins}/${row.n}`;
  const header = `| crops per task | batch | steps | Art − mixed, validation Δ avg PSNR (95% CI) | wins | test Δ avg PSNR (95% CI) | wins | s 5%–95% width: ${tasks.join(" / ")} | median width |`;
  const rule = "|---|---|---|---|---|---|---|---|---|";
  const lines = rows.map((row) => {
    const sorted = [...row.sWidth].filter(Number.isFinite).sort((a, b) => a - b);
    return `| ${row.perTask} | ${row.perTask * tasks.length} | ${row.steps} | ${diff(row.validation)} | ${diff(row.test)} | ${row.sWidth.map((w) => fmt(w, 2)).join(" / ")} | ${fmt(quantile(sorted, 0.5), 3)} |`;
  });
  return [header, rule, ...lines].join("\n");
};

/**
 * The batch study as one figure: left, the width of s per task against crops per task (with the
 * 1/sqrt(n) line through the smallest batch's median); right, Art − mixed on validation and test.
 */
export const batchStudyFigure = (rows: readonly BatchStudyRow[], tasks: readonly string[]): string => {
  const x = rows.map((row) => row.perTask);
  const medians = rows.map((row) =>
    quantile(
      [...row.sWidth].filter(Number.isFinite).sort((a, b) => a - b),
      0.5,
    ),
  );
  const sqrtLine = rows.map((row) => medians[0]! * Math.sqrt(rows[0]!.perTask / row.perTask));
  const left = lineChart(
    [
      ...tasks.map((task, k) => ({
        label: task,
        color: PALETTE[k % PALETTE.length]!,
        x,
        y: rows.map((row) => row.sWidth[k] ?? Number.NaN),
      })),
      { label: "1/sqrt(n) from the smallest", color: "#333333", dashed: true, x, y: sqrtLine },
    ],
    {
      title: "Art's s: 5%–95% width vs crops per task",
      xLabel: "crops per task",
      yLabel: "width of s",
      width: 420,
      height: 300,
      yMin: 0,
    },
  );
  const right = lineChart(
    [
      {
        label: "validation",
        color: PALETTE[0]!,
        x,
        y: rows.map((row) => row.validation?.psnr.meanDifference ?? Number.NaN),
      },
      {
        label: "test",
        color: PALETTE[1]!,
        dashed: true,
        x,
        y: rows.map((row) => row.test?.psnr.meanDifference ?? Number.NaN),
      },
    ],
    {
      title: "Art − mixed, avg PSNR (dB, mean of seeds)",
      xLabel: "crops per task",
      yLabel: "Δ dB",
      width: 420,
      height: 300,
    },
  );
  const inner = (svg: string) => svg.replace(/^<svg[^>]*>/, "").replace(/<\/svg>\s*$/, "");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="840" height="300"><g>${inner(left)}</g><g transform="translate(420,0)">${inner(right)}</g></svg>`;
};
