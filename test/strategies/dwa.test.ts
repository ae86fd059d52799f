import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";
import type * as t from "io-ts";

import { formatDecodeErrors, unwrap } from "../../src/core/index.js";
import { dwa, dwaRatios, type DwaState } from "../../src/strategies/index.js";
import { assertAllClose } from "../support/all-close.js";
import { codecLines } from "../support/codec-lines.js";

/**
 * Edge cases of DWA (src/strategies/dwa.ts) that the formula and conformance suites leave open:
 * the state codec's consistency checks, and the ratio diagnostics and rules on states the codec
 * admits. Every expected value is written here by hand. (The exact line for options of the wrong
 * shape is in equal-rlw-si-gls.test.ts, in one table over the five simple peers.)
 */

/** The state codec's lines (its own problem messages here), or [] when accepted. */
const problems = codecLines;

const json = (value: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

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
