import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { art, formatDecodeErrors, isTwoPhase, unwrap, type TaskLosses, type Weighting } from "../../src/core/index.js";
import {
  clampOntoSimplex,
  clampWeights,
  dwa,
  endEpochEvery,
  equal,
  famo,
  maskTasks,
  observeOnNextStep,
  rlw,
  scheduleHyperparams,
  si,
  skipNonFinite,
  warmup,
} from "../../src/strategies/index.js";
import { assertAllClose } from "../support/all-close.js";
import { codecLines } from "../support/codec-lines.js";
import { recordingWeighting } from "../support/recording-weighting.js";

const steps = <S>(w: Weighting<S>, numTasks: number, sequence: TaskLosses[]) => {
  let state = unwrap(w.init(numTasks));
  return sequence.map((losses) => {
    const r = unwrap(w.step(state, losses));
    state = r.state;
    return r;
  });
};

describe("skipNonFinite", () => {
  const w = skipNonFinite({ maxConsecutive: 2 }, si());
  it("skips NaN/±Infinity, returns the last weights over the batch's tasks, counts skips", () => {
    let s = unwrap(w.init(3));
    const good = unwrap(w.step(s, [1, 2, 4]));
    s = good.state;
    const skip = unwrap(w.step(s, [NaN, 2, null]));
    const total = (good.weights[0] as number) + (good.weights[1] as number);
    assertAllClose(skip.weights, [(good.weights[0] as number) / total, (good.weights[1] as number) / total, 0], {
      rtol: 1e-15,
    });
    assert.deepEqual(skip.diagnostics.nonFinite, [1, 0, null]);
    assert.equal(skip.state.consecutiveSkips, 1);
    assert.deepEqual(skip.state.inner, s.inner, "the inner state does not move on a skip");
    const skip2 = unwrap(w.step(skip.state, [1, Infinity, 1]));
    assert.equal(skip2.state.consecutiveSkips, 2);
    const third = w.step(skip2.state, [-Infinity, 1, 1]);
    assert.ok(E.isLeft(third) && third.left._tag === "InvalidLoss" && third.left.taskIndex === 0);
    const recovered = unwrap(w.step(skip2.state, [1, 1, 1]));
    assert.equal(recovered.state.consecutiveSkips, 0);
    assert.equal(recovered.state.totalSkips, 2);
  });
  it("uniform before the first good step; other bad input is still an error", () => {
    const s = unwrap(w.init(2));
    assert.deepEqual(unwrap(w.step(s, [NaN, 1])).weights, [0.5, 0.5]);
    assert.ok(E.isLeft(w.step(s, [NaN, -1])));
    assert.ok(E.isLeft(w.step(s, [NaN])));
    assert.ok(E.isLeft(w.step(s, [null, null])));
  });
});

describe("warmup", () => {
  it("is uniform for n steps while the inner weighting keeps stepping", () => {
    const seq: TaskLosses[] = [
      [1, 2],
      [1, 4],
      [2, 1],
      [1, 8],
    ];
    const warm = steps(warmup(2, si()), 2, seq);
    const plain = steps(si(), 2, seq);
    assert.deepEqual(warm[0]?.weights, [0.5, 0.5]);
    assert.deepEqual(warm[1]?.weights, [0.5, 0.5]);
    assert.deepEqual(warm[1]?.diagnostics.innerWeights, plain[1]?.weights);
    assert.deepEqual(warm[2]?.weights, plain[2]?.weights);
    assert.deepEqual(warm[3]?.state.inner, plain[3]?.state);
  });
  it("keeps the inner weighting's observe", () => {
    assert.ok(isTwoPhase(warmup(1, famo())));
    assert.ok(!isTwoPhase(warmup(1, si())));
  });
});

