import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { selectMethods } from "../../scripts/experiment/methods.js";
import {
  batchStudyFigure,
  batchStudyRows,
  batchStudyTable,
  pairedRows,
  pairedTable,
  scoreTable,
  weightSpreadTable,
  type ExperimentRun,
} from "../../scripts/experiment/summary.js";
import type { EvalResult } from "../../src/restoration/train/records.js";

const evalOf = (psnrs: number[]): EvalResult => ({
  checkpoint: "x",
  step: 1,
  data: "d",
  convention: "basicsr",
  cropBorder: 0,
  yChannel: false,
  tasks: psnrs.map((psnr, k) => ({ task: `t${k}`, count: 1, psnr, ssim: 0.5, inputPsnr: 10, inputSsim: 0.4 })),
  mean: { psnr: psnrs.reduce((a, b) => a + b, 0) / psnrs.length, ssim: 0.5 },
  seconds: 0,
});

const run = (method: string, seed: number, psnrs: number[], weights: number[] = [0.5, 0.5]): ExperimentRun => ({
  method,
  seed,
  test: evalOf(psnrs),
  log: [{ step: 1, loss: 0.1, taskLosses: [0.1, 0.2], weights, lr: 1e-3, time: 0 }],
});

describe("experiment summary", () => {
  const runs = [
    run("mixed", 0, [20, 30]),
    run("mixed", 1, [21, 31]),
    run("mixed", 2, [22, 29]),
    run("art", 0, [20.5, 30.5], [0.75, 0.25]),
    run("art", 1, [21.2, 31.2], [0.75, 0.25]),
    run("art", 2, [22.3, 29.3], [0.75, 0.25]),
  ];
  const tasks = ["t0", "t1"];

  it("pairs runs by seed and gives the mean difference with a t interval", () => {
    const [row] = pairedRows(runs, tasks, ["mixed", "art"], "mixed");
    assert.equal(row!.method, "art");
    assert.equal(row!.n, 3);
    // per-seed differences of the mean PSNR: 0.5, 0.2, 0.3 → mean 1/3
    assert.ok(Math.abs(row!.psnr.meanDifference - 1 / 3) < 1e-12);
    assert.equal(row!.psnr.wins, 3);
    assert.ok(row!.psnr.ci95[0] < 1 / 3 && row!.psnr.ci95[1] > 1 / 3);
    assert.match(pairedTable([row!], tasks, "mixed"), /\| art \| 3 \| \+0\.333 \|/);
  });

  it("tables list mean ± std per task and the weights' spread", () => {
    const table = scoreTable(runs, tasks, ["mixed", "art"]);
    assert.match(table, /\| mixed \| 3 \| 21\.00 ± 1\.00 \| 30\.00 ± 1\.00 \|/);
    assert.match(table, /\*degraded input\*/);
    const spread = weightSpreadTable(runs, tasks, ["mixed", "art"]);
    assert.match(spread, /\| mixed \| 1\.00 \(1\.00\) \| 1\.00 \| 1\.00 \|/);
    assert.match(spread, /\| art \| 3\.00 \(3\.00\) \| 1\.50 \| 0\.50 \|/);
  });

  it("a gradient-aware method's coefficients (not on the simplex) are read as shares of their sum, with the median sum beside them", () => {
    const gradient = [0, 1, 2].map((seed) => run("upgrad", seed, [21, 30], [1.5, 0.5]));
    const spread = weightSpreadTable([...runs, ...gradient], tasks, ["mixed", "art", "upgrad"]);
    assert.match(
      spread,
      /\| method \| max\/min weight per step: median \(95th pct\) \| Σ weights: median \| t0 \(×K\) \| t1 \(×K\) \|/,
    );
    assert.match(spread, /\| mixed \| 1\.00 \(1\.00\) \| 1\.00 \| 1\.00 \| 1\.00 \|/);
    assert.match(spread, /\| upgrad \| 3\.00 \(3\.00\) \| 2\.00 \| 1\.50 \| 0\.50 \|/);
  });

  it("unknown method labels are reported together", () => {
    assert.throws(() => selectMethods(["mixed", "nope", "zzz"]), /unknown method\(s\) nope, zzz/);
    assert.equal(selectMethods(["art"])[0]!.weighting.name, "art");
  });

  it("the batch study pairs Art with mixed per per-task batch and measures the width of s", () => {
    const withValidation = (r: ExperimentRun, psnrs: number[]): ExperimentRun => ({ ...r, validation: evalOf(psnrs) });
    const small = [
      withValidation(run("mixed", 0, [20, 30]), [20, 20]),
      withValidation(run("mixed", 1, [21, 31]), [21, 21]),
      withValidation(run("art", 0, [20.5, 30.5]), [19, 19]),
      withValidation(run("art", 1, [21.5, 31.5]), [20, 20]),
    ];
    const large = small.map((r) => ({ ...r, log: [...r.log, ...r.log] }));
    // A fake replay: s of task k at step i is 1 + (k + 1) * i / (number of steps) times the run's log length,
    // so the width depends on the block (1 log record vs 2) and the task; steps 21+ are kept.
    const replay = (losses: readonly (readonly (number | null)[])[]) =>
      Array.from({ length: 20 + 21 * losses.length }, (_, i) => ({
        s: [i < 20 ? 99 : 1 + (i - 20) / 100, losses.length === 1 ? null : 2 * (1 + (i - 20) / 100)],
      }));
    const rows = batchStudyRows(
      [
        { perTask: 8, steps: 50, runs: large },
        { perTask: 2, steps: 200, runs: small },
      ],
      ["t0", "t1"],
      replay,
    );
    assert.deepEqual(
      rows.map((r) => r.perTask),
      [2, 8],
    );
    // test: art − mixed = +0.5 on both seeds; validation: −1 on both
    assert.equal(rows[0]!.test!.psnr.meanDifference, 0.5);
    assert.equal(rows[0]!.validation!.psnr.meanDifference, -1);
    // small block: 2 art runs x 21 kept values of 1 + j/100 (j = 0..20), 42 sorted values: the 5% and
    // 95% quantiles fall at positions 2.05 and 38.95, i.e. on j = 1 and j = 19 (each value twice)
    assert.ok(Math.abs(rows[0]!.sWidth[0]! - 0.18) < 1e-12);
    assert.ok(Number.isNaN(rows[0]!.sWidth[1]!));
    // large block: 2 runs x 42 kept values (j = 0..41), 84 sorted: positions 4.15 and 78.85 → j = 2 and
    // j = 39, width 0.37; task 1's s is twice task 0's, so its width is 0.74
    assert.ok(Math.abs(rows[1]!.sWidth[0]! - 0.37) < 1e-12);
    assert.ok(Math.abs(rows[1]!.sWidth[1]! - 0.74) < 1e-12);
    const table = batchStudyTable(rows, ["t0", "t1"]);
    assert.match(
      table,
      /\| 2 \| 4 \| 200 \| -1\.000 \[-1\.000, -1\.000\] \| 0\/2 \| \+0\.500 \[0\.500, 0\.500\] \| 2\/2 \| 0\.18 \/ n\/a \| 0\.180 \|/,
    );
    assert.match(table, /\| 8 \| 16 \| 50 \|/);
    const svg = batchStudyFigure(rows, ["t0", "t1"]);
    assert.match(svg, /^<svg[^>]*width="840"/);
    assert.match(svg, /1\/sqrt\(n\)/);
  });
});
