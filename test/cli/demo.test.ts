import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

import { runCli } from "../../src/cli/main.js";

const temp = mkdtempSync(join(tmpdir(), "art-mtl-demo-"));
after(() => rmSync(temp, { recursive: true, force: true }));

describe("art-mtl demo", () => {
  it("trains mixed and Art for a few steps, prints the per-task table and writes the report", async () => {
    let stdout = "";
    let stderr = "";
    const code = await runCli(["demo", "--steps", "2", "--out", temp, "--backend", "wasm", "--quiet"], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
    });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /\| task \| input PSNR \| mixed PSNR \| Art PSNR \| Δ PSNR/);
    for (const task of ["sr", "blur", "noise", "jpeg", "rain", "haze", "lowlight"])
      assert.match(
        stdout,
        new RegExp(
          `\\| ${task} \\| [0-9.]+ \\| [0-9.]+( \\(below input\\))? \\| [0-9.]+( \\(below input\\))? \\| [+-][0-9.]+ \\|`,
        ),
      );
    const html = readFileSync(join(temp, "report.html"), "utf8");
    assert.match(html, /mixed training vs Art/);
    // The shipped model: its own table, and a column of the before/after pictures (7 tasks x (input, mixed, Art, shipped, clean)).
    assert.match(stdout, /The shipped all-in-one model .* on the same images/);
    assert.match(html, /<h2>Before and after<\/h2>/);
    assert.match(html, /<th>shipped all-in-one \(told the task\)<\/th>/);
    assert.equal((html.match(/<img src="data:image\/png;base64,/g) ?? []).length, 7 * 5);
    assert.ok(existsSync(join(temp, "mixed", "eval.json")) && existsSync(join(temp, "art", "eval.json")));
    // Same seed: both runs start from the same weights on the same batch, so their first losses agree.
    const first = (run: string) =>
      JSON.parse(readFileSync(join(temp, run, "log.jsonl"), "utf8").split("\n")[0] as string) as {
        taskLosses: number[];
      };
    assert.deepEqual(first("mixed").taskLosses, first("art").taskLosses);
  });
});
