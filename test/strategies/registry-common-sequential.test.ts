import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { unwrap } from "../../src/core/index.js";
import {
  checkNumTasks,
  createWeighting,
  decodeOptions,
  DwaOptions,
  normalisePresent,
  sequential,
  si,
  stateCodec,
  strategyFromFlags,
  vectorProblems,
} from "../../src/strategies/index.js";
import { expectedInvalidConfig } from "../support/codec-lines.js";
import { recordingWeighting } from "../support/recording-weighting.js";

/**
 * Exact results of the registry (createWeighting, strategyFromFlags), the shared helpers of
 * common.ts, and sequential's checks and observe masking. Every expected value is written here
 * by hand.
 */

const KNOWN = "art, art-official, equal, dwa, rlw, gls, uw, imtl-l, famo, si";

const configError = (errors: string[]) => E.left(expectedInvalidConfig(errors));

/** The `config` of the state a registry-built weighting starts from. */
const initialConfig = (
  w: E.Either<unknown, { init: (numTasks: number) => E.Either<{ message: string }, unknown> }>,
  numTasks: number,
): unknown => {
  assert.ok(E.isRight(w), JSON.stringify(w));
  return (unwrap(w.right.init(numTasks)) as { config: unknown }).config;
};

describe("createWeighting: exact errors", () => {
  it("an unknown name lists every known strategy, comma-separated", () => {
    assert.deepEqual(createWeighting("nope"), configError([`strategy: unknown strategy "nope" (known: ${KNOWN})`]));
  });

  it("options that are not an object are a decode error (null does not throw)", () => {
    assert.deepEqual(createWeighting("dwa", null), configError(["(root): expected DwaOptions (got null)"]));
    assert.deepEqual(createWeighting("dwa", 5), configError(["(root): expected DwaOptions (got 5)"]));
  });

  it("a function is not an options object, even one carrying a refused key", () => {
    const fn = Object.assign(() => 0, { numTasks: 5 });
    assert.deepEqual(createWeighting("art", fn), configError(["(root): expected ArtOptions (got ()=>0)"]));
  });
});

describe("strategyFromFlags: exact results", () => {
  it("an unknown name lists every known strategy, comma-separated", () => {
    assert.deepEqual(
      strategyFromFlags("nope", {}),
      configError([`--strategy: unknown strategy "nope" (known: ${KNOWN})`]),
    );
  });

  it("a flag of another strategy lists this strategy's flags, comma-separated", () => {
    assert.deepEqual(
      strategyFromFlags("uw", { tau: "1" }),
      configError([
        "--tau: not an option of strategy uw (its flags: --lr, --beta1, --beta2, --epsilon, --weight-decay, --initial-log-variance)",
      ]),
    );
  });

  it("the Adam flags --beta1 and --beta2 set beta1 and beta2 as numbers", () => {
    for (const name of ["uw", "imtl-l", "famo"]) {
      const config = initialConfig(strategyFromFlags(name, { beta1: "0.8", beta2: "0.9" }), 2) as {
        beta1: unknown;
        beta2: unknown;
      };
      assert.equal(config.beta1, 0.8, name);
      assert.equal(config.beta2, 0.9, name);
    }
  });

  it("Art's flags --tau, --rate, --lcr, --gcw and --loss-scale set their options", () => {
    const flags = { tau: "2", rate: "0.5", lcr: "raw", gcw: "none", "loss-scale": "4" };
    assert.deepEqual(initialConfig(strategyFromFlags("art", flags), 2), {
      preset: "paper",
      numTasks: 2,
      tau: 2,
      rate: 0.5,
      lcr: "raw",
      gcw: "none",
      lossScale: 4,
    });
    assert.deepEqual(initialConfig(strategyFromFlags("art-official", flags), 2), {
      preset: "official",
      numTasks: 2,
      tau: 2,
      rate: 0.5,
      lcr: "raw",
      gcw: "none",
      lossScale: 4,
    });
  });

  it('a switch is on when given (true or "true"), off with "false", refused with any other value', () => {
    const official = { preset: "official", numTasks: 3, tau: 0.1, rate: 0.01, lcr: "ema", gcw: "log", lossScale: 1 };
    assert.deepEqual(initialConfig(strategyFromFlags("art-official", { "released-ema-bug": true }), 3), {
      ...official,
      releasedEmaBug: true,
    });
    assert.deepEqual(initialConfig(strategyFromFlags("art-official", { "released-ema-bug": "true" }), 3), {
      ...official,
      releasedEmaBug: true,
    });
    // Off: stored as absent, exactly the official preset's config.
    assert.deepEqual(initialConfig(strategyFromFlags("art-official", { "released-ema-bug": "false" }), 3), official);
    assert.deepEqual(
      strategyFromFlags("art-official", { "released-ema-bug": "yes" }),
      configError(['--released-ema-bug: a switch, expected no value (got "yes")']),
    );
    assert.deepEqual(
      strategyFromFlags("art-official", { "released-ema-bug": "" }),
      configError(['--released-ema-bug: a switch, expected no value (got "")']),
    );
  });

  it("a flag that needs a value, given as a bare switch, is refused", () => {
    assert.deepEqual(strategyFromFlags("rlw", { seed: true }), configError(["--seed: expected a value"]));
  });

  it("a blank number is not 0", () => {
    assert.deepEqual(strategyFromFlags("rlw", { seed: " " }), configError(['--seed: expected a number (got " ")']));
    assert.deepEqual(strategyFromFlags("rlw", { seed: "" }), configError(['--seed: expected a number (got "")']));
    assert.deepEqual(
      strategyFromFlags("famo", { "min-losses": "0, " }),
      configError(['--min-losses: expected comma-separated numbers (got "0, ")']),
    );
  });

  it("flags whose value is undefined are skipped, known or not", () => {
    assert.deepEqual(initialConfig(strategyFromFlags("rlw", { seed: undefined, temperature: undefined }), 2), {
      numTasks: 2,
      seed: 0,
    });
  });

  it("without an ignore list no flag is ignored; names of Object.prototype's members are not flags", () => {
    for (const flag of ["input", "", "constructor", "toString", "__proto__"]) {
      assert.deepEqual(
        strategyFromFlags("si", { [flag]: "1" }),
        configError([`--${flag}: not an option of strategy si (it takes no flags)`]),
        flag,
      );
    }
    assert.deepEqual(initialConfig(strategyFromFlags("rlw", { seed: "3", input: "x.jsonl" }, ["input"]), 2), {
      numTasks: 2,
      seed: 3,
    });
  });
});

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
