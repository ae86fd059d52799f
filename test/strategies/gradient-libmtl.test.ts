import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as E from "fp-ts/Either";

import type { GradientStepInput, GradientWeighting, GradientWeightingStep } from "../../src/core/gradient-weighting.js";
import { unwrap } from "../../src/core/index.js";
import { dbMtl, type DbMtlState } from "../../src/strategies/gradient/db-mtl.js";
import { gradnorm, type GradnormState } from "../../src/strategies/gradient/gradnorm.js";
import { stch, type StchState } from "../../src/strategies/gradient/stch.js";
import { expectedInvalidConfig } from "../support/codec-lines.js";
import { LibmtlDbMtl, LibmtlGradNorm, LibmtlStch } from "./reference/gradient-libmtl.js";
import { mulberry32 } from "./reference/sequences.js";

/**
 * LibMTL's gradient-aware GradNorm, DB-MTL and STCH against their float64 transcriptions
 * (test/strategies/reference/gradient-libmtl.ts) over seeded multi-step sequences, each
 * method's defining property on random input, absent tasks, bad input, and checkpoints.
 */

// ---------------------------------------------------------------- seeded input

/** mulberry32 (test/strategies/reference/sequences.ts): a small seeded generator, so that the inputs depend on nothing in src/. */
const generator = mulberry32;

interface Batch {
  readonly losses: Array<number | null>;
  readonly gradients: Array<number[] | null>;
}

/**
 * `steps` batches of K tasks: losses falling with noise, per-task gradients of P coordinates
 * sharing a common part (so they partly agree, partly conflict) and of different scales;
 * with `absent` > 0 some tasks are missing (never all).
 */
const batches = (seed: number, steps: number, K: number, P: number, absent = 0): Batch[] => {
  const random = generator(seed);
  const common = Array.from({ length: P }, () => random() * 2 - 1);
  const scales = Array.from({ length: K }, () => 0.2 + 3 * random());
  return Array.from({ length: steps }, (_, t) => {
    const losses = Array.from({ length: K }, (__, k): number | null => {
      const present = random() >= absent;
      const loss = (1 + k) * Math.exp(-t / (10 + 5 * k)) * (0.8 + 0.4 * random());
      return present ? loss : null;
    });
    if (!losses.some((l) => l !== null)) losses[t % K] = 1;
    const gradients = losses.map((l, k) =>
      l === null
        ? null
        : Array.from(
            { length: P },
            (__, p) => (scales[k] as number) * (0.6 * (common[p] as number) + (random() * 2 - 1)),
          ),
    );
    return { losses, gradients };
  });
};

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** The Gramian, formed here (0 rows for absent tasks). */
const gramian = (gradients: ReadonlyArray<ArrayLike<number> | null>): number[][] =>
  gradients.map((a) => gradients.map((b) => (a === null || b === null ? 0 : dot(a, b))));

/** The largest |a − b| / max |b|: the difference relative to the vector's scale (for directions and buffers). */
const maxRelativeToScale = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  assert.equal(a.length, b.length, "lengths differ");
  const scale = b.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0) / (scale === 0 ? 1 : scale);
};

/** The largest |a − b| / |b| (|a − b| where b = 0). */
const maxRelative = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  assert.equal(a.length, b.length, "lengths differ");
  return a.reduce((m, x, i) => Math.max(m, b[i] === 0 ? Math.abs(x) : Math.abs(x - b[i]!) / Math.abs(b[i]!)), 0);
};

