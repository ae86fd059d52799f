import { defineConfig } from "tsup";

import { twinBuild, twinImports } from "./scripts/browser-twins.mjs";

// One entry per public subpath (ESM + CJS with .d.ts/.d.cts), the same files for Node and
// browsers, and the CLI and workers as ESM-only entries beside them. Nothing from node_modules is bundled: tfjs, pngjs, jpeg-js, fp-ts and
// io-ts are dependencies (an app that uses fp-ts shares one copy with us), fast-check, webgpu and
// the native backends optional peers.
const external = [/^node:/, /^@tensorflow\//, "webgpu", "fast-check", "pngjs", "jpeg-js"];
const fpTs = [/^fp-ts(\/|$)/, /^io-ts(\/|$)/];

/**
 * fp-ts's subpath modules ("fp-ts/Either") are folders with a package.json, which Node's ESM
 * loader does not resolve (bundlers do). Every build imports the files they point to,
 * "fp-ts/lib/Either.js" (CommonJS, whose named exports Node ESM reads, and which bundlers
 * convert): browsers too, since runtimes without a bundler load them as well (the package
 * test runs the package under the "browser" condition in Node). The cost: a bundler cannot tree-shake fp-ts's
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

/** The public subpaths' entries. */
const publicEntries = {
  index: "src/index.ts",
  "tfjs/index": "src/tfjs/index.ts",
  "restoration/index": "src/restoration/index.ts",
  "laws/index": "src/laws/index.ts",
};
// One build for Node and browsers: each module with a browser twin (src/platform/node.ts, ...) is
// an entry of its own in both versions, imported as `#twins/...`, which package.json's "imports"
// resolves by condition (scripts/browser-twins.mjs; test/package/installed.test.ts checks that
// field against twinBuild()). Everything else is in dist/ once per module format.
const twins = twinBuild();
const shared = {
  sourcemap: true,
  esbuildOptions,
  // Node 20 and today's browsers; the same files serve both.
  target: "es2022",
  platform: "neutral" as const,
  splitting: true,
  // Keep "node:fs" as written: bundlers know the prefix as Node's.
  removeNodeProtocol: false,
  external,
  // Not tsup's automatic externals (which keep "fp-ts/Either" as written): the plugin above.
  noExternal: fpTs,
  esbuildPlugins: [twinImports(), fpTsFiles],
};

export default defineConfig([
  {
    // ESM: the public entries, the twins, the CLI (with its shebang) and the workers, which are
    // loaded by URL next to the module that starts them: beside the chunks (dist/) and beside the
    // kit's entry (dist/restoration/).
    entry: {
      ...publicEntries,
      ...twins.entries,
      "cli/main": "src/cli/main.ts",
      "batch-worker": "src/restoration/data/batch-worker.ts",
      "restoration/batch-worker": "src/restoration/data/batch-worker.ts",
      // The data-parallel replica (train --workers), found the same way as the batch worker.
      "replica-worker": "src/restoration/train/parallel/replica-worker.ts",
      "restoration/replica-worker": "src/restoration/train/parallel/replica-worker.ts",
    },
    format: ["esm"],
    dts: { entry: publicEntries },
    // No clean: both configs write dist/ at once (npm run build deletes it first).
    ...shared,
  },
  {
    // CommonJS: the public entries and the twins. import.meta.url (where the workers are) comes
    // from scripts/cjs-import-meta-url.js (undefined where there is no __filename); the workers
    // themselves are the ESM build's.
    entry: { ...publicEntries, ...twins.entries },
    format: ["cjs"],
    dts: { entry: publicEntries },
    ...shared,
    esbuildOptions: (options: { sourcesContent?: boolean; define?: Record<string, string>; inject?: string[] }) => {
      esbuildOptions(options);
      options.define = { ...options.define, "import.meta.url": "importMetaUrl" };
      options.inject = [...(options.inject ?? []), "scripts/cjs-import-meta-url.js"];
    },
  },
]);
