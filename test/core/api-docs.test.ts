import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

import * as root from "../../src/index.js";

// Docs must match the code: every runtime export of the root entry is documented, and the
// README's core example runs and prints what the README says it prints.

const repo = join(import.meta.dirname, "..", "..");
const docsText = (): string => {
  const dirs = ["docs/api", "docs/strategies"].map((d) => join(repo, d)).filter(existsSync);
  return dirs
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith(".md"))
        .map((f) => readFileSync(join(dir, f), "utf8")),
    )
    .join("\n");
};

describe("API docs", () => {
  it("every runtime export of art-mtl appears in docs/api or docs/strategies", () => {
    const text = docsText();
    // The exact token after a backtick (`name`, `name(`, `name.x`): not a prefix of a longer
    // identifier, so `art` is not "documented" by `art-mtl` or `artOfficial`.
    const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const documented = (name: string) => new RegExp(`\`${escape(name)}(?![\\w$-])`).test(text);
    const missing = Object.keys(root).filter((name) => !documented(name));
    assert.deepEqual(missing, [], `undocumented exports: ${missing.join(", ")}`);
  });

  it("examples/core-usage.ts (the README example) runs and prints the documented lines", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "examples/core-usage.ts"], {
      cwd: repo,
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split("\n");
    assert.equal(lines[0], "0.5000 0.5000 0.0000");
    assert.equal(lines[3], "resumed at step 3");
    assert.equal(lines[4], "task 1 (blur): invalid loss NaN: a loss must not be NaN");
    const readme = readFileSync(join(repo, "README.md"), "utf8");
    const example = readFileSync(join(repo, "examples/core-usage.ts"), "utf8");
    const body = example
      .split("\n")
      .filter((l) => !l.startsWith("//"))
      .join("\n")
      .trim();
    assert.ok(readme.includes(body), "README.md shows examples/core-usage.ts verbatim");
  });
});
