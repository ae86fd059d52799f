import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

// Every `from "art-mtl..."` in the README and docs names a subpath package.json exports, so a
// user who copies an example gets a module, not ERR_PACKAGE_PATH_NOT_EXPORTED; and no example
// imports an fp-ts subpath folder ("fp-ts/Either"), which plain Node ESM cannot import.
const repo = resolve(import.meta.dirname, "..", "..");
const markdown = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? markdown(path) : name.endsWith(".md") ? [path] : [];
  });

describe("imports in the docs", () => {
  const files = [join(repo, "README.md"), ...markdown(join(repo, "docs"))];
  const exported = Object.keys(
    (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { exports: Record<string, unknown> }).exports,
  ).map((key) => (key === "." ? "art-mtl" : `art-mtl/${key.slice(2)}`));

  it("import only subpaths that package.json exports", () => {
    const bad: string[] = [];
    let seen = 0;
    for (const file of files) {
      for (const match of readFileSync(file, "utf8").matchAll(/from "(art-mtl(?:\/[^"]*)?)"/g)) {
        seen++;
        if (!exported.includes(match[1] as string)) bad.push(`${file.slice(repo.length + 1)}: ${match[1]}`);
      }
    }
    assert.ok(seen >= 5, `found ${seen} art-mtl imports in the docs`);
    assert.deepEqual(bad, [], `not exported: ${bad.join(", ")}`);
  });

  it("do not import fp-ts subpath folders (Node ESM rejects them)", () => {
    const bad = files.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/from "(fp-ts\/[A-Za-z]+)"/g)].map(
        (m) => `${file.slice(repo.length + 1)}: ${m[1]}`,
      ),
    );
    assert.deepEqual(bad, []);
  });
});
