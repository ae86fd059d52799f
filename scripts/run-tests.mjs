#!/usr/bin/env node
// Runs node's built-in test runner over TypeScript test files (through tsx).
// Usage: node scripts/run-tests.mjs [dir-or-file ...]   (default: test and property-tests)
// Node 20 has no glob support in --test, so the files are listed here.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["test", "property-tests"];
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.test\.ts$/.test(name)) files.push(path);
  }
};
for (const root of roots) {
  if (statSync(root).isDirectory()) walk(root);
  else files.push(root);
}
if (files.length === 0) {
  console.error(`no *.test.ts files under ${roots.join(", ")}`);
  process.exit(1);
}
// The tests that pack the package (test/package/, test/browser/vite) need a current dist/. Build it
// once here, before node --test starts files in parallel: several of them building at the same
// time would clean and rewrite dist/ under each other's npm pack.
const packs = files.some((f) => /(^|[\\/])test[\\/](package|browser)[\\/]/.test(f));
const newestUnder = (path) => {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestUnder(join(path, name))));
};
if (packs) {
  const built = join("dist", "index.js");
  const stale =
    !existsSync(built) ||
    Math.max(newestUnder("src"), newestUnder("package.json"), newestUnder("tsup.config.ts")) > statSync(built).mtimeMs;
  if (stale) {
    console.log("run-tests: building dist/ (missing or older than src/) for the tests that pack the package");
    const build = spawnSync("npm", ["run", "build"], { stdio: ["ignore", "ignore", "inherit"] });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }
}

const result = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...files], {
  stdio: "inherit",
  env: {
    ...process.env,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, "--max-old-space-size=8192"].filter(Boolean).join(" "),
  },
});
process.exit(result.status ?? 1);
