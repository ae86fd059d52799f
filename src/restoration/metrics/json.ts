/**
 * JSON has no infinity: PSNR of identical images (+Infinity) is written as the string
 * "Infinity", which both JavaScript's Number("Infinity") and Python's float("Infinity") read back.
 * NaN (never produced by these metrics on valid images) is written as "NaN" the same way.
 */

/** A metric value as a JSON-safe value: finite numbers as is, otherwise "Infinity" / "-Infinity" / "NaN". */
export function metricToJson(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/** A `JSON.stringify` replacer that writes every number through `metricToJson` (so +Infinity is "Infinity", not null). */
export const metricJsonReplacer = (_key: string, value: unknown): unknown =>
  typeof value === "number" ? metricToJson(value) : value;

/** Reads back a value written by `metricToJson`: "Infinity" / "-Infinity" / "NaN" as numbers, anything else unchanged. */
export function metricFromJson(value: unknown): unknown {
  return value === "Infinity" || value === "-Infinity" || value === "NaN" ? Number(value) : value;
}

/** A `JSON.parse` reviver that reads the PSNR/SSIM fields (`psnr`, `ssim`, `inputPsnr`, ...) back with `metricFromJson` (eval.json). */
export const metricJsonReviver = (key: string, value: unknown): unknown =>
  /psnr|ssim/i.test(key) ? metricFromJson(value) : value;
