import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { build } from "esbuild";

// The entries that must bundle for a browser with zero Node built-ins: the core and the law
// suite (tfjs stays a peer, fast-check too). `art-mtl/tfjs` and `art-mtl/restoration` still reach
// Node's fs through their file checkpoints and folder datasets (issue: browser-safe entries).
const repo = resolve(import.meta.dirname, "..", "..");
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

for (const [entry, file] of [
  ["art-mtl", "src/index.ts"],
  ["art-mtl/laws", "src/laws/index.ts"],
] as const) {
  describe(`${entry} in a browser bundle`, () => {
    it("bundles with esbuild --platform=browser and imports no Node built-in", async () => {
      const imported: string[] = [];
      const result = await build({
        entryPoints: [resolve(repo, file)],
        bundle: true,
        platform: "browser",
        format: "esm",
        write: false,
        logLevel: "silent",
        external: ["@tensorflow/*", "fast-check"],
        plugins: [
          {
            name: "record-builtins",
            setup(b) {
              b.onResolve({ filter: /.*/ }, (args) => {
                if (builtins.has(args.path)) imported.push(`${args.path} (from ${args.importer.slice(repo.length + 1)})`);
                return undefined;
              });
            },
          },
        ],
      }).catch((error: { errors?: { text: string }[] }) => {
        throw new Error(`bundling failed: ${(error.errors ?? []).map((e) => e.text).join("; ")}`);
      });
      assert.deepEqual(imported, [], `Node built-ins reached from ${entry}`);
      assert.ok((result.outputFiles[0]?.text.length ?? 0) > 1000, "a bundle came out");
    });
  });
}
