import { totalmem } from "node:os";

/**
 * Every Node.js built-in that `art-mtl/tfjs` and `art-mtl/restoration` use, in one place.
 *
 * It is part of the platform layer (src/platform/), which imports nothing from the rest of the
 * project. The adapter and the kit never import `node:*` themselves (a lint rule in
 * eslint.config.js says so; the exceptions are the worker entry files, which only run in Node):
 * they import from here. Node (and the tests) get the real modules; a browser gets
 * `node.browser.ts` instead (the package imports this module as `#twins/platform/node`, which
 * package.json's "imports" resolves to the twin under the "browser" condition; bundling src/ for
 * a page swaps a `X.ts` for its `X.browser.ts` twin; see scripts/browser-twins.mjs), where each of these names exists with the same type but throws
 * `NodeOnlyError` when used, so no Node built-in reaches a browser bundle.
 *
 * Public functions that need Node call `nodeOnly("name", hint)` first: a no-op here, in the
 * browser build it throws `NodeOnlyError` naming the function before anything else happens.
 */
export {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
export * as fsPromises from "node:fs/promises";
export { basename, dirname, extname, join, resolve } from "node:path";
export { fileURLToPath, pathToFileURL } from "node:url";
export { createRequire } from "node:module";
export { Worker } from "node:worker_threads";
export { availableParallelism, hostname } from "node:os";

/** The machine's memory in bytes (a config's memory estimate is judged against it). */
export const totalMemoryBytes = (): number => totalmem();

/** True in Node (this module), false in a browser (its twin). */
export const isNodeBuild: boolean = true;

/**
 * Guards a public function that needs Node: does nothing here; the browser build's twin throws
 * `NodeOnlyError(feature, hint)`.
 */
export const nodeOnly = (_feature: string, _hint?: string): void => undefined;
