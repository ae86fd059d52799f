import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

const tfjs = ["@tensorflow/*", "@tensorflow/**"];

// Node's built-ins, with and without "node:". The adapter and the kit import the ones they use
// from src/platform/node.ts, whose browser twin (node.browser.ts) the browser builds swap in.
const nodeBuiltins = {
  regex: "^(node:.+|fs|fs/.+|path|path/.+|os|url|module|worker_threads|child_process)$",
  message:
    "The adapter and the kit import no Node built-in: import it from src/platform/node.ts (add it there, and a stand-in to node.browser.ts, if it is missing), so that the browser builds get the twin.",
};

// A relative import of another layer's folder that is not one of its entry files, e.g.
// "../../tfjs/step-passes.js" (allowed: "../../tfjs/index.js", "../../tfjs/internal.js").
const entryOnly = (layer, entries, message) => ({
  regex: `^(\\.\\./)+${layer}/(?!(${entries.join("|")})\\.js$)`,
  message,
});

// What the kit may not import (src/restoration/**), Node's built-ins aside.
const kitPatterns = [
  { group: ["**/cli/**"], message: "The kit must not depend on the CLI." },
  entryOnly(
    "tfjs",
    ["index", "internal"],
    "The kit imports the adapter through src/tfjs/index.ts, or src/tfjs/internal.ts for what is not public API: import the name from there (add it to internal.ts if index.ts does not export it).",
  ),
];

const platformAlone =
  "src/platform/ imports nothing from the other layers (they import it): move what you need into src/platform/, or do the work in the caller.";

// The kit's worker entry files, which alone may import a Node built-in (see below).
const nodeWorkerEntries = ["src/restoration/train/parallel/replica-worker.ts", "src/restoration/data/batch-worker.ts"];

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "**/dist/**",
      "node_modules/**",
      ".gpu/**",
      "runs/**",
      "coverage/**",
      ".tmp/**",
      ".stryker-tmp/**",
      ".scratch/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The pure core and the pure strategies: no tfjs, no I/O, and no imports from outer layers.
    files: ["src/core/**/*.ts", "src/strategies/**/*.ts", "src/index.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: tfjs, message: "The core is pure: it must not import tfjs (use art-mtl/tfjs)." },
            { group: ["node:*", "fs", "path", "child_process"], message: "The core does no I/O." },
            {
              group: ["**/tfjs/**", "**/restoration/**", "**/cli/**", "**/laws/**", "**/platform/**"],
              message:
                "Dependencies point core -> adapters -> kit -> CLI only (and src/platform is I/O, which the core does not do).",
            },
          ],
        },
      ],
    },
  },
  {
    // The platform layer (src/platform/: Node's built-ins behind one module with a browser twin,
    // atomic writes, SHA-256, NodeOnlyError) is the bottom layer beside the core: everything else
    // may import it, it imports only its own files and Node's built-ins.
    files: ["src/platform/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/core/**", "**/strategies/**", "**/tfjs/**", "**/restoration/**", "**/cli/**", "**/laws/**"],
              message: platformAlone,
            },
            { regex: "^(\\.\\./)+index\\.js$", message: platformAlone },
            { group: tfjs, message: "src/platform/ must not import tfjs: tfjs code belongs in src/tfjs/." },
          ],
        },
      ],
    },
  },
  {
    // Adapters may use the core but not the kit or the CLI, and no Node built-in.
    files: ["src/tfjs/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/restoration/**", "**/cli/**"], message: "Adapters must not depend on the kit or the CLI." },
            nodeBuiltins,
          ],
        },
      ],
    },
  },
  {
    // The kit: not the CLI, the adapter through its entries only, and no Node built-in
    // (except in the worker entry files, next object).
    files: ["src/restoration/**/*.ts"],
    ignores: nodeWorkerEntries,
    rules: {
      "no-restricted-imports": ["error", { patterns: [...kitPatterns, nodeBuiltins] }],
    },
  },
  {
    // The worker entry files: the modules a `new Worker(url)` starts, which only ever run in Node
    // (never bundled for a browser). They read `parentPort` and `workerData` of
    // node:worker_threads, which src/platform/node.ts does not offer (the browser twin could not
    // give them a meaning: there is no worker side in the browser builds), so they import
    // node:worker_threads themselves. Every other rule of the kit applies.
    files: nodeWorkerEntries,
    rules: {
      "no-restricted-imports": ["error", { patterns: kitPatterns }],
    },
  },
  {
    // The CLI: the kit, the adapter, the core, the strategies and the laws through their entries
    // only (index.ts; for the kit and the adapter also their internal entries,
    // src/restoration/internal.ts and src/tfjs/internal.ts: documented, not in package.json's
    // "exports"); src/platform/ directly; Node's built-ins as it likes.
    files: ["src/cli/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            entryOnly(
              "restoration",
              ["index", "internal"],
              "The CLI imports the kit through src/restoration/index.ts, or src/restoration/internal.ts for what is not public API: import the name from there (add it to one of them if it is missing).",
            ),
            entryOnly(
              "tfjs",
              ["index", "internal"],
              "The CLI imports the adapter through src/tfjs/index.ts, or src/tfjs/internal.ts for what is not public API: import the name from there.",
            ),
            entryOnly(
              "core",
              ["index"],
              "The CLI imports the core through src/core/index.ts: import the name from there (export it there if it is public API).",
            ),
            entryOnly(
              "strategies",
              ["index"],
              "The CLI imports the strategies through src/strategies/index.ts: import the name from there (export it there if it is public API; if not, add a documented src/strategies/internal.ts and allow it in eslint.config.js).",
            ),
            entryOnly(
              "laws",
              ["index"],
              "The CLI imports the laws through src/laws/index.ts: import the name from there.",
            ),
          ],
        },
      ],
    },
  },
);
