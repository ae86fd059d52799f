import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

import * as root from "../../src/index.js";
import * as lawsEntry from "../../src/laws/index.js";
import * as restorationEntry from "../../src/restoration/index.js";
import * as tfjsEntry from "../../src/tfjs/index.js";

// Docs must match the code: every runtime export of each entry is documented in its API
// reference, and every name a reference gives a heading of its own (### `name`) is exported by
// that entry (a heading part marked "(type)"/"(types)" names types, which do not exist at run
// time, and is not checked).

const repo = join(import.meta.dirname, "..", "..");
const read = (path: string) => readFileSync(join(repo, path), "utf8");
const mdFiles = (dir: string) =>
  readdirSync(join(repo, dir))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `${dir}/${f}`);

const references: ReadonlyArray<{ entry: string; module: Record<string, unknown>; pages: readonly string[] }> = [
  {
    entry: "art-mtl",
    module: root,
    pages: ["docs/api/core.md", "docs/api/strategies.md", "docs/api/gradient.md", ...mdFiles("docs/strategies")],
  },
  { entry: "art-mtl/tfjs", module: tfjsEntry, pages: ["docs/api/tfjs.md"] },
  { entry: "art-mtl/restoration", module: restorationEntry, pages: ["docs/api/restoration.md"] },
  { entry: "art-mtl/laws", module: lawsEntry, pages: ["docs/api/laws.md"] },
];

const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** The exact token after a backtick (`name`, `name(`, `name.x`): not a prefix of a longer identifier. */
const documentedIn = (text: string) => (name: string) => new RegExp(`\`${escape(name)}(?![\\w$-])`).test(text);

/** The runtime names a heading claims: backticked identifiers outside the parts marked as types. */
const headingNames = (text: string): string[] =>
  text
    .split("\n")
    .filter((line) => /^#{2,4} /.test(line))
    .flatMap((line) => line.split(";"))
    .filter((part) => !/\(types?\)/.test(part))
    .flatMap((part) => [...part.matchAll(/`([A-Za-z_$][\w$]*)/g)].map((m) => m[1]!));

describe("API docs", () => {
  for (const { entry, module, pages } of references) {
    it(`every runtime export of ${entry} appears in ${pages.length === 1 ? pages[0] : "its API reference"}`, () => {
      const text = pages.map(read).join("\n");
      // A reference of its own (docs/api/ only) gives every runtime export a heading; the root's
      // names may also be documented in the body of the per-strategy pages.
      const headed = new Set(headingNames(text));
      const documented = pages.every((page) => page.startsWith("docs/api/"))
        ? (name: string) => headed.has(name)
        : documentedIn(text);
      const missing = Object.keys(module).filter((name) => !documented(name));
      assert.deepEqual(missing, [], `undocumented exports of ${entry}: ${missing.join(", ")}`);
    });

    it(`every name with a heading in ${entry}'s API reference is exported by ${entry}`, () => {
      const exported = new Set(Object.keys(module));
      const unknown = pages
        .filter((page) => page.startsWith("docs/api/"))
        .flatMap((page) => headingNames(read(page)).map((name) => ({ page, name })))
        .filter(({ name }) => !exported.has(name))
        .map(({ page, name }) => `${page}: ${name}`);
      assert.deepEqual(unknown, [], `headings that name no runtime export: ${unknown.join(", ")}`);
    });
  }

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
