import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as E from "fp-ts/Either";
import type * as t from "io-ts";

import {
  formatDecodeErrors,
  gramianOf,
  Rng,
  unwrap,
  type GradientStepInput,
  type GradientWeighting,
  type Gramian,
} from "../../src/core/index.js";
import { graddrop } from "../../src/strategies/gradient/graddrop.js";
import { gradvac } from "../../src/strategies/gradient/gradvac.js";
import { pcgrad } from "../../src/strategies/gradient/pcgrad.js";
import {
  authorsPcgradTf,
  libmtlGradDrop,
  LibmtlGradVac,
  libmtlPcgrad,
  pythonShuffle,
  torchjdGradDrop,
  torchjdPcgradWeights,
  type Randbelow,
} from "./reference/gradient-projection.js";

/**
 * PCGrad, GradVac and GradDrop against the float64 transcriptions of LibMTL, TorchJD and the
 * PCGrad authors' code (test/strategies/reference/gradient-projection.ts), their defining
 * properties on random Gramians, absent tasks, bad input, and exact resume.
 *
 * The random order/thresholds are an input of the transcriptions: the documented contract of
 * the methods is that task orders come from Python's `random.shuffle` algorithm with
 * randbelow(n) = `rng.int(n)`, and GradDrop's thresholds from `rng.uniform()` per coordinate, on
 * `Rng.seeded(seed)` continued across steps. The references are fed from such a generator.
 */

type Vectors = number[][];

/** Gradient sets of the kinds the methods must handle; n is the dimension. */
const KINDS = [
  "generic",
  "duplicate",
  "low-rank",
  "conflicting",
  "near-opposite",
  "opposite",
  "zero",
  "scaled",
] as const;
type Kind = (typeof KINDS)[number];

const gaussian = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.normal());

const gradientSet = (kind: Kind, rng: Rng, numTasks: number, n = 7): Vectors => {
  const base = Array.from({ length: numTasks }, () => gaussian(rng, n));
  switch (kind) {
    case "generic":
      return base;
    case "duplicate": // g_1 = g_0 exactly, g_2 = 2.5 g_0 (collinear, same direction)
      return base.map((g, k) => (k === 1 ? [...base[0]!] : k === 2 ? base[0]!.map((v) => 2.5 * v) : g));
    case "low-rank": // all in a 2-dimensional subspace of R^n
      return base.map(() => {
        const [a, b] = [rng.normal(), rng.normal()];
        return base[0]!.map((v, p) => a * v + b * base[1]![p]!);
      });
    case "conflicting": {
      // u_k minus the mean of the u's, plus a little: pairwise cosines near −1/(K−1) < 0
      const mean = base[0]!.map((_, p) => base.reduce((s, g) => s + g[p]!, 0) / numTasks);
      return base.map((g) => g.map((v, p) => v - mean[p]! + 0.05 * rng.normal()));
    }
    case "near-opposite": // g_1 ≈ −g_0
      return base.map((g, k) => (k === 1 ? base[0]!.map((v) => -v + 1e-3 * rng.normal()) : g));
    case "opposite": // g_1 = −2 g_0 exactly
      return base.map((g, k) => (k === 1 ? base[0]!.map((v) => -2 * v) : g));
    case "zero": // a task whose gradient vanishes
      return base.map((g, k) => (k === numTasks - 1 ? g.map(() => 0) : g));
    case "scaled": // norms from 1e-3 to 1e3
      return base.map((g, k) => g.map((v) => v * 10 ** (-3 + (6 * k) / Math.max(1, numTasks - 1))));
  }
};

const randbelowOf =
  (rng: Rng): Randbelow =>
  (n) =>
    rng.int(n);

const combine = (coefficients: readonly number[], grads: Vectors): number[] =>
  grads[0]!.map((_, p) => grads.reduce((s, g, k) => s + coefficients[k]! * g[p]!, 0));

/**
 * max_p |d_p − ref_p| over the scale of what is summed (max_p Σ of the |terms|): a relative
 * difference that stays meaningful when the terms cancel.
 */
const relativeDifference = (d: readonly number[], ref: readonly number[], terms: Vectors): number => {
  let scale = 0;
  for (let p = 0; p < ref.length; p++)
    scale = Math.max(
      scale,
      terms.reduce((s, g) => s + Math.abs(g[p]!), 0),
    );
  let worst = 0;
  for (let p = 0; p < ref.length; p++) worst = Math.max(worst, Math.abs(d[p]! - ref[p]!));
  return scale === 0 ? worst : worst / scale;
};

const relativeCoefficientDifference = (c: readonly number[], ref: readonly number[]): number =>
  Math.max(...c.map((v, k) => Math.abs(v - ref[k]!) / Math.max(1, Math.abs(ref[k]!))));

const ones = (k: number): number[] => new Array<number>(k).fill(1);

