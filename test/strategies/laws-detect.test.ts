import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";
import * as t from "io-ts";

import {
  invalidConfig,
  uniformOverPresent,
  type TaskLosses,
  type Weighting,
  type WeightingStep,
} from "../../src/core/index.js";
import { checkWeightingLaws, LawViolation, runWeightingLaws } from "../../src/laws/index.js";

/** The suite must catch broken weightings: each one below breaks exactly the law it names. */

interface Counter {
  step: number;
  numTasks: number;
  history: number[];
}

const codec = t.type({ step: t.number, numTasks: t.number, history: t.array(t.number) }) as unknown as t.Type<
  Counter,
  unknown,
  unknown
>;

const base: Weighting<Counter> = {
  name: "base",
  init: (numTasks) =>
    numTasks >= 1 ? E.right({ step: 0, numTasks, history: [] }) : E.left(invalidConfig(["numTasks"])),
  step: (state, losses) => {
    if (!Array.isArray(losses) || losses.length !== state.numTasks || losses.every((l) => l === null))
      return E.left({ _tag: "NoPresentTask", message: "bad" });
    if (losses.some((l) => l !== null && !(Number.isFinite(l) && l > 0)))
      return E.left({ _tag: "NoPresentTask", message: "bad" });
    return E.right({
      state: { ...state, step: state.step + 1, history: [...state.history, state.step] },
      weights: uniformOverPresent(losses),
      diagnostics: {},
    });
  },
  stateCodec: codec,
  numTasks: (state) => state.numTasks,
};

/** `base` with its weights rewritten by `f`. */
const mapWeights = (f: (weights: readonly number[]) => number[]): Weighting<Counter> => ({
  ...base,
  step: (s: Counter, l: TaskLosses) =>
    E.map((r: WeightingStep<Counter>) => ({ ...r, weights: f(r.weights) }))(base.step(s, l)),
});

const failing = (w: Weighting<Counter>) =>
  runWeightingLaws(w, { numTasks: [1, 4], numRuns: 50 })
    .results.filter((r) => !r.ok)
    .map((r) => r.law);

describe("the law suite catches broken weightings", () => {
  it("a correct weighting passes", () => {
    assert.deepEqual(failing(base), []);
  });
  it("weights off the simplex", () => {
    assert.ok(failing(mapWeights((weights) => weights.map((w) => w * 1.01))).includes("simplex"));
  });
  it("mutating the input state", () => {
    const mutating: Weighting<Counter> = {
      ...base,
      step: (s, l) => {
        (s as { step: number }).step += 0;
        (s.history as number[]).push(1);
        return base.step(s, l);
      },
    };
    const laws = failing(mutating);
    assert.ok(laws.includes("determinism") && laws.includes("bad-input"), laws.join());
  });
  it("a codec that loses part of the state", () => {
    const lossy: Weighting<Counter> = {
      ...base,
      stateCodec: new t.Type<Counter, unknown, unknown>(
        "Lossy",
        codec.is,
        (u, c) => E.map((s: Counter) => ({ ...s, history: [] }))(codec.validate(u, c)),
        codec.encode,
      ),
    };
    const laws = failing(lossy);
    assert.ok(laws.includes("json-round-trip") && laws.includes("resume"), laws.join());
  });
  it("positional weights and accepting NaN", () => {
    const positional = mapWeights((weights) => {
      const raw = weights.map((w, k) => (w > 0 ? k + 1 : 0));
      const sum = raw.reduce((x, y) => x + y, 0);
      return raw.map((x) => x / sum);
    });
    assert.deepEqual(failing(positional), ["permutation"]);
    const lenient: Weighting<Counter> = {
      ...base,
      step: (s, l) =>
        base.step(
          s,
          l.map((x) => (typeof x === "number" && Number.isNaN(x) ? 1 : x)),
        ),
    };
    assert.deepEqual(failing(lenient), ["bad-input"]);
  });
  it("checkWeightingLaws throws a LawViolation with the seed and path", () => {
    const broken: Weighting<Counter> = {
      ...base,
      step: (s, l) =>
        base.step(
          s,
          l.map((x) => (typeof x === "number" && Number.isNaN(x) ? 1 : x)),
        ),
    };
    assert.throws(
      () => checkWeightingLaws(broken, { numTasks: 2, numRuns: 50 }),
      (error: unknown) =>
        error instanceof LawViolation && /law bad-input failed \(seed -?\d+, path "[\d:]*"\)/.test(error.message),
    );
  });
});
