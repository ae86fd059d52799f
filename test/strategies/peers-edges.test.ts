import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";
import type * as t from "io-ts";

import { formatDecodeErrors, invalidConfig, Rng, unwrap, type AnyWeighting } from "../../src/core/index.js";
import { dwa, dwaRatios, equal, gls, inverseLossWeights, rlw, si, type DwaState } from "../../src/strategies/index.js";
import { assertAllClose } from "../support/all-close.js";
import { codecLines } from "../support/codec-lines.js";

/**
 * Edge cases of the simple peers (equal, DWA, RLW, SI, GLS) that the formula and conformance
 * suites leave open: the exact lines for options and configs of the wrong shape, DWA's state
 * consistency checks, RLW's generator words, DWA's ratio diagnostics and rules on states the
 * codec admits, and SI's rescaling by the smallest loss. Every expected value is written here
 * by hand.
 */

/** The state codec's lines (its own problem messages here), or [] when accepted. */
const problems = codecLines;

/** The formatted decode lines, or [] when accepted. */
const lines = (codec: t.Decoder<unknown, unknown>, value: unknown): string[] => {
  const result = codec.decode(value);
  return E.isLeft(result) ? formatDecodeErrors(result.left) : [];
};

const json = (value: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

describe("options and configs of the wrong shape name their codec", () => {
  const cases: Array<[string, AnyWeighting, string, string]> = [
    ["equal", equal(5 as never), "EqualOptions", "EqualConfig"],
    ["dwa", dwa(5 as never), "DwaOptions", "DwaConfig"],
    ["rlw", rlw(5 as never), "RlwOptions", "RlwConfig"],
    ["si", si(5 as never), "SiOptions", "SiConfig"],
    ["gls", gls(5 as never), "GlsOptions", "GlsConfig"],
  ];
  for (const [name, weighting, optionsName] of cases) {
    it(`${name}: options that are not an object are refused at init with "(root): expected ${optionsName}"`, () => {
      assert.deepEqual(weighting.init(2), E.left(invalidConfig([`(root): expected ${optionsName} (got 5)`])));
    });
  }
  const valid: Array<[string, AnyWeighting, string]> = [
    ["equal", equal(), "EqualConfig"],
    ["dwa", dwa(), "DwaConfig"],
    ["rlw", rlw(), "RlwConfig"],
    ["si", si(), "SiConfig"],
    ["gls", gls(), "GlsConfig"],
  ];
  for (const [name, weighting, configName] of valid) {
    it(`${name}: a state whose config is not an object is refused with "config: expected ${configName}"`, () => {
      const state = json(unwrap(weighting.init(2)));
      assert.deepEqual(lines(weighting.stateCodec, { ...state, config: 5 }), [
        `config: expected ${configName} (got 5)`,
      ]);
    });
  }
});

describe("dwa: the state codec's consistency checks", () => {
  const w = dwa();
  /** A fresh 3-task state: every mean null, every count 0. */
  const fresh = (): Record<string, unknown> => json(unwrap(w.init(3)));

  it("a fresh state is accepted", () => {
    assert.deepEqual(problems(w.stateCodec, fresh()), []);
  });

  it("each vector must have K entries, naming the vector", () => {
    assert.deepEqual(problems(w.stateCodec, { ...fresh(), epochMean: [null, null] }), [
      "epochMean: expected 3 entries (got 2)",
    ]);
    assert.deepEqual(problems(w.stateCodec, { ...fresh(), epochCount: [0, 0, 0, 0] }), [
      "epochCount: expected 3 entries (got 4)",
    ]);
    assert.deepEqual(problems(w.stateCodec, { ...fresh(), lastMean: [null] }), [
      "lastMean: expected 3 entries (got 1)",
    ]);
    assert.deepEqual(problems(w.stateCodec, { ...fresh(), previousMean: [] }), [
      "previousMean: expected 3 entries (got 0)",
    ]);
  });

  it("a mean must be a number > 0 or null: 0 and negative means are refused, naming the entry", () => {
    assert.deepEqual(problems(w.stateCodec, { ...fresh(), epochMean: [null, -2, null], epochCount: [0, 1, 0] }), [
      "epochMean.1: expected a number > 0 or null (got -2)",
    ]);
    assert.deepEqual(problems(w.stateCodec, { ...fresh(), lastMean: [0, null, null] }), [
      "lastMean.0: expected a number > 0 or null (got 0)",
    ]);
    assert.deepEqual(problems(w.stateCodec, { ...fresh(), lastMean: [null, null, -1] }), [
      "lastMean.2: expected a number > 0 or null (got -1)",
    ]);
    assert.deepEqual(problems(w.stateCodec, { ...fresh(), previousMean: [null, -1, 0] }), [
      "previousMean.1: expected a number > 0 or null (got -1)",
      "previousMean.2: expected a number > 0 or null (got 0)",
    ]);
    // Small positive means are fine.
    assert.deepEqual(
      problems(w.stateCodec, { ...fresh(), lastMean: [5e-324, 1, null], previousMean: [2, null, 0.5] }),
      [],
    );
  });

  it("an epoch mean is null exactly when its count is 0", () => {
    assert.deepEqual(problems(w.stateCodec, { ...fresh(), epochMean: [null, null, 0.5], epochCount: [0, 2, 0] }), [
      "epochMean.1: expected null exactly when epochCount.1 is 0 (got null with count 2)",
      "epochMean.2: expected null exactly when epochCount.2 is 0 (got 0.5 with count 0)",
    ]);
    assert.deepEqual(problems(w.stateCodec, { ...fresh(), epochMean: [0.5, null, 2], epochCount: [1, 0, 3] }), []);
  });

  it("the pairing is checked only once the vectors are sound: a bad vector is reported alone", () => {
    assert.deepEqual(problems(w.stateCodec, { ...fresh(), epochCount: [0, 2, 0], lastMean: [-1, null, null] }), [
      "lastMean.0: expected a number > 0 or null (got -1)",
    ]);
  });
});

describe("dwa: ratios and rules on states the codec admits", () => {
  const w = dwa({ temperature: 2 });
  /** A decoded 2-task state at `epoch` with L(t-1) = lastMean and L(t-2) = previousMean. */
  const at = (epoch: number, lastMean: Array<number | null>, previousMean: Array<number | null>): DwaState =>
    unwrap(
      E.mapLeft((errors: t.Errors) => ({ message: formatDecodeErrors(errors).join("; ") }))(
        w.stateCodec.decode({ ...json(unwrap(w.init(2))), epoch, step: 4, lastMean, previousMean }),
      ),
    );

  it("dwaRatios: L(t-1) / L(t-2), and 1 when either mean is unknown", () => {
    assert.deepEqual(dwaRatios(at(2, [0.5, 3], [1, 2])), [0.5, 1.5]);
    assert.deepEqual(dwaRatios(at(2, [null, 3], [1, 2])), [1, 1.5]);
    assert.deepEqual(dwaRatios(at(2, [0.5, 3], [null, 2])), [1, 1.5]);
    // A previous-mean vector shorter than the last means (not a checkpoint the codec admits):
    // the missing previous mean is unknown too.
    assert.deepEqual(dwaRatios({ ...at(2, [0.5, 3], [1, 2]), previousMean: [1] }), [0.5, 1]);
  });

  it("diagnostics.ratio is each present task's ratio, null for an absent task", () => {
    const s = at(2, [0.5, 3], [1, 2]);
    const both = unwrap(w.step(s, [0.4, 2]));
    assert.deepEqual(both.diagnostics, { ratio: [0.5, 1.5] });
    // softmax([0.5, 1.5] / 2): 1 / (1 + e^0.5) and e^0.5 / (1 + e^0.5), e^0.5 = 1.6487212707001282.
    assertAllClose(both.weights, [0.3775406687981454, 0.6224593312018546], { rtol: 1e-14 });
    const one = unwrap(w.step(s, [null, 2]));
    assert.deepEqual(one.diagnostics, { ratio: [null, 1.5] });
    assert.deepEqual(one.weights, [0, 1]);
  });

  it("the first two epochs are uniform whatever the means say", () => {
    const s = at(1, [0.5, 3], [1, 2]);
    const r = unwrap(w.step(s, [1, 1]));
    assert.deepEqual(r.weights, [0.5, 0.5]);
    assert.deepEqual(r.diagnostics, { ratio: [0.5, 1.5] });
    assert.deepEqual(unwrap(w.step(at(0, [0.5, 3], [1, 2]), [1, null])).weights, [1, 0]);
  });
});

describe("rlw: the generator words in a state", () => {
  const w = rlw({ seed: 3 });
  const fresh = (): Record<string, unknown> => json(unwrap(w.init(2)));

  it("each word must be a uint32, naming the word", () => {
    assert.deepEqual(lines(w.stateCodec, { ...fresh(), rng: [-1, 1, 2, 3] }), ["rng.0: expected Uint32 (got -1)"]);
    assert.deepEqual(lines(w.stateCodec, { ...fresh(), rng: [1, 1.5, 2, 3] }), ["rng.1: expected Uint32 (got 1.5)"]);
    assert.deepEqual(lines(w.stateCodec, { ...fresh(), rng: [1, 2, 4294967296, 3] }), [
      "rng.2: expected Uint32 (got 4294967296)",
    ]);
  });

  it("0 and 0xffffffff are words like any other; one zero word is fine", () => {
    const state = { ...fresh(), rng: [0, 1, 2, 4294967295] };
    assert.deepEqual(w.stateCodec.decode(state), E.right(state));
    assert.ok(w.stateCodec.is(state));
  });

  it("the all-zero generator state is refused", () => {
    assert.deepEqual(problems(w.stateCodec, { ...fresh(), rng: [0, 0, 0, 0] }), [
      "rng: the all-zero generator state is invalid",
    ]);
    assert.equal(w.stateCodec.is({ ...fresh(), rng: [0, 0, 0, 0] }), false);
  });

  it("diagnostics.draw is the step's N(0,1) draws, null for an absent task", () => {
    const rng = Rng.seeded(3);
    const draws = [rng.normal(), rng.normal(), rng.normal()];
    const r = unwrap(w.step(unwrap(w.init(3)), [0.5, null, 0.2]));
    assert.deepEqual(r.diagnostics, { draw: [draws[0], null, draws[2]] });
  });
});

describe("si and gls: the weights are rescaled by the smallest present loss", () => {
  it("inverseLossWeights stays finite when the smallest loss comes first and is subnormal", () => {
    // min L / L_k = [1, 5e-324], whose sum rounds to 1.
    assert.deepEqual(inverseLossWeights([5e-324, 1]), [1, 5e-324]);
    assert.deepEqual(inverseLossWeights([5e-324, null, 1]), [1, 0, 5e-324]);
  });
  it("si and gls weigh a subnormal loss first without overflow", () => {
    assert.deepEqual(unwrap(si().step(unwrap(si().init(2)), [5e-324, 1])).weights, [1, 5e-324]);
    assert.deepEqual(unwrap(gls().step(unwrap(gls().init(2)), [5e-324, 1])).weights, [1, 5e-324]);
  });
});
