/**
 * The pure core of art-mtl: no tfjs, no I/O. Everything here is a pure function over plain,
 * JSON-safe data, with errors as fp-ts Either values.
 */
export * from "./errors.js";
export * from "./codecs.js";
export * from "./report.js";
export * from "./strict.js";
export * from "./losses.js";
export * from "./softmax.js";
export * from "./weighting.js";
export * from "./gradient-weighting.js";
export * from "./random.js";
export * from "./unwrap.js";
export * from "./reduce.js";
export * from "./art/index.js";
