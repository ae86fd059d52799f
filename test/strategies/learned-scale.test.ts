import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { unwrap, type AnyWeighting, type Weighting } from "../../src/core/index.js";
import { imtlL, ImtlLConfig, ImtlLOptions, uw, UwConfig, UwOptions } from "../../src/strategies/index.js";
import { codecLines, expectedInvalidConfig } from "../support/codec-lines.js";

/**
 * The edges of uw and imtl-l (and of the learned-scale step they share): the bounds of their
 * options (|initial s| <= 50, betas in [0, 1)) with the exact lines that refuse them, the state
 * codecs' consistency checks, the diagnostics of a step with an absent task, and the overflow
 * guard of the learned scale's gradient and Adam update. Every expected value is written by hand.
 */

const configError = expectedInvalidConfig;

const overflow = (taskIndex: number, value: number, shown: string, q: string) => ({
  _tag: "InvalidLoss",
  taskIndex,
  value,
  reason: "out-of-domain",
  message: `task ${taskIndex}: invalid loss ${shown}: exp(${q}) * loss overflows the learned scale's gradient`,
});

const initError = (w: Weighting<unknown>) => {
  const r = w.init(2);
  assert.ok(E.isLeft(r), `${w.name}: init accepted`);
  return r.left;
};

const as = (w: AnyWeighting): AnyWeighting => w;

describe("uw and imtl-l: option bounds", () => {
  const cases: Array<[string, (o: Record<string, number>) => Weighting<unknown>, string]> = [
    ["uw", (o) => as(uw(o)), "initialLogVariance"],
    ["imtl-l", (o) => as(imtlL(o)), "initialLogScale"],
  ];
  for (const [name, make, initial] of cases) {
    it(`${name}: ${initial} accepts exactly ±50 and refuses beyond, naming the bound`, () => {
      const at50 = unwrap(make({ [initial]: 50 }).init(2)) as Record<string, unknown>;
      assert.deepEqual(at50[initial === "initialLogVariance" ? "logVariance" : "logScale"], [50, 50]);
      const atMinus50 = unwrap(make({ [initial]: -50 }).init(2)) as Record<string, unknown>;
      assert.deepEqual(atMinus50[initial === "initialLogVariance" ? "logVariance" : "logScale"], [-50, -50]);
      assert.deepEqual(
        initError(make({ [initial]: 50.5 })),
        configError([`${initial}: expected number in [-50, 50] (got 50.5)`]),
      );
      assert.deepEqual(
        initError(make({ [initial]: -51 })),
        configError([`${initial}: expected number in [-50, 50] (got -51)`]),
      );
    });

    it(`${name}: beta1 and beta2 accept 0 and refuse 1 and negatives, naming the interval`, () => {
      const zero = unwrap(make({ beta1: 0, beta2: 0 }).init(2)) as { config: { beta1: number; beta2: number } };
      assert.equal(zero.config.beta1, 0);
      assert.equal(zero.config.beta2, 0);
      assert.deepEqual(initError(make({ beta1: 1 })), configError(["beta1: expected number in [0, 1) (got 1)"]));
      assert.deepEqual(initError(make({ beta2: 1 })), configError(["beta2: expected number in [0, 1) (got 1)"]));
      assert.deepEqual(initError(make({ beta1: -0.5 })), configError(["beta1: expected number in [0, 1) (got -0.5)"]));
      assert.deepEqual(
        initError(make({ beta2: -0.25 })),
        configError(["beta2: expected number in [0, 1) (got -0.25)"]),
      );
    });
  }

  it("options that are not an object are refused with the options codec's name", () => {
    assert.deepEqual(initError(as(uw(5 as never))), configError(["(root): expected UwOptions (got 5)"]));
    assert.deepEqual(initError(as(imtlL([1] as never))), configError(["(root): expected ImtlLOptions (got [1])"]));
  });

  it("the exported codecs carry their documented names", () => {
    assert.equal(UwOptions.name, "UwOptions");
    assert.equal(UwConfig.name, "UwConfig");
    assert.equal(ImtlLOptions.name, "ImtlLOptions");
    assert.equal(ImtlLConfig.name, "ImtlLConfig");
  });
});