describe("clampWeights", () => {
  it("bounds hold and weights sum to 1 (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }).chain((k) =>
          fc.record({
            raw: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: k, maxLength: k }),
            present: fc.array(fc.boolean(), { minLength: k, maxLength: k }),
            floorShare: fc.double({ min: 0, max: 1, noNaN: true }),
            ceilingShare: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
        ),
        ({ raw, present, floorShare, ceilingShare }) => {
          const mask = present.some((p) => p) ? present : present.map((_, k) => k === 0);
          const k = raw.length;
          const floor = floorShare / k;
          const ceiling = 1 / k + ceilingShare * (1 - 1 / k);
          const total = raw.reduce((s, x, i) => s + (mask[i] ? x : 0), 0);
          const weights = raw.map((x, i) => (!mask[i] ? 0 : total > 0 ? x / total : 1 / mask.filter(Boolean).length));
          const out = clampOntoSimplex(weights, mask, { floor, ceiling });
          const p = mask.filter(Boolean).length;
          const sum = out.reduce((s, x) => s + x, 0);
          assert.ok(Math.abs(sum - 1) < 1e-9, `sum ${sum}`);
          out.forEach((x, i) => {
            if (!mask[i]) assert.equal(x, 0);
            else if (p * ceiling >= 1)
              assert.ok(x >= floor && x <= ceiling, `weight ${x} outside [${floor}, ${ceiling}]`);
          });
        },
      ),
      { numRuns: process.env.CI !== undefined ? 1000 : 200 },
    );
  });
  it("clips once and redistributes in proportion", () => {
    assertAllClose(
      clampOntoSimplex([0.9, 0.05, 0.05], [true, true, true], { floor: 0.1, ceiling: 0.8 }),
      [0.8, 0.1, 0.1],
      { rtol: 1e-15 },
    );
    assertAllClose(
      clampOntoSimplex([0.7, 0.2, 0.1], [true, true, true], { floor: 0, ceiling: 0.5 }),
      [0.5, 1 / 3, 1 / 6],
      { rtol: 1e-14 },
    );
  });
  it("rejects infeasible bounds at init", () => {
    assert.ok(E.isLeft(clampWeights({ floor: 0.4, ceiling: 1 }, equal()).init(3)));
    assert.ok(E.isLeft(clampWeights({ floor: 0, ceiling: 0.3 }, equal()).init(3)));
    assert.ok(E.isLeft(clampWeights({ floor: 0.3, ceiling: 0.2 }, equal()).init(3)));
    assert.ok(E.isRight(clampWeights({ floor: 0.1, ceiling: 0.5 }, equal()).init(3)));
  });

  it("init names each bad bound, and accepts the bounds exactly at the edges", () => {
    const errors = (floor: number, ceiling: number, k = 3) => {
      const result = clampWeights({ floor, ceiling }, equal()).init(k);
      return E.isLeft(result) ? (result.left as { errors: readonly string[] }).errors : [];
    };
    assert.deepEqual(errors(-0.1, 0.5), ["floor: expected a number in [0, 1] (got -0.1)"]);
    assert.deepEqual(errors(1.5, 0.5), ["floor: expected a number in [0, 1] (got 1.5)"]);
    assert.deepEqual(errors(0, 0), ["ceiling: expected a number in (0, 1] (got 0)"]);
    assert.deepEqual(errors(0, 1.2), ["ceiling: expected a number in (0, 1] (got 1.2)"]);
    assert.deepEqual(errors(Number.NaN, Number.NaN), [
      "floor: expected a number in [0, 1] (got NaN)",
      "ceiling: expected a number in (0, 1] (got NaN)",
    ]);
    assert.deepEqual(errors(0.3, 0.2), [
      "floor: expected floor <= ceiling (got 0.3 > 0.2)",
      "ceiling: infeasible, 3 tasks * ceiling 0.2 < 1",
    ]);
    assert.deepEqual(errors(0.4, 1), ["floor: infeasible, 3 tasks * floor 0.4 > 1"]);
    assert.deepEqual(errors(0, 0.3), ["ceiling: infeasible, 3 tasks * ceiling 0.3 < 1"]);
    // The edges are feasible: K * floor = 1, K * ceiling = 1, floor = ceiling, floor 0, ceiling 1.
    assert.deepEqual(errors(0.25, 1, 4), []);
    assert.deepEqual(errors(0, 0.25, 4), []);
    assert.deepEqual(errors(0.25, 0.25, 4), []);
    assert.deepEqual(errors(0, 1, 1), []);
    assert.deepEqual(errors(1, 1, 1), []);
  });

  it("the state codec refuses floor > ceiling and keeps the bounds", () => {
    const weighting = clampWeights({ floor: 0.1, ceiling: 0.5 }, equal());
    const state = unwrap(weighting.init(3));
    assert.deepEqual(state.config, { floor: 0.1, ceiling: 0.5 });
    const encoded = JSON.parse(JSON.stringify(weighting.stateCodec.encode(state))) as {
      config: { floor: number; ceiling: number };
    };
    assert.ok(E.isRight(weighting.stateCodec.decode(encoded)));
    const bad = weighting.stateCodec.decode({ ...encoded, config: { floor: 0.6, ceiling: 0.5 } });
    assert.ok(E.isLeft(bad));
    assert.match(JSON.stringify(bad.left), /expected floor <= ceiling/);
    assert.ok(E.isRight(weighting.stateCodec.decode({ ...encoded, config: { floor: 0.5, ceiling: 0.5 } })));
  });

  it("equals the projection clamp(lambda w, floor, ceiling) found by bisection on lambda (property)", () => {
    // Independent reference: sum_k clamp(lambda w_k, floor, ceiling) grows with lambda; bisect for 1.
    const reference = (
      weights: readonly number[],
      present: readonly boolean[],
      floor: number,
      ceiling: number,
    ): number[] => {
      const clampTo = (x: number) => Math.min(ceiling, Math.max(floor, x));
      const total = (lambda: number) => weights.reduce((s, w, k) => s + (present[k] ? clampTo(lambda * w) : 0), 0);
      let lo = 0;
      let hi = 1;
      while (total(hi) < 1) hi *= 2;
      for (let i = 0; i < 200; i++) {
        const mid = (lo + hi) / 2;
        if (total(mid) < 1) lo = mid;
        else hi = mid;
      }
      return weights.map((w, k) => (present[k] ? clampTo(hi * w) : 0));
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }).chain((k) =>
          fc.record({
            raw: fc.array(fc.double({ min: 1e-3, max: 1, noNaN: true }), { minLength: k, maxLength: k }),
            present: fc.array(fc.boolean(), { minLength: k, maxLength: k }),
            floorShare: fc.double({ min: 0, max: 0.999, noNaN: true }),
            ceilingShare: fc.double({ min: 0.001, max: 1, noNaN: true }),
          }),
        ),
        ({ raw, present, floorShare, ceilingShare }) => {
          const mask = present.some((p) => p) ? present : present.map((_, k) => k === 0);
          const p = mask.filter(Boolean).length;
          const total = raw.reduce((s, x, i) => s + (mask[i] ? x : 0), 0);
          const weights = raw.map((x, i) => (mask[i] ? x / total : 0));
          // Bounds feasible for the present tasks: p * floor <= 1 <= p * ceiling.
          const floor = floorShare / p;
          const ceiling = 1 / p + ceilingShare * (1 - 1 / p);
          const out = clampOntoSimplex(weights, mask, { floor, ceiling });
          assertAllClose(out, reference(weights, mask, floor, ceiling), { rtol: 1e-9, atol: 1e-12 });
        },
      ),
      { numRuns: process.env.CI !== undefined ? 1000 : 300 },
    );
  });

  it("bounds that the present tasks cannot meet give uniform weights over them", () => {
    // 2 of 4 tasks present, ceiling 0.3: 2 * 0.3 < 1.
    assert.deepEqual(
      clampOntoSimplex([0.7, 0, 0.3, 0], [true, false, true, false], { floor: 0, ceiling: 0.3 }),
      [0.5, 0, 0.5, 0],
    );
    // Exactly feasible (2 * 0.5 = 1): both at the ceiling.
    assert.deepEqual(
      clampOntoSimplex([0.9, 0, 0.1, 0], [true, false, true, false], { floor: 0, ceiling: 0.5 }),
      [0.5, 0, 0.5, 0],
    );
    // Floor 1/3 over 3 tasks: every task sits at the floor.
    assertAllClose(
      clampOntoSimplex([0.8, 0.15, 0.05], [true, true, true], { floor: 1 / 3, ceiling: 1 }),
      [1 / 3, 1 / 3, 1 / 3],
      { rtol: 1e-15 },
    );
  });
});

