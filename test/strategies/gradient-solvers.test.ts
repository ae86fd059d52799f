import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as E from "fp-ts/Either";

import type { GradientWeighting } from "../../src/core/gradient-weighting.js";
import { unwrap } from "../../src/core/unwrap.js";
import { cagrad } from "../../src/strategies/gradient/cagrad.js";
import { nashMtl, type NashMtlState } from "../../src/strategies/gradient/nash-mtl.js";
import {
  cagradFaceSolver,
  combine,
  gramOf,
  libmtlCagrad,
  LibmtlNashMtl,
  minNormPoint,
} from "./reference/gradient-solvers.js";

/**
 * CAGrad and Nash-MTL against independent float64 transcriptions of LibMTL (reference/
 * gradient-solvers.ts: explicit gradient vectors, other inner solvers), and each method's
 * defining property checked directly on random Gramians.
 */

type Matrix = number[][];

/** A seeded uniform generator in [0, 1) (Park–Miller), so every run sees the same sets. */
const seeded = (seed: number): (() => number) => {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
};

/** A named family of gradient sets: random, rank-deficient (duplicates, collinear) and conflicting. */
const gradientSets = (count: number, seed: number): Array<{ kind: string; grads: Matrix }> => {
  const random = seeded(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const sets: Array<{ kind: string; grads: Matrix }> = [];
  for (let n = 0; n < count; n++) {
    const k = 2 + (n % 5);
    const d = 1 + ((n * 7) % 9);
    const scale = Math.exp(3 * normal());
    let grads = Array.from({ length: k }, () => Array.from({ length: d }, () => normal() * scale));
    const kind = ["random", "duplicate", "collinear", "conflicting", "opposed-pair"][n % 5]!;
    if (kind === "duplicate") grads[1] = [...grads[0]!];
    if (kind === "collinear") grads[k - 1] = grads[0]!.map((v) => v * (0.5 + 2 * random()));
    if (kind === "conflicting") {
      // A shared component with alternating signs: pairwise cosines down to about −0.9.
      const base = Array.from({ length: d }, () => normal() * scale);
      grads = grads.map((g, i) => g.map((v, p) => 0.3 * v + (i % 2 === 0 ? 1 : -0.8) * base[p]! * Math.exp(normal())));
    }
    if (kind === "opposed-pair") grads[1] = grads[0]!.map((v) => -v * (0.3 + random()));
    sets.push({ kind, grads });
  }
  return sets;
};

const norm = (v: ReadonlyArray<number>): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const relativeDifference = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0) / Math.max(norm(b), 1e-300);
const matVec = (m: Matrix, v: ReadonlyArray<number>): number[] =>
  m.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
const dot = (u: ReadonlyArray<number>, v: ReadonlyArray<number>): number => u.reduce((s, x, i) => s + x * v[i]!, 0);

const stepOnce = <S>(w: GradientWeighting<S>, gramian: Matrix, losses?: Array<number | null>) => {
  const state = unwrap(w.init(gramian.length));
  return unwrap(w.step(state, { losses: losses ?? gramian.map(() => 1), gramian }));
};

/** fast-check: a Gramian from 1–6 random gradients, optionally with a duplicate and an opposed task. */
const gramianArbitrary = fc
  .record({
    k: fc.integer({ min: 1, max: 6 }),
    d: fc.integer({ min: 1, max: 6 }),
    // Four significant digits: no subnormal or 1e-300 entries, whose products underflow.
    entries: fc.array(
      fc.integer({ min: -10000, max: 10000 }).map((n) => n / 10000),
      { minLength: 36, maxLength: 36 },
    ),
    duplicate: fc.boolean(),
    opposed: fc.boolean(),
    scaleExponent: fc.integer({ min: -3, max: 3 }),
  })
  .map(({ k, d, entries, duplicate, opposed, scaleExponent }) => {
    const grads = Array.from({ length: k }, (_, i) =>
      Array.from({ length: d }, (__, p) => entries[i * 6 + p]! * 10 ** scaleExponent),
    );
    if (duplicate && k >= 2) grads[1] = [...grads[0]!];
    if (opposed && k >= 3) grads[2] = grads[0]!.map((v) => -0.5 * v);
    return { grads, gramian: gramOf(grads) };
  })
  .filter(({ gramian }) => gramian.every((row, i) => row[i]! > 1e-12 * Math.max(...gramian.map((r, j) => r[j]!))));

