import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as E from "fp-ts/Either";

import { stepArt } from "../src/core/index.js";
import { deepFreeze } from "../test/support/all-close.js";
import { anyConfig, configAndSequence, configSequenceAnd, lossVector } from "./arbitraries.js";
import { initOrThrow, runSequence } from "./run.js";

// Bad input is injected on purpose; valid input comes from the bounded arbitraries.
const poison = fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, -1e-9, -3);

describe("Art rejects bad input and keeps the state", () => {
  it("NaN, ±Infinity, 0 or a negative loss at any task -> InvalidLoss naming that task and value", () => {
    fc.assert(
      fc.property(
        configSequenceAnd(anyConfig(), (config) => ({
          losses: lossVector(config.numTasks, config.gcw),
          task: fc.nat({ max: config.numTasks - 1 }),
          bad: poison,
        })),
        ({ config, sequence, losses, task, bad }) => {
          const outs = runSequence(initOrThrow(config), sequence);
          const state = deepFreeze(outs[outs.length - 1]!.state);
          const snapshot = JSON.stringify(state);
          const poisoned = losses.map((l, k) => (k === task ? bad : l));
          const firstBad = poisoned.findIndex((l) => l !== null && !(Number.isFinite(l) && l > 0));
          const result = stepArt(state, poisoned);
          assert.ok(E.isLeft(result));
          assert.equal(result.left._tag, "InvalidLoss");
          if (result.left._tag === "InvalidLoss") {
            assert.equal(result.left.taskIndex, firstBad);
            assert.ok(Object.is(result.left.value, bad));
            assert.match(result.left.message, new RegExp(`task ${firstBad}`));
          }
          assert.equal(JSON.stringify(state), snapshot);
        },
      ),
    );
  });

  it("under gcw=log a loss >= 1 is out of the domain", () => {
    fc.assert(
      fc.property(
        configAndSequence(anyConfig().map((c) => ({ ...c, gcw: "log" as const }))),
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        ({ config, sequence }, big) => {
          const outs = runSequence(initOrThrow(config), sequence);
          const state = outs[outs.length - 1]!.state;
          const losses = [...sequence[0]!];
          const k = losses.findIndex((l) => l !== null);
          losses[k] = big;
          const result = stepArt(state, losses);
          assert.ok(E.isLeft(result) && result.left._tag === "InvalidLoss" && result.left.reason === "out-of-domain");
        },
      ),
    );
  });

  it("a wrong number of entries -> WrongLength; all absent -> NoPresentTask; never NaN weights", () => {
    fc.assert(
      fc.property(configAndSequence(), fc.integer({ min: 0, max: 12 }), ({ config, sequence }, length) => {
        const outs = runSequence(initOrThrow(config), sequence);
        const state = deepFreeze(outs[outs.length - 1]!.state);
        const snapshot = JSON.stringify(state);
        const wrong = stepArt(state, new Array(length).fill(0.5));
        if (length !== config.numTasks) {
          assert.ok(E.isLeft(wrong) && wrong.left._tag === "WrongLength" && wrong.left.got === length);
        }
        const none = stepArt(state, new Array(config.numTasks).fill(null));
        assert.ok(E.isLeft(none) && none.left._tag === "NoPresentTask");
        assert.equal(JSON.stringify(state), snapshot);
      }),
    );
  });

  it("non-number entries from untyped callers (strings, undefined, objects) are rejected, not coerced", () => {
    fc.assert(
      fc.property(
        anyConfig(),
        fc.oneof(fc.string(), fc.constant(undefined), fc.object(), fc.boolean()),
        fc.nat(),
        (config, junk, at) => {
          const state = initOrThrow(config);
          const losses: unknown[] = new Array(config.numTasks).fill(0.5);
          losses[at % config.numTasks] = junk;
          const result = stepArt(state, losses as (number | null)[]);
          assert.ok(E.isLeft(result) && result.left._tag === "InvalidLoss" && result.left.reason === "not-a-number");
        },
      ),
    );
  });
});