/** Runs `steps` inputs through a fresh state; returns every step's result. */
const runSteps = <S>(w: GradientWeighting<S>, numTasks: number, inputs: readonly GradientStepInput[], start?: S) => {
  let state = start ?? unwrap(w.init(numTasks));
  return inputs.map((input) => {
    const r = unwrap(w.step(state, input));
    state = r.state;
    return r;
  });
};

/** One step from a fresh state of `w` itself (a state carries its own config). */
const firstStep = <S>(w: GradientWeighting<S>, numTasks: number, input: GradientStepInput) =>
  unwrap(w.step(unwrap(w.init(numTasks)), input));

/** Bounded random gradient vectors for properties (dimension 3, K tasks). */
const vectorsArbitrary = (numTasks: number, min = -10, max = 10) =>
  fc.array(
    // entries below 1e-6 in size are 0, so that no Gramian entry underflows to a subnormal
    fc.array(
      fc.double({ min, max, noNaN: true }).map((v) => (Math.abs(v) < 1e-6 ? 0 : v)),
      { minLength: 3, maxLength: 3 },
    ),
    { minLength: numTasks, maxLength: numTasks },
  );

const normOf = (g: readonly number[]): number => Math.sqrt(g.reduce((s, v) => s + v * v, 0));
const cosineOf = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((s, v, p) => s + v * b[p]!, 0) / (normOf(a) * normOf(b));

const report = (label: string, value: number, tolerance: number, cases: number): void => {
  console.log(
    `${label}: max relative difference ${value.toExponential(2)} over ${cases} cases (tolerance ${tolerance.toExponential(0)})`,
  );
};

/** Inputs that every Gramian-based method must reject, with the message expected. */
const badGramians: ReadonlyArray<{ name: string; gramian: Gramian; message: RegExp }> = [
  {
    name: "NaN entry",
    gramian: [
      [1, NaN],
      [NaN, 1],
    ],
    message: /invalid Gramian: entry \[0\]\[1\]: expected a finite number \(got NaN\)/,
  },
  {
    name: "Infinity entry",
    gramian: [
      [Infinity, 0],
      [0, 1],
    ],
    message: /invalid Gramian: entry \[0\]\[0\]: expected a finite number \(got Infinity\)/,
  },
  {
    name: "not PSD",
    gramian: [
      [1, 2],
      [2, 1],
    ],
    message: /invalid Gramian: not positive semi-definite: smallest eigenvalue -(1|0\.99999)/,
  },
  {
    name: "not symmetric",
    gramian: [
      [1, 0.5],
      [0, 1],
    ],
    message: /invalid Gramian: not symmetric/,
  },
];

const assertLeft = (result: E.Either<{ message: string }, unknown>, message: RegExp): void => {
  assert.ok(E.isLeft(result), "expected a Left");
  assert.match(result.left.message, message);
};

/** A state codec's decode failure, its messages joined. */
const assertDecodeFails = (result: E.Either<t.Errors, unknown>, message: RegExp): void => {
  assert.ok(E.isLeft(result), "expected the decode to fail");
  assert.match(formatDecodeErrors(result.left).join("\n"), message);
};

