/**
 * Builds the playground into a static site: the page, its bundle (esbuild, browser platform,
 * the kit's browser builds), tfjs' WASM binaries and the shipped model's checkpoint. The
 * folder can be hosted as it is; `npm run playground` serves it on 127.0.0.1.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";

import { browserTwins } from "../../scripts/browser-twins.mjs";

const here = import.meta.dirname;
const repo = resolve(here, "..", "..");

/** What `buildPlayground` wrote. */
export interface PlaygroundBuild {
  readonly outDir: string;
  readonly bundleBytes: number;
  readonly seconds: number;
}

/** Builds the site into `outDir` (default examples/playground/dist), replacing what was there. */
export const buildPlayground = async (outDir = join(here, "dist")): Promise<PlaygroundBuild> => {
  const started = performance.now();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, "wasm"), { recursive: true });
  const result = await build({
    entryPoints: [join(here, "app", "main.ts")],
    outfile: join(outDir, "app.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    sourcemap: true,
    minify: true,
    metafile: true,
    logLevel: "warning",
    plugins: [browserTwins()],
  });
  for (const file of ["index.html", "style.css"]) copyFileSync(join(here, file), join(outDir, file));
  // tfjs-backend-wasm fetches its binaries from the folder given to setWasmPaths.
  const wasmDir = dirname(
    createRequire(join(repo, "package.json")).resolve("@tensorflow/tfjs-backend-wasm/package.json"),
  );
  for (const file of readdirSync(join(wasmDir, "dist")).filter((f) => f.endsWith(".wasm")))
    copyFileSync(join(wasmDir, "dist", file), join(outDir, "wasm", file));
  const shipped = join(repo, "models", "all-in-one", "checkpoint");
  if (existsSync(shipped)) cpSync(shipped, join(outDir, "pretrained", "all-in-one", "checkpoint"), { recursive: true });
  const bundleBytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  return { outDir, bundleBytes, seconds: (performance.now() - started) / 1000 };
};