const softmax = (x: ReadonlyArray<number>): number[] => {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/** Runs `inputs` through `w` from `state`, returning every step's result. */
const run = <S>(
  w: GradientWeighting<S>,
  state: S,
  inputs: ReadonlyArray<GradientStepInput>,
): Array<GradientWeightingStep<S>> => {
  const out: Array<GradientWeightingStep<S>> = [];
  for (const input of inputs) {
    const r = unwrap(w.step(state, input));
    out.push(r);
    state = r.state;
  }
  return out;
};

// ---------------------------------------------------------------- (a) against LibMTL

describe("gradnorm against LibMTL's GradNorm.py (float64 transcription)", () => {
  const cases = [
    { label: "defaults, an epoch of 1 step", options: {}, perEpoch: 1, alpha: 1.5, lr: 1e-4, decay: 1e-5 },
    {
      label: "alpha 0.5, lr 0.05, an epoch of 3 steps",
      options: { alpha: 0.5, lr: 0.05, warmupSteps: 3 },
      perEpoch: 3,
      alpha: 0.5,
      lr: 0.05,
      decay: 1e-5,
    },
    {
      label: "alpha 2.5, lr 0.02, no decay, an epoch of 4 steps",
      options: { alpha: 2.5, lr: 0.02, weightDecay: 0, warmupSteps: 4 },
      perEpoch: 4,
      alpha: 2.5,
      lr: 0.02,
      decay: 0,
    },
  ];
  for (const c of cases) {
    it(`${c.label}: coefficients, logits and the update direction over 60 steps`, () => {
      const K = 4;
      const reference = new LibmtlGradNorm(K, c.alpha, c.lr, c.decay);
      const w = gradnorm(c.options);
      let state = unwrap(w.init(K));
      let worst = 0;
      let moved = 0;
      batches(7 + c.perEpoch, 60, K, 12).forEach((batch, t) => {
        const grads = batch.gradients as number[][];
        const expected = reference.step(batch.losses as number[], grads);
        if ((t + 1) % c.perEpoch === 0) reference.endEpoch();
        const r = unwrap(w.step(state, { losses: batch.losses, gramian: gramian(grads) }));
        state = r.state;
        const direction = grads[0]!.map((_, p) => r.coefficients.reduce((s, ck, k) => s + ck * grads[k]![p]!, 0));
        worst = Math.max(
          worst,
          maxRelative(r.coefficients, expected.batchWeight),
          maxRelative(state.memory.logits, reference.loss_scale),
          maxRelativeToScale(direction, expected.newGrads),
        );
        moved = Math.max(moved, ...r.coefficients.map((x) => Math.abs(x - 1)));
      });
      console.log(
        `gradnorm (${c.label}): max relative difference ${worst.toExponential(2)}; weights moved up to ${moved.toExponential(2)} from 1`,
      );
      assert.ok(worst <= 1e-12, `max relative difference ${worst}`);
      assert.ok(moved > 0, "the weights must move for the comparison to mean something");
    });
  }
});

describe("db-mtl against LibMTL's DB_MTL.py (float64 transcription)", () => {
  for (const options of [{}, { beta: 0.5, betaSigma: 0.5 }, { beta: 0.99, betaSigma: 1 }]) {
    it(`${JSON.stringify(options)}: alpha, the direction and the buffers over 40 steps`, () => {
      const K = 3;
      const reference = new LibmtlDbMtl(K, options.beta ?? 0.9, options.betaSigma ?? 0);
      const w = dbMtl(options);
      let state = unwrap(w.init(K));
      let worst = 0;
      for (const batch of batches(11, 40, K, 16)) {
        const expected = reference.backward(batch.losses as number[], batch.gradients as number[][]);
        const r = unwrap(w.step(state, { losses: batch.losses, gradients: batch.gradients }));
        state = r.state;
        assert.ok(r.direction !== undefined, "db-mtl returns a direction");
        worst = Math.max(
          worst,
          maxRelative(r.coefficients, expected.alpha),
          maxRelativeToScale(r.direction, expected.newGrads),
        );
        state.memory.buffers.forEach(
          (b, k) => (worst = Math.max(worst, maxRelativeToScale(b as number[], reference.grad_buffer![k]!))),
        );
      }
      console.log(`db-mtl ${JSON.stringify(options)}: max relative difference ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-12, `max relative difference ${worst}`);
    });
  }
});

describe("stch against LibMTL's STCH.py (float64 transcription)", () => {
  const cases = [
    { label: "defaults, an epoch of 1 step", options: {}, perEpoch: 1, mu: 1, warmupEpochs: 4 },
    {
      label: "mu 0.1, 2 warm-up epochs of 3 steps",
      options: { mu: 0.1, warmupSteps: 6, nadirSteps: 3 },
      perEpoch: 3,
      mu: 0.1,
      warmupEpochs: 2,
    },
    {
      label: "mu 5, no warm-up epoch, epochs of 2 steps",
      options: { mu: 5, warmupSteps: 0, nadirSteps: 2 },
      perEpoch: 2,
      mu: 5,
      warmupEpochs: 0,
    },
  ];
  for (const c of cases) {
    it(`${c.label}: coefficients over 40 steps`, () => {
      const K = 3;
      const reference = new LibmtlStch(K, c.mu, c.warmupEpochs);
      const w = stch(c.options);
      let state = unwrap(w.init(K));
      let worst = 0;
      batches(23, 40, K, 1).forEach((batch, t) => {
        const expected = reference.backward(batch.losses as number[]);
        if ((t + 1) % c.perEpoch === 0) reference.endEpoch();
        const r = unwrap(w.step(state, { losses: batch.losses }));
        state = r.state;
        worst = Math.max(worst, maxRelative(r.coefficients, expected));
      });
      console.log(`stch (${c.label}): max relative difference ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-12, `max relative difference ${worst}`);
    });
  }
});

// ---------------------------------------------------------------- (b) defining properties

/** A number in [min, max] on a grid of 1e-4 of the range (integers shrink fast, doubles do not). */
const gridNumber = (min: number, max: number) =>
  fc.integer({ min: 0, max: 10000 }).map((i) => min + ((max - min) * i) / 10000);
const vectorArb = (P: number) => fc.array(gridNumber(-1, 1), { minLength: P, maxLength: P });

describe("gradnorm's defining property", () => {
  it("one Adam step on the GradNorm loss brings the weighted norms w_i|g_i| closer to their (detached) targets", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }).chain((K) =>
          fc.record({
            gradients: fc.array(vectorArb(6), { minLength: K, maxLength: K }),
            initial: fc.array(gridNumber(0.1, 10), { minLength: K, maxLength: K }),
            losses: fc.array(gridNumber(0.1, 10), { minLength: K, maxLength: K }),
            logits: fc.array(gridNumber(-2, 2), { minLength: K, maxLength: K }),
            alpha: gridNumber(0, 3),
          }),
        ),
        ({ gradients, initial, losses, logits, alpha }) => {
          const K = losses.length;
          const norms = gradients.map((g) => Math.sqrt(dot(g, g)));
          fc.pre(norms.every((n) => n > 1e-2));
          const w = gradnorm({ alpha, lr: 1e-7, weightDecay: 0 });
          const G = gramian(gradients);
          const warm = unwrap(w.step(unwrap(w.init(K)), { losses: initial, gramian: G })).state; // records L(0)
          const state: GradnormState = { ...warm, memory: { ...warm.memory, logits } };
          const r = unwrap(w.step(state, { losses, gramian: G }));
          // The GradNorm loss, written here from its definition: w = K softmax(θ), targets fixed.
          const weightsOf = (theta: ReadonlyArray<number>) => softmax(theta).map((s) => K * s);
          const rates = losses.map((l, k) => l / initial[k]!);
          const ratios = rates.map((x) => x / (rates.reduce((a, b) => a + b, 0) / K));
          const before = weightsOf(logits).map((wk, k) => wk * norms[k]!);
          const targets = ratios.map((x) => (before.reduce((a, b) => a + b, 0) / K) * x ** alpha);
          const distance = (theta: ReadonlyArray<number>) =>
            weightsOf(theta).reduce((s, wk, k) => s + Math.abs(wk * norms[k]! - targets[k]!), 0);
          // Away from the kinks of |·| (a step of 1e-7 cannot cross them), the step descends.
          fc.pre(before.every((b, k) => Math.abs(b - targets[k]!) > 1e-4));
          assert.ok(
            Math.abs(r.coefficients.reduce((a, b) => a + b, 0) - K) <= 1e-12 * K,
            "weights sum to K (LibMTL's scale)",
          );
          const after = distance(r.state.memory.logits);
          const moved = r.state.memory.logits.some((x, k) => x !== logits[k]);
          if (moved) assert.ok(after < distance(logits), `distance ${distance(logits)} → ${after}`);
        },
      ),
      { seed: 20, numRuns: 300 },
    );
  });

  it("warm-up: coefficients 1 and L(0) is the mean of the warm-up losses", () => {
    const w = gradnorm({ warmupSteps: 2 });
    const G = [
      [1, 0],
      [0, 4],
    ];
    const r1 = unwrap(w.step(unwrap(w.init(2)), { losses: [1, 3], gramian: G }));
    const r2 = unwrap(w.step(r1.state, { losses: [2, 5], gramian: G }));
    assert.deepEqual(
      [r1.coefficients, r2.coefficients],
      [
        [1, 1],
        [1, 1],
      ],
    );
    assert.deepEqual(r2.state.memory.initialLossSum, [3, 8]);
    assert.deepEqual(r2.state.memory.initialLossCount, [2, 2]);
    // Step 3: the losses equal L(0) = [1.5, 4] (r = 1), w = [1, 1], G = [1, 2]: target 1.5 each.
    const r3 = unwrap(w.step(r2.state, { losses: [1.5, 4], gramian: G }));
    assert.deepEqual(r3.coefficients, [1, 1]);
    assert.deepEqual(r3.diagnostics["target"], [1.5, 1.5]);
    assert.ok(r3.state.memory.logits[0]! > 1 && r3.state.memory.logits[1]! < 1, "the small-gradient task gains weight");
  });
});

