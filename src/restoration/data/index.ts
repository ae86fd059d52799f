/**
 * The data pipeline of the restoration kit: clean sources (procedural, folders), paired test
 * folders, seeded mixed-task batches with prefetching, and frozen evaluation sets.
 */
export * from "./sources.js";
export * from "./folder.js";
export * from "./paired.js";
export * from "./batches.js";
export * from "./prefetch.js";
export * from "./frozen.js";
export { proceduralImage, type ProceduralOptions } from "./procedural.js";
