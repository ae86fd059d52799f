/**
 * A seeded sample of `npm run fuzz:checkpoint` (scripts/fuzz-checkpoint.ts): sampled bit flips of
 * the manifest, a few flips and truncations per tensor file, every same-shape swap, every deletion
 * of a file or manifest field, and (Linux) symlinks to /dev/zero and FIFOs in place of tensor
 * files. No damaged checkpoint may load changed (silently) or end in anything but a one-line
 * `AdapterError("checkpoint")` (a crash, or a hang past the timeout).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

import { buildFuzzCheckpoint, fuzzCases, runFuzz } from "../../scripts/fuzz-checkpoint.js";

const work = mkdtempSync(join(tmpdir(), "art-mtl-fuzz-test-"));
after(() => rmSync(work, { recursive: true, force: true }));

describe("checkpoint fuzzing (a seeded sample of npm run fuzz:checkpoint)", () => {
  it("refuses or loads unchanged every damaged copy: 0 silently changed, 0 crashes", { timeout: 120_000 }, async () => {
    const original = join(work, "original");
    const expected = await buildFuzzCheckpoint(original);
    const cases = fuzzCases(original, {
      seed: 21,
      manifestFlips: 400,
      tensorFlips: 2,
      truncations: 1,
      specialFiles: true,
    });
    const report = await runFuzz(original, expected, cases, join(work, "cases"), 5_000);
    assert.deepEqual(report.failures, [], JSON.stringify(report.failures.slice(0, 5), null, 1));
    assert.equal(report.counts.silent, 0);
    assert.equal(report.counts.crash, 0);
    assert.equal(report.counts.refused + report.counts.unchanged, cases.length);
    assert.ok(report.counts.refused > 400, `refused ${report.counts.refused}`);
    // The cases that must be there: swaps with their sums, deletions of every sum, the special files.
    for (const name of [
      /swap .* with their sums/,
      /delete every sha256/,
      /re-typed float32/,
      /delete field step/,
      ...(process.platform === "linux" ? [/a symlink to \/dev\/zero/, /a FIFO/] : []),
    ]) {
      assert.ok(
        cases.some((c) => name.test(c.name)),
        String(name),
      );
    }
  });
});
