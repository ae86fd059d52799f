/**
 * The browser builds' twin of `node.ts`: the same names and types, none of them Node's. Using
 * any of them throws `NodeOnlyError`; public functions that need Node throw it first, naming
 * themselves, through `nodeOnly`. Nothing here runs at import time.
 */
import { NodeOnlyError } from "./errors.js";

type NodeSide = typeof import("./node.js");

/** A stand-in for a Node function (or class: `new` throws too). */
const unavailable = <K extends keyof NodeSide>(module: string, name: K): NodeSide[K] =>
  function () {
    throw new NodeOnlyError(`${module} ${String(name)}`);
  } as unknown as NodeSide[K];

export const closeSync = unavailable("node:fs", "closeSync");
export const existsSync = unavailable("node:fs", "existsSync");
export const fsyncSync = unavailable("node:fs", "fsyncSync");
export const linkSync = unavailable("node:fs", "linkSync");
export const mkdirSync = unavailable("node:fs", "mkdirSync");
export const openSync = unavailable("node:fs", "openSync");
export const readdirSync = unavailable("node:fs", "readdirSync");
export const readFileSync = unavailable("node:fs", "readFileSync");
export const renameSync = unavailable("node:fs", "renameSync");
export const rmSync = unavailable("node:fs", "rmSync");
export const statSync = unavailable("node:fs", "statSync");
export const writeFileSync = unavailable("node:fs", "writeFileSync");
export const writeSync = unavailable("node:fs", "writeSync");
/** Any property is a function that throws. */
export const fsPromises: NodeSide["fsPromises"] = new Proxy({} as NodeSide["fsPromises"], {
  get: (_target, name) =>
    function () {
      throw new NodeOnlyError(`node:fs/promises ${String(name)}`);
    },
});
export const basename = unavailable("node:path", "basename");
export const dirname = unavailable("node:path", "dirname");
export const extname = unavailable("node:path", "extname");
export const join = unavailable("node:path", "join");
export const resolve = unavailable("node:path", "resolve");
export const fileURLToPath = unavailable("node:url", "fileURLToPath");
export const pathToFileURL = unavailable("node:url", "pathToFileURL");
export const createRequire = unavailable("node:module", "createRequire");
export const Worker = unavailable("node:worker_threads", "Worker");
export const availableParallelism = unavailable("node:os", "availableParallelism");
/** A browser's memory as `navigator.deviceMemory` says (GiB, capped at 8 by browsers), else 4 GiB. */
export const totalMemoryBytes = (): number =>
  ((globalThis as { navigator?: { deviceMemory?: number } }).navigator?.deviceMemory ?? 4) * 2 ** 30;
export const hostname = unavailable("node:os", "hostname");

export const isNodeBuild: NodeSide["isNodeBuild"] = false;

export const nodeOnly: NodeSide["nodeOnly"] = (feature, hint) => {
  throw new NodeOnlyError(feature, hint);
};
