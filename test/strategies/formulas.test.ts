import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { Rng, unwrap, type AnyWeighting, type TaskLosses, type Weighting } from "../../src/core/index.js";
import { dwa, equal, famo, gls, imtlL, rlw, si, uw } from "../../src/strategies/index.js";
import { assertAllClose } from "../support/all-close.js";

/**
 * Each strategy against a small float64 reference written here from the paper's formula (not
 * from the implementation): softmax, Adam and the rules are transcribed independently.
 */

const run = <S>(w: Weighting<S>, numTasks: number, sequence: TaskLosses[]): number[][] => {
  let state = unwrap(w.init(numTasks));
  return sequence.map((losses) => {
    const r = unwrap(w.step(state, losses));
    state = r.state;
    return [...r.weights];
  });
};

const softmax = (xs: number[]): number[] => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

/** Spreads values over the present tasks of a vector (absent = 0). */
const scatter = (present: boolean[], values: number[]): number[] => {
  let i = 0;
  return present.map((p) => (p ? (values[i++] as number) : 0));
};

/** PyTorch's Adam (L2 weight decay), one parameter vector, a shared step count. */
class ReferenceAdam {
  m: number[];
  v: number[];
  t = 0;
  constructor(
    n: number,
    readonly lr: number,
    readonly wd = 0,
    readonly b1 = 0.9,
    readonly b2 = 0.999,
    readonly eps = 1e-8,
  ) {
    this.m = new Array(n).fill(0);
    this.v = new Array(n).fill(0);
  }
  step(x: number[], grad: number[]): number[] {
    this.t++;
    return x.map((xi, i) => {
      const g = (grad[i] as number) + this.wd * xi;
      this.m[i] = this.b1 * (this.m[i] as number) + (1 - this.b1) * g;
      this.v[i] = this.b2 * (this.v[i] as number) + (1 - this.b2) * g * g;
      const mHat = (this.m[i] as number) / (1 - this.b1 ** this.t);
      const vHat = (this.v[i] as number) / (1 - this.b2 ** this.t);
      return xi - (this.lr * mHat) / (Math.sqrt(vHat) + this.eps);
    });
  }
}

const sequence: number[][] = [
  [0.9, 2.5, 0.31],
  [0.8, 2.1, 0.3],
  [0.85, 1.7, 0.26],
  [0.6, 1.6, 0.27],
  [0.55, 1.2, 0.2],
  [0.5, 1.3, 0.21],
];

describe("equal", () => {
  it("is uniform over the present tasks", () => {
    assert.deepEqual(
      run(equal(), 4, [
        [1, null, 3, 7],
        [null, null, 2, null],
      ]),
      [
        [1 / 3, 0, 1 / 3, 1 / 3],
        [0, 0, 1, 0],
      ],
    );
  });
});

describe("si and gls", () => {
  it("si: w_k = (1/L_k) / sum_j (1/L_j)", () => {
    const losses = [0.5, null, 2, 8];
    const inv = [1 / 0.5, 1 / 2, 1 / 8];
    const total = inv.reduce((a, b) => a + b, 0);
    assertAllClose(
      run(si(), 4, [losses])[0] as number[],
      scatter(
        [true, false, true, true],
        inv.map((x) => x / total),
      ),
      { rtol: 1e-14 },
    );
  });
  it("si: inverseLoss diagnostic is min L / L_k, finite even for a subnormal loss", () => {
    const w = si();
    const r = unwrap(w.step(unwrap(w.init(3)), [0.5, null, 2]));
    assert.deepEqual(r.diagnostics.inverseLoss, [1, null, 0.25]);
    const tiny = unwrap(w.step(unwrap(w.init(2)), [5e-324, 1]));
    assert.deepEqual(tiny.diagnostics.inverseLoss, [1, 5e-324]);
    assert.ok(JSON.stringify(tiny.diagnostics).indexOf("null") < 0);
  });
  it("gls: weights ∝ dG/dL_k = G / (P L_k), geometricMean = (prod L)^(1/P)", () => {
    const w = gls();
    const r = unwrap(w.step(unwrap(w.init(3)), [2, 8, null]));
    const g = Math.sqrt(2 * 8);
    const grad = [g / (2 * 2), g / (2 * 8)];
    const total = grad[0]! + grad[1]!;
    assertAllClose(r.weights, [grad[0]! / total, grad[1]! / total, 0], { rtol: 1e-14 });
    assertAllClose(r.diagnostics.geometricMean as number[], [4, 4, null], { rtol: 1e-14 });
    assertAllClose(r.diagnostics.coefficient as number[], [grad[0]!, grad[1]!, null], { rtol: 1e-14 });
  });
  it("gls and si point the same way", () => {
    assertAllClose(run(gls(), 3, sequence).flat(), run(si(), 3, sequence).flat(), { rtol: 1e-15 });
  });
});

