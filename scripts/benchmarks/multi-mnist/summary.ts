/**
 * The summary of a Multi-MNIST benchmark folder (run.ts writes it after a grid, and
 * `--summary-only` rebuilds it): a Markdown table — per method, the mean test accuracy per task
 * with its 95% t interval over seeds, the paired difference to `equal` (mixed training) per task
 * with its 95% interval over the seeds both have, seconds per run — and an SVG trade-off plot
 * (task 1 accuracy against task 2 accuracy, one point per method, 95% interval bars).
 *
 * Only finished runs (result.json) count; failed ones (error.txt) are listed under the table.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

import { mean, pairedDifference, sampleStd, studentTQuantile } from "../../../src/restoration/experiment/stats.js";
import { escapeXml, niceTicks, PALETTE } from "../../../src/restoration/report/svg.js";
import type { Protocol, RunResult } from "./run.js";

/** The control every method is compared with. */
export const CONTROL = "equal";

/** Mean and 95% t interval of a sample (interval NaN for fewer than two values). */
export interface Interval {
  readonly n: number;
  readonly mean: number;
  readonly ci95: readonly [number, number];
}

export const interval = (values: readonly number[]): Interval => {
  const n = values.length;
  const m = mean(values);
  const half = n >= 2 ? (studentTQuantile(0.975, n - 1) * sampleStd(values)) / Math.sqrt(n) : Number.NaN;
  return { n, mean: m, ci95: [m - half, m + half] };
};

/** One method's row. */
export interface MethodRow {
  readonly method: string;
  readonly family: "loss" | "gradient";
  readonly seeds: number[];
  readonly accuracy: Interval[];
  /** Paired difference to the control per task (undefined for the control itself, or without common seeds). */
  readonly versusControl?: Array<ReturnType<typeof pairedDifference>>;
  readonly secondsPerRun: number;
  readonly steps: number;
}

/** Every finished run under a benchmark folder, and every failed one. */
export function readResults(dir: string): {
  results: RunResult[];
  failures: Array<{ method: string; seed: number; error: string }>;
} {
  const results: RunResult[] = [];
  const failures: Array<{ method: string; seed: number; error: string }> = [];
  if (!existsSync(dir)) return { results, failures };
  for (const method of readdirSync(dir, { withFileTypes: true })) {
    if (!method.isDirectory()) continue;
    for (const seedDir of readdirSync(join(dir, method.name), { withFileTypes: true })) {
      const match = /^seed(\d+)$/.exec(seedDir.name);
      if (!seedDir.isDirectory() || match === null) continue;
      const path = join(dir, method.name, seedDir.name);
      if (existsSync(join(path, "result.json")))
        results.push(JSON.parse(readFileSync(join(path, "result.json"), "utf8")) as RunResult);
      else if (existsSync(join(path, "error.txt")))
        failures.push({
          method: method.name,
          seed: Number(match[1]),
          error: (readFileSync(join(path, "error.txt"), "utf8").split("\n")[0] ?? "").slice(0, 200),
        });
    }
  }
  return { results, failures };
}

/** Rows in a stable order: the control, then the loss weightings, then the gradient-aware ones, each by name. */
export function methodRows(results: readonly RunResult[], order: readonly string[] = []): MethodRow[] {
  const byMethod = new Map<string, RunResult[]>();
  for (const r of results) byMethod.set(r.method, [...(byMethod.get(r.method) ?? []), r]);
  const control = new Map((byMethod.get(CONTROL) ?? []).map((r) => [r.seed, r]));
  const rank = (m: string, family: string): [number, number, string] => [
    m === CONTROL ? 0 : family === "loss" ? 1 : 2,
    order.includes(m) ? order.indexOf(m) : order.length,
    m,
  ];
  const rows = [...byMethod.entries()].map(([method, runs]): MethodRow => {
    const sorted = [...runs].sort((a, b) => a.seed - b.seed);
    const numTasks = (sorted[0] as RunResult).accuracy.length;
    const tasks = Array.from({ length: numTasks }, (_, k) => k);
    const paired = sorted.filter((r) => control.has(r.seed));
    return {
      method,
      family: (sorted[0] as RunResult).family,
      seeds: sorted.map((r) => r.seed),
      accuracy: tasks.map((k) => interval(sorted.map((r) => r.accuracy[k] as number))),
      ...(method === CONTROL || paired.length === 0
        ? {}
        : {
            versusControl: tasks.map((k) =>
              pairedDifference(
                paired.map((r) => r.accuracy[k] as number),
                paired.map((r) => (control.get(r.seed) as RunResult).accuracy[k] as number),
              ),
            ),
          }),
      secondsPerRun: mean(sorted.map((r) => r.trainSeconds + r.evalSeconds)),
      steps: (sorted[0] as RunResult).steps,
    };
  });
  return rows.sort((a, b) => {
    const [ra, rb] = [rank(a.method, a.family), rank(b.method, b.family)];
    return ra[0] - rb[0] || ra[1] - rb[1] || ra[2].localeCompare(rb[2]);
  });
}

