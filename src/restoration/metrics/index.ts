/** Image quality metrics (PSNR, SSIM) matching BasicSR and scikit-image. */
export { psnr } from "./psnr.js";
export { ssim } from "./ssim.js";
export { metricFromJson, metricJsonReplacer, metricJsonReviver, metricToJson } from "./json.js";
export {
  METRIC_CONVENTIONS,
  preparePair,
  type MetricConvention,
  type MetricOptions,
  type PreparedPair,
} from "./prepare.js";
