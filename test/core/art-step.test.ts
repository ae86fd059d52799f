import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { art, artOfficial, initArt, stepArt, unwrap, type ArtState } from "../../src/core/index.js";
import { assertAllClose } from "../support/all-close.js";

const softmax = (z: number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe("Art step, worked by hand", () => {
  it("paper preset: first sight gives s = r = 1; the second step follows the formulas", () => {
    const s0 = unwrap(initArt({ numTasks: 3 }));
    const first = unwrap(stepArt(s0, [0.5, 0.2, null]));
    assert.deepEqual(first.weights, [0.5, 0.5, 0]);
    assert.deepEqual(first.diagnostics.s, [1, 1, null]);
    assert.deepEqual(first.state.tasks[0], { seen: true, ema: 0.5, min: 0.5, prev: 0.5 });
    assert.deepEqual(first.state.tasks[2], { seen: false, ema: null, min: null, prev: null });

    const second = unwrap(stepArt(first.state, [0.4, 0.25, 0.1]));
    // task 0: E = 0.5, M = min(0.5, 0.4) = 0.4 → s = 0.8, r = ln 0.4 / ln 0.4 = 1
    // task 1: E = 0.2, M = 0.2 → s = 1.25, r = ln 0.2 / ln 0.25
    // task 2: first sight → s = r = 1
    const z = [0.8 / 3, (1.25 * (Math.log(0.2) / Math.log(0.25))) / 3, 1 / 3];
    assertAllClose(second.diagnostics.z, z, { rtol: 1e-15 });
    assertAllClose(second.weights, softmax(z), { rtol: 1e-15 });
    assert.equal(second.state.tasks[0]!.ema, 0.01 * 0.4 + 0.99 * 0.5);
    assert.equal(second.state.step, 2);
  });

  it("official preset: E = M = 0.1 at start, the minimum taken after the weights", () => {
    const s0 = unwrap(initArt({ preset: "official", numTasks: 2 }));
    const out = unwrap(stepArt(s0, [0.05, 0.2]));
    const z = [
      ((0.05 / 0.1) * (Math.log(0.1) / Math.log(0.05))) / 0.1,
      ((0.2 / 0.1) * (Math.log(0.1) / Math.log(0.2))) / 0.1,
    ];
    assertAllClose(out.weights, softmax(z), { rtol: 1e-15 });
    assert.ok(out.diagnostics.r[0]! < 1, "r < 1 on a step that sets a new minimum (released behaviour)");
    assert.equal(out.state.tasks[0]!.min, 0.05);
    assert.equal(out.state.tasks[1]!.min, 0.1);
  });

  it("gcw=log rejects losses >= 1 with a way forward in the message; lossScale and relative-log accept them", () => {
    const s0 = unwrap(initArt({ numTasks: 2 }));
    const bad = stepArt(s0, [1.5, 0.2]);
    assert.ok(E.isLeft(bad) && bad.left._tag === "InvalidLoss" && bad.left.reason === "out-of-domain");
    assert.match(bad.left.message, /task 0: invalid loss 1.5: .*lossScale.*relative-log/);
    const scaled = unwrap(initArt({ numTasks: 2, lossScale: 0.1 }));
    assert.ok(E.isRight(stepArt(scaled, [1.5, 0.2])));
    const relative = unwrap(initArt({ numTasks: 2, gcw: "relative-log" }));
    const out = unwrap(stepArt(relative, [15, 2]));
    assert.deepEqual(out.weights, [0.5, 0.5]);
  });

  it("task names appear in error messages", () => {
    const s0 = unwrap(initArt({ taskNames: ["noise", "rain"] }));
    const bad = stepArt(s0, [0.1, NaN]);
    assert.ok(E.isLeft(bad));
    assert.equal(bad.left.message, "task 1 (rain): invalid loss NaN: a loss must not be NaN");
  });

  it("huge score gaps never zero a present weight and never produce NaN", () => {
    let state: ArtState = unwrap(initArt({ numTasks: 3, tau: 1e-3 }));
    state = unwrap(stepArt(state, [1e-9, 1e-9, 1e-9])).state;
    const out = unwrap(stepArt(state, [0.999999, 1e-9, 1e-9]));
    assert.ok(out.weights.every((w) => Number.isFinite(w) && w > 0));
    assert.ok(Math.abs(out.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  });

  it("the Weighting wrappers share the rule", () => {
    const paper = art();
    const official = artOfficial();
    const ps = unwrap(paper.init(2));
    const os = unwrap(official.init(2));
    assert.equal(paper.numTasks(ps), 2);
    assert.equal(ps.config.preset, "paper");
    assert.equal(os.config.preset, "official");
    assert.ok(E.isLeft(paper.init(0)));
  });
});
