/**
 * The training report: ONE self-contained HTML file (inline SVG, inline CSS, no scripts, no
 * external resources) comparing one or more runs:
 *
 * 1. a summary of each run;
 * 2. per-task training loss curves, one chart per task with a line per run (smoothed, log y,
 *    as in the Art paper's Fig. 2 c/d);
 * 3. the weights over time, one chart per run with a line per task;
 * 4. the PSNR/SSIM table of all runs side by side (from each run's eval.json), best in bold,
 *    "below input" said in words where a run scores under the degraded input;
 * 5. optionally, before/after pictures per task (input, each run, clean) with PSNR under each.
 */
import type { RunData } from "./run.js";
import { sampleGridHtml, type SampleGrid } from "./samples.js";
import { escapeXml, lineChart, PALETTE, smooth, thinIndices, type Series } from "./svg.js";

/** Options of `renderReport`. */
export interface ReportOptions {
  readonly title?: string;
  /** EMA smoothing weight for loss curves in [0, 1); default chosen from the log length. */
  readonly smoothing?: number;
  /** Most points drawn per line (default 400). */
  readonly maxPoints?: number;
  /** When the report was made (default now); fixed in tests. */
  readonly generatedAt?: Date;
  /** Before/after pictures per task (see `computeSampleGrid`); the section is left out without them. */
  readonly samples?: SampleGrid;
}

/** The default smoothing: little for short logs, up to 0.95 for long ones. */
export const defaultSmoothing = (length: number): number => Math.min(0.95, Math.max(0, 1 - 15 / Math.max(1, length)));

const fmt = (v: number | undefined, digits: number): string =>
  v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits);

