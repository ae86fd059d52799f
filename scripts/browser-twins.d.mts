import type { Plugin } from "esbuild";

/** The esbuild plugin that swaps a module of `srcDir` (default: this repository's src/) for its `.browser.ts` twin. */
export declare function browserTwins(srcDir?: string): Plugin;
/** The twins under `srcDir`: [the Node module, its browser twin] pairs (absolute paths). */
export declare function listBrowserTwins(srcDir?: string): Array<[string, string]>;
/** The package import that stands for the module `path` (absolute, under `srcDir`), e.g. `#twins/platform/node`. */
export declare function twinSpecifier(path: string, srcDir?: string): string;
/** The package build's plugin: every import of a module with a twin becomes the external package import `#twins/<path>`. */
export declare function twinImports(srcDir?: string): Plugin;
/** The twins' build entries, and package.json's "imports" field that resolves `#twins/...` by condition. */
export declare function twinBuild(srcDir?: string): {
  entries: Record<string, string>;
  imports: Record<string, Record<"browser" | "node" | "default", { import: string; require: string }>>;
};
