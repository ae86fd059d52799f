/** Seeded degradations for all-in-one image restoration, and the task registry. */
export type { Degradation, DegradationResult } from "./types.js";
export {
  addGaussianNoise,
  addNoiseWithSigma,
  fixedSigmaNoise,
  fillStandardNormal,
  NOISE_SIGMA_RANGE,
  type NoiseParams,
} from "./noise.js";
export { addGaussianBlur, gaussianBlur, BLUR_KERNEL_SIZES, BLUR_SIGMA_RANGE, type BlurParams } from "./blur.js";
export { addBicubicDownUp, bicubicDownUp, type SuperResolutionParams } from "./super-resolution.js";
export {
  addJpegArtifacts,
  addJpegArtifactsJpegJs,
  jpegRoundTrip,
  JPEG_QUALITY_RANGE,
  type JpegParams,
} from "./jpeg.js";
export { jpegArtifactsModel, scaledQuantTable } from "./jpeg-model.js";
export {
  addRain,
  rainLayer,
  streakKernel,
  RAIN_ANGLE_RANGE,
  RAIN_BETA,
  RAIN_DENSITY_RANGE,
  RAIN_LENGTH_RANGE,
  type RainParams,
} from "./rain.js";
export { addHaze, applyHaze, depthProxy, HAZE_AIRLIGHT_RANGE, HAZE_BETA_RANGE, type HazeParams } from "./haze.js";
export { addLowLight, applyGamma, LOW_LIGHT_GAMMA_RANGE, type LowLightParams } from "./low-light.js";
export { convolveSeparable, gaussianKernel1d, reflect101 } from "./filters.js";
export { cubicWeight, resizeBicubic } from "./resize.js";
export {
  AIRNET_TASKS,
  DEGRADATIONS,
  degrade,
  isTaskName,
  MIOIR_TASKS,
  type DrawnParams,
  type TaskDegradation,
  type TaskName,
} from "./degradations.js";
