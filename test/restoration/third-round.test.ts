import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

import { preregisteredSection, scoreThirdRound, THIRD_ROUND_PLAN } from "../../scripts/experiment/preregistered.js";
import type { EvalResult } from "../../src/restoration/train/index.js";

const repo = resolve(import.meta.dirname, "..", "..");
const block = join(repo, "docs", "data", "round3", "B");

describe("the third round's results are recomputable from the committed files", () => {
  it("every run's per-image scores reproduce its own eval files, task by task, bit for bit", async () => {
    // Committed with the results: no checkpoint and no frozen set is needed to read them.
    const scored = await scoreThirdRound(block, { validation: "(unused)", test: "(unused)" });
    let runs = 0;
    for (const [label, bySeed] of scored) {
      for (const [seed, scores] of bySeed) {
        for (const [set, file] of [
          ["validation", "val-eval.json"],
          ["test", "eval.json"],
        ] as const) {
          const reference = JSON.parse(readFileSync(join(block, label, `seed${seed}`, file), "utf8")) as EvalResult;
          for (const task of reference.tasks) {
            const own = scores[set].filter((s) => s.task === task.task).map((s) => s.psnr);
            assert.equal(own.length, task.count, `${label} seed ${seed} ${set} ${task.task}: image count`);
            assert.equal(
              own.reduce((a, b) => a + b, 0) / own.length,
              task.psnr,
              `${label} seed ${seed} ${set} ${task.task}`,
            );
          }
        }
        runs++;
      }
    }
    // The primary comparison's 10 paired seeds at least.
    assert.ok((scored.get(THIRD_ROUND_PLAN.primary[0])?.size ?? 0) >= 10, "10 seeds of the primary treatment");
    assert.ok((scored.get(THIRD_ROUND_PLAN.primary[1])?.size ?? 0) >= 10, "10 seeds of the primary control");
    assert.ok(runs >= 20);
  });

  it("docs/results.md shows the tables rebuilt from them", async () => {
    assert.ok(existsSync(block), `${block} is committed`);
    const scored = await scoreThirdRound(block, { validation: "(unused)", test: "(unused)" });
    const results = readFileSync(join(repo, "docs", "results.md"), "utf8");
    assert.ok(
      results.includes(preregisteredSection(scored)),
      "docs/results.md holds the rebuilt third-round tables verbatim",
    );
  });
});
