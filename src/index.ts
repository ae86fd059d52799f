export * from "./core/index.js";
export * from "./strategies/index.js";
