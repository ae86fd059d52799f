import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { unwrap, type Weighting } from "../../src/core/index.js";
import { createWeighting, imtlL, strategyFromFlags, uw, UwStateCodec } from "../../src/strategies/index.js";

// `weightDecay` of uw and imtl-l: PyTorch's L2 form (decay * s added to s's gradient), as when
// the learned scalars are trained by a model's torch.optim.Adam(weight_decay=). The match with
// LibMTL's defaults is in reference-replay.test.ts; here: the option itself, its errors, and
// checkpoints written before it existed.

const steps = <S>(w: Weighting<S>, numTasks: number, sequence: readonly (number | null)[][]) => {
  let state = unwrap(w.init(numTasks));
  const weights: number[][] = [];
  for (const losses of sequence) {
    const out = unwrap(w.step(state, losses));
    weights.push([...out.weights]);
    state = out.state;
  }
  return { state, weights };
};

describe("uw and imtl-l: weightDecay", () => {
  it("first step by hand: Adam's first move is lr * sign(gradient + decay * s)", () => {
    // s0 = 0.5, L = e^0.5: UW's gradient 1 - e^-s L is 0, so only the decay term pushes s down.
    const w = uw({ lr: 0.01, initialLogVariance: 0.5, weightDecay: 1e-3 });
    const out = unwrap(w.step(unwrap(w.init(1)), [Math.exp(0.5)]));
    const g = 1e-3 * 0.5; // the bias-corrected first step is lr * g / (|g| + epsilon)
    assert.ok(Math.abs(out.state.logVariance[0]! - (0.5 - (0.01 * g) / (g + 1e-8))) < 1e-12);
    const none = uw({ lr: 0.01, initialLogVariance: 0.5 });
    assert.ok(Math.abs(unwrap(none.step(unwrap(none.init(1)), [Math.exp(0.5)])).state.logVariance[0]! - 0.5) < 1e-9);
  });

  it("an absent task is not decayed (its s and moments do not move)", () => {
    const { state } = steps(imtlL({ initialLogScale: 0.3, weightDecay: 0.1 }), 2, [
      [0.5, null],
      [0.4, null],
    ]);
    assert.equal(state.logScale[1], 0.3);
    assert.deepEqual(state.moments[1], { m: 0, v: 0, t: 0 });
    assert.notEqual(state.logScale[0], 0.3);
  });

  it("defaults to 0, is stored in new states, and 0 gives the weights of before", () => {
    assert.equal(unwrap(uw().init(2)).config.weightDecay, 0);
    assert.equal(unwrap(imtlL({ weightDecay: 1e-5 }).init(2)).config.weightDecay, 1e-5);
    const sequence = [
      [0.5, 2],
      [0.4, null],
      [0.45, 1.5],
    ];
    assert.deepEqual(steps(uw({ weightDecay: 0 }), 2, sequence).weights, steps(uw(), 2, sequence).weights);
    assert.notDeepEqual(steps(uw({ weightDecay: 0.5 }), 2, sequence).weights, steps(uw(), 2, sequence).weights);
  });

  it("bad values name the field (options) or the flag (command line) and the value", () => {
    const negative = uw({ weightDecay: -1 }).init(2);
    assert.ok(E.isLeft(negative));
    assert.deepEqual(negative.left.errors, ["weightDecay: expected number >= 0 (got -1)"]);
    const nan = imtlL({ weightDecay: Number.NaN }).init(2);
    assert.ok(E.isLeft(nan));
    assert.deepEqual(nan.left.errors, ["weightDecay: expected number >= 0 (got NaN)"]);
    const flag = strategyFromFlags("imtl-l", { "weight-decay": "-1e-5" });
    assert.ok(E.isLeft(flag));
    assert.deepEqual(flag.left.errors, ["--weight-decay: expected number >= 0 (got -0.00001)"]);
    const famo = strategyFromFlags("famo", { "weight-decay": "1e-3" });
    assert.ok(E.isLeft(famo) && /--weight-decay: not an option of strategy famo/.test(famo.left.errors[0]!));
    assert.ok(E.isLeft(createWeighting("uw", { weight_decay: 1e-5 })), "unknown keys are still refused");
    const ok = unwrap(strategyFromFlags("uw", { "weight-decay": "2e-5", "initial-log-variance": "-0.5" }));
    assert.equal((unwrap(ok.init(2)) as { config: { weightDecay: number } }).config.weightDecay, 2e-5);
  });

  it("checkpoints written before weightDecay existed still decode, round-trip exactly and step with decay 0", () => {
    const moments = '[{"m":0.01,"v":0.0001,"t":1},{"m":0,"v":0,"t":0}]';
    const oldUw = `{"kind":"uw","version":1,"config":{"numTasks":2,"lr":0.01,"initialLogVariance":0,"beta1":0.9,"beta2":0.999,"epsilon":1e-8},"step":1,"logVariance":[-0.01,0],"moments":${moments}}`;
    const oldImtl = `{"kind":"imtl-l","version":1,"config":{"numTasks":2,"lr":0.01,"initialLogScale":0,"beta1":0.9,"beta2":0.999,"epsilon":1e-8},"step":1,"logScale":[0.01,0],"moments":${moments}}`;
    const check = <S extends { readonly config: object; readonly moments: unknown }>(
      weighting: Weighting<S>,
      json: string,
    ) => {
      const decoded = weighting.stateCodec.decode(JSON.parse(json));
      assert.ok(E.isRight(decoded), json);
      assert.equal(JSON.stringify(weighting.stateCodec.encode(decoded.right)), json);
      // The same state with weightDecay: 0 written out steps to the same weights and moments.
      const explicit: S = { ...decoded.right, config: { ...decoded.right.config, weightDecay: 0 } };
      const a = unwrap(weighting.step(decoded.right, [0.7, 1.3]));
      const b = unwrap(weighting.step(explicit, [0.7, 1.3]));
      assert.deepEqual(a.weights, b.weights);
      assert.deepEqual(a.state.moments, b.state.moments);
    };
    check(uw(), oldUw);
    check(imtlL(), oldImtl);
    const bad = UwStateCodec.decode({ ...JSON.parse(oldUw), config: { ...JSON.parse(oldUw).config, weightDecay: -1 } });
    assert.ok(E.isLeft(bad));
  });
});