describe("uw and imtl-l: state codec consistency", () => {
  const cases: Array<[string, Weighting<unknown>, string]> = [
    ["uw", as(uw()), "logVariance"],
    ["imtl-l", as(imtlL()), "logScale"],
  ];
  for (const [name, w, vector] of cases) {
    const encoded = () => {
      const state = unwrap(w.step(unwrap(w.init(3)), [0.5, null, 2])).state;
      return JSON.parse(JSON.stringify(w.stateCodec.encode(state))) as Record<string, unknown>;
    };
    const messages = (u: unknown): string[] => {
      const lines = codecLines(w.stateCodec, u);
      assert.ok(lines.length > 0, `${name}: accepted ${JSON.stringify(u)}`);
      assert.equal(w.stateCodec.is(u), false, `${name}: is() accepted ${JSON.stringify(u)}`);
      return lines;
    };

    it(`${name}: a ${vector} or moments of the wrong length is refused, one line each`, () => {
      const state = encoded();
      const short = { ...state, [vector]: (state[vector] as number[]).slice(0, 2) };
      assert.deepEqual(messages(short), [`${vector}: expected 3 entries (got 2)`]);
      const long = { ...state, moments: [...(state.moments as unknown[]), { m: 0, v: 0, t: 0 }] };
      assert.deepEqual(messages(long), ["moments: expected 3 entries (got 4)"]);
    });

    it(`${name}: a negative second moment is refused, naming its path`, () => {
      const state = encoded();
      const moments = (state.moments as Array<Record<string, number>>).map((m) => ({ ...m }));
      moments[2] = { m: 0.1, v: -1, t: 1 };
      assert.deepEqual(messages({ ...state, moments }), ["moments.2.v: expected a number >= 0 (got -1)"]);
    });
  }
});

describe("uw and imtl-l: diagnostics with an absent task", () => {
  it("uw: precision exp(-s) and s before the update for present tasks, null for absent ones", () => {
    const w = uw({ initialLogVariance: 0.5 });
    const r = unwrap(w.step(unwrap(w.init(3)), [null, 2, 1]));
    assert.deepEqual(r.diagnostics, {
      precision: [null, Math.exp(-0.5), Math.exp(-0.5)],
      logVariance: [null, 0.5, 0.5],
    });
    assert.deepEqual(r.weights, [0, 0.5, 0.5]);
    assert.equal(r.state.logVariance[0], 0.5);
    assert.deepEqual(r.state.moments[0], { m: 0, v: 0, t: 0 });
  });

  it("imtl-l: scale exp(s) and s before the update for present tasks, null for absent ones", () => {
    const w = imtlL({ initialLogScale: -0.25 });
    const r = unwrap(w.step(unwrap(w.init(2)), [3, null]));
    assert.deepEqual(r.diagnostics, { scale: [Math.exp(-0.25), null], logScale: [-0.25, null] });
    assert.deepEqual(r.weights, [1, 0]);
    assert.equal(r.state.logScale[1], -0.25);
    assert.deepEqual(r.state.moments[1], { m: 0, v: 0, t: 0 });
  });
});

describe("learned scale: the overflow guard", () => {
  const stepError = <S>(w: Weighting<S>, numTasks: number, losses: Array<number | null>) => {
    const r = w.step(unwrap(w.init(numTasks)), losses);
    assert.ok(E.isLeft(r), `${w.name}: ${JSON.stringify(losses)} was accepted`);
    return r.left;
  };

  it("an infinite gradient exp(q) L is refused, naming the task, its loss and q", () => {
    // imtl-l: q = s = 50; e^50 ≈ 5.2e21 times 1e300 overflows.
    assert.deepEqual(stepError(imtlL({ initialLogScale: 50 }), 2, [1e300, 1]), overflow(0, 1e300, "1e+300", "50"));
    // uw: q = -s = 50; task 0 steps fine, task 1 overflows.
    assert.deepEqual(stepError(uw({ initialLogVariance: -50 }), 2, [1, 1e300]), overflow(1, 1e300, "1e+300", "50"));
  });

  it("a finite gradient whose square overflows the second moment is refused", () => {
    // grad = e^50 * 1e180 - 1 ≈ 5.2e201 is finite, but (1 - beta2) grad^2 overflows v.
    assert.deepEqual(stepError(imtlL({ initialLogScale: 50 }), 1, [1e180]), overflow(0, 1e180, "1e+180", "50"));
  });

  it("a finite gradient and moment with an update that overflows s is refused", () => {
    // lr / (1 - beta1) = 1e308 / 0.1 overflows: grad = e^0 * 2 - 1 = 1 and v = 0.001 are finite, s is not.
    assert.deepEqual(stepError(imtlL({ lr: 1e308 }), 2, [2, 1]), overflow(0, 2, "2", "0"));
    // uw stores s = -q: q = -0 prints as 0.
    assert.deepEqual(stepError(uw({ lr: 1e308 }), 2, [null, 0.5]), overflow(1, 0.5, "0.5", "0"));
  });
});
