#!/usr/bin/env node
// Checks the BUILT core entry (dist/index.js and dist/index.cjs, and its browser build
// dist/browser/index.{js,cjs}): every module it imports, followed transitively through
// node_modules, must be free of tfjs and of Node I/O. Run after `npm run build`.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const require = createRequire(join(root, "package.json"));
const entries = ["dist/index.js", "dist/index.cjs", "dist/browser/index.js", "dist/browser/index.cjs"].map((p) =>
  join(root, p),
);
const specifier =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

const problems = [];
const seen = new Set();
const visit = (file, chain) => {
  if (seen.has(file)) return;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(specifier)) {
    const spec = match[1] ?? match[2] ?? match[3];
    if (spec.startsWith("node:") || spec === "fs" || spec === "path") {
      problems.push(`${[...chain, file].join(" -> ")} imports ${spec} (the core does no I/O)`);
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
  `core purity: ${seen.size} modules reachable from dist/index.{js,cjs} and dist/browser/index.{js,cjs}, none imports tfjs or node I/O`,
);
