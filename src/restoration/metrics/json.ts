/**
 * JSON has no infinity: PSNR of identical images (+Infinity) is written as the string
 * "Infinity", which both JavaScript's Number("Infinity") and Python's float("Infinity") read back.
 * NaN (never produced by these metrics on valid images) is written as "NaN" the same way.
 */

/** A metric value as a JSON-safe value: finite numbers as is, otherwise "Infinity" / "-Infinity" / "NaN". */
export function metricToJson(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}
