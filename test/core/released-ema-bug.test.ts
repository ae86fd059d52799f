import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { ArtStateCodec, initArt, RELEASED_EMA_BUG_TASK, stepArt, unwrap, type ArtState } from "../../src/core/index.js";
import { strategyFromFlags } from "../../src/strategies/index.js";
import { lossSequence } from "../strategies/reference/sequences.js";
import { ReleasedRebalance } from "./reference/released-rebalance.js";

// `releasedEmaBug: true`: the official preset as the authors' code runs it, where the snow
// branch of the model's update assigns the EMA to an unused attribute, so the third task's E
// never leaves 0.1. Checked against test/core/reference/released-rebalance.ts, a float64
// transcription of the released Rebalance_L1 and update block (not of src/).

const run = (state: ArtState, sequence: readonly (number | null)[][]) => {
  const weights: number[][] = [];
  let current = state;
  for (const losses of sequence) {
    const out = unwrap(stepArt(current, losses));
    weights.push([...out.weights]);
    current = out.state;
  }
  return { weights, state: current };
};

const official = (bug: boolean): ArtState =>
  unwrap(initArt({ preset: "official", numTasks: 3, ...(bug ? { releasedEmaBug: true } : {}) }));

describe("Art: releasedEmaBug (the released code's frozen third EMA)", () => {
  it("the third task's EMA stays exactly 0.1; its min and previous loss, and the other EMAs, move", () => {
    const { state } = run(official(true), [
      [0.05, 0.04, 0.06],
      [0.045, null, 0.03],
      [0.05, 0.035, 0.02],
    ]);
    const third = state.tasks[RELEASED_EMA_BUG_TASK]!;
    assert.equal(RELEASED_EMA_BUG_TASK, 2);
    assert.equal(third.ema, 0.1);
    assert.equal(third.min, 0.02);
    assert.equal(third.prev, 0.02);
    assert.ok(state.tasks[0]!.ema !== 0.1 && state.tasks[1]!.ema !== 0.1);
    const intended = run(official(false), [
      [0.05, 0.04, 0.06],
      [0.045, null, 0.03],
      [0.05, 0.035, 0.02],
    ]).state;
    assert.deepEqual(state.tasks.slice(0, 2), intended.tasks.slice(0, 2), "tasks 0 and 1 are untouched by the option");
  });

  it("step 2 by hand: z_k = (L_k / E_k)(ln M_k / ln L_k) / 0.1 with E_3 still 0.1", () => {
    const [first, second] = [
      [0.05, 0.04, 0.06],
      [0.045, 0.05, 0.03],
    ];
    const { weights } = run(official(true), [first!, second!]);
    // After step 1 (a = 0.01): E = 0.01 L + 0.99 * 0.1 for tasks 0 and 1, E_3 = 0.1; M = min(0.1, L).
    const E1 = [0.01 * 0.05 + 0.99 * 0.1, 0.01 * 0.04 + 0.99 * 0.1, 0.1];
    const M1 = [0.05, 0.04, 0.06];
    const z = second!.map((L, k) => ((L / E1[k]!) * (Math.log(M1[k]!) / Math.log(L))) / 0.1);
    const e = z.map((v) => Math.exp(v - Math.max(...z)));
    const total = e.reduce((a, b) => a + b, 0);
    e.forEach((v, k) => assert.ok(Math.abs(v / total - weights[1]![k]!) < 1e-14, `task ${k}`));
  });

  it("agrees with the float64 transcription of the released code; the intended update does not", (t) => {
    const sequence = lossSequence({
      seed: 7,
      steps: 3000,
      start: [0.08, 0.06, 0.09],
      end: [0.03, 0.02, 0.035],
      noise: 0.3,
      absent: 0.3,
    });
    const released = new ReleasedRebalance(0.1, 0.01);
    const expected = sequence.map((losses) => released.step(losses));
    const withBug = run(official(true), sequence).weights;
    const intended = run(official(false), sequence).weights;
    let agree = 0;
    let gap = 0;
    let gapStep = 0;
    expected.forEach((row, s) =>
      row.forEach((w, k) => {
        agree = Math.max(agree, Math.abs(w - withBug[s]![k]!));
        const d = Math.abs(w - intended[s]![k]!);
        if (d > gap) [gap, gapStep] = [d, s + 1];
      }),
    );
    t.diagnostic(
      `max |dw| against the released code: with the option ${agree}, official preset (intended) ${gap} at step ${gapStep}`,
    );
    assert.ok(agree <= 1e-13, `the option differs from the released code by ${agree}`);
    assert.ok(gap > 0.5, `the released bug moves the weights by ${gap}`);
  });

  it("is refused outside the released setting, naming the field and the value", () => {
    const paper = initArt({ numTasks: 3, releasedEmaBug: true });
    assert.ok(E.isLeft(paper));
    assert.deepEqual(paper.left.errors, [
      "releasedEmaBug: needs preset official, the released code's rule (got preset paper)",
    ]);
    const four = initArt({ preset: "official", numTasks: 4, releasedEmaBug: true });
    assert.ok(E.isLeft(four));
    assert.deepEqual(four.left.errors, [
      "releasedEmaBug: needs numTasks 3, the released code's task count (got numTasks 4)",
    ]);
    const notBoolean = initArt({ preset: "official", numTasks: 3, releasedEmaBug: "yes" });
    assert.ok(E.isLeft(notBoolean));
    assert.deepEqual(notBoolean.left.errors, ['releasedEmaBug: expected boolean (got "yes")']);
  });

  it("checkpoints: stored only when true, old states decode unchanged, resume is exact", () => {
    // Off (false or absent): the config and its JSON are exactly what they were before the option.
    assert.deepEqual(official(false), unwrap(initArt({ preset: "official", numTasks: 3, releasedEmaBug: false })));
    assert.ok(!("releasedEmaBug" in official(false).config));
    const old =
      '{"kind":"art","version":1,"config":{"preset":"official","numTasks":3,"tau":0.1,"rate":0.01,"lcr":"ema","gcw":"log","lossScale":1},' +
      '"step":1,"tasks":[{"seen":true,"ema":0.0995,"min":0.05,"prev":0.05},{"seen":false,"ema":0.1,"min":0.1,"prev":0.1},{"seen":true,"ema":0.0996,"min":0.06,"prev":0.06}]}';
    const decoded = ArtStateCodec.decode(JSON.parse(old));
    assert.ok(E.isRight(decoded));
    assert.equal(JSON.stringify(ArtStateCodec.encode(decoded.right)), old);

    const sequence = lossSequence({
      seed: 8,
      steps: 200,
      start: [0.08, 0.06, 0.09],
      end: [0.03, 0.02, 0.035],
      noise: 0.3,
      absent: 0.3,
    });
    const whole = run(official(true), sequence);
    const half = run(official(true), sequence.slice(0, 100));
    const json = JSON.stringify(ArtStateCodec.encode(half.state));
    assert.match(json, /"releasedEmaBug":true/);
    const restored = ArtStateCodec.decode(JSON.parse(json));
    assert.ok(E.isRight(restored));
    const resumed = run(restored.right, sequence.slice(100));
    assert.deepEqual(resumed.weights, whole.weights.slice(100));
    assert.deepEqual(resumed.state, whole.state);

    // A hand-edited checkpoint cannot carry the option outside the released setting.
    const edited = { ...JSON.parse(old), config: { ...JSON.parse(old).config, preset: "paper", releasedEmaBug: true } };
    const bad = ArtStateCodec.decode(edited);
    assert.ok(E.isLeft(bad));
    assert.ok(
      bad.left.some(
        (e) =>
          e.message === "config.releasedEmaBug: needs preset official, the released code's rule (got preset paper)",
      ),
    );
  });

  it("is a switch of art and art-official in the registry (--released-ema-bug)", () => {
    const w = unwrap(strategyFromFlags("art-official", { "released-ema-bug": true }));
    assert.equal((unwrap(w.init(3)) as ArtState).config.releasedEmaBug, true);
    const viaArt = unwrap(strategyFromFlags("art", { preset: "official", "released-ema-bug": true }));
    assert.equal((unwrap(viaArt.init(3)) as ArtState).config.releasedEmaBug, true);
    const valued = strategyFromFlags("art-official", { "released-ema-bug": "yes" });
    assert.ok(E.isLeft(valued));
    assert.deepEqual(valued.left.errors, ['--released-ema-bug: a switch, expected no value (got "yes")']);
  });
});
