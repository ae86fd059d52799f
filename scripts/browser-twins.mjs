// The modules with a browser twin: `X.ts` beside `X.browser.ts` under src/ (src/platform/node.ts,
// ...). The twins export the same names with the same types as the Node modules, and need no
// Node built-in. Two esbuild plugins pick between them:
// - `browserTwins` swaps every such module for its twin while bundling src/ for a page (the
//   browser-bundle test, the Chromium adapter test, the playground);
// - `twinImports` (the package's build, tsup.config.ts) leaves the choice to whoever loads the
//   package: each such import becomes the package import `#twins/<path>`, which package.json's
//   "imports" field resolves by condition (Node: the Node module; a browser or a bundler
//   targeting one: the twin). So dist/ holds one copy of everything else for Node and browsers.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const defaultSrc = resolve(dirname(fileURLToPath(import.meta.url)), "..", "src");

/**
 * The module a relative import from a file under `root` names, without its extension, when that
 * module has a browser twin (`X.ts` beside `X.browser.ts`); otherwise undefined.
 * @param {{ importer: string; resolveDir: string; path: string }} args an esbuild onResolve's arguments
 * @param {string} root the source root, ending with the path separator
 */
function moduleWithTwin(args, root) {
  if (!args.importer.startsWith(root)) return undefined;
  const base = resolve(args.resolveDir, args.path).replace(/\.(js|ts)$/, "");
  return existsSync(`${base}.browser.ts`) ? base : undefined;
}

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
        if (args.importer.endsWith(".browser.ts")) return undefined;
        const base = moduleWithTwin(args, root);
        return base === undefined ? undefined : { path: `${base}.browser.ts` };
      });
    },
  };
}

/** The package import that stands for the module `path` (absolute, under `srcDir`), e.g. `#twins/platform/node`. */
export function twinSpecifier(path, srcDir = defaultSrc) {
  return `#twins/${relative(resolve(srcDir), path).split(sep).join("/").replace(/\.ts$/, "")}`;
}

/**
 * @param {string} [srcDir] the source root (default: this repository's src/)
 * @returns {import("esbuild").Plugin}
 */
export function twinImports(srcDir = defaultSrc) {
  const root = resolve(srcDir) + sep;
  return {
    name: "art-mtl-twin-imports",
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const base = moduleWithTwin(args, root);
        return base === undefined ? undefined : { path: twinSpecifier(`${base}.ts`, srcDir), external: true };
      });
    },
  };
}

/**
 * The build entries of the twins (`twins/platform/node` and `twins/platform/node.browser`, ...)
 * and the "imports" field of package.json that resolves `#twins/...` to them: the "browser"
 * condition and the default (a bundler for a page, a browser) get the twin, "node" the Node module.
 */
export function twinBuild(srcDir = defaultSrc) {
  const entries = {};
  const imports = {};
  for (const [nodeModule, twin] of listBrowserTwins(srcDir)) {
    const name = twinSpecifier(nodeModule, srcDir).slice(1);
    entries[name] = nodeModule;
    entries[`${name}.browser`] = twin;
    const files = (file) => ({ import: `./dist/${file}.js`, require: `./dist/${file}.cjs` });
    imports[`#${name}`] = { browser: files(`${name}.browser`), node: files(name), default: files(`${name}.browser`) };
  }
  return { entries, imports };
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
