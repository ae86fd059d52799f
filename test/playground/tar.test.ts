import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tarArchive } from "../../examples/playground/app/tar.js";

describe("playground tar writer", () => {
  it("GNU tar lists and unpacks the files byte for byte", () => {
    const dir = mkdtempSync(join(tmpdir(), "art-mtl-tar-"));
    try {
      const big = new Uint8Array(1500).map((_, i) => (i * 7) % 256);
      const files = new Map<string, Uint8Array>([
        ["run/config.json", new TextEncoder().encode('{"a":1}\n')],
        ["run/checkpoint/model/weights.bin", big],
        ["run/empty.txt", new Uint8Array(0)],
      ]);
      writeFileSync(join(dir, "run.tar"), tarArchive(files, 1_700_000_000));
      const list = spawnSync("tar", ["-tvf", "run.tar"], { cwd: dir, encoding: "utf8" });
      assert.equal(list.status, 0, list.stderr);
      assert.deepEqual(list.stdout.trim().split("\n").map((line) => line.split(/\s+/).pop()), [...files.keys()]);
      assert.match(list.stdout, /1500 2023-11-14/);
      const unpack = spawnSync("tar", ["-xf", "run.tar"], { cwd: dir, encoding: "utf8" });
      assert.equal(unpack.status, 0, unpack.stderr);
      for (const [path, bytes] of files) assert.deepEqual(new Uint8Array(readFileSync(join(dir, path))), bytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses paths that do not fit a ustar header", () => {
    assert.throws(() => tarArchive(new Map([["x".repeat(101), new Uint8Array(1)]])), /longer than 100 bytes/);
  });
});
