export * from "./core/random.js";