describe("maskTasks", () => {
  it("masked tasks get 0 and their losses never reach the inner weighting", () => {
    const w = maskTasks([false, true, false], si());
    const r = steps(w, 3, [[1, 2, 4]])[0]!;
    assertAllClose(r.weights, [0.8, 0, 0.2], { rtol: 1e-15 });
    const s = unwrap(w.init(3));
    assert.ok(E.isLeft(w.step(s, [1, NaN, 1])), "a NaN in a masked task is still an error");
    assert.ok(E.isLeft(w.step(s, [null, 2, null])), "only masked tasks present: no task left");
    assert.ok(E.isLeft(maskTasks([true, true], si()).init(2)));
    assert.ok(E.isLeft(maskTasks([true], si()).init(2)));
  });
});

describe("scheduleHyperparams", () => {
  it("patches the inner config each step: equals Art with that tau", () => {
    const w = scheduleHyperparams(art(), (step) => ({ tau: step < 2 ? 3 : 1 }));
    const seq: TaskLosses[] = [
      [0.5, 0.4],
      [0.45, 0.35],
      [0.3, 0.34],
      [0.2, 0.3],
    ];
    const out = steps(w, 2, seq);
    assert.equal(out[3]?.state.inner.config.tau, 1);
    // Reference: Art at tau 3 for two steps, then the same state with tau 1.
    let s = unwrap(art().init(2));
    const expected: number[][] = [];
    seq.forEach((losses, i) => {
      s = { ...s, config: { ...s.config, tau: (i < 2 ? 3 : 1) as typeof s.config.tau } };
      const r = unwrap(art().step(s, losses));
      expected.push([...r.weights]);
      s = r.state;
    });
    assert.deepEqual(
      out.map((r) => r.weights),
      expected,
    );
  });
  it("an invalid scheduled value fails init or the step, naming the key", () => {
    const bad0 = scheduleHyperparams(art(), () => ({ tau: -1 })).init(2);
    assert.ok(E.isLeft(bad0) && /tau/.test(bad0.left.message));
    const later = scheduleHyperparams(art(), (step) => ({ tau: step === 1 ? 0 : 1 }));
    const s1 = unwrap(later.step(unwrap(later.init(2)), [0.5, 0.5])).state;
    const r = later.step(s1, [0.5, 0.5]);
    assert.ok(E.isLeft(r) && r.left._tag === "InvalidState" && /schedule\(1\): .*tau/.test(r.left.message));
    const typo = scheduleHyperparams(art(), () => ({ tua: 2 })).init(2);
    assert.ok(E.isLeft(typo) && /tua: not a schedulable/.test(typo.left.message));
    assert.ok(E.isLeft(scheduleHyperparams(art(), () => ({ numTasks: 3 })).init(2)));
  });
});

