import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as E from "fp-ts/Either";

import { art, unwrap } from "../../src/core/index.js";
import { checkWeightingLaws } from "../../src/laws/index.js";
import { clampOntoSimplex, clampWeights, famo, sequential } from "../../src/strategies/index.js";

/**
 * Every counterexample the law suite found, kept with its seed and path (replayed through the
 * suite, whose arbitraries must stay as they were for the path to mean the same run) and as a
 * direct example that does not depend on fast-check's generation.
 */

const artLoss = fc.double({ min: 1e-4, max: 0.999, noNaN: true, noDefaultInfinity: true });

describe("regressions found by the law suite", () => {
  it("clampWeights: a subnormal inner weight overflowed the scale factor (weights summed to 1.2)", () => {
    // Law simplex, seed 1180386998, counterexample [[null,1e-4,null],[null,0.0637...,1e-4],[1e-4,null,null]]:
    // Art gave task 2 a weight of ~5e-324, floor / w overflowed to Infinity and both tasks ended at the ceiling.
    checkWeightingLaws(clampWeights({ floor: 0.1, ceiling: 0.6 }, art()), {
      numTasks: [2, 4],
      lossArb: artLoss,
      laws: ["simplex"],
      numRuns: 1000,
      seed: 1180386998,
      path: "2:3:1:1:1:3:5:5:3:7:3:3:3:5:3:3:7:3:3:7:3:3:3:3:3:3:4:3:6:6:3:3:3:4:3:4:4:3:5:5:5:5:5:5",
    });
    const out = clampOntoSimplex([0, 1, 5e-324], [false, true, true], { floor: 0.1, ceiling: 0.6 });
    assert.deepEqual(out, [0, 0.6, 0.4]);
    const w = clampWeights({ floor: 0.1, ceiling: 0.6 }, art());
    let s = unwrap(w.init(3));
    for (const losses of [
      [null, 0.0001, null],
      [null, 0.06371611844361294, 0.0001],
    ]) {
      const r = unwrap(w.step(s, losses));
      assert.ok(Math.abs(r.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
      s = r.state;
    }
  });

  it("sequential(famo): observe hid a NaN in an inactive task instead of rejecting it", () => {
    // Law bad-input, seed 67284023, path "10:1:0:0:1:1", counterexample kind nan, bad [NaN, 0.001].
    checkWeightingLaws(sequential({ stages: [1], order: [1, 0] }, famo()), {
      numTasks: 2,
      alwaysPresent: [1],
      strictlyPositive: false,
      permutationEquivariant: false,
      laws: ["bad-input"],
      numRuns: 1000,
      seed: 67284023,
      path: "10:1:0:0:1:1",
    });
    const w = sequential({ stages: [1], order: [1, 0] }, famo());
    const stepped = unwrap(w.step(unwrap(w.init(2)), [null, 0.5]));
    const observed = w.observe?.(stepped.state, [Number.NaN, 0.001]);
    assert.ok(observed !== undefined && E.isLeft(observed) && observed.left._tag === "InvalidLoss");
  });
});