describe("dwa", () => {
  it("uniform for two epochs, then K-free softmax(r / T) with r from epoch means", () => {
    const w = dwa({ temperature: 2 });
    let state = unwrap(w.init(3));
    const weights: number[][] = [];
    // Three epochs of two steps each.
    for (let i = 0; i < sequence.length; i++) {
      const r = unwrap(w.step(state, sequence[i] as number[]));
      weights.push([...r.weights]);
      state = r.state;
      if (i % 2 === 1) state = w.endEpoch(state);
    }
    const mean = (e: number, k: number) => ((sequence[2 * e]![k] as number) + (sequence[2 * e + 1]![k] as number)) / 2;
    assert.deepEqual(
      weights.slice(0, 4),
      Array.from({ length: 4 }, () => [1 / 3, 1 / 3, 1 / 3]),
    );
    // Epoch 2 uses r_k = L_k(1) / L_k(0) of the epoch means.
    const expected = softmax([0, 1, 2].map((k) => mean(1, k) / mean(0, k) / 2));
    assertAllClose(weights[4] as number[], expected, { rtol: 1e-14 });
    assertAllClose(weights[5] as number[], expected, { rtol: 1e-14 });
    // DWA's own K-scaled weights (they sum to K = 3) are ours times K. Constants computed to 40
    // digits with Python's decimal from the exact epoch means [0.85, 2.3, 0.305] (epoch 0) and
    // [0.725, 1.65, 0.265] (epoch 1): w_k = 3 exp(r_k / 2) / sum_j exp(r_j / 2).
    const paperWeights = [1.01955571167409, 0.9527450064423817, 1.0276992818835282];
    assertAllClose(
      (weights[4] as number[]).map((x) => 3 * x),
      paperWeights,
      { rtol: 1e-14 },
    );
    assertAllClose(
      (weights[5] as number[]).map((x) => 3 * x),
      paperWeights,
      { rtol: 1e-14 },
    );
  });
  it("renormalises over present tasks and keeps the last mean of a task absent for a whole epoch", () => {
    const w = dwa({ temperature: 1 });
    let s = unwrap(w.init(2));
    s = w.endEpoch(unwrap(w.step(s, [1, 4])).state); // epoch 0 means: [1, 4]
    s = w.endEpoch(unwrap(w.step(s, [0.5, null])).state); // epoch 1: task 1 absent -> keeps 4
    assert.deepEqual(s.lastMean, [0.5, 4]);
    assert.deepEqual(s.previousMean, [1, 4]);
    const r = unwrap(w.step(s, [0.5, 4]));
    assertAllClose(r.weights, softmax([0.5, 1]), { rtol: 1e-14 });
    assert.deepEqual(unwrap(w.step(s, [null, 3])).weights, [0, 1]);
  });
  it("an empty epoch only advances the epoch count: the weights stay", () => {
    const w = dwa();
    let s = unwrap(w.init(2));
    s = w.endEpoch(unwrap(w.step(s, [1, 4])).state); // epoch 0 means: [1, 4]
    s = w.endEpoch(unwrap(w.step(s, [0.5, 4])).state); // epoch 1 means: [0.5, 4]
    const before = unwrap(w.step(s, [1, 1])).weights;
    assertAllClose(before, softmax([0.25, 0.5]), { rtol: 1e-14 });
    const empty = w.endEpoch(s);
    assert.equal(empty.epoch, s.epoch + 1);
    assert.deepEqual(unwrap(w.step(empty, [1, 1])).weights, before);
  });
});

