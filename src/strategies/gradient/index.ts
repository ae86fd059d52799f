/**
 * The gradient-aware weightings (MGDA, PCGrad, GradVac, CAGrad, IMTL-G, Aligned-MTL, Nash-MTL,
 * GradNorm, DB-MTL, UPGrad, DualProj, GradDrop, STCH), each a pure `GradientWeighting` over a
 * JSON-safe state, and their registry. Nothing here does I/O or imports tfjs.
 *
 * @example
 * import { mgda } from "art-mtl";
 * const weighting = mgda({ gradientNormalization: "l2" });
 */
export * from "./method.js";
export * from "./mgda.js";
export * from "./imtl-g.js";
export * from "./aligned-mtl.js";
export * from "./pcgrad.js";
export * from "./gradvac.js";
export * from "./graddrop.js";
export * from "./cagrad.js";
export * from "./nash-mtl.js";
export * from "./upgrad.js";
export * from "./dualproj.js";
export * from "./gradnorm.js";
export * from "./db-mtl.js";
export * from "./stch.js";
export * from "./registry.js";
