import { defineConfig } from "tsup";

// One entry per public subpath; the CLI is a separate ESM-only entry with a shebang.
export default defineConfig([
  {
    entry: { index: "src/index.ts" },
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    splitting: false,
  },
]);
