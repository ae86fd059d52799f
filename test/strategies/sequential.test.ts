import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { art, unwrap, type TaskLosses, type Weighting } from "../../src/core/index.js";
import { activeTasksAt, sequential, si } from "../../src/strategies/index.js";
import { assertAllClose } from "../support/all-close.js";
import { expectedInvalidConfig } from "../support/codec-lines.js";
import { recordingWeighting } from "../support/recording-weighting.js";

/**
 * The sequential curriculum (src/strategies/sequential.ts): its stages and order, the masking of
 * inactive tasks, its composition with Art, and its exact init errors, state checks and observe
 * masking. Every expected value is written here by hand.
 */

const configError = (errors: string[]) => E.left(expectedInvalidConfig(errors));

const steps = <S>(w: Weighting<S>, numTasks: number, sequence: TaskLosses[]) => {
  let state = unwrap(w.init(numTasks));
  return sequence.map((losses) => {
    const r = unwrap(w.step(state, losses));
    state = r.state;
    return r;
  });
};

describe("sequential", () => {
  it("activeTasks follows the stages and the order", () => {
    const w = sequential({ stages: [3, 6] }, si());
    assert.deepEqual(
      [0, 2, 3, 5, 6, 100].map((t) => w.activeTasks(t, 3)),
      [[0], [0], [0, 1], [0, 1], [0, 1, 2], [0, 1, 2]],
    );
    assert.deepEqual(activeTasksAt({ stages: [10, 20], order: [2, 0, 1] }, 15), [2, 0]);
    assert.deepEqual(
      sequential({ stages: [2] }, si()).activeTasks(5, 4),
      [0, 1, 2, 3],
      "after the last boundary every task is active",
    );
  });
  it("masks inactive tasks as absent and continues the inner state across stages", () => {
    const w = sequential({ stages: [1, 2] }, si());
    const out = steps(w, 3, [
      [1, 2, 4],
      [1, 2, 4],
      [1, 2, 4],
    ]);
    assert.deepEqual(out[0]?.weights, [1, 0, 0]);
    assertAllClose(out[1]?.weights as number[], [2 / 3, 1 / 3, 0], { rtol: 1e-15 });
    assertAllClose(out[2]?.weights as number[], [4 / 7, 2 / 7, 1 / 7], { rtol: 1e-15 });
    assert.deepEqual(w.nextActiveTasks(out[1]!.state), [0, 1, 2]);
    assert.equal(out[2]?.state.inner.step, 3);
  });
  it("composes with Art: sequential + Art equals Art on the masked losses", () => {
    const seq: TaskLosses[] = [
      [0.5, 0.4, 0.3],
      [0.45, 0.35, 0.3],
      [0.4, 0.3, 0.2],
    ];
    const a = steps(sequential({ stages: [1, 2] }, art()), 3, seq).map((r) => r.weights);
    const b = steps(art(), 3, [
      [0.5, null, null],
      [0.45, 0.35, null],
      [0.4, 0.3, 0.2],
    ]).map((r) => r.weights);
    assert.deepEqual(a, b);
  });
  it("rejects bad stages at init", () => {
    assert.ok(E.isLeft(sequential({ stages: [2, 2] }, si()).init(3)));
    assert.ok(E.isLeft(sequential({ stages: [1, 2, 3] }, si()).init(3)));
    assert.ok(E.isLeft(sequential({ stages: [0] }, si()).init(3)));
    assert.ok(E.isLeft(sequential({ stages: [1], order: [0, 0, 1] }, si()).init(3)));
  });
});

describe("sequential: exact checks and observe masking", () => {
  it("init names every bad stage boundary, the boundary count and the order", () => {
    assert.deepEqual(
      sequential({ stages: [0, 3, 3, 5] }, si()).init(3),
      configError([
        "stages.0: expected an integer >= 1 (got 0)",
        "stages.2: expected > stages.1 (got 3)",
        "stages: expected at most 2 boundaries for 3 tasks (got 4)",
      ]),
    );
    assert.deepEqual(
      sequential({ stages: [2, 1] }, si()).init(3),
      configError(["stages.1: expected > stages.0 (got 1)"]),
    );
    assert.deepEqual(
      sequential({ stages: [], order: [0, 0, 1] }, si()).init(3),
      configError(["order: expected a permutation of 0..2 (got [0,0,1])"]),
    );
    assert.deepEqual(
      sequential({ stages: [], order: [1, 0] }, si()).init(3),
      configError(["order: expected a permutation of 0..2 (got [1,0])"]),
    );
    assert.ok(E.isRight(sequential({ stages: [], order: [2, 0, 1] }, si()).init(3)));
  });

  it("the state codec's `is` refuses a well-typed state with inconsistent stages", () => {
    const w = sequential({ stages: [1, 2] }, si());
    const state = unwrap(w.init(3));
    assert.equal(w.stateCodec.is(state), true);
    assert.equal(w.stateCodec.is({ ...state, config: { ...state.config, stages: [2, 2] } }), false);
    assert.equal(w.stateCodec.is({ ...state, config: { ...state.config, order: [0, 1, 1] } }), false);
  });

  it("observe masks with the step it completes: the stage of step - 1", () => {
    // A two-phase inner weighting that records what its observe receives.
    const recorder = recordingWeighting;
    const w = sequential({ stages: [1] }, recorder);
    assert.ok(w.observe !== undefined);
    let s = unwrap(w.init(2));
    // Before any step (step 0): stage 0.
    assert.deepEqual(unwrap(w.observe(s, [0.95, 1.95])).inner.seen, [[0.95, null]]);
    s = unwrap(w.step(s, [1, 2])).state; // completes step 0 (stage 0: task 0 only)
    s = unwrap(w.observe(s, [0.9, 1.9]));
    s = unwrap(w.step(s, [1, 2])).state; // completes step 1 (stage 1: every task)
    s = unwrap(w.observe(s, [0.8, 1.8]));
    s = unwrap(w.step(s, [1, 2])).state; // completes step 2
    s = unwrap(w.observe(s, [0.7, 1.7]));
    assert.deepEqual(s.inner.seen, [
      [0.9, null],
      [0.8, 1.8],
      [0.7, 1.7],
    ]);
  });
});