describe("rlw", () => {
  it("weights are softmax of N(0,1) draws from the seeded generator, one draw per task per step", () => {
    const rng = Rng.seeded(11);
    const draws = sequence.map(() => [rng.normal(), rng.normal(), rng.normal()]);
    const got = run(
      rlw({ seed: 11 }),
      3,
      sequence.map((l, i) => (i === 2 ? [l[0]!, null, l[2]!] : l)),
    );
    got.forEach((weights, i) => {
      const d = draws[i] as number[];
      const expected = i === 2 ? scatter([true, false, true], softmax([d[0]!, d[2]!])) : softmax(d);
      assertAllClose(weights, expected, { rtol: 1e-14 }, `step ${i}`);
    });
  });
  it("is reproducible from the seed and differs between seeds", () => {
    assert.deepEqual(run(rlw({ seed: 5 }), 3, sequence), run(rlw({ seed: 5 }), 3, sequence));
    assert.notDeepEqual(run(rlw({ seed: 5 }), 3, sequence), run(rlw({ seed: 6 }), 3, sequence));
  });
  it("rejects a bad seed at init", () => {
    assert.ok(E.isLeft(rlw({ seed: -1 }).init(2)));
    assert.ok(E.isLeft(rlw({ seed: 1.5 }).init(2)));
  });
});

describe("uw and imtl-l", () => {
  it("uw: weights exp(-s)/sum before the update; s follows Adam on 1 - exp(-s) L", () => {
    const lr = 0.05;
    const adam = new ReferenceAdam(3, lr);
    let s = [0, 0, 0];
    const expected = sequence.map((losses) => {
      const w = softmax(s.map((x) => -x));
      s = adam.step(
        s,
        s.map((x, k) => 1 - Math.exp(-x) * (losses[k] as number)),
      );
      return w;
    });
    const got = run(uw({ lr }), 3, sequence);
    got.forEach((w, i) => assertAllClose(w, expected[i] as number[], { rtol: 1e-12 }, `step ${i}`));
  });
  it("uw: drifts to the fixed point s = log L (weights ∝ 1/L)", () => {
    const w = uw({ lr: 0.05 });
    let state = unwrap(w.init(2));
    for (let i = 0; i < 3000; i++) state = unwrap(w.step(state, [0.5, 4])).state;
    assertAllClose(state.logVariance, [Math.log(0.5), Math.log(4)], { atol: 1e-3 });
    const r = unwrap(w.step(state, [0.5, 4]));
    assertAllClose(r.diagnostics.precision as number[], [2, 0.25], { rtol: 1e-2 });
  });
  it("imtl-l: weights exp(s)/sum; s follows Adam on exp(s) L - 1; initial scale option", () => {
    const lr = 0.02;
    const adam = new ReferenceAdam(3, lr);
    let s = [0.5, 0.5, 0.5];
    const expected = sequence.map((losses) => {
      const w = softmax(s);
      s = adam.step(
        s,
        s.map((x, k) => Math.exp(x) * (losses[k] as number) - 1),
      );
      return w;
    });
    const got = run(imtlL({ lr, initialLogScale: 0.5 }), 3, sequence);
    got.forEach((w, i) => assertAllClose(w, expected[i] as number[], { rtol: 1e-12 }, `step ${i}`));
  });
  it("absent tasks keep their parameter and moments", () => {
    const w = uw();
    const s0 = unwrap(w.init(2));
    const s1 = unwrap(w.step(s0, [2, null])).state;
    assert.equal(s1.logVariance[1], 0);
    assert.deepEqual(s1.moments[1], { m: 0, v: 0, t: 0 });
    assert.equal(s1.moments[0]?.t, 1);
  });
});