describe("phase drivers", () => {
  it("observeOnNextStep(famo) observes line t+1 before stepping it", () => {
    const seq: TaskLosses[] = [
      [1, 2],
      [0.8, 1.9],
      [0.7, 1.5],
    ];
    const driven = steps(observeOnNextStep(famo()), 2, seq).map((r) => r.weights);
    const w = famo();
    let s = unwrap(w.init(2));
    const manual = seq.map((losses, i) => {
      if (i > 0) s = unwrap(w.observe(s, losses));
      const r = unwrap(w.step(s, losses));
      s = r.state;
      return r.weights;
    });
    assert.deepEqual(driven, manual);
  });
  it("endEpochEvery(n, dwa) closes an epoch every n steps", () => {
    const out = steps(endEpochEvery(2, dwa()), 2, [
      [1, 1],
      [1, 1],
      [0.5, 1],
      [0.5, 1],
      [0.5, 1],
    ]);
    assert.equal(out[4]?.state.inner.epoch, 2);
    assertAllClose(
      out[4]?.weights as number[],
      (() => {
        const e = [Math.exp(0.5 / 2), Math.exp(1 / 2)];
        return e.map((x) => x / (e[0]! + e[1]!));
      })(),
      { rtol: 1e-14 },
    );
    assert.ok(E.isLeft(endEpochEvery(0, dwa()).init(2)));
  });
  it("combinators nest: a checkpoint of a stack is one JSON document", () => {
    const w = warmup(1, clampWeights({ floor: 0.1, ceiling: 0.9 }, skipNonFinite({}, rlw({ seed: 2 }))));
    const s = steps(w, 3, [
      [1, 2, 3],
      [1, NaN, 3],
    ])[1]!.state;
    const json = JSON.parse(JSON.stringify(w.stateCodec.encode(s)));
    assert.equal(json.kind, "warmup");
    assert.equal(json.inner.kind, "clamp-weights");
    assert.equal(json.inner.inner.kind, "skip-non-finite");
    assert.equal(json.inner.inner.totalSkips, 1);
    assert.equal(json.inner.inner.inner.kind, "rlw");
    const decoded = w.stateCodec.decode(json);
    assert.ok(E.isRight(decoded));
    assert.deepEqual(decoded.right, s);
  });
});

