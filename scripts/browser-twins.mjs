// The browser builds' module swap: an esbuild plugin that resolves a relative import of `X.js`
// (or `X.ts`) from a file under src/ to `X.browser.ts` when that twin exists beside `X.ts`.
// tsup.config.ts uses it for dist/browser/, the browser-bundle test for its bundles, and the
// playground for its page. The twins (src/platform/node.browser.ts, ...) export the same
// names with the same types as the Node modules, and need no Node built-in.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const defaultSrc = resolve(dirname(fileURLToPath(import.meta.url)), "..", "src");

/**
 * @param {string} [srcDir] the source root whose files get their twins (default: this repository's src/)
 * @returns {import("esbuild").Plugin}
 */
export function browserTwins(srcDir = defaultSrc) {
  const root = resolve(srcDir) + sep;
  return {
    name: "art-mtl-browser-twins",
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (!args.importer.startsWith(root) || args.importer.endsWith(".browser.ts")) return undefined;
        const base = resolve(args.resolveDir, args.path).replace(/\.(js|ts)$/, "");
        const twin = `${base}.browser.ts`;
        return existsSync(twin) ? { path: twin } : undefined;
      });
    },
  };
}

/** The twins under `srcDir`: [the Node module, its browser twin] pairs. */
export function listBrowserTwins(srcDir = defaultSrc) {
  return listTs(resolve(srcDir))
    .filter((file) => file.endsWith(".browser.ts"))
    .map((twin) => [twin.replace(/\.browser\.ts$/, ".ts"), twin]);
}

const listTs = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listTs(path) : name.endsWith(".ts") ? [path] : [];
  });
