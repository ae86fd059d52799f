import { defineConfig } from "tsup";

import { browserTwins } from "./scripts/browser-twins.mjs";

// One entry per public subpath (ESM + CJS with .d.ts/.d.cts), and the CLI as an ESM-only
// entry with a shebang. Nothing from node_modules is bundled: tfjs, pngjs, jpeg-js, fp-ts and
// io-ts are dependencies (an app that uses fp-ts shares one copy with us), fast-check, webgpu and
// the native backends optional peers.
const external = [/^@tensorflow\//, "webgpu", "fast-check", "pngjs", "jpeg-js"];
const fpTs = [/^fp-ts(\/|$)/, /^io-ts(\/|$)/];

/**
 * fp-ts's subpath modules ("fp-ts/Either") are folders with a package.json, which Node's ESM
 * loader does not resolve (bundlers do). Every build imports the files they point to,
 * "fp-ts/lib/Either.js" (CommonJS, whose named exports Node ESM reads, and which bundlers
 * convert): the browser builds too, since runtimes without a bundler load them as well (the
 * package test runs the browser build in Node). The cost: a bundler cannot tree-shake fp-ts's
 * CommonJS files (fp-ts/lib/Either.js and io-ts/lib/index.js are whole in a page's bundle).
 */
const fpTsFiles = {
  name: "fp-ts-files",
  setup(build: {
    onResolve(
      options: { filter: RegExp },
      callback: (args: { path: string }) => { path: string; external: boolean },
    ): void;
  }): void {
    build.onResolve({ filter: /^fp-ts\/[A-Za-z]+$/ }, (args) => ({
      path: `fp-ts/lib/${args.path.slice("fp-ts/".length)}.js`,
      external: true,
    }));
    build.onResolve({ filter: /^io-ts$/ }, (args) => ({ path: args.path, external: true }));
  },
};
// Source maps map stack traces to src/ file:line, without embedding the sources (which were
// 58% of the package): the repository has them.
const esbuildOptions = (options: { sourcesContent?: boolean }) => {
  options.sourcesContent = false;
};

export default defineConfig([
  {
    entry: {
      index: "src/index.ts",
      "tfjs/index": "src/tfjs/index.ts",
      "restoration/index": "src/restoration/index.ts",
      "laws/index": "src/laws/index.ts",
    },
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    esbuildOptions,
    target: "node20",
    splitting: true,
    // Not dist/browser/: the browser builds (the last config) run at the same time.
    clean: ["!browser/**"],
    // import.meta.url (the batch worker's location) as a __filename-based shim in the CJS build.
    shims: true,
    external,
    // Not tsup's automatic externals (which keep "fp-ts/Either" as written): the plugin above.
    noExternal: fpTs,
    esbuildPlugins: [fpTsFiles],
  },
  {
    // The workers are loaded by URL next to the module that starts them: beside the CLI's
    // chunks (dist/) and beside the kit's entry (dist/restoration/).
    entry: {
      "cli/main": "src/cli/main.ts",
      "batch-worker": "src/restoration/data/batch-worker.ts",
      "restoration/batch-worker": "src/restoration/data/batch-worker.ts",
      // The data-parallel replica (train --workers), found the same way as the batch worker.
      "replica-worker": "src/restoration/train/parallel/replica-worker.ts",
      "restoration/replica-worker": "src/restoration/train/parallel/replica-worker.ts",
    },
    format: ["esm"],
    sourcemap: true,
    esbuildOptions,
    target: "node20",
    splitting: true,
    external,
    // Not tsup's automatic externals (which keep "fp-ts/Either" as written): the plugin above.
    noExternal: fpTs,
    esbuildPlugins: [fpTsFiles],
  },
  {
    // The browser builds (package.json's "browser" condition, and the default where neither
    // "browser" nor "node" is set): the same four entries, with each module X.ts that has an
    // X.browser.ts twin swapped for it (scripts/browser-twins.mjs): Node's built-ins become
    // stand-ins that throw NodeOnlyError, pngjs its own browser build. No .d.ts: the exports
    // and their types are the Node builds', whose .d.ts files package.json names for both.
    entry: {
      index: "src/index.ts",
      "tfjs/index": "src/tfjs/index.ts",
      "restoration/index": "src/restoration/index.ts",
      "laws/index": "src/laws/index.ts",
    },
    outDir: "dist/browser",
    format: ["esm", "cjs"],
    platform: "browser",
    target: "es2022",
    sourcemap: true,
    esbuildOptions,
    clean: true,
    splitting: true,
    external,
    noExternal: fpTs,
    esbuildPlugins: [browserTwins(), fpTsFiles],
  },
]);
