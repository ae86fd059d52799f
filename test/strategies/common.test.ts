import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";
import * as t from "io-ts";

import {
  checkNumTasks,
  decodeOptions,
  DwaOptions,
  normalisePresent,
  stateCodec,
  vectorProblems,
} from "../../src/strategies/index.js";
import { expectedInvalidConfig } from "../support/codec-lines.js";

/**
 * Exact results of the shared helpers of src/strategies/common.ts. Every expected value is
 * written here by hand.
 */

const configError = (errors: string[]) => E.left(expectedInvalidConfig(errors));

describe("common helpers", () => {
  it("decodeOptions: undefined options are the empty options", () => {
    assert.deepEqual(decodeOptions(DwaOptions, undefined), E.right({}));
    assert.deepEqual(
      decodeOptions(DwaOptions, { temperature: -1 }),
      configError(["temperature: expected PositiveFinite (got -1)"]),
    );
  });

  it("checkNumTasks: an integer >= 1, else one exact line", () => {
    assert.deepEqual(checkNumTasks(3), E.right(3));
    assert.deepEqual(checkNumTasks(0), configError(["numTasks: expected Count (got 0)"]));
    assert.deepEqual(checkNumTasks(1.5), configError(["numTasks: expected Count (got 1.5)"]));
  });

  it("stateCodec: `is` needs both the shape and no consistency problem", () => {
    type S = { readonly n: number };
    // The check flags only n = 0: a value of the wrong shape passes it, so only the shape refuses it.
    const codec = stateCodec<S>("S", t.type({ n: t.number }), (s) => (s.n === 0 ? ["n: must not be 0"] : []));
    assert.equal(codec.is({ n: 1 }), true);
    assert.equal(codec.is({ n: 0 }), false);
    assert.equal(codec.is({ n: "1" }), false);
    assert.equal(codec.is(null), false);
    assert.deepEqual(codec.decode({ n: 1 }), E.right({ n: 1 }));
    assert.ok(E.isLeft(codec.decode({ n: 0 })));
  });

  it("vectorProblems: the length first, then every entry by index", () => {
    assert.deepEqual(
      vectorProblems("logits", [1, 2], 3, () => true, "x"),
      ["logits: expected 3 entries (got 2)"],
    );
    assert.deepEqual(
      vectorProblems("logits", [1, -2, 3, -4], 4, (v) => (v as number) > 0, "a number > 0"),
      ["logits.1: expected a number > 0 (got -2)", "logits.3: expected a number > 0 (got -4)"],
    );
    assert.deepEqual(
      vectorProblems("logits", [1, 2], 2, (v) => (v as number) > 0, "a number > 0"),
      [],
    );
  });

  it("normalisePresent: absent tasks get 0, even when no task is present", () => {
    assert.deepEqual(normalisePresent([1, null, 3]), [0.25, 0, 0.75]);
    assert.deepEqual(normalisePresent([null, null]), [0, 0]);
  });
});