describe("pcgrad", () => {
  it("equals LibMTL's PCGrad.py (direction and batch_weight) on seeded gradient sets, over several steps", () => {
    let worstDirection = 0;
    let worstCoefficient = 0;
    let cases = 0;
    for (const kind of KINDS) {
      for (const numTasks of [2, 3, 4, 5]) {
        if (numTasks < 3 && (kind === "duplicate" || kind === "low-rank")) continue;
        for (const seed of [0, 1, 7]) {
          const data = Rng.seeded(1000 * seed + numTasks);
          const sets = Array.from({ length: 4 }, () => gradientSet(kind, data, numTasks, kind === "low-rank" ? 5 : 7));
          const results = runSteps(
            pcgrad({ seed }),
            numTasks,
            sets.map((g) => ({ losses: ones(numTasks), gramian: gramianOf(g) })),
          );
          const order = Rng.seeded(seed); // the generator continues across steps, as Python's does
          sets.forEach((grads, t) => {
            const ref = libmtlPcgrad(grads, randbelowOf(order));
            const c = results[t]!.coefficients;
            worstDirection = Math.max(
              worstDirection,
              relativeDifference(combine(c, grads), ref.direction, [...grads, ...ref.pcGrads]),
            );
            worstCoefficient = Math.max(worstCoefficient, relativeCoefficientDifference(c, ref.batchWeight));
            cases++;
          });
        }
      }
    }
    report("pcgrad vs LibMTL PCGrad.py, direction", worstDirection, 1e-12, cases);
    report("pcgrad vs LibMTL PCGrad.py, coefficients (batch_weight)", worstCoefficient, 1e-12, cases);
    assert.ok(worstDirection <= 1e-12, `direction differs by ${worstDirection}`);
    assert.ok(worstCoefficient <= 1e-12, `coefficients differ by ${worstCoefficient}`);
  });

  it("projects pc_i on g_i itself as LibMTL does (it happens in low dimension) unless excludeSelf", () => {
    let worst = 0;
    let selfProjected = 0;
    for (let trial = 0; trial < 200; trial++) {
      const data = Rng.seeded(trial);
      const [numTasks, n] = [3 + (trial % 4), 2 + (trial % 3)];
      const grads = Array.from({ length: numTasks }, () => gaussian(data, n));
      const input = { losses: ones(numTasks), gramian: gramianOf(grads) };
      const order = Rng.seeded(trial);
      const ref = libmtlPcgrad(grads, randbelowOf(order));
      worst = Math.max(
        worst,
        relativeCoefficientDifference(
          firstStep(pcgrad({ seed: trial }), numTasks, input).coefficients,
          ref.batchWeight,
        ),
      );
      const skipping = firstStep(pcgrad({ seed: trial, excludeSelf: true }), numTasks, input).coefficients;
      if (relativeCoefficientDifference(skipping, ref.batchWeight) > 1e-9) selfProjected++;
    }
    report("pcgrad vs LibMTL PCGrad.py, low-dimensional sets", worst, 1e-12, 200);
    console.log(`LibMTL projected some pc_i on its own g_i in ${selfProjected} of 200 low-dimensional sets`);
    assert.ok(worst <= 1e-12, `coefficients differ by ${worst}`);
    assert.ok(selfProjected > 0, "no set exercised the self-projection");
  });

  it("equals TorchJD's PCGradWeighting with excludeSelf and epsilon 0", () => {
    let worst = 0;
    let cases = 0;
    for (const kind of KINDS) {
      for (const numTasks of [2, 3, 5, 6]) {
        if (numTasks < 3 && (kind === "duplicate" || kind === "low-rank")) continue;
        const data = Rng.seeded(77 + numTasks);
        const sets = Array.from({ length: 3 }, () => gradientSet(kind, data, numTasks));
        const gramians = sets.map(gramianOf);
        const results = runSteps(
          pcgrad({ seed: 5, excludeSelf: true, epsilon: 0 }),
          numTasks,
          gramians.map((gramian) => ({ losses: ones(numTasks), gramian })),
        );
        const order = Rng.seeded(5);
        const randperm = (n: number): number[] => {
          const x = Array.from({ length: n }, (_, k) => k);
          pythonShuffle(x, randbelowOf(order));
          return x;
        };
        gramians.forEach((gramian, t) => {
          worst = Math.max(
            worst,
            relativeCoefficientDifference(results[t]!.coefficients, torchjdPcgradWeights(gramian, randperm)),
          );
          cases++;
        });
      }
    }
    report("pcgrad --exclude-self --epsilon 0 vs TorchJD PCGradWeighting", worst, 1e-12, cases);
    assert.ok(worst <= 1e-12, `weights differ by ${worst}`);
  });

  it("equals the authors' PCGrad_tf.py with fixedOrder and epsilon 0", () => {
    let worst = 0;
    let cases = 0;
    for (const kind of KINDS.filter((k) => k !== "zero")) {
      // the TF code divides by |g_k|², NaN for a zero gradient
      for (const numTasks of [3, 4, 5]) {
        const data = Rng.seeded(31 + numTasks);
        const sets = Array.from({ length: 3 }, () => gradientSet(kind, data, numTasks));
        const results = runSteps(
          pcgrad({ fixedOrder: true, epsilon: 0 }),
          numTasks,
          sets.map((g) => ({ losses: ones(numTasks), gramian: gramianOf(g) })),
        );
        sets.forEach((grads, t) => {
          const c = results[t]!.coefficients;
          worst = Math.max(
            worst,
            relativeDifference(
              combine(c, grads),
              authorsPcgradTf(grads),
              grads.map((g, k) => g.map((v) => v * c[k]!)),
            ),
          );
          cases++;
        });
      }
    }
    report("pcgrad --fixed-order --epsilon 0 vs PCGrad_tf.py", worst, 1e-12, cases);
    assert.ok(worst <= 1e-12, `direction differs by ${worst}`);
  });

  it("defining property: two tasks end with pc_i·g_j ≥ 0; no conflict gives the plain sum; c_j ≥ 1", () => {
    fc.assert(
      fc.property(vectorsArbitrary(2), fc.nat(1000), fc.boolean(), (grads, seed, excludeSelf) => {
        const G = gramianOf(grads);
        const c = firstStep(pcgrad({ seed, excludeSelf, epsilon: 0 }), 2, { losses: [1, 1], gramian: G }).coefficients;
        // pc_0 = g_0 + (c_1 − 1) g_1 and pc_1 = g_1 + (c_0 − 1) g_0 when K = 2
        const inner01 = G[0]![1]! + (c[1]! - 1) * G[1]![1]!;
        const inner10 = G[1]![0]! + (c[0]! - 1) * G[0]![0]!;
        const scale = 1e-12 * Math.max(1, G[0]![0]!, G[1]![1]!);
        assert.ok(inner01 >= -scale && inner10 >= -scale, `pc·g < 0: ${inner01}, ${inner10}`);
        if (G[0]![1]! < 0) {
          // a conflict is projected onto the plane normal to the other gradient
          assert.ok(Math.abs(inner01) <= scale && Math.abs(inner10) <= scale, `not projected: ${inner01}, ${inner10}`);
        } else {
          assert.deepEqual(c, [1, 1]);
        }
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 6 }).chain((k) => vectorsArbitrary(k)),
        fc.nat(1000),
        (grads, seed) => {
          const k = grads.length;
          const G = gramianOf(grads);
          const c = firstStep(pcgrad({ seed }), k, { losses: ones(k), gramian: G }).coefficients;
          assert.ok(
            c.every((v) => v >= 1),
            `a coefficient below 1: ${c.join(", ")}`,
          );
          const noConflict = G.every((row) => row.every((v) => v >= 0));
          if (noConflict) assert.deepEqual(c, ones(k));
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }).chain((k) => vectorsArbitrary(k, 0, 10)),
        fc.nat(1000),
        (grads, seed) => {
          const k = grads.length; // nonnegative vectors never conflict: the direction is the sum
          const c = firstStep(pcgrad({ seed }), k, { losses: ones(k), gramian: gramianOf(grads) }).coefficients;
          assert.deepEqual(c, ones(k));
        },
      ),
    );
  });

  it("absent tasks get 0 and the others equal the present sub-problem from the same seed", () => {
    const data = Rng.seeded(3);
    const sets = Array.from({ length: 4 }, () => gradientSet("conflicting", data, 4));
    const full = runSteps(
      pcgrad({ seed: 9 }),
      5,
      sets.map((g) => {
        const G = gramianOf([g[0]!, [0, 0, 0, 0, 0, 0, 0], g[1]!, g[2]!, g[3]!]);
        G[1] = [7, 7, 7, 7, 7]; // an absent task's row may hold anything finite
        return { losses: [1, null, 1, 1, 1], gramian: G };
      }),
    );
    const sub = runSteps(
      pcgrad({ seed: 9 }),
      4,
      sets.map((g) => ({ losses: ones(4), gramian: gramianOf(g) })),
    );
    full.forEach((r, t) => {
      assert.equal(r.coefficients[1], 0);
      assert.deepEqual([r.coefficients[0], ...r.coefficients.slice(2)], sub[t]!.coefficients);
      assert.ok(
        sub[t]!.coefficients.some((v) => v > 1),
        "the sub-problem has conflicts",
      );
    });
  });

  it("rejects bad Gramians and bad options with a Left", () => {
    const w = pcgrad();
    const s = unwrap(w.init(2));
    for (const bad of badGramians) assertLeft(w.step(s, { losses: [1, 1], gramian: bad.gramian }), bad.message);
    assertLeft(pcgrad({ seed: -1 }).init(2), /seed/);
    assertLeft(pcgrad({ epsilon: -1 }).init(2), /epsilon/);
    assertLeft(pcgrad({ excludeSelf: "yes" } as never).init(2), /excludeSelf/);
    assertLeft(pcgrad({ sead: 1 } as never).init(2), /sead: unknown key/);
    assertDecodeFails(w.stateCodec.decode({ ...s, memory: { rng: [0, 0, 0, 0] } }), /all-zero generator state/);
  });

  it("round-trips its state through JSON and resumes exactly", () => {
    const data = Rng.seeded(12);
    const inputs = Array.from({ length: 8 }, () => ({
      losses: ones(4),
      gramian: gramianOf(gradientSet("conflicting", data, 4)),
    }));
    const w = pcgrad({ seed: 4 });
    const straight = runSteps(w, 4, inputs);
    const firstHalf = runSteps(w, 4, inputs.slice(0, 3));
    const decoded = w.stateCodec.decode(JSON.parse(JSON.stringify(w.stateCodec.encode(firstHalf[2]!.state))));
    assert.ok(E.isRight(decoded));
    assert.deepEqual(decoded.right, firstHalf[2]!.state);
    const rest = runSteps(w, 4, inputs.slice(3), decoded.right);
    assert.deepEqual(
      rest.map((r) => r.coefficients),
      straight.slice(3).map((r) => r.coefficients),
    );
    assert.deepEqual(rest.at(-1)!.state, straight.at(-1)!.state);
  });
});

