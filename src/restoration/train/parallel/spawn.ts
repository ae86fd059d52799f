/**
 * Starting a worker thread from a module next to the caller: the compiled `.js` as is, the
 * `.ts` source (under tsx) through a bootstrap that registers tsx's loader first, since a worker
 * does not inherit the parent's loader hooks.
 */
import { createRequire, dirname, existsSync, fileURLToPath, join, pathToFileURL, readFileSync, Worker } from "../../../tfjs/platform/node.js";

/** The first of `names` (relative to `base`, an `import.meta.url`) that exists, if any. */
export function findModuleNextTo(base: string, names: readonly string[]): URL | undefined {
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

/** tsx's ESM API entry (found through its package.json "exports"), when tsx is installed. */
function tsxEsmApi(): string | undefined {
  try {
    const manifestPath = createRequire(import.meta.url).resolve("tsx/package.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { exports?: Record<string, { import?: string | { default?: string } }> };
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
