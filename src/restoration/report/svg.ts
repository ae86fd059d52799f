/**
 * A tiny line-chart renderer that emits inline SVG (no plotting library), enough for the
 * training report: several series, linear or log10 y axis, "nice" ticks, a legend.
 */

/** One line. Points with a non-finite (or, on a log axis, non-positive) y are gaps. */
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  /** Dashed stroke (e.g. for a second method). */
  readonly dashed?: boolean;
}

/** Options of `lineChart`. */
export interface ChartOptions {
  readonly title: string;
  readonly width?: number;
  readonly height?: number;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Log10 y axis (default false). */
  readonly logY?: boolean;
  /** Fixed y range; default from the data. */
  readonly yMin?: number;
  readonly yMax?: number;
}

/** A qualitative palette (Tableau 10), readable on white. */
export const PALETTE: readonly string[] = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

/** Escapes text for XML/HTML. */
export const escapeXml = (text: string): string =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");

/** About `count` round tick values covering [lo, hi] (1, 2, 5 x 10^k steps). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  // Multiples of the step (not a running sum, which drifts: 0 came out as -3e-17).
  for (let i = Math.ceil(lo / step); i * step <= hi + step * 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Tick values for a log10 axis over [lo, hi] (both > 0): decades, plus 2 and 5 when few decades. */
export function logTicks(lo: number, hi: number): number[] {
  // Within about a decade, decades alone give one or two labels: use round linear values instead.
  if (hi / lo < 8) return niceTicks(lo, hi, 5).filter((v) => v > 0);
  const ticks: number[] = [];
  const first = Math.floor(Math.log10(lo));
  const last = Math.ceil(Math.log10(hi));
  const multipliers = last - first <= 2 ? [1, 2, 5] : [1];
  for (let e = first; e <= last; e++)
    for (const m of multipliers) {
      const v = m * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(Number(v.toPrecision(6)));
    }
  return ticks.length >= 2 ? ticks : [lo, hi];
}

/** A short label for a tick value. */
export const formatTick = (v: number): string => {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace("e+", "e");
  return String(Number(v.toPrecision(3)));
};

/** Renders series as an SVG line chart (a string holding one `<svg>` element). */
export function lineChart(series: readonly Series[], options: ChartOptions): string {
  const width = options.width ?? 480;
  const height = options.height ?? 300;
  const logY = options.logY ?? false;
  const margin = { left: 58, right: 12, top: 28, bottom: 40 + 16 * Math.ceil(series.length / 4) };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const usable = (y: number) => Number.isFinite(y) && (!logY || y > 0);
  let xMin = Infinity,
    xMax = -Infinity,
    yMin = Infinity,
    yMax = -Infinity;
  for (const s of series) {
    s.x.forEach((x, i) => {
      const y = s.y[i] as number;
      if (!usable(y) || !Number.isFinite(x)) return;
      xMin = Math.min(xMin, x);
      xMax = Math.max(xMax, x);
      yMin = Math.min(yMin, y);
      yMax = Math.max(yMax, y);
    });
  }
  yMin = options.yMin ?? yMin;
  yMax = options.yMax ?? yMax;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(
    `<text x="${width / 2}" y="17" text-anchor="middle" font-size="13" font-weight="600">${escapeXml(options.title)}</text>`,
  );
  if (!Number.isFinite(xMin) || !Number.isFinite(yMin)) {
    parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#888">no data</text></svg>`);
    return parts.join("");
  }
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax === yMin) {
    if (logY) {
      yMin /= 1.5;
      yMax *= 1.5;
    } else {
      yMin -= 0.5;
      yMax += 0.5;
    }
  }
  const ty = logY ? (y: number) => Math.log10(y) : (y: number) => y;
  const [tLo, tHi] = [ty(yMin), ty(yMax)];
  const pad = (tHi - tLo) * 0.04;
  const sx = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => margin.top + plotH - ((ty(y) - (tLo - pad)) / (tHi - tLo + 2 * pad)) * plotH;
  // Grid and y ticks.
  const yTicks = logY ? logTicks(yMin, yMax) : niceTicks(yMin, yMax);
  for (const v of yTicks) {
    const y = sy(v).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" stroke="#e6e6e6"/>`);
    parts.push(
      `<text x="${margin.left - 5}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#444">${formatTick(v)}</text>`,
    );
  }
  for (const v of niceTicks(xMin, xMax, 6)) {
    const x = sx(v).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#f0f0f0"/>`);
    parts.push(
      `<text x="${x}" y="${margin.top + plotH + 14}" text-anchor="middle" fill="#444">${formatTick(v)}</text>`,
    );
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  );
  if (options.xLabel !== undefined)
    parts.push(
      `<text x="${margin.left + plotW / 2}" y="${margin.top + plotH + 30}" text-anchor="middle" fill="#222">${escapeXml(options.xLabel)}</text>`,
    );
  if (options.yLabel !== undefined) {
    parts.push(
      `<text transform="translate(14 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#222">${escapeXml(options.yLabel)}</text>`,
    );
  }
  // Lines, clipped to the plot area; a gap starts a new sub-path.
  const clipId = `c${Math.abs(hashString(options.title + series.map((s) => s.label).join()))}`;
  parts.push(
    `<clipPath id="${clipId}"><rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}"/></clipPath>`,
  );
  for (const s of series) {
    let d = "";
    let pen = false;
    s.x.forEach((x, i) => {
      const y = s.y[i] as number;
      if (!usable(y) || !Number.isFinite(x)) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`;
      pen = true;
    });
    if (d !== "")
      parts.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed === true ? ' stroke-dasharray="5 3"' : ""} clip-path="url(#${clipId})"/>`,
      );
  }
  // Legend below the x axis, four entries per row.
  series.forEach((s, i) => {
    const col = i % 4;
    const row = Math.floor(i / 4);
    const x = margin.left + col * (plotW / 4);
    // Rows start one line below the x label (at +30), inside the bottom margin of 40 + 16 per row.
    const y = margin.top + plotH + 46 + row * 16;
    parts.push(
      `<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="5 3"' : ""}/>`,
    );
    parts.push(`<text x="${x + 22}" y="${y}" dominant-baseline="middle" fill="#222">${escapeXml(s.label)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

/** A small stable string hash (ids that stay unique within a page). */
export function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h | 0;
}

/**
 * Exponential moving average with bias correction (TensorBoard-style smoothing), skipping
 * missing values (null/NaN stay gaps). `weight` in [0, 1): 0 is no smoothing.
 */
export function smooth(values: ReadonlyArray<number | null>, weight: number): number[] {
  let ema = 0;
  let norm = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return NaN;
    ema = weight * ema + (1 - weight) * v;
    norm = weight * norm + (1 - weight);
    return ema / norm;
  });
}

/** Indices that thin a series of `length` to at most `maxPoints` (always keeping the last). */
export function thinIndices(length: number, maxPoints: number): number[] {
  if (length <= maxPoints) return Array.from({ length }, (_, i) => i);
  const stride = length / maxPoints;
  const out: number[] = [];
  for (let i = 0; i < maxPoints; i++) out.push(Math.floor(i * stride));
  if (out[out.length - 1] !== length - 1) out.push(length - 1);
  return out;
}