const pct = (v: number): string => (Number.isFinite(v) ? (100 * v).toFixed(2) : "—");
const signed = (v: number): string =>
  Number.isFinite(v) ? `${v >= 0 ? "+" : "−"}${Math.abs(100 * v).toFixed(2)}` : "—";
const withInterval = (i: Interval): string =>
  i.n >= 2 ? `${pct(i.mean)} [${pct(i.ci95[0])}, ${pct(i.ci95[1])}]` : pct(i.mean);
const diffCell = (d: ReturnType<typeof pairedDifference> | undefined): string => {
  if (d === undefined) return "—";
  const star = d.n >= 2 && (d.ci95[0] > 0 || d.ci95[1] < 0) ? " *" : "";
  return d.n >= 2
    ? `${signed(d.meanDifference)} [${signed(d.ci95[0])}, ${signed(d.ci95[1])}]${star}`
    : signed(d.meanDifference);
};

/** The Markdown table (and its notes) of a benchmark folder. */
export function summaryMarkdown(
  rows: readonly MethodRow[],
  taskNames: readonly string[],
  failures: ReadonlyArray<{ method: string; seed: number; error: string }>,
  protocol?: Protocol,
): string {
  const [t1, t2] = [taskNames[0] ?? "task 1", taskNames[1] ?? "task 2"];
  const runs = rows.reduce((n, r) => n + r.seeds.length, 0);
  const lines = [
    `${runs} finished run(s) of ${rows.length} method(s)${protocol === undefined ? "" : ` (${protocol.benchmark}: ${protocol.train} training composites, ${protocol.epochs} epoch(s) of batch ${protocol.batch}, Adam lr ${protocol.lr}${protocol.missing > 0 ? `, labels missing with p = ${protocol.missing}` : ""})`}.`,
    "Test accuracy in %, mean over seeds [95% t interval]; Δ = paired difference to `equal` over the seeds both finished (percentage points, [95% t interval], * where the interval excludes 0).",
    "",
    `| method | family | seeds | ${t1} acc. | ${t2} acc. | Δ ${t1} vs equal | Δ ${t2} vs equal | s/run | steps |`,
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.method} | ${r.family} | ${r.seeds.length} | ${withInterval(r.accuracy[0] as Interval)} | ${withInterval(r.accuracy[1] as Interval)} | ${diffCell(r.versusControl?.[0])} | ${diffCell(r.versusControl?.[1])} | ${r.secondsPerRun.toFixed(1)} | ${r.steps} |`,
    ),
  ];
  if (failures.length > 0) {
    lines.push(
      "",
      "Failed runs (error.txt in the run folder):",
      "",
      ...failures.map((f) => `- ${f.method} seed ${f.seed}: ${f.error}`),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The trade-off plot: task 1 accuracy (x) against task 2 accuracy (y), one point per method with its 95% interval bars. */
export function tradeOffSvg(rows: readonly MethodRow[], taskNames: readonly string[], title: string): string {
  const width = 720;
  const height = 520;
  const margin = { left: 64, right: 170, top: 36, bottom: 52 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  // The axes span the means (intervals from 2 or 3 seeds can be far wider than the spread of the
  // methods); interval bars are clipped to the plot area.
  const xs = rows.map((r) => (r.accuracy[0] as Interval).mean).filter(Number.isFinite);
  const ys = rows.map((r) => (r.accuracy[1] as Interval).mean).filter(Number.isFinite);
  const range = (values: number[]): [number, number] => {
    if (values.length === 0) return [0, 100];
    const [a, b] = [Math.min(...values), Math.max(...values)];
    const pad = Math.max((b - a) * 0.12, 0.01);
    return [Math.max(0, a - pad) * 100, Math.min(1, b + pad) * 100];
  };
  const [x0, x1] = range(xs);
  const [y0, y1] = range(ys);
  const sx = (v: number): number => margin.left + ((100 * v - x0) / (x1 - x0)) * plotW;
  const sy = (v: number): number => margin.top + plotH - ((100 * v - y0) / (y1 - y0)) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left + plotW / 2}" y="20" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`,
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
    `<clipPath id="plot-area"><rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}"/></clipPath>`,
  ];
  for (const t of niceTicks(x0, x1, 6)) {
    const x = margin.left + ((t - x0) / (x1 - x0)) * plotW;
    parts.push(
      `<line x1="${x.toFixed(1)}" y1="${margin.top}" x2="${x.toFixed(1)}" y2="${margin.top + plotH}" stroke="#eee"/>`,
      `<text x="${x.toFixed(1)}" y="${margin.top + plotH + 16}" text-anchor="middle">${escapeXml(String(t))}</text>`,
    );
  }
  for (const t of niceTicks(y0, y1, 6)) {
    const y = margin.top + plotH - ((t - y0) / (y1 - y0)) * plotH;
    parts.push(
      `<line x1="${margin.left}" y1="${y.toFixed(1)}" x2="${margin.left + plotW}" y2="${y.toFixed(1)}" stroke="#eee"/>`,
      `<text x="${margin.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${escapeXml(String(t))}</text>`,
    );
  }
  parts.push(
    `<text x="${margin.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(`${taskNames[0] ?? "task 1"} accuracy (%)`)}</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(`${taskNames[1] ?? "task 2"} accuracy (%)`)}</text>`,
  );
  rows.forEach((r, i) => {
    const color = PALETTE[i % PALETTE.length] as string;
    const [a, b] = [r.accuracy[0] as Interval, r.accuracy[1] as Interval];
    const [cx, cy] = [sx(a.mean), sy(b.mean)];
    if (a.n >= 2)
      parts.push(
        `<line x1="${sx(a.ci95[0]).toFixed(1)}" y1="${cy.toFixed(1)}" x2="${sx(a.ci95[1]).toFixed(1)}" y2="${cy.toFixed(1)}" stroke="${color}" clip-path="url(#plot-area)"/>`,
      );
    if (b.n >= 2)
      parts.push(
        `<line x1="${cx.toFixed(1)}" y1="${sy(b.ci95[0]).toFixed(1)}" x2="${cx.toFixed(1)}" y2="${sy(b.ci95[1]).toFixed(1)}" stroke="${color}" clip-path="url(#plot-area)"/>`,
      );
    // Loss weightings are circles, gradient-aware ones squares.
    parts.push(
      r.family === "loss"
        ? `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="4.5" fill="${color}" stroke="black" stroke-width="0.6"/>`
        : `<rect x="${(cx - 4).toFixed(1)}" y="${(cy - 4).toFixed(1)}" width="8" height="8" fill="${color}" stroke="black" stroke-width="0.6"/>`,
      `<text x="${(cx + 6).toFixed(1)}" y="${(cy - 5).toFixed(1)}" fill="#333" font-size="9">${escapeXml(r.method)}</text>`,
    );
    const ly = margin.top + 8 + i * 16;
    const lx = margin.left + plotW + 14;
    parts.push(
      r.family === "loss"
        ? `<circle cx="${lx + 4}" cy="${ly}" r="4.5" fill="${color}" stroke="black" stroke-width="0.6"/>`
        : `<rect x="${lx}" y="${ly - 4}" width="8" height="8" fill="${color}" stroke="black" stroke-width="0.6"/>`,
      `<text x="${lx + 14}" y="${ly + 4}">${escapeXml(`${r.method} (${r.seeds.length})`)}</text>`,
    );
  });
  parts.push(
    `<text x="${margin.left + plotW + 14}" y="${margin.top + 8 + rows.length * 16 + 10}" fill="#555" font-size="9">● loss-based ■ gradient-aware</text>`,
    "</svg>",
  );
  return `${parts.join("\n")}\n`;
}

