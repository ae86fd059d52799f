import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";
import fc from "fast-check";
import { art, isTwoPhase, unwrap } from "../../src/core/index.js";
import type { TaskLosses, Weighting } from "../../src/core/index.js";
import {
  activeTasksAt,
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
  sequential,
  si,
  skipNonFinite,
  warmup,
} from "../../src/strategies/index.js";
import { assertAllClose } from "../support/all-close.js";

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
    assertAllClose(skip.weights, [(good.weights[0] as number) / total, (good.weights[1] as number) / total, 0], { rtol: 1e-15 });
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
    const seq: TaskLosses[] = [[1, 2], [1, 4], [2, 1], [1, 8]];
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
            else if (p * ceiling >= 1) assert.ok(x >= floor && x <= ceiling, `weight ${x} outside [${floor}, ${ceiling}]`);
          });
        },
      ),
      { numRuns: process.env.CI !== undefined ? 1000 : 200 },
    );
  });
  it("clips once and redistributes in proportion", () => {
    assertAllClose(clampOntoSimplex([0.9, 0.05, 0.05], [true, true, true], { floor: 0.1, ceiling: 0.8 }), [0.8, 0.1, 0.1], { rtol: 1e-15 });
    assertAllClose(clampOntoSimplex([0.7, 0.2, 0.1], [true, true, true], { floor: 0, ceiling: 0.5 }), [0.5, 1 / 3, 1 / 6], { rtol: 1e-14 });
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
    assert.deepEqual(errors(Number.NaN, Number.NaN), ["floor: expected a number in [0, 1] (got NaN)", "ceiling: expected a number in (0, 1] (got NaN)"]);
    assert.deepEqual(errors(0.3, 0.2), ["floor: expected floor <= ceiling (got 0.3 > 0.2)", "ceiling: infeasible, 3 tasks * ceiling 0.2 < 1"]);
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
    const encoded = JSON.parse(JSON.stringify(weighting.stateCodec.encode(state))) as { config: { floor: number; ceiling: number } };
    assert.ok(E.isRight(weighting.stateCodec.decode(encoded)));
    const bad = weighting.stateCodec.decode({ ...encoded, config: { floor: 0.6, ceiling: 0.5 } });
    assert.ok(E.isLeft(bad));
    assert.match(JSON.stringify(bad.left), /expected floor <= ceiling/);
    assert.ok(E.isRight(weighting.stateCodec.decode({ ...encoded, config: { floor: 0.5, ceiling: 0.5 } })));
  });

  it("equals the projection clamp(lambda w, floor, ceiling) found by bisection on lambda (property)", () => {
    // Independent reference: sum_k clamp(lambda w_k, floor, ceiling) grows with lambda; bisect for 1.
    const reference = (weights: readonly number[], present: readonly boolean[], floor: number, ceiling: number): number[] => {
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
    assert.deepEqual(clampOntoSimplex([0.7, 0, 0.3, 0], [true, false, true, false], { floor: 0, ceiling: 0.3 }), [0.5, 0, 0.5, 0]);
    // Exactly feasible (2 * 0.5 = 1): both at the ceiling.
    assert.deepEqual(clampOntoSimplex([0.9, 0, 0.1, 0], [true, false, true, false], { floor: 0, ceiling: 0.5 }), [0.5, 0, 0.5, 0]);
    // Floor 1/3 over 3 tasks: every task sits at the floor.
    assertAllClose(clampOntoSimplex([0.8, 0.15, 0.05], [true, true, true], { floor: 1 / 3, ceiling: 1 }), [1 / 3, 1 / 3, 1 / 3], { rtol: 1e-15 });
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

describe("sequential", () => {
  it("activeTasks follows the stages and the order", () => {
    const w = sequential({ stages: [3, 6] }, si());
    assert.deepEqual([0, 2, 3, 5, 6, 100].map((t) => w.activeTasks(t, 3)), [[0], [0], [0, 1], [0, 1], [0, 1, 2], [0, 1, 2]]);
    assert.deepEqual(activeTasksAt({ stages: [10, 20], order: [2, 0, 1] }, 15), [2, 0]);
    assert.deepEqual(sequential({ stages: [2] }, si()).activeTasks(5, 4), [0, 1, 2, 3], "after the last boundary every task is active");
  });
  it("masks inactive tasks as absent and continues the inner state across stages", () => {
    const w = sequential({ stages: [1, 2] }, si());
    const out = steps(w, 3, [[1, 2, 4], [1, 2, 4], [1, 2, 4]]);
    assert.deepEqual(out[0]?.weights, [1, 0, 0]);
    assertAllClose(out[1]?.weights as number[], [2 / 3, 1 / 3, 0], { rtol: 1e-15 });
    assertAllClose(out[2]?.weights as number[], [4 / 7, 2 / 7, 1 / 7], { rtol: 1e-15 });
    assert.deepEqual(w.nextActiveTasks(out[1]!.state), [0, 1, 2]);
    assert.equal(out[2]?.state.inner.step, 3);
  });
  it("composes with Art: sequential + Art equals Art on the masked losses", () => {
    const seq: TaskLosses[] = [[0.5, 0.4, 0.3], [0.45, 0.35, 0.3], [0.4, 0.3, 0.2]];
    const a = steps(sequential({ stages: [1, 2] }, art()), 3, seq).map((r) => r.weights);
    const b = steps(art(), 3, [[0.5, null, null], [0.45, 0.35, null], [0.4, 0.3, 0.2]]).map((r) => r.weights);
    assert.deepEqual(a, b);
  });
  it("rejects bad stages at init", () => {
    assert.ok(E.isLeft(sequential({ stages: [2, 2] }, si()).init(3)));
    assert.ok(E.isLeft(sequential({ stages: [1, 2, 3] }, si()).init(3)));
    assert.ok(E.isLeft(sequential({ stages: [0] }, si()).init(3)));
    assert.ok(E.isLeft(sequential({ stages: [1], order: [0, 0, 1] }, si()).init(3)));
  });
});

describe("scheduleHyperparams", () => {
  it("patches the inner config each step: equals Art with that tau", () => {
    const w = scheduleHyperparams(art(), (step) => ({ tau: step < 2 ? 3 : 1 }));
    const seq: TaskLosses[] = [[0.5, 0.4], [0.45, 0.35], [0.3, 0.34], [0.2, 0.3]];
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
    assert.deepEqual(out.map((r) => r.weights), expected);
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
    const seq: TaskLosses[] = [[1, 2], [0.8, 1.9], [0.7, 1.5]];
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
    const out = steps(endEpochEvery(2, dwa()), 2, [[1, 1], [1, 1], [0.5, 1], [0.5, 1], [0.5, 1]]);
    assert.equal(out[4]?.state.inner.epoch, 2);
    assertAllClose(out[4]?.weights as number[], (() => {
      const e = [Math.exp(0.5 / 2), Math.exp(1 / 2)];
      return e.map((x) => x / (e[0]! + e[1]!));
    })(), { rtol: 1e-14 });
    assert.ok(E.isLeft(endEpochEvery(0, dwa()).init(2)));
  });
  it("combinators nest: a checkpoint of a stack is one JSON document", () => {
    const w = warmup(1, clampWeights({ floor: 0.1, ceiling: 0.9 }, skipNonFinite({}, rlw({ seed: 2 }))));
    const s = steps(w, 3, [[1, 2, 3], [1, NaN, 3]])[1]!.state;
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