describe("gradvac", () => {
  const compare = (kinds: readonly Kind[], beta: number) => {
    let worstDirection = 0;
    let worstCoefficient = 0;
    let cases = 0;
    for (const kind of kinds) {
      for (const numTasks of [2, 3, 4, 5]) {
        if (numTasks < 3 && (kind === "duplicate" || kind === "low-rank")) continue;
        for (const seed of [0, 3]) {
          const data = Rng.seeded(500 * seed + numTasks);
          const sets = Array.from({ length: 6 }, () => gradientSet(kind, data, numTasks, kind === "low-rank" ? 5 : 7));
          const results = runSteps(
            gradvac({ seed, beta }),
            numTasks,
            sets.map((g) => ({ losses: ones(numTasks), gramian: gramianOf(g) })),
          );
          const order = Rng.seeded(seed);
          const reference = new LibmtlGradVac(numTasks, beta);
          sets.forEach((grads, t) => {
            const ref = reference.backward(grads, randbelowOf(order));
            const c = results[t]!.coefficients;
            worstDirection = Math.max(
              worstDirection,
              relativeDifference(combine(c, grads), ref.direction, [...grads, ...ref.pcGrads]),
            );
            worstCoefficient = Math.max(worstCoefficient, relativeCoefficientDifference(c, ref.batchWeight));
            cases++;
          });
          const targets = results.at(-1)!.state.memory.targets;
          worstCoefficient = Math.max(
            worstCoefficient,
            ...targets.flatMap((row, i) => row.map((v, j) => Math.abs(v - reference.rho_T[i]![j]!))),
          );
        }
      }
    }
    return { worstDirection, worstCoefficient, cases };
  };

  it("equals LibMTL's GradVac.py (direction, w's and rho_T) on seeded gradient sets over six steps", () => {
    for (const beta of [0.5, 0.01]) {
      const { worstDirection, worstCoefficient, cases } = compare(
        KINDS.filter((k) => k !== "opposite" && k !== "near-opposite"),
        beta,
      );
      report(`gradvac (beta ${beta}) vs LibMTL GradVac.py, direction`, worstDirection, 1e-12, cases);
      report(`gradvac (beta ${beta}) vs LibMTL GradVac.py, coefficients and rho_T`, worstCoefficient, 1e-12, cases);
      assert.ok(worstDirection <= 1e-12, `direction differs by ${worstDirection}`);
      assert.ok(worstCoefficient <= 1e-12, `coefficients differ by ${worstCoefficient}`);
    }
  });

  // Where an adjusted gradient nearly cancels (|pc_i| ≪ |g|), the Gramian knows |pc_i|² only to
  // ~ε|g|² (its entries' own rounding), a relative error ~ε (|g| / |pc_i|)² that w inherits.
  for (const [kind, label, tolerance] of [
    ["near-opposite", "g_1 = −g_0 + 1e-3 noise", 1e-10],
    ["opposite", "g_1 = −2 g_0 exactly", 1e-8],
  ] as const) {
    it(`on nearly cancelling gradients (${label}) agrees within ${tolerance}`, () => {
      let worst = { worstDirection: 0, worstCoefficient: 0, cases: 0 };
      for (const beta of [0.5, 0.01]) {
        const r = compare([kind], beta);
        worst = {
          worstDirection: Math.max(worst.worstDirection, r.worstDirection),
          worstCoefficient: Math.max(worst.worstCoefficient, r.worstCoefficient),
          cases: worst.cases + r.cases,
        };
      }
      report(`gradvac vs LibMTL GradVac.py on ${label}, direction`, worst.worstDirection, tolerance, worst.cases);
      report(
        `gradvac vs LibMTL GradVac.py on ${label}, coefficients and rho_T`,
        worst.worstCoefficient,
        tolerance,
        worst.cases,
      );
      assert.ok(worst.worstDirection <= tolerance, `direction differs by ${worst.worstDirection}`);
      assert.ok(worst.worstCoefficient <= tolerance, `coefficients differ by ${worst.worstCoefficient}`);
    });
  }

  it("defining property: a pair below its target cosine ends exactly at it; the targets follow the EMA", () => {
    fc.assert(
      fc.property(
        // two non-collinear gradients: for cos = −1 the adjustment makes pc_i = 0, no cosine at all
        vectorsArbitrary(2).filter((g) => g.every((v) => normOf(v) > 0.1) && Math.abs(cosineOf(g[0]!, g[1]!)) < 0.999),
        fc.double({ min: -0.99, max: 0.99, noNaN: true }),
        fc.double({ min: -0.99, max: 0.99, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (grads, target01, target10, beta) => {
          const w = gradvac({ beta, epsilon: 0 });
          const fresh = unwrap(w.init(2));
          const state = unwrap(
            w.stateCodec.decode({
              ...fresh,
              memory: {
                ...fresh.memory,
                targets: [
                  [0, target01],
                  [target10, 0],
                ],
              },
            }) as E.Either<never, typeof fresh>,
          );
          const G = gramianOf(grads);
          const r = unwrap(w.step(state, { losses: [1, 1], gramian: G }));
          const c = r.coefficients;
          const cosine = G[0]![1]! / Math.sqrt(G[0]![0]! * G[1]![1]!);
          // K = 2: pc_0 = g_0 + (c_1 − 1) g_1 and pc_1 = g_1 + (c_0 − 1) g_0
          const check = (i: number, j: number, target: number) => {
            const w = c[j]! - 1;
            const pc = grads[i]!.map((v, p) => v + w * grads[j]![p]!);
            const adjusted = pc.reduce((s, v, p) => s + v * grads[j]![p]!, 0) / (normOf(pc) * normOf(grads[j]!));
            if (cosine < target)
              assert.ok(Math.abs(adjusted - target) <= 1e-7, `cos(pc_${i}, g_${j}) = ${adjusted}, target ${target}`);
            else assert.equal(w, 0);
            assert.ok(
              Math.abs(r.state.memory.targets[i]![j]! - ((1 - beta) * target + beta * cosine)) <= 1e-12,
              "EMA of the cosine before the adjustment",
            );
          };
          check(0, 1, target01);
          check(1, 0, target10);
        },
      ),
    );
  });

  it("only adds: every coefficient is ≥ 1 whatever the targets", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 5 })
          .chain((k) =>
            fc.tuple(
              vectorsArbitrary(k),
              fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: k * k, maxLength: k * k }),
            ),
          ),
        fc.nat(1000),
        ([grads, flatTargets], seed) => {
          const k = grads.length;
          const w = gradvac({ seed });
          const fresh = unwrap(w.init(k));
          const targets = Array.from({ length: k }, (_, i) => flatTargets.slice(i * k, (i + 1) * k));
          const state = unwrap(
            w.stateCodec.decode({ ...fresh, memory: { ...fresh.memory, targets } }) as E.Either<never, typeof fresh>,
          );
          const c = unwrap(w.step(state, { losses: ones(k), gramian: gramianOf(grads) })).coefficients;
          assert.ok(
            c.every((v) => v >= 1),
            `a coefficient below 1: ${c.join(", ")}`,
          );
        },
      ),
    );
  });

  it("at its first step (targets 0) equals PCGrad without self-projection on two tasks", () => {
    fc.assert(
      fc.property(
        vectorsArbitrary(2).filter((g) => g.every((v) => normOf(v) > 0.1)),
        (grads) => {
          const G = gramianOf(grads);
          const a = firstStep(gradvac({ epsilon: 0 }), 2, { losses: [1, 1], gramian: G }).coefficients;
          const b = firstStep(pcgrad({ epsilon: 0, excludeSelf: true }), 2, {
            losses: [1, 1],
            gramian: G,
          }).coefficients;
          a.forEach((v, k) => assert.ok(Math.abs(v - b[k]!) <= 1e-9 * Math.max(1, Math.abs(b[k]!)), `${a} vs ${b}`));
        },
      ),
    );
  });

  it("absent tasks get 0, keep their targets, and the others equal the present sub-problem", () => {
    const data = Rng.seeded(8);
    const sets = Array.from({ length: 5 }, () => gradientSet("conflicting", data, 3));
    const extra = (t: number) => Array.from({ length: 7 }, (_, p) => Math.cos(p + t));
    const withTask2 = (g: Vectors, t: number, present: boolean): GradientStepInput => ({
      losses: [1, 1, present ? 1 : null, 1],
      gramian: gramianOf([g[0]!, g[1]!, present ? extra(t) : [0, 0, 0, 0, 0, 0, 0], g[2]!]),
    });
    // task 2 absent throughout: the other three run exactly as the three-task problem
    const absentThroughout = runSteps(
      gradvac({ seed: 2 }),
      4,
      sets.map((g, t) => withTask2(g, t, false)),
    );
    const sub = runSteps(
      gradvac({ seed: 2 }),
      3,
      sets.map((g) => ({ losses: ones(3), gramian: gramianOf(g) })),
    );
    absentThroughout.forEach((r, t) => {
      assert.equal(r.coefficients[2], 0);
      assert.deepEqual([r.coefficients[0], r.coefficients[1], r.coefficients[3]], sub[t]!.coefficients);
      const targets = r.state.memory.targets;
      assert.deepEqual(
        [0, 1, 3].map((i) => [0, 1, 3].map((j) => targets[i]![j])),
        sub[t]!.state.memory.targets,
      );
    });
    assert.ok(
      sub.some((r) => r.coefficients.some((c) => c !== 1)),
      "the sub-problem adjusts something",
    );
    // task 2 present at steps 0 and 1, absent at step 2: its targets stay as they were
    const mixed = runSteps(
      gradvac({ seed: 2 }),
      4,
      sets.slice(0, 3).map((g, t) => withTask2(g, t, t < 2)),
    );
    const before = mixed[1]!.state.memory.targets;
    const after = mixed[2]!.state.memory.targets;
    assert.equal(mixed[2]!.coefficients[2], 0);
    assert.ok(
      before[2]!.some((v, k) => k !== 2 && v !== 0),
      "task 2 had targets to keep",
    );
    for (let k = 0; k < 4; k++) {
      assert.equal(after[2]![k], before[2]![k]);
      assert.equal(after[k]![2], before[k]![2]);
    }
  });

  it("rejects bad Gramians, bad options and bad targets with a Left", () => {
    const w = gradvac();
    const s = unwrap(w.init(2));
    for (const bad of badGramians) assertLeft(w.step(s, { losses: [1, 1], gramian: bad.gramian }), bad.message);
    assertLeft(gradvac({ beta: 1.5 }).init(2), /beta/);
    assertLeft(gradvac({ beta: NaN }).init(2), /beta/);
    assertLeft(gradvac({ epsilon: -1 }).init(2), /epsilon/);
    assertLeft(gradvac({ group: 1 } as never).init(2), /group: unknown key/);
    assertDecodeFails(
      w.stateCodec.decode({
        ...s,
        memory: {
          ...s.memory,
          targets: [
            [0, 2],
            [0, 0],
          ],
        },
      }),
      /targets\.0\.1: expected a number in \[-1, 1\]/,
    );
    assertDecodeFails(
      w.stateCodec.decode({ ...s, memory: { ...s.memory, targets: [[0, 0]] } }),
      /targets: expected 2 entries/,
    );
  });

  it("round-trips its state through JSON and resumes exactly", () => {
    const data = Rng.seeded(21);
    const inputs = Array.from({ length: 8 }, () => ({
      losses: ones(4),
      gramian: gramianOf(gradientSet("conflicting", data, 4)),
    }));
    const w = gradvac({ seed: 6, beta: 0.3 });
    const straight = runSteps(w, 4, inputs);
    const firstPart = runSteps(w, 4, inputs.slice(0, 5));
    const decoded = w.stateCodec.decode(JSON.parse(JSON.stringify(w.stateCodec.encode(firstPart[4]!.state))));
    assert.ok(E.isRight(decoded));
    assert.deepEqual(decoded.right, firstPart[4]!.state);
    const rest = runSteps(w, 4, inputs.slice(5), decoded.right);
    assert.deepEqual(
      rest.map((r) => r.coefficients),
      straight.slice(5).map((r) => r.coefficients),
    );
    assert.deepEqual(rest.at(-1)!.state, straight.at(-1)!.state);
  });
});

