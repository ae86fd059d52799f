/**
 * Art's peers, each a pure `Weighting` over a JSON-safe, self-describing state: equal, DWA,
 * RLW, GLS, UW, IMTL-L, FAMO and SI; the sequential curriculum; combinators; and a registry by
 * name. Nothing here does I/O or imports tfjs.
 *
 * @example
 * import { dwa, warmup } from "art-mtl";
 * const weighting = warmup(100, dwa({ temperature: 2 }));
 */
export * from "./common.js";
export * from "./adam.js";
export * from "./equal.js";
export * from "./dwa.js";
export * from "./rlw.js";
export * from "./gls.js";
export * from "./si.js";
export * from "./learned-scale.js";
export * from "./uw.js";
export * from "./imtl-l.js";
export * from "./famo.js";
export * from "./sequential.js";
export * from "./combinators/index.js";
export * from "./registry.js";
export * from "./gradient/index.js";
