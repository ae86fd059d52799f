import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  bootstrapInterval,
  holmAdjust,
  mean,
  minimumDetectableDifference,
  pairedDifference,
  pairedPValue,
  pairedTestPower,
  sampleStd,
  studentTCdf,
  studentTQuantile,
} from "../../src/restoration/experiment/stats.js";
import { assertAllClose } from "../support/all-close.js";

describe("experiment statistics", () => {
  it("Student t quantiles match published table values", () => {
    // Standard two-sided 95% critical values (t_{0.975, df}).
    const table: [number, number][] = [
      [1, 12.706204736],
      [2, 4.30265273],
      [3, 3.182446305],
      [4, 2.776445105],
      [9, 2.262157163],
      [29, 2.045229642],
    ];
    for (const [df, expected] of table)
      assertAllClose([studentTQuantile(0.975, df)], [expected], { rtol: 1e-8 }, `df ${df}`);
    assertAllClose([studentTCdf(0, 5)], [0.5], { rtol: 1e-14 });
    // df = 1 is the Cauchy distribution: CDF(1) = 3/4.
    assertAllClose([studentTCdf(1, 1)], [0.75], { rtol: 1e-12 });
  });

  it("mean, sample std and the paired interval by hand", () => {
    assert.equal(mean([1, 2, 3]), 2);
    assert.equal(sampleStd([1, 2, 3]), 1);
    const d = pairedDifference([30.1, 29.8, 30.4], [29.9, 29.7, 30.0]);
    // differences 0.2, 0.1, 0.4 → mean 0.2333…, sd 0.152753, half-width 4.302653 * sd / sqrt 3
    assertAllClose([d.meanDifference, d.std], [0.7 / 3, 0.15275252316519466], { rtol: 1e-12 });
    const half = (4.302652729911275 * 0.15275252316519466) / Math.sqrt(3);
    assertAllClose(d.ci95, [0.7 / 3 - half, 0.7 / 3 + half], { rtol: 1e-9 });
    assert.equal(d.wins, 3);
    assert.throws(() => pairedDifference([1], [1, 2]), /differ in length/);
  });

  it("the paired p value is the two-sided t tail", () => {
    // Differences whose t statistic is exactly t_{0.975, 9}: p = 0.05.
    const t = studentTQuantile(0.975, 9);
    const p = pairedPValue({ n: 10, meanDifference: t, std: Math.sqrt(10), ci95: [0, 0], wins: 10 });
    assertAllClose([p], [0.05], { rtol: 1e-9 });
    assert.equal(pairedPValue({ n: 1, meanDifference: 1, std: Number.NaN, ci95: [0, 0], wins: 1 }), Number.NaN);
  });

  it("power and minimum detectable difference agree with a simulation of the paired t test", () => {
    // The figure: 3 seeds detect 3.26 σ_d at 80% power.
    assertAllClose([minimumDetectableDifference(1, 3)], [3.264], { atol: 5e-4 });
    assertAllClose([minimumDetectableDifference(0.25, 10) / 0.25], [minimumDetectableDifference(1, 10)], {
      rtol: 1e-9,
    });
    assert.ok(Math.abs(pairedTestPower(minimumDetectableDifference(1, 10), 10) - 0.8) < 1e-6);
    assert.ok(pairedTestPower(0, 10) > 0.049 && pairedTestPower(0, 10) < 0.051, "power at no effect is the level");
    // Monte Carlo: 40,000 paired experiments of n = 10 with a true effect of 0.8 σ_d.
    let s = 12345;
    const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
    const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const critical = studentTQuantile(0.975, 9);
    let rejected = 0;
    const trials = 40_000;
    for (let trial = 0; trial < trials; trial++) {
      const d = Array.from({ length: 10 }, () => 0.8 + normal());
      const t = mean(d) / (sampleStd(d) / Math.sqrt(10));
      if (Math.abs(t) > critical) rejected++;
    }
    const simulated = rejected / trials;
    const exact = pairedTestPower(0.8, 10);
    // Binomial standard error ≈ 0.0025: allow 4 of them.
    assert.ok(Math.abs(simulated - exact) < 0.01, `simulated ${simulated} vs exact ${exact}`);
  });

  it("Holm's adjustment, by hand", () => {
    // Sorted 0.01 (×3), 0.03 (×2 = 0.06), 0.04 (×1, raised to 0.06 to stay monotone).
    assert.deepEqual(holmAdjust([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06]);
    assert.deepEqual(holmAdjust([0.5, 0.9]), [1, 1]);
    assert.deepEqual(holmAdjust([0.02]), [0.02]);
  });

  it("the bootstrap interval is reproducible, brackets the estimate and is a point for constant data", () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8];
    const meanOf = (counts: readonly number[]) => counts.reduce((sum, c, i) => sum + c * values[i]!, 0) / values.length;
    const a = bootstrapInterval(values.length, meanOf, { seed: 7 });
    assert.deepEqual(bootstrapInterval(values.length, meanOf, { seed: 7 }), a);
    assert.ok(a[0] < 4.5 && a[1] > 4.5 && a[0] > 1 && a[1] < 8, `interval ${a}`);
    // The bootstrap standard error of a mean of 8 values is ≈ sd·√(7/8)/√8 = 2.29·0.935/2.83 ≈ 0.76: the 95% interval spans ≈ ±1.5.
    assert.ok(a[1] - a[0] > 2.4 && a[1] - a[0] < 3.6, `width ${a[1] - a[0]}`);
    assert.deepEqual(
      bootstrapInterval(5, () => 3, { draws: 100 }),
      [3, 3],
    );
  });
});
