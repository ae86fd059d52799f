/**
 * `art-mtl/restoration`: the all-in-one image restoration kit — images and their files,
 * seeded degradations, data sources and mixed-task batches, PSNR/SSIM as the field computes
 * them, classical baselines (denoisers, dehazing, CLAHE, …), restoration models, training,
 * reports and experiment statistics.
 */
export * from "./errors.js";
export * from "./image.js";
export * from "./io/index.js";
export * from "./degradations/index.js";
export * from "./data/index.js";
export * from "./metrics/index.js";
export * from "./classical/index.js";
export * from "./models/index.js";
export * from "./models/export.js";
export * from "./report/index.js";
export * from "./train/index.js";
export * from "./experiment/stats.js";
export * from "./pretrained.js";