/**
 * Exact errors and state checks of the combinators: every message is written out by hand, and
 * every consistency check of a state codec is met by a state that breaks only it.
 */
describe("combinators: exact init errors, state checks and pass-through phases", () => {
  const leftOf = <A, B>(result: E.Either<A, B>): A => {
    assert.ok(E.isLeft(result), "expected a Left");
    return result.left;
  };
  const decodeLines = <S>(w: Weighting<S>, value: unknown): string[] => codecLines(w.stateCodec, value);

  it("maskTasks: init names a mask of the wrong length and a mask of every task", () => {
    assert.deepEqual(leftOf(maskTasks([true], si()).init(2)), {
      _tag: "InvalidConfig",
      errors: ["masked: expected 2 entries, one per task (got 1)"],
      message: "invalid config:\n  masked: expected 2 entries, one per task (got 1)",
    });
    assert.deepEqual(leftOf(maskTasks([true, true], si()).init(2)).errors, [
      "masked: at least one task must stay unmasked",
    ]);
  });

  it("maskTasks: the state codec refuses a mask whose length is not the inner state's task count", () => {
    const w = maskTasks([false, true, false], si());
    const state = unwrap(w.init(3));
    assert.deepEqual(decodeLines(w, { ...state, config: { masked: [false, true] } }), [
      "config.masked: expected 3 entries (got 2)",
    ]);
    assert.deepEqual(decodeLines(w, state), []);
  });

  it("maskTasks: observe hides the masked tasks from the inner weighting, after checking the whole vector", () => {
    // A two-phase inner weighting that records what its observe receives.
    const recorder = recordingWeighting;
    const w = maskTasks([false, true, false], recorder);
    const s = unwrap(w.init(3));
    assert.deepEqual(unwrap(w.observe!(s, [0.45, 0.9, 0.2])).inner.seen, [[0.45, null, 0.2]]);
    const nan = leftOf(w.observe!(s, [0.45, NaN, 0.2]));
    assert.equal(nan.message, "task 1: invalid loss NaN: a loss must not be NaN");
    assert.equal(leftOf(w.observe!(s, [0.45, 0.9])).message, "expected 3 task losses, got 2");
    // Without a mask the losses reach observe as they are.
    assert.deepEqual(
      unwrap(warmup(1, recorder).observe!(unwrap(warmup(1, recorder).init(3)), [0.45, 0.9, 0.2])).inner.seen,
      [[0.45, 0.9, 0.2]],
    );
  });

  it("every wrapper passes endEpoch through to an epoch-aware inner weighting", () => {
    const inner = dwa();
    const seq: TaskLosses[] = [
      [1, 2],
      [2, 1],
      [1, 1],
    ];
    for (const w of [
      warmup(1, dwa()),
      maskTasks([false, false], dwa()),
      skipNonFinite({}, dwa()),
      clampWeights({ floor: 0, ceiling: 1 }, dwa()),
    ] as unknown as Array<
      Weighting<{ inner: unknown }> & { endEpoch?: (s: { inner: unknown }) => { inner: unknown } }
    >) {
      let s = unwrap(w.init(2));
      let i = unwrap(inner.init(2));
      for (const losses of seq) {
        s = unwrap(w.step(s, losses)).state;
        i = unwrap(inner.step(i, losses)).state;
      }
      assert.equal(typeof w.endEpoch, "function", `${w.name} has endEpoch`);
      assert.deepEqual(w.endEpoch!(s).inner, inner.endEpoch(i), w.name);
    }
    assert.equal((warmup(1, si()) as { endEpoch?: unknown }).endEpoch, undefined);
  });

  it("skipNonFinite: init names a bad maxConsecutive", () => {
    assert.deepEqual(leftOf(skipNonFinite({ maxConsecutive: 0 }, si()).init(2)).errors, [
      "maxConsecutive: expected Count (got 0)",
    ]);
    assert.deepEqual(leftOf(skipNonFinite({ maxConsecutive: 1.5 }, si()).init(2)).errors, [
      "maxConsecutive: expected Count (got 1.5)",
    ]);
  });

  it("skipNonFinite: the state codec checks the skip counters against each other and lastWeights' length", () => {
    const w = skipNonFinite({ maxConsecutive: 2 }, si());
    const base = unwrap(w.init(3));
    // At the limit (2 of 2 skips) the state is valid: the next bad step is the one refused.
    assert.deepEqual(decodeLines(w, { ...base, consecutiveSkips: 2, totalSkips: 2 }), []);
    assert.deepEqual(decodeLines(w, { ...base, consecutiveSkips: 3, totalSkips: 3 }), [
      "consecutiveSkips: expected <= maxConsecutive (got 3)",
    ]);
    assert.deepEqual(decodeLines(w, { ...base, consecutiveSkips: 2, totalSkips: 1 }), [
      "totalSkips: expected >= consecutiveSkips (got 1)",
    ]);
    assert.deepEqual(decodeLines(w, { ...base, lastWeights: [0.5, 0.5] }), ["lastWeights: expected 3 entries (got 2)"]);
    assert.deepEqual(decodeLines(w, { ...base, lastWeights: [0.2, 0.3, 0.5] }), []);
  });

  it("skipNonFinite: the error after too many skips says which loss and how many steps were skipped", () => {
    const w = skipNonFinite({ maxConsecutive: 1 }, si());
    const skipped = unwrap(w.step(unwrap(w.init(2)), [1, Infinity])).state;
    assert.deepEqual(leftOf(w.step(skipped, [NaN, 1])), {
      _tag: "InvalidLoss",
      taskIndex: 0,
      value: NaN,
      reason: "nan",
      message: "task 0: invalid loss NaN: a loss must not be NaN (after 1 consecutive skipped steps)",
    });
    assert.deepEqual(leftOf(w.step(skipped, [1, -Infinity])), {
      _tag: "InvalidLoss",
      taskIndex: 1,
      value: -Infinity,
      reason: "infinite",
      message: "task 1: invalid loss -Infinity: a loss must be finite (after 1 consecutive skipped steps)",
    });
  });

  it("skipNonFinite: a skip before any good step is uniform over the tasks in the batch; a non-array is refused", () => {
    const w = skipNonFinite({ maxConsecutive: 2 }, si());
    const s = unwrap(w.init(3));
    assert.deepEqual(unwrap(w.step(s, [NaN, 1, null])).weights, [0.5, 0.5, 0]);
    assert.deepEqual(unwrap(w.step(s, [null, null, Infinity])).weights, [0, 0, 1]);
    const notArray = leftOf(w.step(s, "losses" as unknown as TaskLosses));
    assert.deepEqual(notArray, leftOf(si().step(unwrap(si().init(3)), "losses" as unknown as TaskLosses)));
  });

  it("warmup: init names bad step counts; innerWeights is null for absent tasks", () => {
    assert.deepEqual(leftOf(warmup(-1, si()).init(2)).errors, ["steps: expected NonNegativeInt (got -1)"]);
    assert.deepEqual(leftOf(warmup(0.5, si()).init(2)).errors, ["steps: expected NonNegativeInt (got 0.5)"]);
    const w = warmup(2, si());
    const r = unwrap(w.step(unwrap(w.init(3)), [1, null, 3]));
    assert.deepEqual(r.weights, [0.5, 0, 0.5]);
    assert.deepEqual(r.diagnostics.innerWeights, [0.75, null, 0.25]);
  });

  it("endEpochEvery: init names a bad epoch length", () => {
    assert.deepEqual(leftOf(endEpochEvery(0, dwa()).init(2)).errors, ["epochLength: expected Count (got 0)"]);
    assert.deepEqual(leftOf(endEpochEvery(2.5, dwa()).init(2)).errors, ["epochLength: expected Count (got 2.5)"]);
  });

  it("scheduleHyperparams: unknown keys and numTasks are refused with the keys that can be scheduled", () => {
    const unknown = leftOf(scheduleHyperparams(art(), () => ({ tua: 2, numTasks: 3 })).init(2));
    assert.deepEqual(unknown.errors, [
      "schedule(0): tua: not a schedulable config key of art (known: preset, tau, rate, lcr, gcw, lossScale)",
      "schedule(0): numTasks: not a schedulable config key of art (known: preset, tau, rate, lcr, gcw, lossScale)",
    ]);
    const bad = leftOf(scheduleHyperparams(art(), () => ({ tau: -1 })).init(2));
    assert.deepEqual(bad.errors, ["schedule(0): config.tau: expected PositiveFinite (got -1)"]);
  });

  it("scheduleHyperparams: an inner state without a config object cannot be scheduled", () => {
    // Weightings whose encoded state is not an object (a number, undefined), is null, or has no/a null config.
    const fake = (name: string, encoded: unknown): Weighting<number> => ({
      name,
      init: (numTasks) => E.right(numTasks),
      step: (state) => E.right({ state, weights: [1], diagnostics: {} }),
      stateCodec: new t.Type<number, unknown, unknown>(
        name,
        (u): u is number => typeof u === "number",
        (u, c) => t.number.validate(u, c),
        () => encoded,
      ),
      numTasks: (state) => state,
    });
    for (const [name, encoded] of [
      ["number", 1],
      ["undefined", undefined],
      ["null", null],
      ["noConfig", { numTasks: 1 }],
      ["nullConfig", { config: null }],
      ["stringConfig", { config: "x" }],
    ] as const) {
      const result = leftOf(scheduleHyperparams(fake(name, encoded), () => ({ tau: 1 })).init(1));
      assert.deepEqual(result.errors, [`schedule(0): ${name}: its state has no config to schedule`], name);
    }
    // A config object is enough to get past that check (then the key is unknown).
    const withConfig = leftOf(
      scheduleHyperparams(fake("withConfig", { config: { numTasks: 1, a: 1 } }), () => ({ tau: 1 })).init(1),
    );
    assert.deepEqual(withConfig.errors, ["schedule(0): tau: not a schedulable config key of withConfig (known: a)"]);
  });
});

