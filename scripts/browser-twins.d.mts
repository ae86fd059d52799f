import type { Plugin } from "esbuild";

/** The esbuild plugin that swaps a module of `srcDir` (default: this repository's src/) for its `.browser.ts` twin. */
export declare function browserTwins(srcDir?: string): Plugin;
/** The twins under `srcDir`: [the Node module, its browser twin] pairs (absolute paths). */
export declare function listBrowserTwins(srcDir?: string): Array<[string, string]>;