/**
 * Writes `dir/summary.md` and `dir/trade-off.svg` (and the SVG at `plot` too), logs the table,
 * and returns the path of summary.md.
 */
export function writeSummary(
  dir: string,
  options: { readonly plot?: string; readonly log?: (line: string) => void; readonly order?: readonly string[] } = {},
): string {
  const { results, failures } = readResults(dir);
  const protocolPath = join(dir, "protocol.json");
  const protocol = existsSync(protocolPath) ? (JSON.parse(readFileSync(protocolPath, "utf8")) as Protocol) : undefined;
  const rows = methodRows(results, options.order);
  const taskNames = results[0]?.taskNames ?? ["task 1", "task 2"];
  const markdown = summaryMarkdown(rows, taskNames, failures, protocol);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "summary.md");
  writeFileSync(path, markdown);
  const runs = rows.reduce((n, r) => n + r.seeds.length, 0);
  const svg = tradeOffSvg(
    rows,
    taskNames,
    `${protocol?.benchmark ?? "benchmark"}: test accuracy per task, mean and 95% interval over seeds (${runs} runs)`,
  );
  writeFileSync(join(dir, "trade-off.svg"), svg);
  if (options.plot !== undefined) {
    mkdirSync(dirname(options.plot), { recursive: true });
    writeFileSync(options.plot, svg);
  }
  options.log?.(markdown);
  return path;
}