describe("clampWeights: through step, zero weights and the state's bounds", () => {
  it("step clamps the inner weights over the present tasks and reports the unclamped ones", () => {
    const w = clampWeights({ floor: 0.1, ceiling: 0.6 }, si());
    // si's weights for [1, 10, 100] are [100, 10, 1] / 111: the first is cut to 0.6, the
    // other two share 0.4 as 10 : 1 would put the last at 0.036 < 0.1, so it sits at the floor.
    const all = unwrap(w.step(unwrap(w.init(3)), [1, 10, 100]));
    assertAllClose(all.weights, [0.6, 0.3, 0.1], { rtol: 1e-15 });
    assertAllClose(all.diagnostics.unclampedWeights as number[], [100 / 111, 10 / 111, 1 / 111], { rtol: 1e-15 });
    // One task absent: si gives [100, 0, 1] / 101, clamped to [0.6, 0, 0.4]; the absent task's unclamped weight is null.
    const absent = unwrap(w.step(unwrap(w.init(3)), [1, null, 100]));
    assertAllClose(absent.weights, [0.6, 0, 0.4], { rtol: 1e-15 });
    assert.equal(absent.diagnostics.unclampedWeights?.[1], null);
    // The inner diagnostics are kept beside it.
    assert.deepEqual(Object.keys(absent.diagnostics).sort(), ["inverseLoss", "unclampedWeights"]);
  });

  it("inner weights that are exactly 0 (a softmax that underflowed) go to the floor", () => {
    assert.deepEqual(clampOntoSimplex([0, 0, 1], [true, true, true], { floor: 0.1, ceiling: 0.8 }), [0.1, 0.1, 0.8]);
    assert.deepEqual(
      clampOntoSimplex([0, 1, 0, 0], [true, true, true, false], { floor: 0.25, ceiling: 0.5 }),
      [0.25, 0.5, 0.25, 0],
    );
  });

  it("zero weights that no scaling can lift: still on the simplex and inside the bounds", () => {
    // Tasks 2 and 3 present with weights 0 and 1: lambda * 0 stays at the floor (0.05) and
    // lambda * 1 stops at the ceiling (0.7), 0.75 in all, so no proportional split exists and
    // the result is the fallback, uniform over the present tasks.
    assert.deepEqual(
      clampOntoSimplex([0, 0, 0, 1], [false, false, true, true], { floor: 0.05, ceiling: 0.7 }),
      [0, 0, 0.5, 0.5],
    );
    // Four present tasks, one with all the weight: two zero-weight tasks sit at the floor and,
    // to reach a sum of 1, one more (the later index, ties broken by index) at the ceiling.
    assert.deepEqual(
      clampOntoSimplex([0, 0, 1, 0, 0], [true, true, true, true, false], { floor: 0.05, ceiling: 0.45 }),
      [0.05, 0.05, 0.45, 0.45, 0],
    );
  });

  it("the state codec keeps floor and ceiling in [0, 1]", () => {
    const w = clampWeights({ floor: 0.1, ceiling: 0.6 }, si());
    const state = unwrap(w.init(3));
    const lines = (config: { floor: number; ceiling: number }) => {
      const result = w.stateCodec.decode({ ...state, config });
      return E.isLeft(result) ? formatDecodeErrors(result.left) : [];
    };
    assert.deepEqual(lines({ floor: -0.1, ceiling: 0.6 }), ["config.floor: expected number in [0, 1] (got -0.1)"]);
    assert.deepEqual(lines({ floor: 0.1, ceiling: 1.5 }), ["config.ceiling: expected number in [0, 1] (got 1.5)"]);
    assert.deepEqual(lines({ floor: 0, ceiling: 1 }), []);
  });
});
