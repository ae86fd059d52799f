import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mean, pairedDifference, sampleStd, studentTCdf, studentTQuantile } from "../../src/restoration/experiment/stats.js";
import { assertAllClose } from "../support/all-close.js";

describe("experiment statistics", () => {
  it("Student t quantiles match published table values", () => {
    // Standard two-sided 95% critical values (t_{0.975, df}).
    const table: [number, number][] = [[1, 12.706204736], [2, 4.302652730], [3, 3.182446305], [4, 2.776445105], [9, 2.262157163], [29, 2.045229642]];
    for (const [df, expected] of table) assertAllClose([studentTQuantile(0.975, df)], [expected], { rtol: 1e-8 }, `df ${df}`);
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
});
