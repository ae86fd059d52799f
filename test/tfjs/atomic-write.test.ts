import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

import { syncDirectory, writeFileAtomic } from "../../src/platform/atomic-write.js";

const temp = mkdtempSync(join(tmpdir(), "art-mtl-atomic-"));
after(() => rmSync(temp, { recursive: true, force: true }));

describe("writeFileAtomic", () => {
  it("creates the parent, replaces the file in one step and leaves no temp file", () => {
    const path = join(temp, "a", "b", "file.json");
    writeFileAtomic(path, "one\n");
    assert.equal(readFileSync(path, "utf8"), "one\n");
    writeFileAtomic(path, new TextEncoder().encode("two\n"));
    assert.equal(readFileSync(path, "utf8"), "two\n");
    assert.deepEqual(readdirSync(join(temp, "a", "b")), ["file.json"]);
  });
  it("syncs a directory, and reports a missing one", () => {
    syncDirectory(temp);
    assert.throws(() => syncDirectory(join(temp, "missing")), /ENOENT/);
  });
});