describe("famo", () => {
  /** FAMO transcribed from the paper: alpha = (z/D)/sum(z/D); xi -= Adam(J_softmax^T delta) with L2 decay gamma. */
  const reference = (losses: number[][], after: number[][], gamma: number, lr: number, bounds: number[]) => {
    const adam = new ReferenceAdam(3, lr, gamma);
    let xi = [0, 0, 0];
    const d = (l: number[]) => l.map((x, k) => x - (bounds[k] as number) + 1e-8);
    return losses.map((l, i) => {
      const z = softmax(xi);
      const q = d(l).map((dk, k) => (z[k] as number) / dk);
      const c = q.reduce((a, b) => a + b, 0);
      const alpha = q.map((x) => x / c);
      const delta = d(l).map((dk, k) => Math.log(dk) - Math.log(d(after[i] as number[])[k] as number));
      const zd = z.reduce((acc, zk, k) => acc + zk * (delta[k] as number), 0);
      const grad = z.map((zk, k) => zk * ((delta[k] as number) - zd));
      xi = adam.step(xi, grad);
      return alpha;
    });
  };
  it("weigh/observe sequence matches the reference", () => {
    const after = sequence.map((l) => l.map((x, k) => x * (0.9 + 0.03 * k)));
    for (const [gamma, bounds] of [
      [0.01, [0, 0, 0]],
      [1e-5, [0.1, 0.5, 0]],
    ] as const) {
      const w = famo({ gamma, minLosses: [...bounds] });
      let state = unwrap(w.init(3));
      const got = sequence.map((losses, i) => {
        const r = unwrap(w.step(state, losses));
        state = unwrap(w.observe(r.state, after[i] as number[]));
        return [...r.weights];
      });
      const expected = reference(sequence, after, gamma, 0.025, [...bounds]);
      got.forEach((weights, i) =>
        assertAllClose(weights, expected[i] as number[], { rtol: 1e-12 }, `gamma ${gamma} step ${i}`),
      );
    }
  });
  it("observe needs a pending step; losses below the bound are out of domain", () => {
    const w = famo({ minLosses: [0.5, 0] });
    const s0 = unwrap(w.init(2));
    const noStep = w.observe(s0, [1, 1]);
    assert.ok(E.isLeft(noStep) && noStep.left._tag === "InvalidState");
    const below = w.step(s0, [0.4, 1]);
    assert.ok(E.isLeft(below) && below.left._tag === "InvalidLoss" && below.left.reason === "out-of-domain");
    assert.ok(E.isLeft(famo({ minLosses: [0] }).init(2)));
  });
  it("the faster-improving task loses weight", () => {
    const w = famo();
    let state = unwrap(w.init(2));
    for (let i = 0; i < 20; i++) {
      const r = unwrap(w.step(state, [1, 1]));
      state = unwrap(w.observe(r.state, [0.5, 0.99]));
    }
    const r = unwrap(w.step(state, [1, 1]));
    assert.ok((r.weights[0] as number) < (r.weights[1] as number));
  });
  it("logEpsilon 0 with a subnormal loss: z/D would overflow, the weights stay finite", () => {
    const w = famo({ logEpsilon: 0 });
    const r = unwrap(w.step(unwrap(w.init(2)), [5e-324, 1]));
    assert.deepEqual(r.weights, [1, 5e-324]); // present => > 0, floored as in softmaxPresent
    // Tiny but representable: the same as the plain formula.
    const small = unwrap(w.step(unwrap(w.init(2)), [1e-300, 1])).weights;
    assertAllClose(small, [1 / (1 + 1e-300), 1e-300], { rtol: 1e-12 });
  });
  it("observe updates only the tasks present before and after the update; the others keep logit and moments", () => {
    const w = famo();
    const s0 = unwrap(w.init(3));
    const pending = unwrap(w.step(s0, [1, 1, 1])).state;
    // Task 1 is absent after the update: only tasks 0 and 2 learn, through a softmax over {0, 2}
    // (z = [0.5, 0.5]). delta = [ln(1 / 0.5), ln(1 / 0.9)] (eps 1e-8 aside), so g_0 = 0.25 (delta_0 -
    // delta_2) = 0.25 ln 1.8 > 0 = -g_2, and Adam's first step moves each logit by lr = 0.025
    // against its gradient's sign (|g| / (|g| + 1e-8) = 1 - O(1e-6); atol 1e-7 below covers that).
    const s1 = unwrap(w.observe(pending, [0.5, null, 0.9]));
    assertAllClose(s1.logits, [-0.025, 0, 0.025], { atol: 1e-7, rtol: 0 }, "logits");
    assert.equal(s1.logits[1], 0);
    assert.deepEqual(s1.moments[1], { m: 0, v: 0, t: 0 });
    assert.equal(s1.moments[0]?.t, 1);
    assert.equal(s1.moments[2]?.t, 1);
    assert.equal(s1.pending, null);
    // Equal losses next: alpha = z = softmax(logits) = softmax([-0.025, 0, 0.025]).
    const e = [Math.exp(-0.025), 1, Math.exp(0.025)];
    const total = e[0]! + e[1]! + e[2]!;
    assertAllClose(
      unwrap(w.step(s1, [1, 1, 1])).weights,
      e.map((x) => x / total),
      { rtol: 1e-7 },
      "next weights",
    );
    // Absent before the update (not weighed) but present after: no update either.
    const s2 = unwrap(w.observe(unwrap(w.step(s0, [1, null, 1])).state, [0.5, 0.5, 0.9]));
    assertAllClose(s2.logits, [-0.025, 0, 0.025], { atol: 1e-7, rtol: 0 }, "logits (absent before)");
    assert.equal(s2.logits[1], 0);
  });
  it("observe measures the decrease of log(L - b + logEpsilon), with the configured logEpsilon", () => {
    // Default logEpsilon 1e-8: task 0 goes 1e-8 → 5e-9, so delta_0 = ln(2e-8 / 1.5e-8) = ln(4/3)
    // = 0.288 < delta_1 = ln(1 / 0.7) = 0.357: task 0 improved less, its logit goes up by lr.
    // (Without the epsilon delta_0 would be ln 2 = 0.693 and the logits would move the other way.)
    const w = famo();
    const s1 = unwrap(w.observe(unwrap(w.step(unwrap(w.init(2)), [1e-8, 1])).state, [5e-9, 0.7]));
    assertAllClose(s1.logits, [0.025, -0.025], { atol: 1e-7, rtol: 0 }, "logits, logEpsilon 1e-8");
    // logEpsilon 0.5: task 0 goes 0.1 → 0.05, delta_0 = ln(0.6 / 0.55) = 0.087 < delta_1 = ln(1.5 / 1.1)
    // = 0.310, so again task 0's logit goes up; with logEpsilon ~ 0 it would be ln 2 > ln(1 / 0.6).
    const wide = famo({ logEpsilon: 0.5 });
    const s2 = unwrap(wide.observe(unwrap(wide.step(unwrap(wide.init(2)), [0.1, 1])).state, [0.05, 0.6]));
    assertAllClose(s2.logits, [0.025, -0.025], { atol: 1e-7, rtol: 0 }, "logits, logEpsilon 0.5");
  });
  it("the state codec rejects a pending loss outside the domain (D <= 0), naming the path", () => {
    const w = famo({ minLosses: [0.5, 0] });
    const state = unwrap(w.step(unwrap(w.init(2)), [1, 1])).state;
    const crafted = JSON.parse(JSON.stringify(w.stateCodec.encode(state))) as { pending: number[] };
    crafted.pending = [0.25, 1];
    const decoded = w.stateCodec.decode(crafted);
    assert.ok(E.isLeft(decoded));
    assert.ok(decoded.left.some((e) => /pending\.0/.test(e.message ?? "") && /0\.25/.test(e.message ?? "")));
  });
});

describe("options codecs", () => {
  it("reject unknown keys and bad values at init, naming the key", () => {
    const cases: Array<[AnyWeighting, string]> = [
      [dwa({ temprature: 2 } as never), "temprature"],
      [uw({ lr: -1 }), "lr"],
      [famo({ gamma: Number.NaN }), "gamma"],
      [equal({ x: 1 } as never), "x"],
    ];
    for (const [w, key] of cases) {
      const r = w.init(2);
      assert.ok(E.isLeft(r), w.name);
      assert.match(r.left.message, new RegExp(key));
    }
  });
});
