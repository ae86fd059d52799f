import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { ArtStateCodec, initArt, softmaxPresent, stepArt, unwrap } from "../../src/core/index.js";

// Counterexamples that fast-check found during development, kept with their seeds.
// Each is replayed here explicitly so it stays covered even if the arbitraries change.

describe("regressions found by fast-check", () => {
  it("seed 713874226 (path 337:114:…): official + relative-log was not monotone in a task's own loss", () => {
    // config {preset: official, numTasks: 4, tau: 0.1379607477820791, rate: 0.056309996501473863, lcr: ema, gcw: relative-log}
    const config = {
      preset: "official",
      numTasks: 4,
      tau: 0.1379607477820791,
      rate: 0.056309996501473863,
      lcr: "ema",
      gcw: "relative-log",
    };
    const state = unwrap(stepArt(unwrap(initArt(config)), [0.000001, null, null, null])).state;
    const low = unwrap(stepArt(state, [0.000001, 0.000001, null, null])).weights[1]!;
    const high = unwrap(stepArt(state, [0.000001, 0.000001000000002899575, null, null])).weights[1]!;
    assert.ok(high >= low, `${high} < ${low}`);
  });

  it("seed -1480819502: an EMA that rounds below the minimum must still decode", () => {
    // config {preset: paper, numTasks: 1, tau: 0.05, rate: 0.24798573601848356, lcr: none, gcw: none}, losses [[104.4178856810967]]
    const config = { numTasks: 1, tau: 0.05, rate: 0.24798573601848356, lcr: "none", gcw: "none" };
    const state = unwrap(stepArt(unwrap(initArt(config)), [104.4178856810967])).state;
    const decoded = ArtStateCodec.decode(JSON.parse(JSON.stringify(ArtStateCodec.encode(state))));
    assert.ok(E.isRight(decoded));
    assert.deepEqual(decoded.right, state);
  });
});

describe("regressions found in review", () => {
  it("a decodable but inconsistent checkpoint gives InvalidState, never NaN or un-normalised weights", () => {
    const state = unwrap(initArt({ preset: "official", numTasks: 2 }));
    const crafted = { ...state, tasks: [{ seen: true, ema: 1e-320, min: 1, prev: 0.5 }, state.tasks[1]] };
    const decoded = ArtStateCodec.decode(JSON.parse(JSON.stringify(crafted)));
    assert.ok(E.isRight(decoded));
    const out = stepArt(decoded.right, [0.5, 0.5]);
    assert.ok(E.isLeft(out) && out.left._tag === "InvalidState", JSON.stringify(out));
    assert.match(out.left.message, /tasks\.0: the state gives an undefined score/);
  });

  it("softmaxPresent keeps NaN visible instead of flooring it", () => {
    const weights = softmaxPresent([NaN, 0]);
    assert.ok(weights.every((w) => Number.isNaN(w)));
    assert.deepEqual(
      softmaxPresent([0, null, 1e4]).map((w) => w > 0),
      [true, false, true],
    );
  });
});

describe("regressions found by mutation testing (issue 15)", () => {
  it("overflowed logits: a +Infinity z takes all the mass, a finite z keeps only the floor 5e-324", () => {
    // Through the public API: step 1 sets prev = [1e-6, 1] (z = 1 / 1e-300 for both, finite);
    // step 2 gives s = [1e3 / 1e-6, 1] = [1e9, 1], so z = [1e9 / 1e-300 = Infinity, 1 / 1e-300].
    const s0 = unwrap(initArt({ numTasks: 2, tau: 1e-300, lcr: "raw", gcw: "none" }));
    const first = unwrap(stepArt(s0, [1e-6, 1]));
    assert.deepEqual(first.weights, [0.5, 0.5]);
    const second = unwrap(stepArt(first.state, [1e3, 1]));
    assert.deepEqual(second.diagnostics.z, [Infinity, 1 / 1e-300]); // 1 / 1e-300 rounds to 9.999999999999999e299
    assert.deepEqual(second.weights, [1, 5e-324]);
    // The branch itself: only the +Infinity entries share the mass; absent stays exactly 0.
    assert.deepEqual(softmaxPresent([Infinity, 1e300, null, Infinity]), [0.5, 5e-324, 0, 0.5]);
    assert.deepEqual(softmaxPresent([Infinity, -1e308, Infinity, Infinity]), [1 / 3, 5e-324, 1 / 3, 1 / 3]);
  });

  it("an EMA that underflows to 0 (rate 0.5, a loss of 5e-324) is floored at 5e-324, so the state decodes", () => {
    const s0 = unwrap(initArt({ numTasks: 1, rate: 0.5, lcr: "ema", gcw: "raw" }));
    const state = unwrap(stepArt(s0, [5e-324])).state;
    assert.equal(state.tasks[0]?.ema, 5e-324);
    const decoded = ArtStateCodec.decode(JSON.parse(JSON.stringify(ArtStateCodec.encode(state))));
    assert.ok(E.isRight(decoded), "the state after one step does not decode (tasks.0.ema = 0)");
  });
});