describe("db-mtl's defining property", () => {
  it("every present task's buffered log-gradient is rescaled to the largest buffered norm", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((K) =>
          fc.record({
            steps: fc.array(
              fc.record({
                gradients: fc.array(vectorArb(5), { minLength: K, maxLength: K }),
                losses: fc.array(gridNumber(0.01, 10), { minLength: K, maxLength: K }),
              }),
              { minLength: 1, maxLength: 4 },
            ),
            beta: gridNumber(0, 0.99),
            betaSigma: gridNumber(0, 2),
          }),
        ),
        ({ steps, beta, betaSigma }) => {
          // Norms far from underflow: a sum of subnormal squares has lost its digits (here and in LibMTL).
          fc.pre(steps.every(({ gradients }) => gradients.every((g) => dot(g, g) > 1e-6)));
          const w = dbMtl({ beta, betaSigma });
          let state = unwrap(w.init(steps[0]!.losses.length));
          steps.forEach(({ gradients, losses }, t) => {
            const previous = state.memory.buffers;
            const r = unwrap(w.step(state, { losses, gradients }));
            state = r.state;
            const buffers = state.memory.buffers as number[][];
            // The buffer's recurrence, from its definition.
            buffers.forEach((b, k) => {
              const logGradient = gradients[k]!.map((x) => x / (losses[k]! + 1e-8));
              const momentum = beta / (t + 1) ** betaSigma;
              const expected = logGradient.map((x, p) => x + momentum * ((previous[k]?.[p] ?? 0) - x));
              assert.ok(maxRelativeToScale(b, expected) <= 1e-14, `step ${t}, task ${k}: buffer ${b} vs ${expected}`);
            });
            const norms = buffers.map((b) => Math.sqrt(dot(b, b)));
            const largest = Math.max(...norms);
            // |α_k b_k| = max_j |b_j| · |b_k| / (|b_k| + 1e-8): equal norms but for the epsilon.
            r.coefficients.forEach((alpha, k) => {
              const scaled = buffers[k]!.map((x) => alpha * x);
              const scaledNorm = Math.sqrt(dot(scaled, scaled));
              assert.ok(
                Math.abs((scaledNorm * (norms[k]! + 1e-8)) / norms[k]! - largest) <= 1e-12 * largest,
                `task ${k}: scaled norm ${scaledNorm}, largest ${largest}`,
              );
            });
            const direction = buffers[0]!.map((_, p) => buffers.reduce((s, b, k) => s + r.coefficients[k]! * b[p]!, 0));
            assert.ok(
              r.direction !== undefined && maxRelativeToScale(r.direction, direction) <= 1e-14,
              `direction ${r.direction} vs ${direction}`,
            );
          });
        },
      ),
      { seed: 21, numRuns: 200 },
    );
  });
});

