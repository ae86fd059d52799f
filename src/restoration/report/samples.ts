/**
 * Before/after pictures for the report: per task, the degraded input, each run's restoration and
 * the clean image, side by side, with the PSNR under each and a plain flag where a run is below
 * the input. Pure: images in, HTML out (inline PNG data URIs); `computeSampleGrid` (train/) makes
 * the images.
 */
import type { RgbImage } from "../image.js";
import { encodePng } from "../io/png.js";
import { escapeXml } from "./svg.js";

/** One restored picture and its score. */
export interface SampleOutput {
  /** Column label: the run's name. */
  readonly label: string;
  readonly image: RgbImage;
  readonly psnr: number;
}

/** One task's row: input, outputs, clean. */
export interface SampleRow {
  readonly task: string;
  /** Which image (e.g. the frozen sample's name). */
  readonly name: string;
  readonly input: RgbImage;
  readonly inputPsnr: number;
  readonly target: RgbImage;
  readonly outputs: readonly SampleOutput[];
}

/** A grid of rows, one per task. */
export interface SampleGrid {
  /** Where the images come from, for the caption. */
  readonly source: string;
  readonly rows: readonly SampleRow[];
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 (with padding) of bytes, without Node's Buffer (the report renders in a browser too). */
const toBase64 = (bytes: Uint8Array): string => {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out.push(
      BASE64[n >> 18] as string,
      BASE64[(n >> 12) & 63] as string,
      b === undefined ? "=" : (BASE64[(n >> 6) & 63] as string),
      c === undefined ? "=" : (BASE64[n & 63] as string),
    );
  }
  return out.join("");
};

const dataUri = (img: RgbImage): string => `data:image/png;base64,${toBase64(encodePng(img))}`;
const db = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)} dB` : v > 0 ? "identical" : "–");

/**
 * The grid as an HTML table. Each restored image's caption gives its PSNR and its difference to
 * the input, and says "below input" in words (not only in colour) when it lost.
 *
 * @example
 * const html = sampleGridHtml({ source: "Set14 crops", rows });
 */
export function sampleGridHtml(grid: SampleGrid, size = 128): string {
  if (grid.rows.length === 0) return "<p>No sample images.</p>";
  const labels = grid.rows[0]?.outputs.map((o) => o.label) ?? [];
  const img = (image: RgbImage, alt: string) =>
    `<img src="${dataUri(image)}" width="${size}" height="${Math.round((size * image.height) / image.width)}" alt="${escapeXml(alt)}" style="image-rendering:pixelated">`;
  const head = `<tr><th>task</th><th>input</th>${labels.map((l) => `<th>${escapeXml(l)}</th>`).join("")}<th>clean</th></tr>`;
  const rows = grid.rows.map((row) => {
    const outputs = row.outputs.map((o) => {
      const gain = o.psnr - row.inputPsnr;
      const below = Number.isFinite(gain) && gain < 0;
      const delta = Number.isFinite(gain) ? ` (${gain >= 0 ? "+" : "−"}${Math.abs(gain).toFixed(2)})` : "";
      return `<td class="pic${below ? " below" : ""}">${img(o.image, `${row.task}: ${o.label}`)}<br>${db(o.psnr)}${delta}${below ? "<br><b>below input</b>" : ""}</td>`;
    });
    return `<tr><td>${escapeXml(row.task)}<br><span class="dim">${escapeXml(row.name)}</span></td><td class="pic">${img(row.input, `${row.task}: degraded input`)}<br>${db(row.inputPsnr)}</td>${outputs.join("")}<td class="pic">${img(row.target, `${row.task}: clean`)}<br>&nbsp;</td></tr>`;
  });
  return `<table class="samples"><thead>${head}</thead><tbody>${rows.join("")}</tbody></table><p class="note">${escapeXml(grid.source)}. PSNR against the clean image (BasicSR convention); in brackets the difference to the input.</p>`;
}
