import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pairedRows, pairedTable, scoreTable, weightSpreadTable, type ExperimentRun } from "../../src/restoration/experiment/summary.js";
import { selectMethods } from "../../src/restoration/experiment/methods.js";
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

  it("unknown method labels are reported together", () => {
    assert.throws(() => selectMethods(["mixed", "nope", "zzz"]), /unknown method\(s\) nope, zzz/);
    assert.equal(selectMethods(["art"])[0]!.weighting.name, "art");
  });
});