describe("stch's defining property", () => {
  it("after the warm-up, c_k·L_k/K is the softmax of the normalised log losses / mu, and c is the gradient of K·mu·logsumexp", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((K) =>
          fc.record({
            nadir: fc.array(gridNumber(0.05, 20), { minLength: K, maxLength: K }),
            losses: fc.array(gridNumber(0.05, 20), { minLength: K, maxLength: K }),
            mu: gridNumber(0.05, 5),
          }),
        ),
        ({ nadir, losses, mu }) => {
          const K = losses.length;
          const w = stch({ mu, warmupSteps: 0, nadirSteps: 1 });
          const warm = unwrap(w.step(unwrap(w.init(K)), { losses: nadir }));
          assert.deepEqual(
            warm.coefficients,
            nadir.map((l) => 1 / (l + 1e-20)),
            "warm-up: the gradient of Σ log L",
          );
          const c = unwrap(w.step(warm.state, { losses })).coefficients;
          const logLosses = losses.map((l, k) => Math.log(l / nadir[k]!));
          const expected = softmax(logLosses.map((l) => l / mu));
          assert.ok(
            maxRelative(
              c.map((ck, k) => (ck * losses[k]!) / K),
              expected,
            ) <= 1e-12,
            `c ${c} vs softmax ${expected}`,
          );
          // A central difference of F(L) = K·mu·log Σ exp(log(L_k / n_k) / mu).
          const F = (L: ReadonlyArray<number>) => {
            const z = L.map((l, k) => Math.log(l / nadir[k]!) / mu);
            const m = Math.max(...z);
            return K * mu * (m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0)));
          };
          losses.forEach((l, k) => {
            const h = 1e-6 * l;
            const numeric =
              (F(losses.map((x, j) => (j === k ? l + h : x))) - F(losses.map((x, j) => (j === k ? l - h : x)))) /
              (2 * h);
            assert.ok(
              Math.abs(numeric - c[k]!) <= 1e-5 * Math.max(Math.abs(c[k]!), K / l),
              `task ${k}: ${numeric} vs ${c[k]}`,
            );
          });
        },
      ),
      { seed: 22, numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------- (c) absent tasks

/** Task k's part of each per-task array of a memory. */
const taskSlice = (memory: Readonly<Record<string, ReadonlyArray<unknown>>>, k: number): unknown[] =>
  Object.values(memory).map((values) => values[k]);

describe("absent tasks: coefficient 0, per-task memory untouched", () => {
  const cases: Array<
    [string, GradientWeighting<GradnormState | DbMtlState | StchState>, (b: Batch) => GradientStepInput]
  > = [
    [
      "gradnorm",
      gradnorm({ lr: 0.05 }) as GradientWeighting<GradnormState | DbMtlState | StchState>,
      (b) => ({ losses: b.losses, gramian: gramian(b.gradients) }),
    ],
    [
      "db-mtl",
      dbMtl() as GradientWeighting<GradnormState | DbMtlState | StchState>,
      (b) => ({ losses: b.losses, gradients: b.gradients }),
    ],
    [
      "stch",
      stch({ warmupSteps: 2, nadirSteps: 3 }) as GradientWeighting<GradnormState | DbMtlState | StchState>,
      (b) => ({ losses: b.losses }),
    ],
  ];
  for (const [name, w, inputOf] of cases) {
    it(`${name}: 60 steps with tasks missing 40% of the time`, () => {
      const K = 4;
      let state = unwrap(w.init(K));
      let absentSeen = 0;
      for (const batch of batches(31, 60, K, 8, 0.4)) {
        const r = unwrap(w.step(state, inputOf(batch)));
        const memory = state.memory as unknown as Record<string, ReadonlyArray<unknown>>;
        const next = r.state.memory as unknown as Record<string, ReadonlyArray<unknown>>;
        batch.losses.forEach((loss, k) => {
          if (loss !== null) {
            assert.ok(
              Number.isFinite(r.coefficients[k]) && r.coefficients[k]! > 0,
              `${name}: present task ${k} has ${r.coefficients[k]}`,
            );
            return;
          }
          absentSeen++;
          assert.ok(Object.is(r.coefficients[k], 0), `${name}: absent task ${k} has coefficient ${r.coefficients[k]}`);
          assert.deepEqual(taskSlice(next, k), taskSlice(memory, k), `${name}: absent task ${k}'s memory changed`);
        });
        state = r.state;
      }
      assert.ok(absentSeen > 20, `only ${absentSeen} absent entries`);
    });
  }

  it("gradnorm's weights sum to the number of present tasks; a task first seen after the warm-up takes its first loss as L(0)", () => {
    const w = gradnorm({ lr: 0.05 });
    const G = [
      [1, 0.2, 0],
      [0.2, 2, 0],
      [0, 0, 3],
    ];
    let state = unwrap(w.init(3));
    state = unwrap(w.step(state, { losses: [1, 2, null], gramian: G })).state;
    const r = unwrap(w.step(state, { losses: [0.5, 1, 4], gramian: G }));
    assert.deepEqual(r.state.memory.initialLossSum, [1, 2, 4]);
    assert.deepEqual(r.state.memory.initialLossCount, [1, 1, 1]);
    const r2 = unwrap(w.step(r.state, { losses: [0.5, null, 4], gramian: G }));
    assert.ok(Math.abs(r2.coefficients[0]! + r2.coefficients[2]! - 2) <= 1e-15, `sum of ${r2.coefficients}`);
  });

  it("db-mtl: an absent task's (larger) buffer takes no part in the maximum", () => {
    const w = dbMtl();
    const s = unwrap(
      w.step(unwrap(w.init(2)), {
        losses: [1, 1],
        gradients: [
          [10, 0],
          [0, 1],
        ],
      }),
    ).state;
    const r = unwrap(w.step(s, { losses: [null, 1], gradients: [null, [0, 1]] }));
    const b1 = r.state.memory.buffers[1]![1]!;
    assert.deepEqual(r.coefficients, [0, b1 / (b1 + 1e-8)]);
  });

  it("stch: after the warm-up the scale is the number of present tasks, the softmax over them", () => {
    const w = stch({ warmupSteps: 0, nadirSteps: 1 });
    const s = unwrap(w.step(unwrap(w.init(3)), { losses: [1, 2, 4] })).state; // nadir [1, 2, 4]
    const c = unwrap(w.step(s, { losses: [2, null, 4] })).coefficients;
    // ℓ = [log 2, 0]: softmax [2/3, 1/3]; c = 2·softmax / L = [2/3, 0, 1/6].
    assert.ok(Math.abs(c[0]! - 2 / 3) <= 1e-15 && c[1] === 0 && Math.abs(c[2]! - 1 / 6) <= 1e-15, `got ${c}`);
  });
});

// ---------------------------------------------------------------- (d) bad input

describe("bad input is a Left with a clear message", () => {
  const G = [
    [1, 0],
    [0, 1],
  ];
  const ready = unwrap(gradnorm().init(2));

  it("gradnorm: NaN or Infinity in the Gramian, a non-PSD or asymmetric Gramian, no Gramian", () => {
    const left = (input: GradientStepInput) => {
      const r = gradnorm().step(ready, input);
      assert.ok(E.isLeft(r), "expected a Left");
      return r.left;
    };
    assert.deepEqual(
      left({
        losses: [1, 1],
        gramian: [
          [1, NaN],
          [NaN, 1],
        ],
      }),
      { _tag: "InvalidGramian", message: "invalid Gramian: entry [0][1]: expected a finite number (got NaN)" },
    );
    assert.match(
      left({
        losses: [1, 1],
        gramian: [
          [Infinity, 0],
          [0, 1],
        ],
      }).message,
      /entry \[0\]\[0\]: expected a finite number \(got Infinity\)/,
    );
    assert.match(
      left({
        losses: [1, 1],
        gramian: [
          [1, 2],
          [2, 1],
        ],
      }).message,
      /not positive semi-definite: smallest eigenvalue -0\.9999/,
    );
    assert.match(
      left({
        losses: [1, 1],
        gramian: [
          [1, 0.5],
          [0, 1],
        ],
      }).message,
      /not symmetric/,
    );
    assert.match(left({ losses: [1, 1] }).message, /needs the Gramian/);
    assert.match(left({ losses: [1, NaN], gramian: G }).message, /task 1: invalid loss NaN/);
  });

  it("db-mtl: NaN or Infinity in the gradients, a gradient whose length changed, a NaN Gramian given with them", () => {
    const w = dbMtl();
    const state = unwrap(w.init(2));
    const left = (s: DbMtlState, input: GradientStepInput) => {
      const r = w.step(s, input);
      assert.ok(E.isLeft(r), "expected a Left");
      return r.left;
    };
    assert.deepEqual(
      left(state, {
        losses: [1, 1],
        gradients: [
          [1, Infinity],
          [0, 1],
        ],
      }),
      {
        _tag: "InvalidGradients",
        message: "invalid gradients: task 0 entry 1: expected a finite number (got Infinity)",
      },
    );
    assert.match(
      left(state, {
        losses: [1, 1],
        gradients: [
          [1, 0],
          [NaN, 1],
        ],
      }).message,
      /task 1 entry 0: expected a finite number \(got NaN\)/,
    );
    assert.match(left(state, { losses: [1, 1] }).message, /expected 2 gradients/);
    assert.match(
      left(state, {
        losses: [1, 1],
        gradients: [
          [1, 0],
          [0, 1],
        ],
        gramian: [
          [1, NaN],
          [NaN, 1],
        ],
      }).message,
      /got NaN/,
    );
    const after = unwrap(w.step(state, { losses: [1, null], gradients: [[1, 0], null] })).state;
    assert.deepEqual(left(after, { losses: [null, 1], gradients: [null, [1, 0, 0]] }), {
      _tag: "InvalidGradients",
      message: "invalid gradients: expected 2 entries per gradient, the length of DB-MTL's buffered gradients (got 3)",
    });
  });

  it("stch: a NaN or non-positive loss", () => {
    const w = stch();
    const r = w.step(unwrap(w.init(2)), { losses: [NaN, 1] });
    assert.ok(
      E.isLeft(r) && r.left._tag === "InvalidLoss" && /task 0: invalid loss NaN/.test(r.left.message),
      JSON.stringify(r),
    );
    assert.ok(E.isLeft(w.step(unwrap(w.init(2)), { losses: [0, 1] })), "a zero loss is refused");
  });

  it("bad options name each problem", () => {
    assert.deepEqual(
      gradnorm({ alpha: -1, lr: 0, beta1: 1, warmupSteps: 1.5 }).init(2),
      E.left(
        expectedInvalidConfig([
          "alpha: expected number >= 0 (got -1)",
          "lr: expected PositiveFinite (got 0)",
          "beta1: expected number in [0, 1) (got 1)",
          "warmupSteps: expected NonNegativeInt (got 1.5)",
        ]),
      ),
    );
    assert.deepEqual(
      gradnorm({ gramianTolerance: -1 }).init(2),
      E.left(expectedInvalidConfig(["gramianTolerance: expected a finite number > 0 (got -1)"])),
    );
    assert.deepEqual(
      dbMtl({ beta: 1, betaSigma: -0.5 }).init(2),
      E.left(
        expectedInvalidConfig([
          "beta: expected number in [0, 1) (got 1)",
          "betaSigma: expected number >= 0 (got -0.5)",
        ]),
      ),
    );
    assert.deepEqual(
      stch({ mu: 0, warmupSteps: -1, nadirSteps: 0 }).init(2),
      E.left(
        expectedInvalidConfig([
          "mu: expected PositiveFinite (got 0)",
          "warmupSteps: expected NonNegativeInt (got -1)",
          "nadirSteps: expected Count (got 0)",
        ]),
      ),
    );
    const typo = stch({ nadir: 3 } as never).init(2);
    assert.ok(E.isLeft(typo) && /nadir: unknown key/.test(typo.left.message), JSON.stringify(typo));
  });

  it("a checkpoint whose memory is inconsistent is refused", () => {
    const lines = (
      codec: { decode: (u: unknown) => E.Either<Array<{ message?: string }>, unknown> },
      value: unknown,
    ) => {
      const r = codec.decode(value);
      return E.isLeft(r) ? r.left.map((e) => e.message ?? "") : [];
    };
    const g = gradnorm();
    const s = unwrap(g.init(2));
    assert.deepEqual(lines(g.stateCodec, { ...s, memory: { ...s.memory, initialLossSum: [1, 0] } }), [
      "memory.initialLossSum.0: expected 0 with count 0 (got 1)",
    ]);
    const d = dbMtl();
    const ds = unwrap(d.init(2));
    assert.deepEqual(lines(d.stateCodec, { ...ds, memory: { buffers: [[1, 2], [1]], counts: [1, 1] } }), [
      "memory.buffers.1: expected 2 entries like the other buffers (got 1)",
    ]);
    assert.deepEqual(lines(d.stateCodec, { ...ds, memory: { buffers: [[1, 2], null], counts: [0, 0] } }), [
      "memory.buffers.0: expected null exactly when counts.0 is 0 (count 0)",
    ]);
    const st = stch();
    const ss = unwrap(st.init(2));
    assert.deepEqual(lines(st.stateCodec, { ...ss, memory: { nadirSum: [1], nadirCount: [1] } }), [
      "memory.nadirSum: expected 2 entries (got 1)",
      "memory.nadirCount: expected 2 entries (got 1)",
    ]);
  });
});

// ---------------------------------------------------------------- (e) checkpoints

describe("JSON checkpoints: exact round trip and resume", () => {
  const methods: Array<[string, GradientWeighting<unknown>, (b: Batch) => GradientStepInput]> = [
    [
      "gradnorm",
      gradnorm({ lr: 0.05, warmupSteps: 3 }) as GradientWeighting<unknown>,
      (b) => ({ losses: b.losses, gramian: gramian(b.gradients) }),
    ],
    [
      "db-mtl",
      dbMtl({ betaSigma: 0.5 }) as GradientWeighting<unknown>,
      (b) => ({ losses: b.losses, gradients: b.gradients }),
    ],
    [
      "stch",
      stch({ warmupSteps: 2, nadirSteps: 2, mu: 0.3 }) as GradientWeighting<unknown>,
      (b) => ({ losses: b.losses }),
    ],
  ];
  for (const [name, w, inputOf] of methods) {
    it(`${name}: n steps straight equal k steps, encode → JSON → decode, then n − k`, () => {
      const inputs = batches(41, 14, 3, 6, 0.25).map(inputOf);
      const start = unwrap(w.init(3));
      const straight = run(w, start, inputs);
      for (const k of [0, 2, 5, 9]) {
        const first = run(w, start, inputs.slice(0, k));
        const saved = k === 0 ? start : first[k - 1]!.state;
        const decoded = w.stateCodec.decode(JSON.parse(JSON.stringify(w.stateCodec.encode(saved))));
        assert.ok(E.isRight(decoded), `${name}: the checkpoint after ${k} steps does not decode`);
        assert.deepEqual(decoded.right, saved, `${name}: the round trip changed the state`);
        const resumed = [...first, ...run(w, decoded.right, inputs.slice(k))];
        assert.deepEqual(
          resumed.map((r) => [r.coefficients, r.direction ?? null, r.state]),
          straight.map((r) => [r.coefficients, r.direction ?? null, r.state]),
          `${name}: resumed after ${k} steps differs`,
        );
      }
    });
  }
});