function summaryTable(runs: readonly RunData[]): string {
  const rows = runs.map((run, i) => {
    const last = run.log[run.log.length - 1];
    const steps = last?.step ?? 0;
    const time = last?.time;
    return `<tr><td><span class="sw" style="background:${PALETTE[i % PALETTE.length]}"></span>${escapeXml(run.name)}</td><td>${escapeXml(run.weighting)}</td><td>${escapeXml(run.tasks.join(", "))}</td><td class="n">${steps}</td><td class="n">${fmt(last?.loss, 4)}</td><td class="n">${time === undefined ? "–" : `${time.toFixed(0)} s`}</td><td class="n">${run.evaluation === undefined ? "–" : fmt(run.evaluation.mean.psnr, 2)}</td><td class="p">${escapeXml(run.dir)}</td></tr>`;
  });
  return `<table><thead><tr><th>run</th><th>weighting</th><th>tasks</th><th>steps</th><th>final loss</th><th>time</th><th>mean PSNR</th><th>directory</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** The union of the runs' task names, in first-seen order. */
const allTasks = (runs: readonly RunData[]): string[] => {
  const seen: string[] = [];
  for (const run of runs) for (const task of run.tasks) if (!seen.includes(task)) seen.push(task);
  return seen;
};

function lossCharts(runs: readonly RunData[], options: ReportOptions): string {
  const tasks = allTasks(runs);
  const maxPoints = options.maxPoints ?? 400;
  const charts = tasks.map((task) => {
    const series: Series[] = [];
    runs.forEach((run, r) => {
      const k = run.tasks.indexOf(task);
      if (k < 0 || run.log.length === 0) return;
      const weight = options.smoothing ?? defaultSmoothing(run.log.length);
      const smoothed = smooth(
        run.log.map((rec) => rec.taskLosses[k] ?? null),
        weight,
      );
      const keep = thinIndices(run.log.length, maxPoints);
      series.push({
        label: run.name,
        color: PALETTE[r % PALETTE.length] as string,
        dashed: r % 2 === 1,
        x: keep.map((i) => (run.log[i] as { step: number }).step),
        y: keep.map((i) => smoothed[i] as number),
      });
    });
    return lineChart(series, {
      title: task,
      logY: true,
      xLabel: "step",
      yLabel: "training loss (smoothed)",
      width: 360,
      height: 260,
    });
  });
  return `<div class="grid">${charts.join("")}</div>`;
}

function weightCharts(runs: readonly RunData[], options: ReportOptions): string {
  const maxPoints = options.maxPoints ?? 400;
  const charts = runs
    .filter((run) => run.log.length > 0)
    .map((run) => {
      const keep = thinIndices(run.log.length, maxPoints);
      // Per-step weights of an adaptive method jitter with the batch; the same EMA as the losses shows the trend.
      const weight = options.smoothing ?? defaultSmoothing(run.log.length);
      const series: Series[] = run.tasks.map((task, k) => {
        const smoothed = smooth(
          run.log.map((rec) => rec.weights[k] ?? null),
          weight,
        );
        return {
          label: task,
          color: PALETTE[k % PALETTE.length] as string,
          x: keep.map((i) => (run.log[i] as { step: number }).step),
          y: keep.map((i) => smoothed[i] as number),
        };
      });
      return lineChart(series, {
        title: `${run.name} (${run.weighting})`,
        xLabel: "step",
        yLabel: "task weight (smoothed)",
        yMin: 0,
        width: 360,
        height: 260,
      });
    });
  return charts.length === 0 ? "<p>No training logs.</p>" : `<div class="grid">${charts.join("")}</div>`;
}

function evalTable(runs: readonly RunData[]): string {
  const evaluated = runs.filter((run) => run.evaluation !== undefined);
  if (evaluated.length === 0) return "<p>No run has an eval.json yet (run <code>art-mtl eval</code>).</p>";
  const tasks = allTasks(evaluated);
  const score = (run: RunData, task: string) => run.evaluation?.tasks.find((t) => t.task === task);
  const head = `<tr><th rowspan="2">task</th><th colspan="2">input</th>${evaluated.map((run) => `<th colspan="2">${escapeXml(run.name)}</th>`).join("")}</tr><tr><th>PSNR</th><th>SSIM</th>${evaluated.map(() => "<th>PSNR</th><th>SSIM</th>").join("")}</tr>`;
  const row = (
    label: string,
    pick: (run: RunData) => { psnr?: number; ssim?: number; inputPsnr?: number; inputSsim?: number } | undefined,
  ) => {
    const values = evaluated.map(pick);
    const bestPsnr = Math.max(...values.map((v) => v?.psnr ?? -Infinity));
    const bestSsim = Math.max(...values.map((v) => v?.ssim ?? -Infinity));
    const input = values.find((v) => v?.inputPsnr !== undefined);
    const cell = (v: number | undefined, best: number, digits: number, below = false) =>
      `<td class="n${below ? " below" : ""}">${v !== undefined && v === best && evaluated.length > 1 ? `<b>${fmt(v, digits)}</b>` : fmt(v, digits)}${below ? " (below input)" : ""}</td>`;
    const belowInput = (v: number | undefined) =>
      v !== undefined && input?.inputPsnr !== undefined && Number.isFinite(input.inputPsnr) && v < input.inputPsnr;
    return `<tr><td>${escapeXml(label)}</td><td class="n dim">${fmt(input?.inputPsnr, 2)}</td><td class="n dim">${fmt(input?.inputSsim, 4)}</td>${values.map((v) => cell(v?.psnr, bestPsnr, 2, belowInput(v?.psnr)) + cell(v?.ssim, bestSsim, 4)).join("")}</tr>`;
  };
  const body = tasks.map((task) => row(task, (run) => score(run, task)));
  const meanOf = (run: RunData, key: "inputPsnr" | "inputSsim") => {
    // Tasks whose inputs are all identical to the clean images (PSNR +Infinity) are left out of the mean.
    const list = (run.evaluation?.tasks ?? []).map((t) => t[key]).filter(Number.isFinite);
    return list.reduce((sum, v) => sum + v, 0) / Math.max(1, list.length);
  };
  body.push(
    row("mean", (run) => ({
      ...run.evaluation?.mean,
      inputPsnr: meanOf(run, "inputPsnr"),
      inputSsim: meanOf(run, "inputSsim"),
    })),
  );
  const settings = evaluated.map(
    (run) =>
      `${escapeXml(run.name)}: ${escapeXml(run.evaluation?.data ?? "?")}, step ${run.evaluation?.step}, ${run.evaluation?.convention}${run.evaluation?.yChannel === true ? ", Y" : ", RGB"}, crop ${run.evaluation?.cropBorder}`,
  );
  return `<table class="eval"><thead>${head}</thead><tbody>${body.join("")}</tbody></table><p class="note">PSNR in dB, SSIM in [0, 1]; “input” scores the degraded inputs themselves. ${settings.join("; ")}.</p>`;
}

const CSS = `body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta,.note{color:#666;font-size:12px}table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}th{background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.dim{color:#777}.dim{color:#777;font-size:11px}td.pic{text-align:center;font-size:12px;vertical-align:top}td.below{background:#fff1f0}td.p{color:#777;font-size:11px}.grid{display:flex;flex-wrap:wrap;gap:8px}.grid svg{border:1px solid #eee}
.sw{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}`;

/**
 * Renders the report of `runs` as one self-contained HTML document.
 *
 * @example
 * writeFileSync("report.html", renderReport([readRun("runs/mixed"), readRun("runs/art")]));
 */
export function renderReport(runs: readonly RunData[], options: ReportOptions = {}): string {
  const title =
    options.title ??
    (runs.length === 1 ? `art-mtl run ${runs[0]?.name}` : `art-mtl: ${runs.map((r) => r.name).join(" vs ")}`);
  const when = (options.generatedAt ?? new Date()).toISOString().replace("T", " ").slice(0, 19);
  const warnings = runs
    .filter((r) => r.badLogLines > 0)
    .map((r) => `<p class="note">${escapeXml(r.name)}: ${r.badLogLines} unreadable log line(s) skipped.</p>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${CSS}</style></head>
<body>
<h1>${escapeXml(title)}</h1>
<p class="meta">Generated ${when} UTC by art-mtl report.</p>
<h2>Runs</h2>
${summaryTable(runs)}
${warnings.join("\n")}
<h2>Evaluation</h2>
${evalTable(runs)}
${options.samples === undefined ? "" : `<h2>Before and after</h2>\n${sampleGridHtml(options.samples)}`}
<h2>Training loss per task</h2>
<p class="note">Mean loss of each task's samples in each batch, exponentially smoothed; log scale.</p>
${lossCharts(runs, options)}
<h2>Task weights over time</h2>
<p class="note">The weight each task's loss received at each step (1/K each for mixed training), smoothed like the losses.</p>
${weightCharts(runs, options)}
</body></html>
`;
}
