/**
 * The package as a user gets it: `npm pack` of this repository (after `npm run build` when dist/
 * is missing), installed into a fresh plain Node ESM project outside the repository. Shared by
 * test/package/installed.test.ts and test/package/doc-blocks.test.ts.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const repo = resolve(import.meta.dirname, "..", "..");

export const npm = (args: readonly string[], cwd: string): string =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** The version of `name` installed in this repository's node_modules. */
export const repoVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(repo, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;

/** `name@version` at this repository's version, for an install line. */
export const atRepoVersion = (name: string): string => `${name}@${repoVersion(name)}`;

/**
 * Packs the package into `dir` (building it first when dist/ is missing); the tarball's path.
 * `--ignore-scripts` skips package.json's `prepack` build: scripts/run-tests.mjs builds once
 * before the test files start, and several packs rebuilding dist/ at the same time would
 * clean and rewrite it under each other.
 */
export const packInto = (dir: string): string => {
  if (!existsSync(join(repo, "dist", "index.js"))) npm(["run", "build"], repo);
  const packed = npm(["pack", "--silent", "--ignore-scripts", "--pack-destination", dir], repo)
    .trim()
    .split("\n")
    .pop() as string;
  return join(dir, packed);
};

/**
 * Makes `dir` a fresh ESM project named `name` (a package.json with `"type": "module"`) and
 * installs the packed tarball there with the `extra` install specs (`name@version`), without
 * saving them.
 */
export const installPacked = (dir: string, name: string, extra: readonly string[] = []): void => {
  const tarball = packInto(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", type: "module", private: true }));
  npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--no-save", tarball, ...extra], dir);
};
