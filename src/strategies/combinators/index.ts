/**
 * Combinators: each wraps an inner `Weighting` and is a `Weighting` itself, with the inner state
 * nested under `inner` (optax-style). They stack: `warmup(100, clampWeights({ floor: 0.05,
 * ceiling: 0.8 }, skipNonFinite({}, art())))`.
 */
export * from "./wrap.js";
export * from "./skip-non-finite.js";
export * from "./warmup.js";
export * from "./clamp-weights.js";
export * from "./mask-tasks.js";
export * from "./schedule-hyperparams.js";
export * from "./phase-drivers.js";
