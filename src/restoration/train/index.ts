/** Training, evaluation and inference for the restoration kit (config → run directory). */
export * from "./config.js";
export * from "./records.js";
export * from "./run-dir.js";
export * from "./progress.js";
export * from "./inference.js";
export * from "./evaluate.js";
export * from "./weightings.js";
export * from "./backend.js";
export * from "./loop.js";
export * from "./samples.js";
export * from "./run-lock.js";
export { ParallelTrainingError } from "./parallel/coordinator.js";
