/**
 * Starting a worker thread from a module next to the caller: the compiled `.js` as is, the
 * `.ts` source (under tsx) through a bootstrap that registers tsx's loader first, since a worker
 * does not inherit the parent's loader hooks. Used by the batch prefetch worker and the
 * data-parallel replicas. In the browser build these find nothing (no worker threads there).
 */
import {
  createRequire,
  dirname,
  existsSync,
  fileURLToPath,
  isNodeBuild,
  join,
  pathToFileURL,
  readFileSync,
  Worker,
} from "../../platform/node.js";

/** The first of `names` (relative to `base`, an `import.meta.url`) that exists, if any. */
export function findModuleNextTo(base: string, names: readonly string[]): URL | undefined {
  if (!isNodeBuild) return undefined;
  try {
    for (const name of names) {
      const url = new URL(name, base);
      if (url.protocol === "file:" && existsSync(fileURLToPath(url))) return url;
    }
  } catch {
    // No usable import.meta.url (e.g. a CommonJS bundle): nothing found.
  }
  return undefined;
}

/**
 * tsx's ESM API entry, when tsx is installed. Found through tsx's package.json "exports" rather
 * than `import.meta.resolve`, which a CommonJS build cannot even parse (and `require.resolve`
 * would give the CommonJS entry, which cannot register ESM hooks).
 */
export function tsxEsmApi(): string | undefined {
  if (!isNodeBuild) return undefined;
  try {
    const manifestPath = createRequire(import.meta.url).resolve("tsx/package.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
      exports?: Record<string, { import?: string | { default?: string } }>;
    };
    const entry = manifest.exports?.["./esm/api"]?.import;
    const file = typeof entry === "string" ? entry : entry?.default;
    return file === undefined ? undefined : pathToFileURL(join(dirname(manifestPath), file)).href;
  } catch {
    return undefined;
  }
}

/** Starts `url` as a worker with `workerData`. */
export function startModuleWorker(url: URL, workerData: unknown): Worker {
  if (!url.pathname.endsWith(".ts")) return new Worker(url, { workerData });
  const api = tsxEsmApi();
  if (api === undefined) throw new Error(`${fileURLToPath(url)} is TypeScript but tsx is not installed`);
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