describe("cagrad: LibMTL's CAGrad.py", () => {
  const sets = gradientSets(100, 20240531);

  it("the direction Σ c_k g_k equals the transcription's (face-enumeration solver) on random, rank-deficient and conflicting sets", () => {
    // Pareto-stationary sets (0 in the convex hull: every "opposed-pair" set, and conflicting
    // sets in few dimensions): the optimum has ‖g_w‖ of the order of LibMTL's sqrt(1e-8), far
    // below the gradients' norms, and the dual is ill-conditioned: the Gramian's own rounding
    // (1e-16 of ‖g‖²) limits how well w, hence g_w's direction, is determined by it.
    const stationarySet = (grads: Matrix): boolean => {
      const gramian = gramOf(grads);
      const m = minNormPoint(gramian);
      return dot(m, matVec(gramian, m)) <= 1e-6 * Math.max(...gramian.map((r, i) => r[i]!));
    };
    const worst = { regular: 0, stationary: 0 };
    for (const calpha of [0.5, 0.2, 1.0]) {
      for (const rescale of [1, 0, 2] as const) {
        for (const { kind, grads } of sets) {
          const out = stepOnce(cagrad({ calpha, rescale }), gramOf(grads));
          const reference = libmtlCagrad(grads, calpha, rescale).newGrads;
          const difference = relativeDifference(combine(grads, out.coefficients), reference);
          const stationary = stationarySet(grads);
          if (stationary) {
            // There the dual's value is what is determined: it must match face enumeration's.
            const gramian = gramOf(grads);
            const k = grads.length;
            const mean = gramian.flat().reduce((acc, v) => acc + v, 0) / (k * k);
            const c = calpha * Math.sqrt(mean + 1e-8) + 1e-8;
            const objective = (x: ReadonlyArray<number>): number =>
              dot(
                x,
                matVec(
                  gramian,
                  x.map(() => 1 / k),
                ),
              ) +
              c * Math.sqrt(Math.max(dot(x, matVec(gramian, x)), 0) + 1e-8);
            const gap = objective(out.diagnostics["w"] as number[]) - objective(libmtlCagrad(grads, calpha, rescale).w);
            assert.ok(
              gap <= 1e-10 * Math.max(...gramian.map((r, i) => r[i]!)),
              `${kind} calpha ${calpha}: objective gap ${gap}`,
            );
          } else
            assert.ok(
              difference <= 1e-10,
              `${kind} calpha ${calpha} rescale ${rescale}: relative difference ${difference}`,
            );
          if (stationary) worst.stationary = Math.max(worst.stationary, difference);
          else worst.regular = Math.max(worst.regular, difference);
        }
      }
    }
    console.log(
      `cagrad: max relative difference of the direction against the LibMTL transcription: ${worst.regular.toExponential(2)} (tolerance 1e-10); ` +
        `on Pareto-stationary sets ${worst.stationary.toExponential(2)} (not asserted: there the dual's value is checked, to 1e-10 of max ‖g‖²)`,
    );
  });

  it("w satisfies the optimality conditions of the dual over the simplex (fast-check, random Gramians)", () => {
    fc.assert(
      fc.property(gramianArbitrary, fc.double({ min: 0, max: 2, noNaN: true }), ({ grads, gramian }, calpha) => {
        const k = gramian.length;
        const out = stepOnce(cagrad({ calpha }), gramian);
        const w = out.diagnostics["w"] as number[];
        // f(w) = wᵀGb + c sqrt(wᵀGw + 1e-8), c = calpha sqrt(mean(G) + 1e-8) + 1e-8 (CAGrad.py).
        const mean = gramian.flat().reduce((s, v) => s + v, 0) / (k * k);
        const c = calpha * Math.sqrt(mean + 1e-8) + 1e-8;
        const gw = matVec(gramian, w);
        const q = Math.sqrt(Math.max(dot(w, gw), 0) + 1e-8);
        const gradient = matVec(
          gramian,
          w.map(() => 1 / k),
        ).map((v, i) => v + (c * gw[i]!) / q);
        const largest = Math.max(...gramian.map((r, i) => r[i]!));
        assert.ok(w.every((v) => v >= 0));
        assert.ok(Math.abs(w.reduce((s, v) => s + v, 0) - 1) <= 1e-14);
        const m = minNormPoint(gramian);
        if (dot(m, matVec(gramian, m)) > 1e-6 * largest) {
          // KKT: ∇f_i >= ν for every i, with equality where w_i > 0 (ν = min_i ∇f_i).
          const nu = Math.min(...gradient);
          const complementarity = w.reduce((s, v, i) => s + v * (gradient[i]! - nu), 0);
          assert.ok(complementarity <= 1e-9 * largest, `complementarity ${complementarity} (largest ‖g‖² ${largest})`);
        } else {
          // Pareto-stationary (0 in the hull, the dual ill-conditioned): f(w) is the minimum that
          // face enumeration on the gradients finds, to 1e-10 of ‖g‖².
          const objective = (x: ReadonlyArray<number>): number =>
            dot(
              x,
              matVec(
                gramian,
                x.map(() => 1 / k),
              ),
            ) +
            c * Math.sqrt(Math.max(dot(x, matVec(gramian, x)), 0) + 1e-8);
          const gap = objective(w) - objective(cagradFaceSolver(grads, c));
          assert.ok(gap <= 1e-10 * largest, `objective gap ${gap} (largest ‖g‖² ${largest})`);
        }
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it("with calpha = 0 the direction is the mean gradient (up to LibMTL's 1e-8 in c)", () => {
    fc.assert(
      fc.property(gramianArbitrary, ({ gramian }) => {
        const k = gramian.length;
        const out = stepOnce(cagrad({ calpha: 0 }), gramian);
        const offset = out.coefficients.map((c) => c - 1 / k);
        // ‖d − g0‖ = ‖λ g_w‖ = 1e-8 ‖g_w‖ / (‖g_w‖ + 1e-8) < 1e-8, plus the rounding of c_k = 1/K + λ w_k.
        const rounding = 4e-16 * out.coefficients.reduce((s, c, i) => s + Math.abs(c) * Math.sqrt(gramian[i]![i]!), 0);
        assert.ok(Math.sqrt(Math.max(dot(offset, matVec(gramian, offset)), 0)) <= 1e-8 + rounding);
      }),
      { numRuns: 200, seed: 8 },
    );
  });
});

describe("nash-mtl: LibMTL's Nash_MTL.py", () => {
  const sets = gradientSets(40, 314159);

  it("solver \"sequential\": the directions of a 4-step run equal the transcription's (barrier subproblems, cvxpy's None on unbounded ones)", () => {
    let worst = 0;
    for (const [every, maxNorm] of [
      [1, 1],
      [2, 0],
    ] as const) {
      for (const { kind, grads } of sets) {
        const k = grads.length;
        const reference = new LibmtlNashMtl(k, every, 20, maxNorm);
        const weighting = nashMtl({ solver: "sequential", updateWeightsEvery: every, maxNorm });
        let state = unwrap(weighting.init(k));
        for (let step = 0; step < 4; step++) {
          // Each step perturbs the gradients a little, as training would.
          const stepGrads = grads.map((g, i) => g.map((v, p) => v * (1 + 0.1 * Math.sin(step + i + p))));
          const out = unwrap(weighting.step(state, { losses: grads.map(() => 1), gramian: gramOf(stepGrads) }));
          state = out.state;
          const expected = reference.backward(stepGrads).newGrads;
          const difference = relativeDifference(combine(stepGrads, out.coefficients), expected);
          assert.ok(
            difference <= 1e-9,
            `${kind} every ${every} maxNorm ${maxNorm} step ${step}: relative difference ${difference}`,
          );
          worst = Math.max(worst, difference);
        }
      }
    }
    console.log(
      `nash-mtl --solver sequential: max relative difference against the LibMTL transcription: ${worst.toExponential(2)} (tolerance 1e-9)`,
    );
  });

  it("the default (exact bargaining) equals the transcription where its sequential iteration reaches the bargaining point, and says how far apart they are elsewhere", () => {
    let worstReached = 0;
    let worstOther = 0;
    let reached = 0;
    for (const { grads } of sets) {
      const k = grads.length;
      const gramian = gramOf(grads);
      const expected = new LibmtlNashMtl(k, 1, 20, 0).backward(grads);
      const out = stepOnce(nashMtl({ maxNorm: 0 }), gramian);
      const difference = relativeDifference(combine(grads, out.coefficients), expected.newGrads);
      // The reference reached the bargaining point when its α satisfies α_i (Gα)_i = 1 closely.
      const gAlpha = matVec(gramian, expected.alpha);
      const residual = Math.max(...expected.alpha.map((a, i) => Math.abs(a * gAlpha[i]! - 1)));
      if (residual < 1e-6) {
        reached++;
        worstReached = Math.max(worstReached, difference);
        assert.ok(
          difference <= 1e-6,
          `relative difference ${difference} where the reference's residual is ${residual}`,
        );
      } else worstOther = Math.max(worstOther, difference);
    }
    console.log(
      `nash-mtl default: max relative difference ${worstReached.toExponential(2)} on the ${reached}/${sets.length} sets where LibMTL's iteration reaches the bargaining point; ${worstOther.toExponential(2)} on the others`,
    );
    assert.ok(reached >= sets.length / 2);
  });

  it("the bargaining solution satisfies (Gα)_i = 1/α_i with α > 0; without one, 0 is in the convex hull (fast-check)", () => {
    fc.assert(
      fc.property(gramianArbitrary, ({ gramian }) => {
        const out = stepOnce(nashMtl({ maxNorm: 0 }), gramian);
        const alpha = out.coefficients;
        if ((out.diagnostics["solved"] as number[])[0] === 1) {
          assert.ok(alpha.every((a) => a > 0));
          const gAlpha = matVec(gramian, alpha);
          alpha.forEach((a, i) =>
            assert.ok(Math.abs(a * gAlpha[i]! - 1) <= 1e-10, `α_${i} (Gα)_${i} = ${a * gAlpha[i]!}`),
          );
        } else {
          // The previous α (ones at the first step) is kept, and the min-norm point is (near) 0.
          assert.deepEqual(
            alpha,
            gramian.map(() => 1),
          );
          const m = minNormPoint(gramian);
          const largest = Math.max(...gramian.map((r, i) => r[i]!));
          assert.ok(
            dot(m, matVec(gramian, m)) <= 1e-8 * largest,
            `min-norm² ${dot(m, matVec(gramian, m))} vs ${largest}`,
          );
        }
      }),
      { numRuns: 300, seed: 9 },
    );
  });

  it("default clipping: c = α min(1, 1 / (‖Σ α_k g_k‖ + 1e-6)) with ‖Σ α_k g_k‖ = sqrt(K)", () => {
    for (const { grads } of gradientSets(20, 99).filter((s) => s.kind === "random")) {
      const gramian = gramOf(grads);
      const out = stepOnce(nashMtl(), gramian);
      const k = grads.length;
      const factor = Math.min(1, 1 / (Math.sqrt(k) + 1e-6));
      const gc = matVec(gramian, out.coefficients);
      out.coefficients.forEach((c, i) => assert.ok(Math.abs((c * gc[i]!) / (factor * factor) - 1) <= 1e-9));
    }
  });
});

describe("absent tasks, bad input, checkpoints", () => {
  const methods: Array<[string, () => GradientWeighting<unknown>]> = [
    ["cagrad", () => cagrad() as GradientWeighting<unknown>],
    ["nash-mtl", () => nashMtl() as GradientWeighting<unknown>],
    ["nash-mtl sequential", () => nashMtl({ solver: "sequential" }) as GradientWeighting<unknown>],
  ];

  for (const [name, make] of methods) {
    it(`${name}: an absent task gets 0 and the others equal the run on the present sub-problem`, () => {
      for (const { grads } of gradientSets(15, 4242)) {
        const k = grads.length;
        const gramian = gramOf(grads);
        const absent = k - 1;
        const losses = grads.map((_, i) => (i === absent ? null : 1));
        // The absent task's row and column hold anything finite: they must be ignored.
        const noisy = gramian.map((row, i) =>
          row.map((v, j) => (i === absent || j === absent ? 1e6 * (i + 2 * j) : v)),
        );
        const full = stepOnce(make(), noisy, losses);
        const sub = stepOnce(
          make(),
          gramian.slice(0, absent).map((row) => row.slice(0, absent)),
        );
        assert.equal(full.coefficients[absent], 0);
        assert.deepEqual(full.coefficients.slice(0, absent), sub.coefficients);
      }
    });

    it(`${name}: NaN, Infinity and a non-PSD Gramian give a Left with a clear message`, () => {
      const w = make();
      const state = unwrap(w.init(2));
      const withNaN = w.step(state, {
        losses: [1, 1],
        gramian: [
          [1, NaN],
          [NaN, 1],
        ],
      });
      assert.ok(E.isLeft(withNaN) && /finite/.test(withNaN.left.message), JSON.stringify(withNaN));
      const withInfinity = w.step(state, {
        losses: [1, 1],
        gramian: [
          [Infinity, 0],
          [0, 1],
        ],
      });
      assert.ok(E.isLeft(withInfinity) && /finite/.test(withInfinity.left.message));
      const notPsd = w.step(state, {
        losses: [1, 1],
        gramian: [
          [1, 2],
          [2, 1],
        ],
      });
      assert.ok(E.isLeft(notPsd) && /positive semi-definite/.test(notPsd.left.message), JSON.stringify(notPsd));
    });
  }

  it("bad options are a Left naming the option", () => {
    const cases: Array<[() => E.Either<{ message: string }, unknown>, RegExp]> = [
      [() => cagrad({ calpha: -1 }).init(2), /calpha/],
      [() => cagrad({ rescale: 3 as 1 }).init(2), /rescale/],
      [() => cagrad({ calpa: 0.4 } as never).init(2), /calpa: unknown key/],
      [() => nashMtl({ updateWeightsEvery: 0 }).init(2), /updateWeightsEvery/],
      [() => nashMtl({ optimNiter: 1.5 }).init(2), /optimNiter/],
      [() => nashMtl({ maxNorm: -1 }).init(2), /maxNorm/],
      [() => nashMtl({ solver: "cvxpy" as "sequential" }).init(2), /solver/],
      [() => nashMtl({ clipEpsilon: Number.NaN }).init(2), /clipEpsilon/],
    ];
    for (const [run, pattern] of cases) {
      const result = run();
      assert.ok(E.isLeft(result) && pattern.test(result.left.message), `${pattern}: ${JSON.stringify(result)}`);
    }
  });

  for (const solver of ["bargaining", "sequential"] as const) {
    it(`nash-mtl (${solver}): JSON round trip of the state and exact resume (n steps == k, encode/JSON/decode, n − k)`, () => {
      const random = seeded(77);
      const k = 4;
      const inputs = Array.from({ length: 7 }, (_, step) => {
        const grads = Array.from({ length: k }, () => Array.from({ length: 5 }, () => random() - 0.3));
        return { losses: grads.map((_, i) => (step === 4 && i === 2 ? null : 1 + random())), gramian: gramOf(grads) };
      });
      const weighting = nashMtl({ solver, updateWeightsEvery: 3 });
      const run = (
        state: NashMtlState,
        from: number,
        to: number,
      ): { state: NashMtlState; coefficients: number[][] } => {
        const coefficients: number[][] = [];
        for (let step = from; step < to; step++) {
          const out = unwrap(weighting.step(state, inputs[step]!));
          coefficients.push([...out.coefficients]);
          state = out.state;
        }
        return { state, coefficients };
      };
      const straight = run(unwrap(weighting.init(k)), 0, 7);
      const first = run(unwrap(weighting.init(k)), 0, 3);
      const checkpoint = JSON.parse(JSON.stringify(weighting.stateCodec.encode(first.state))) as unknown;
      const decoded = weighting.stateCodec.decode(checkpoint);
      assert.ok(E.isRight(decoded));
      assert.deepEqual(decoded.right, first.state);
      const rest = run(decoded.right, 3, 7);
      assert.deepEqual([...first.coefficients, ...rest.coefficients], straight.coefficients);
      assert.deepEqual(rest.state, straight.state);
      // Steps 1, 2, 4, 5 reuse α (every 3), except step 4, where task 2 is absent: it reuses
      // the others' α and leaves task 2 at 0; step 5 reuses the α of step 3.
      assert.equal(straight.state.step, 7);
      const bad = weighting.stateCodec.decode({ ...(checkpoint as object), memory: { alpha: [1, 2] } });
      assert.ok(E.isLeft(bad));
    });
  }
});
