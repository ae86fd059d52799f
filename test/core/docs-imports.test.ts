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

  it("import only names that the entry exports (values and types, read from its explicit export list)", () => {
    const entrySource: Record<string, string> = {
      "art-mtl": "src/index.ts",
      "art-mtl/tfjs": "src/tfjs/index.ts",
      "art-mtl/restoration": "src/restoration/index.ts",
      "art-mtl/laws": "src/laws/index.ts",
    };
    const namesOf = (source: string) =>
      new Set(
        [...readFileSync(join(repo, source), "utf8").matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) =>
          m[1]!
            .split(",")
            .map((n) => n.trim().replace(/^type /, ""))
            .filter(Boolean),
        ),
      );
    const bad: string[] = [];
    let seen = 0;
    for (const file of files) {
      for (const m of readFileSync(file, "utf8").matchAll(
        /import (?:type )?\{([^}]*)\} from "(art-mtl(?:\/[^"]*)?)"/g,
      )) {
        const source = entrySource[m[2]!];
        if (source === undefined) continue; // an unexported subpath: the test above reports it
        const names = namesOf(source);
        for (const raw of m[1]!.split(",")) {
          const name = raw
            .trim()
            .replace(/^type /, "")
            .split(/\s+as\s+/)[0]!;
          if (name === "" || name === "…" || name === "...") continue; // a prose placeholder
          seen++;
          if (!names.has(name)) bad.push(`${file.slice(repo.length + 1)}: ${name} from ${m[2]}`);
        }
      }
    }
    assert.ok(seen >= 20, `found ${seen} imported names in the docs`);
    assert.deepEqual(bad, [], `not exported by their entry: ${bad.join(", ")}`);
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
