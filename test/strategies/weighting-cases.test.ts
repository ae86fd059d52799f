import assert from "node:assert/strict";
import { describe, it } from "node:test";

import * as combinators from "../../src/strategies/combinators/index.js";
import { STRATEGIES } from "../../src/strategies/registry.js";
import { WEIGHTING_CASES } from "../support/weighting-cases.js";

/**
 * The shared table of weighting cases (test/support/weighting-cases.ts) leaves nothing out: every
 * registry entry and every combinator has a case, so a new strategy or combinator is not run by
 * the conformance and law suites until it is added there.
 */

/** Functions that combinators/index.ts exports but that do not wrap a weighting, each with what it is. */
const NOT_COMBINATORS: Readonly<Record<string, string>> = {
  liftPhases: "the phase-lifting helper of wrap.ts",
  wrappedCodec: "the state codec builder of wrap.ts",
  clampOntoSimplex: "clampWeights' projection, on plain arrays",
  applyMask: "maskTasks' masking, on plain arrays",
  patchConfig: "scheduleHyperparams' config patch",
};

/** Wrappers that live outside combinators/ (src/strategies/sequential.ts) and still need a case. */
const OTHER_WRAPPERS = ["sequential"];

const exportedCombinators = Object.entries(combinators)
  .filter(([name, value]) => typeof value === "function" && NOT_COMBINATORS[name] === undefined)
  .map(([name]) => name);

const covered = new Set(WEIGHTING_CASES.map((c) => c.covers));

describe("the shared weighting cases", () => {
  it("every registry entry has a case", () => {
    const missing = Object.keys(STRATEGIES).filter((name) => !covered.has(name));
    assert.deepEqual(missing, [], `registry entries without a case in test/support/weighting-cases.ts: ${missing}`);
  });

  it("every combinator has a case", () => {
    assert.ok(exportedCombinators.length >= 7, `found only ${exportedCombinators.join(", ")}`);
    const missing = [...exportedCombinators, ...OTHER_WRAPPERS].filter((name) => !covered.has(name));
    assert.deepEqual(missing, [], `combinators without a case in test/support/weighting-cases.ts: ${missing}`);
  });

  it("the helpers listed as not combinators are still exported (the list is not stale)", () => {
    const exported = new Set(Object.keys(combinators));
    assert.deepEqual(
      Object.keys(NOT_COMBINATORS).filter((name) => !exported.has(name)),
      [],
    );
  });

  it("each case names what it builds, and is run by at least one suite", () => {
    for (const c of WEIGHTING_CASES) {
      const name = c.build().name;
      const entry = (STRATEGIES as Record<string, (typeof STRATEGIES)[keyof typeof STRATEGIES] | undefined>)[c.covers];
      if (entry !== undefined) {
        assert.equal(name, entry.create({}).name, `${c.covers}: builds ${name}`);
      } else {
        assert.ok(
          [...exportedCombinators, ...OTHER_WRAPPERS].includes(c.covers),
          `${c.covers}: neither a registry entry nor a combinator`,
        );
        assert.ok(name.startsWith(`${c.covers}(`), `${c.covers}: builds ${name}`);
      }
      assert.ok(c.laws !== undefined || c.conformance !== undefined, `${name}: neither suite runs it`);
    }
  });
});
