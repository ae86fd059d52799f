#!/usr/bin/env node
// Checks the BUILT core entry (dist/index.js and dist/index.cjs, which Node and browsers share):
// every module it imports, followed transitively through node_modules, must be free of tfjs, of
// Node I/O and of the platform twins (#twins/..., the modules that differ between Node and
// browsers). Run after `npm run build`.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const require = createRequire(join(root, "package.json"));
const entries = ["dist/index.js", "dist/index.cjs"].map((p) => join(root, p));
// import/export ... from "x", import("x"), require("x") and the side-effect import "x".
const specifier =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s*['"]([^'"]+)['"]/g;

const problems = [];
const seen = new Set();
const visit = (file, chain) => {
  if (seen.has(file)) return;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(specifier)) {
    const spec = match[1] ?? match[2] ?? match[3] ?? match[4];
    if (spec.startsWith("node:") || spec === "fs" || spec === "path") {
      problems.push(`${[...chain, file].join(" -> ")} imports ${spec} (the core does no I/O)`);
      continue;
    }
    if (spec.startsWith("#")) {
      problems.push(
        `${[...chain, file].join(" -> ")} imports ${spec} (a module that differs between Node and browsers)`,
      );
      continue;
    }
    if (/tensorflow|tfjs/i.test(spec)) {
      problems.push(`${[...chain, file].join(" -> ")} imports ${spec}`);
      continue;
    }
    let target;
    try {
      target = spec.startsWith(".")
        ? require.resolve(resolve(dirname(file), spec))
        : require.resolve(spec, { paths: [dirname(file)] });
    } catch {
      problems.push(`${file}: cannot resolve ${spec}`);
      continue;
    }
    visit(target, [...chain, file]);
  }
};
for (const entry of entries) {
  if (!existsSync(entry)) {
    console.error(`${entry} is missing: run npm run build first`);
    process.exit(2);
  }
  visit(entry, []);
}
if (problems.length > 0) {
  console.error("the built core is not pure:\n  " + problems.join("\n  "));
  process.exit(1);
}
console.log(
  `core purity: ${seen.size} modules reachable from dist/index.{js,cjs}, none imports tfjs, node I/O or a platform twin`,
);
