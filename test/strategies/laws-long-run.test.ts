import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { invalidConfig, uniformOverPresent, type Weighting } from "../../src/core/index.js";
import { runWeightingLaws, type LawOptions } from "../../src/laws/index.js";
import { equalClosedForm } from "./reference/closed-forms.js";

/**
 * The `long-run` and `values` laws catch what only goes wrong late or only in the values:
 * each weighting below passes the short laws (at most 6 steps, simplex-only checks) and is
 * caught by the law this file names.
 */

interface Counter {
  readonly step: number;
  readonly numTasks: number;
  /** Set at step 10 and kept: a field that exists only in late states. */
  readonly extra: number;
}
const codec = t.type({ step: t.number, numTasks: t.number, extra: t.number }) as unknown as t.Type<
  Counter,
  unknown,
  unknown
>;

/** Uniform over the present tasks; `weigh` may change the weights from some step on. */
const counter = (
  name: string,
  weigh: (step: number, uniform: number[]) => number[] = (_, w) => w,
  stateCodec = codec,
): Weighting<Counter> => ({
  name,
  init: (numTasks) => (numTasks >= 1 ? E.right({ step: 0, numTasks, extra: 0 }) : E.left(invalidConfig(["numTasks"]))),
  step: (state, losses) => {
    if (!Array.isArray(losses) || losses.length !== state.numTasks || losses.every((l) => l === null))
      return E.left({ _tag: "NoPresentTask", message: "bad" });
    if (losses.some((l) => l !== null && !(Number.isFinite(l) && l > 0)))
      return E.left({ _tag: "NoPresentTask", message: "bad" });
    return E.right({
      state: { ...state, step: state.step + 1, extra: state.step === 10 ? 1 : state.extra },
      weights: weigh(state.step, uniformOverPresent(losses)),
      diagnostics: {},
    });
  },
  stateCodec,
  numTasks: (state) => state.numTasks,
});

const failing = (w: Weighting<Counter>, options: Partial<LawOptions> = {}) =>
  runWeightingLaws(w, { numTasks: [1, 4], numRuns: 100, longRunNumRuns: 100, ...options })
    .results.filter((r) => !r.ok)
    .map((r) => r.law);

describe("the long-run and values laws", () => {
  it("a correct weighting passes both, with its closed form", () => {
    assert.deepEqual(failing(counter("uniform"), { expected: equalClosedForm }), []);
  });

  it("weights off the simplex from step 10 on: only long-run sees it", () => {
    const late = counter("late", (step, w) => (step >= 10 ? w.map((x) => x * 1.01) : w));
    assert.deepEqual(failing(late), ["long-run"]);
  });

  it("a codec that loses a field set only from step 10 on: only long-run's resume sees it", () => {
    const lossy = new t.Type<Counter, unknown, unknown>(
      "Lossy",
      codec.is,
      (u, c) => E.map((s: Counter) => ({ ...s, extra: 0 }))(codec.validate(u, c)),
      codec.encode,
    );
    assert.deepEqual(failing(counter("lossy", undefined, lossy)), ["long-run"]);
  });

  it("weights that stay on the simplex but are not the closed form: only values sees it", () => {
    // Still on the simplex (the first present task gets 1e-6 more, the others share the
    // difference), but not equal weighting from step 8 on.
    const skewed = counter("skewed", (step, w) => {
      const present = w.filter((x) => x > 0).length;
      if (step < 8 || present < 2) return w;
      const first = w.findIndex((x) => x > 0);
      return w.map((x, k) => (x === 0 ? 0 : k === first ? 1 / present + 1e-6 : 1 / present - 1e-6 / (present - 1)));
    });
    const laws = failing(skewed, { expected: equalClosedForm, permutationEquivariant: false });
    assert.deepEqual(laws, ["values"]);
  });

  it("values runs only with a closed form, and reports the step and the task", () => {
    const report = runWeightingLaws(counter("uniform"), { numTasks: 2, numRuns: 20 });
    assert.ok(!report.results.some((r) => r.law === "values"));
    const wrong = runWeightingLaws(counter("uniform"), {
      numTasks: 2,
      numRuns: 20,
      expected: (_, sequence) => sequence.map(() => [1, 0]),
      laws: ["values"],
    });
    assert.equal(wrong.ok, false);
    assert.match(wrong.results[0]?.failure?.message ?? "", /step \d+: task \d has weight .*, the closed form gives/);
  });
});
