/**
 * `art-mtl/tfjs`: train with Art (or any `Weighting`) in any tfjs loop. The tfjs namespace is
 * injected everywhere, so the same code serves tfjs-node(-gpu), WebGPU, WASM and CPU; no
 * backend is imported here. See docs/tfjs-adapter.md.
 */
export * from "./tf.js";
export * from "./errors.js";
export * from "./per-task-loss.js";
export * from "./model.js";
export * from "./trainer.js";
export * from "./checkpoint.js";
export * from "./backend/index.js";
