import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

const tfjs = ["@tensorflow/*", "@tensorflow/**"];

export default tseslint.config(
  { ignores: ["dist/**", "**/dist/**", "node_modules/**", ".gpu/**", "runs/**", "coverage/**", ".tmp/**", ".stryker-tmp/**", ".scratch/**"] },
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
      "no-restricted-imports": ["error", {
        patterns: [
          { group: tfjs, message: "The core is pure: it must not import tfjs (use art-mtl/tfjs)." },
          { group: ["node:*", "fs", "path", "child_process"], message: "The core does no I/O." },
          { group: ["**/tfjs/**", "**/restoration/**", "**/cli/**", "**/laws/**"], message: "Dependencies point core -> adapters -> kit -> CLI only." },
        ],
      }],
    },
  },
  {
    // Adapters may use the core but not the kit or the CLI.
    files: ["src/tfjs/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["**/restoration/**", "**/cli/**"], message: "Adapters must not depend on the kit or the CLI." }] }],
    },
  },
  {
    files: ["src/restoration/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["**/cli/**"], message: "The kit must not depend on the CLI." }] }],
    },
  },
);
