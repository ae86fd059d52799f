import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";
import type * as t from "io-ts";

import { formatDecodeErrors, invalidConfig, Rng, unwrap, type AnyWeighting } from "../../src/core/index.js";
import { dwa, equal, gls, inverseLossWeights, rlw, si } from "../../src/strategies/index.js";
import { codecLines } from "../support/codec-lines.js";

/**
 * Edge cases of the simple peers equal, RLW, SI and GLS (src/strategies/{equal,rlw,si,gls}.ts)
 * that the formula and conformance suites leave open: the exact lines for options and configs of
 * the wrong shape (one table over the five simple peers, DWA included), RLW's generator words,
 * and SI's and GLS's rescaling by the smallest loss. DWA's own edges are in dwa.test.ts. Every
 * expected value is written here by hand.
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
