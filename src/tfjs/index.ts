/**
 * `art-mtl/tfjs`: train with Art (or any `Weighting`) in any tfjs loop. The tfjs namespace is
 * injected everywhere, so the same code serves tfjs-node(-gpu), WebGPU, WASM and CPU; no
 * backend is imported here. See docs/tfjs-adapter.md.
 *
 * The same module is the browser build (package.json's "browser" condition), with Node's
 * built-ins swapped for stand-ins that throw `NodeOnlyError` (see src/platform/node.ts): there,
 * checkpoints go to a `CheckpointStore` (memory, IndexedDB) instead of a directory path.
 */
export * from "./tf.js";
export * from "./errors.js";
export * from "./per-task-loss.js";
export * from "./model.js";
export * from "./trainer.js";
export * from "./gradient-trainer.js";
export * from "./weighting-driver.js";
export * from "./optimizer-state.js";
export * from "./checkpoint/index.js"; // saving and loading, the stores, the tar codec: see checkpoint/index.ts
export { sha256Hex } from "../platform/sha256.js";
export * from "./backend/index.js";