describe("graddrop", () => {
  const draws = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.uniform());

  it("equals LibMTL's GradDrop.py (batch 1, positive representation) and TorchJD's GradDrop", () => {
    let worstLibmtl = 0;
    let worstTorchjd = 0;
    let worstShare = 0;
    let cases = 0;
    for (const kind of KINDS) {
      for (const numTasks of [2, 3, 5]) {
        if (numTasks < 3 && (kind === "duplicate" || kind === "low-rank")) continue;
        for (const leak of [0, 0.3]) {
          const data = Rng.seeded(40 + numTasks);
          const sets = Array.from({ length: 3 }, () => gradientSet(kind, data, numTasks, 64));
          const rep = [Array.from({ length: 64 }, () => 0.1 + data.uniform())];
          const seed = numTasks;
          const ours = runSteps(
            graddrop({ leak, seed }),
            numTasks,
            sets.map((g) => ({ losses: ones(numTasks), gradients: g })),
          );
          const theirs = runSteps(
            graddrop({ leak, seed, epsilon: 0 }),
            numTasks,
            sets.map((g) => ({ losses: ones(numTasks), gradients: g })),
          );
          const thresholds = Rng.seeded(seed);
          sets.forEach((grads, t) => {
            const U = draws(thresholds, 64);
            const ref = libmtlGradDrop(
              grads.map((g) => [g]),
              rep,
              U,
              leak,
            );
            const direction = ours[t]!.direction!;
            worstLibmtl = Math.max(worstLibmtl, relativeDifference(direction, ref.backward[0]!, grads));
            const share = grads.map(
              (g, k) =>
                g.reduce((s, v, p) => s + (leak + (1 - leak) * ref.mask[k]![p]!) * v * v, 0) /
                g.reduce((s, v) => s + v * v, 0),
            );
            worstShare = Math.max(
              worstShare,
              ...ours[t]!.coefficients.map((c, k) =>
                Number.isNaN(share[k]!) ? Math.abs(c - 1) : Math.abs(c - share[k]!),
              ),
            );
            const torch = torchjdGradDrop(grads, U, new Array<number>(numTasks).fill(leak));
            worstTorchjd = Math.max(worstTorchjd, relativeDifference(theirs[t]!.direction!, torch, grads));
            cases++;
          });
        }
      }
    }
    report("graddrop vs LibMTL GradDrop.py, direction", worstLibmtl, 1e-12, cases);
    report("graddrop vs LibMTL GradDrop.py, kept share of |g_k|²", worstShare, 1e-12, cases);
    report("graddrop --epsilon 0 vs TorchJD GradDrop", worstTorchjd, 1e-12, cases);
    assert.ok(
      worstLibmtl <= 1e-12 && worstTorchjd <= 1e-12 && worstShare <= 1e-12,
      `${worstLibmtl} ${worstTorchjd} ${worstShare}`,
    );
  });

  it("defining property: with leak 0 every coordinate keeps only gradients of one sign", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }).chain((k) =>
          fc.array(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 6, maxLength: 6 }), {
            minLength: k,
            maxLength: k,
          }),
        ),
        fc.nat(10000),
        (grads, seed) => {
          const k = grads.length;
          const r = firstStep(graddrop({ seed }), k, { losses: ones(k), gradients: grads });
          r.direction!.forEach((d, p) => {
            const positive = grads.reduce((s, g) => s + (g[p]! > 0 ? g[p]! : 0), 0);
            const negative = grads.reduce((s, g) => s + (g[p]! < 0 ? g[p]! : 0), 0);
            const tolerance = 1e-12 * (positive - negative);
            assert.ok(
              Math.abs(d - positive) <= tolerance || Math.abs(d - negative) <= tolerance || d === 0,
              `coordinate ${p}: ${d} is neither ${positive} nor ${negative}`,
            );
          });
          r.coefficients.forEach((c) => assert.ok(c >= 0 && c <= 1));
        },
      ),
    );
  });

  it("keeps the positive sign with probability P (the sign purity)", () => {
    const n = 4000; // g = (3, −1) everywhere: P = ½ (1 + 2 / 4) = 0.75
    const r = firstStep(graddrop({ seed: 11 }), 2, {
      losses: [1, 1],
      gradients: [new Array(n).fill(3), new Array(n).fill(-1)],
    });
    const positive = r.direction!.filter((d) => d === 3).length;
    const negative = r.direction!.filter((d) => d === -1).length;
    assert.equal(positive + negative, n);
    const sigma = Math.sqrt((0.75 * 0.25) / n);
    assert.ok(Math.abs(positive / n - 0.75) < 4 * sigma, `kept positive ${positive / n}`);
    assert.ok(Math.abs(r.coefficients[0]! - positive / n) < 1e-12, "task 0 keeps the positive coordinates' share");
  });

  it("absent tasks get 0 and the direction equals the present sub-problem from the same seed", () => {
    const data = Rng.seeded(5);
    const sets = Array.from({ length: 3 }, () => gradientSet("conflicting", data, 3, 32));
    const full = runSteps(
      graddrop({ seed: 1, leak: 0.1 }),
      4,
      sets.map((g) => ({ losses: [1, 1, null, 1], gradients: [g[0]!, g[1]!, null, g[2]!] })),
    );
    const sub = runSteps(
      graddrop({ seed: 1, leak: 0.1 }),
      3,
      sets.map((g) => ({ losses: ones(3), gradients: g })),
    );
    full.forEach((r, t) => {
      assert.equal(r.coefficients[2], 0);
      assert.deepEqual([r.coefficients[0], r.coefficients[1], r.coefficients[3]], sub[t]!.coefficients);
      assert.deepEqual(r.direction, sub[t]!.direction);
    });
  });

  it("rejects bad gradients, bad Gramians and bad options with a Left", () => {
    const w = graddrop();
    const s = unwrap(w.init(2));
    assertLeft(
      w.step(s, {
        losses: [1, 1],
        gradients: [
          [1, NaN],
          [1, 1],
        ],
      }),
      /invalid gradients: task 0 entry 1: expected a finite number \(got NaN\)/,
    );
    assertLeft(
      w.step(s, {
        losses: [1, 1],
        gradients: [
          [1, Infinity],
          [1, 1],
        ],
      }),
      /invalid gradients: task 0 entry 1: expected a finite number \(got Infinity\)/,
    );
    assertLeft(w.step(s, { losses: [1, 1] }), /invalid gradients: expected 2 gradients/);
    for (const bad of badGramians)
      assertLeft(w.step(s, { losses: [1, 1], gramian: bad.gramian, gradients: [[1], [1]] }), bad.message);
    assertLeft(graddrop({ leak: 1.5 }).init(2), /leak/);
    assertLeft(graddrop({ leak: -0.1 }).init(2), /leak/);
    assertLeft(graddrop({ epsilon: -1 }).init(2), /epsilon/);
    assertLeft(graddrop({ leek: 0 } as never).init(2), /leek: unknown key/);
  });

  it("round-trips its state through JSON and resumes exactly", () => {
    const data = Rng.seeded(2);
    const inputs = Array.from({ length: 6 }, () => ({
      losses: ones(3),
      gradients: gradientSet("generic", data, 3, 16),
    }));
    const w = graddrop({ seed: 3, leak: 0.2 });
    const straight = runSteps(w, 3, inputs);
    const firstPart = runSteps(w, 3, inputs.slice(0, 2));
    const decoded = w.stateCodec.decode(JSON.parse(JSON.stringify(w.stateCodec.encode(firstPart[1]!.state))));
    assert.ok(E.isRight(decoded));
    const rest = runSteps(w, 3, inputs.slice(2), decoded.right);
    assert.deepEqual(
      rest.map((r) => [r.coefficients, r.direction]),
      straight.slice(2).map((r) => [r.coefficients, r.direction]),
    );
  });
});
