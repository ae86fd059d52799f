import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as E from "fp-ts/Either";

import { gramianOf, Rng, symmetricEigen, unwrap, type GradientWeighting } from "../../src/core/index.js";
import { dualProj, DUALPROJ_METHOD, dualProjFlags } from "../../src/strategies/gradient/dualproj.js";
import { gradientWeighting } from "../../src/strategies/gradient/method.js";
import {
  checkKktResiduals,
  DUAL_CONE_DEFAULTS,
  dualConeGramian,
  dualConeProjector,
  taskAlignment,
  upgrad,
  UPGRAD_METHOD,
  upgradFlags,
} from "../../src/strategies/gradient/upgrad.js";
import * as torchjd from "./reference/gradient-dual-cone.js";

/**
 * UPGrad and DualProj (TorchJD) against the independent transcription in
 * reference/gradient-dual-cone.ts (brute-force active sets instead of quadprog), and their
 * defining properties checked directly: the direction lies in the dual cone of the present task
 * gradients, each projection satisfies the QP's KKT conditions, no conflict gives the mean.
 */

type Options = { prefVector?: number[]; normEps?: number; regEps?: number };
type Method = {
  name: string;
  make: (options?: Options) => GradientWeighting<unknown>;
  reference: (j: number[][], o?: Options) => number[];
};

const METHODS: Method[] = [
  { name: "upgrad", make: (o = {}) => upgrad(o) as GradientWeighting<unknown>, reference: torchjd.upgradWeighting },
  {
    name: "dualproj",
    make: (o = {}) => dualProj(o) as GradientWeighting<unknown>,
    reference: torchjd.dualProjWeighting,
  },
];

/** One step on a fresh state: the coefficients (every task present unless `losses` says otherwise). */
const coefficientsOf = <S>(
  w: GradientWeighting<S>,
  input: { gramian?: number[][]; gradients?: number[][]; losses?: (number | null)[] },
): number[] => {
  const k = (input.gramian ?? input.gradients)!.length;
  const state = unwrap(w.init(k));
  return [...unwrap(w.step(state, { losses: input.losses ?? new Array<number>(k).fill(1), ...input })).coefficients];
};

/** The value of a Right whose Left is a plain message (the QP helpers'). */
const rightOf = <A>(e: E.Either<string, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left);
  return e.right;
};

const direction = (gradients: number[][], c: readonly number[]): number[] =>
  gradients[0]!.map((_, p) => gradients.reduce((s, g, k) => s + c[k]! * g[p]!, 0));
const normInf = (v: readonly number[]): number => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const matVec = (a: number[][], v: readonly number[]): number[] =>
  a.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
const trace = (g: number[][]): number => g.reduce((s, row, i) => s + row[i]!, 0);

// ---------------------------------------------------------------- seeded gradient sets

/** A named family of gradient sets (rows = task gradients). */
const gaussian = (rng: Rng, m: number, n: number, scale = 1): number[][] =>
  Array.from({ length: m }, () => Array.from({ length: n }, () => scale * rng.normal()));

const FAMILIES: Record<string, (rng: Rng) => number[][]> = {
  random: (rng) => gaussian(rng, 2 + rng.int(6), 2 + rng.int(10)),
  "rank-deficient (m > n)": (rng) => gaussian(rng, 4 + rng.int(4), 1 + rng.int(3)),
  duplicates: (rng) => {
    const g = gaussian(rng, 3 + rng.int(4), 3 + rng.int(6));
    g[1] = [...g[0]!];
    g[g.length - 1] = [...g[0]!];
    return g;
  },
  "collinear, opposite": (rng) => {
    const g = gaussian(rng, 3 + rng.int(4), 2 + rng.int(6));
    g[1] = g[0]!.map((x) => -2.5 * x);
    g[2] = g[0]!.map((x) => 0.3 * x);
    return g;
  },
  "strongly conflicting": (rng) => {
    // m unit vectors with pairwise cosine −1/(m−1) (a centred simplex), jittered and rescaled.
    const m = 3 + rng.int(5);
    const n = m + rng.int(4);
    return Array.from({ length: m }, (_, i) =>
      Array.from(
        { length: n },
        (__, p) => ((p < m ? (p === i ? 1 : 0) - 1 / m : 0) + 0.05 * rng.normal()) * Math.exp(rng.normal()),
      ),
    );
  },
  "very different norms": (rng) => {
    const g = gaussian(rng, 3 + rng.int(4), 2 + rng.int(8));
    g[0] = g[0]!.map((x) => 1e3 * x);
    g[1] = g[1]!.map((x) => 1e-3 * x);
    return g;
  },
  "tiny (trace < normEps)": (rng) => gaussian(rng, 2 + rng.int(4), 2 + rng.int(5), 1e-4),
};

const OPTION_SETS: Record<string, (rng: Rng, m: number) => Options> = {
  defaults: () => ({}),
  "pref vector": (rng, m) => ({ prefVector: Array.from({ length: m }, () => rng.uniform(0.1, 2)) }),
  "pref vector with negatives": (rng, m) => ({ prefVector: Array.from({ length: m }, () => rng.uniform(-1, 2)) }),
  "regEps 1e-8, normEps 0": () => ({ regEps: 1e-8, normEps: 0 }),
};

/** ‖d − d_ref‖∞ / Σ_k |c_k| ‖g_k‖∞, and ‖c − c_ref‖∞ / ‖c_ref‖∞ / cond(H). */
const DIRECTION_TOLERANCE = 1e-13;
const COEFFICIENT_TOLERANCE = 1e-15;

describe("UPGrad and DualProj against the TorchJD transcription", () => {
  for (const method of METHODS) {
    it(`${method.name}: direction Σ c_k g_k equals TorchJD's on seeded gradient sets`, () => {
      let worstDirection = 0;
      let worstCoefficient = 0; // relative, divided by cond(H)
      let cases = 0;
      const rng = Rng.seeded(20240617);
      for (const [family, make] of Object.entries(FAMILIES)) {
        for (const [optionName, optionsOf] of Object.entries(OPTION_SETS)) {
          for (let trial = 0; trial < 6; trial++) {
            const gradients = make(rng);
            const options = optionsOf(rng, gradients.length);
            const ours = coefficientsOf(method.make(options), { gradients });
            const gramian = torchjd.computeGramian(gradients);
            const reference = method.reference(gramian, options);
            const d = direction(gradients, ours);
            const dRef = direction(gradients, reference);
            // Scale: the size of the terms combined, so a direction near 0 is not divided by ~0.
            const scale = reference.reduce((s, c, k) => s + Math.abs(c) * normInf(gradients[k]!), 0) || 1;
            const dDiff = normInf(d.map((x, p) => x - dRef[p]!)) / scale;
            // The coefficients themselves are as well determined as H is conditioned (regEps 1e-8 on a
            // rank-deficient G: cond ~1e8), the direction is not: compare c relative to cond(H).
            const { values } = symmetricEigen(regularisedOf(gramian, options));
            const condition = values[values.length - 1]! / values[0]!;
            const cDiff = normInf(ours.map((x, k) => x - reference[k]!)) / (normInf(reference) || 1) / condition;
            const label = `${method.name} ${family} / ${optionName} #${trial}: direction ${dDiff}, coefficients ${cDiff} × cond ${condition}`;
            assert.ok(
              dDiff <= DIRECTION_TOLERANCE && cDiff <= COEFFICIENT_TOLERANCE,
              `${label}\n ours ${ours}\n ref  ${reference}`,
            );
            worstDirection = Math.max(worstDirection, dDiff);
            worstCoefficient = Math.max(worstCoefficient, cDiff);
            cases++;
          }
        }
      }
      console.log(
        `${method.name}: ${cases} gradient sets, max relative difference vs the TorchJD transcription: direction ${worstDirection.toExponential(2)} ` +
          `(tolerance ${DIRECTION_TOLERANCE}), coefficients ${worstCoefficient.toExponential(2)} × cond(H) (tolerance ${COEFFICIENT_TOLERANCE} × cond(H))`,
      );
    });
  }

  it("the transcription itself: TorchJD's documented UPGrad example", () => {
    // The docstring of src/torchjd/aggregation/__init__.py (a doctest): for J = [[-4, 1, 1], [6, 1, 1]],
    // UPGrad()(J) = [0.2929, 1.9004, 1.9004] and UPGradWeighting()(J Jᵀ) = [1.1109, 0.7894] (printed to 4 places).
    const j = [
      [-4, 1, 1],
      [6, 1, 1],
    ];
    const d = torchjd.upgradAggregate(j);
    [0.2929, 1.9004, 1.9004].forEach((x, p) => assert.ok(Math.abs(d[p]! - x) < 5e-5, `transcription ${d}`));
    const c = coefficientsOf(upgrad(), { gradients: j });
    [1.1109, 0.7894].forEach((x, k) => assert.ok(Math.abs(c[k]! - x) < 5e-5, `ours ${c}`));
    direction(j, c).forEach((x, p) => assert.ok(Math.abs(x - d[p]!) < 1e-12, `ours ${c}`));
  });
});

// ---------------------------------------------------------------- defining properties

/** A random Jacobian with structure: Gaussian, with a duplicated or negated row, or m > n. */
const jacobianArb = fc
  .record({
    m: fc.integer({ min: 1, max: 7 }),
    n: fc.integer({ min: 1, max: 8 }),
    seed: fc.integer(),
    twist: fc.constantFrom("none", "duplicate", "negate", "scale"),
  })
  .map(({ m, n, seed, twist }) => {
    const rng = Rng.seeded(seed);
    const j = Array.from({ length: m }, () =>
      Array.from({ length: n }, () => rng.normal() * Math.exp(2 * rng.normal())),
    );
    if (m >= 2 && twist === "duplicate") j[m - 1] = [...j[0]!];
    if (m >= 2 && twist === "negate") j[m - 1] = j[0]!.map((x) => -3 * x);
    if (twist === "scale") j[0] = j[0]!.map((x) => 1e4 * x);
    return j;
  });

/** TorchJD's H for the QP, computed by the transcription (not by src/). */
const regularisedOf = (g: number[][], o: Options = {}): number[][] =>
  torchjd.regularize(torchjd.normalize(g, o.normEps ?? 1e-4), o.regEps ?? 1e-4);

/** Asserts the KKT conditions of min vᵀHv s.t. v >= u: v >= u, Hv >= 0, (v − u)ᵢ (Hv)ᵢ = 0. Returns the worst relative residual. */
const assertKkt = (h: number[][], u: readonly number[], v: readonly number[], label: string): number => {
  const hv = matVec(h, v);
  const scale = Math.max(normInf(u), normInf(v), 1e-300);
  const hScale = Math.max(...h.map((row) => row.reduce((s, x) => s + Math.abs(x), 0)));
  let worst = 0;
  for (let i = 0; i < u.length; i++) {
    const primal = (u[i]! - v[i]!) / scale;
    const dual = -hv[i]! / (hScale * scale);
    const complementarity = Math.abs((v[i]! - u[i]!) * hv[i]!) / (hScale * scale * scale);
    assert.ok(
      primal <= 1e-12 && dual <= 1e-12 && complementarity <= 1e-12,
      `${label}: KKT at ${i}: v−u ${-primal}, Hv ${-dual}, product ${complementarity}`,
    );
    worst = Math.max(worst, primal, dual, complementarity);
  }
  return worst;
};

describe("defining properties on random Gramians", () => {
  let worstKkt = 0;

  it("UPGrad: c = Σᵢ v(uᵢ eᵢ), each v solving its QP (KKT), so the direction lies in the dual cone", () => {
    fc.assert(
      fc.property(jacobianArb, (j) => {
        const g = gramianOf(j);
        const m = g.length;
        const c = coefficientsOf(upgrad(), { gramian: g });
        const h = regularisedOf(g);
        const project = rightOf(dualConeProjector(h));
        const sum = new Array<number>(m).fill(0);
        for (let i = 0; i < m; i++) {
          const u = new Array<number>(m).fill(0);
          u[i] = 1 / m;
          const v = project(u).weights;
          worstKkt = Math.max(worstKkt, assertKkt(h, u, v, `projection of e_${i}/m`));
          v.forEach((x, k) => (sum[k]! += x));
        }
        c.forEach((x, k) => assert.ok(Math.abs(x - sum[k]!) <= 1e-12 * normInf(sum), `c ${c} vs Σ projections ${sum}`));
        // Non-negative coefficients summing to at least 1 (each projection keeps v >= u_i e_i).
        assert.ok(c.every((x) => x >= -1e-15) && c.reduce((a, b) => a + b, 0) >= 1 - 1e-12, `c ${c}`);
        assertDualCone(g, c, h, "upgrad");
      }),
      { numRuns: 150, seed: 11 },
    );
  });

  it("DualProj: c = v(u) solves the QP (KKT), so the direction lies in the dual cone", () => {
    fc.assert(
      fc.property(jacobianArb, fc.boolean(), (j, withPreference) => {
        const g = gramianOf(j);
        const m = g.length;
        const rng = Rng.seeded(m * 7919 + j[0]!.length);
        const prefVector = withPreference ? Array.from({ length: m }, () => rng.uniform(0.1, 3)) : undefined;
        const c = coefficientsOf(dualProj(prefVector === undefined ? {} : { prefVector }), { gramian: g });
        const h = regularisedOf(g);
        const u = prefVector ?? new Array<number>(m).fill(1 / m);
        worstKkt = Math.max(worstKkt, assertKkt(h, u, c, "dualproj"));
        assertDualCone(g, c, h, "dualproj");
      }),
      { numRuns: 150, seed: 12 },
    );
  });

  it("no conflict (every G_ij >= 0): both give the preference vector itself", () => {
    fc.assert(
      fc.property(jacobianArb, fc.constantFrom(...METHODS), (j, method) => {
        const nonNegative = j.map((row) => row.map(Math.abs)); // non-negative entries: every g_i · g_j >= 0
        const m = j.length;
        const c = coefficientsOf(method.make(), { gradients: nonNegative });
        c.forEach((x) => assert.ok(Math.abs(x - 1 / m) <= 1e-13, `${method.name}: ${c}`));
      }),
      { numRuns: 100, seed: 13 },
    );
  });

  it("regEps 0 on full-rank Gramians: the exact dual cone, g_k · d >= 0", () => {
    const rng = Rng.seeded(5);
    for (let trial = 0; trial < 200; trial++) {
      const m = 2 + rng.int(5);
      const j = gaussian(rng, m, m + rng.int(4));
      const g = gramianOf(j);
      for (const method of METHODS) {
        const c = coefficientsOf(method.make({ regEps: 0 }), { gramian: g });
        const alignment = matVec(g, c);
        const tolerance = 1e-12 * trace(g) * c.reduce((s, x) => s + Math.abs(x), 0);
        alignment.forEach((a, k) => assert.ok(a >= -tolerance, `${method.name} #${trial}: g_${k}·d = ${a}`));
      }
    }
  });

  it("scale: the coefficients do not change when every gradient is scaled (trace >= normEps)", () => {
    fc.assert(
      fc.property(
        jacobianArb,
        fc.constantFrom(...METHODS),
        fc.double({ min: -6, max: 6, noNaN: true }),
        (j, method, exponent) => {
          const g = gramianOf(j);
          const s = 10 ** exponent;
          fc.pre(trace(g) >= 1e-2 && trace(g) * s * s >= 1e-2);
          const c = coefficientsOf(method.make(), { gramian: g });
          const scaled = coefficientsOf(method.make(), { gramian: g.map((row) => row.map((x) => x * s * s)) });
          c.forEach((x, k) =>
            assert.ok(Math.abs(x - scaled[k]!) <= 1e-10 * normInf(c), `${method.name}: ${c} vs ${scaled}`),
          );
        },
      ),
      { numRuns: 100, seed: 14 },
    );
  });

  it("reports the KKT residual reached", () => {
    console.log(`dual-cone QP: worst relative KKT residual over the property runs ${worstKkt.toExponential(2)}`);
    assert.ok(worstKkt <= 1e-13);
  });
});

/**
 * The dual cone: (H c)_k >= 0 exactly for the regularised H the QP sees; for the Gramian itself,
 * g_k · d = (G c)_k >= −regEps · trace(G) · c_k (the regularisation's share), when trace(G) >= normEps.
 */
const assertDualCone = (g: number[][], c: number[], h: number[][], label: string): void => {
  const hc = matVec(h, c);
  const hScale = Math.max(...h.map((row) => row.reduce((s, x) => s + Math.abs(x), 0))) * normInf(c);
  hc.forEach((x, k) => assert.ok(x >= -1e-12 * hScale, `${label}: (Hc)_${k} = ${x}`));
  const tr = trace(g);
  if (tr < 1e-4) return; // TorchJD zeroes the Gramian: no cone to lie in
  const gc = matVec(g, c);
  gc.forEach((x, k) =>
    assert.ok(
      x >= -1e-4 * tr * Math.abs(c[k]!) - 1e-12 * tr * normInf(c),
      `${label}: g_${k}·d = ${x} (trace ${tr}, c_k ${c[k]})`,
    ),
  );
  // The alignment diagnostic is the same product.
  taskAlignment(g, c).forEach((x, k) => assert.ok(Math.abs(x - gc[k]!) <= 1e-12 * tr * normInf(c)));
};

// ---------------------------------------------------------------- absent tasks

describe("absent tasks", () => {
  for (const method of METHODS) {
    it(`${method.name}: coefficient exactly 0, the others those of the present sub-problem`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 2, max: 7 }), fc.integer(), fc.boolean(), (k, seed, withPreference) => {
          const rng = Rng.seeded(seed);
          const j = gaussian(rng, k, 3 + rng.int(4));
          const present = Array.from({ length: k }, (_, i) => i === 0 || rng.uniform() < 0.6);
          const gramian = gramianOf(j);
          // Absent rows and columns hold garbage (finite): they must be ignored.
          present.forEach((p, i) => {
            if (p) return;
            for (let x = 0; x < k; x++) {
              gramian[i]![x] = 1e6 * rng.normal();
              gramian[x]![i] = -1e6 * rng.normal();
            }
          });
          const prefVector = withPreference ? Array.from({ length: k }, () => rng.uniform(0.1, 2)) : undefined;
          const options = prefVector === undefined ? {} : { prefVector };
          const losses = present.map((p) => (p ? 1 : null));
          const full = coefficientsOf(method.make(options), { gramian, losses });
          const index = present.flatMap((p, i) => (p ? [i] : []));
          const subGramian = index.map((a) => index.map((b) => gramian[a]![b]!));
          const subOptions = prefVector === undefined ? {} : { prefVector: index.map((i) => prefVector[i]!) };
          const sub = coefficientsOf(method.make(subOptions), { gramian: subGramian });
          present.forEach((p, i) => {
            if (!p) assert.equal(full[i], 0);
          });
          assert.deepEqual(
            index.map((i) => full[i]),
            sub,
          );
        }),
        { numRuns: 100, seed: 21 },
      );
    });
  }
});

// ---------------------------------------------------------------- errors

const leftMessage = (r: E.Either<{ message: string }, unknown>): string => {
  assert.ok(E.isLeft(r), "expected Left");
  return r.left.message;
};

describe("errors are values", () => {
  for (const method of METHODS) {
    it(`${method.name}: NaN, Infinity, non-PSD, non-symmetric Gramians → Left`, () => {
      const w = method.make();
      const state = unwrap(w.init(2));
      const losses = [1, 1];
      assert.match(
        leftMessage(
          w.step(state, {
            losses,
            gramian: [
              [1, NaN],
              [NaN, 1],
            ],
          }),
        ),
        /invalid Gramian: entry \[0\]\[1\]: expected a finite number \(got NaN\)/,
      );
      assert.match(
        leftMessage(
          w.step(state, {
            losses,
            gramian: [
              [Infinity, 0],
              [0, 1],
            ],
          }),
        ),
        /expected a finite number \(got Infinity\)/,
      );
      assert.match(
        leftMessage(
          w.step(state, {
            losses,
            gramian: [
              [1, 2],
              [2, 1],
            ],
          }),
        ),
        /not positive semi-definite: smallest eigenvalue -(1|0\.9999)/,
      );
      assert.match(
        leftMessage(
          w.step(state, {
            losses,
            gramian: [
              [1, 0.5],
              [0, 1],
            ],
          }),
        ),
        /not symmetric/,
      );
      assert.match(
        leftMessage(
          w.step(state, {
            losses: [1, NaN],
            gramian: [
              [1, 0],
              [0, 1],
            ],
          }),
        ),
        /task 1: invalid loss NaN/,
      );
      assert.match(leftMessage(w.step(state, { losses })), /needs the Gramian/);
    });

    it(`${method.name}: regEps 0 with a singular Gramian → Left (quadprog needs positive definite)`, () => {
      const w = method.make({ regEps: 0 });
      const state = unwrap(w.init(2));
      const message = leftMessage(
        w.step(state, {
          losses: [1, 1],
          gramian: [
            [1, 1],
            [1, 1],
          ],
        }),
      );
      assert.match(message, /not positive definite.*raise regEps/);
    });

    it(`${method.name}: bad options → Left at init, with the key named`, () => {
      assert.match(leftMessage(method.make({ regEps: -1 }).init(2)), /regEps/);
      assert.match(leftMessage(method.make({ normEps: NaN }).init(2)), /normEps/);
      assert.match(leftMessage(method.make({ prefVector: [1, Infinity] }).init(2)), /prefVector/);
      assert.match(
        leftMessage(method.make({ prefVector: [1, 2] }).init(3)),
        /prefVector: expected 3 entries, one per task \(got 2\)/,
      );
      assert.match(leftMessage(method.make({ reg_eps: 1 } as Options).init(2)), /reg_eps: unknown key/);
      assert.match(leftMessage(method.make({ gramianTolerance: 0 } as Options).init(2)), /gramianTolerance/);
    });
  }
});

// ---------------------------------------------------------------- state

describe("state", () => {
  for (const method of METHODS) {
    it(`${method.name}: JSON round trip through stateCodec, and the same next step`, () => {
      const w = method.make({ prefVector: [0.2, 0.3, 0.5], regEps: 1e-6 });
      const j = gaussian(Rng.seeded(3), 3, 4);
      const input = { losses: [1, 2, 3], gramian: gramianOf(j) };
      const first = unwrap(w.step(unwrap(w.init(3)), input));
      const json = JSON.parse(JSON.stringify(w.stateCodec.encode(first.state))) as unknown;
      const decoded = w.stateCodec.decode(json);
      assert.ok(E.isRight(decoded));
      assert.deepEqual(decoded.right, first.state);
      assert.deepEqual(
        unwrap(w.step(decoded.right, input)).coefficients,
        unwrap(w.step(first.state, input)).coefficients,
      );
      // A tampered checkpoint is rejected at decode, or (prefVector's length) at the step.
      const bad = json as { config: { regEps: number; prefVector: number[] } };
      assert.ok(E.isLeft(w.stateCodec.decode({ ...bad, config: { ...bad.config, regEps: -1 } })));
      const short = w.stateCodec.decode({ ...bad, config: { ...bad.config, prefVector: [1, 2] } });
      if (E.isRight(short))
        assert.match(leftMessage(w.step(short.right, input)), /config.prefVector: expected 3 entries/);
    });
  }
});

// ---------------------------------------------------------------- the examples in the doc comments and pages

describe("documented examples", () => {
  it("dualConeGramian, dualConeProjector, upgrad, dualProj, flags, defaults", () => {
    assert.deepEqual(
      dualConeGramian(
        [
          [3, 1],
          [1, 1],
        ],
        1e-4,
        0.5,
      ),
      [
        [1.25, 0.25],
        [0.25, 0.75],
      ],
    );
    assert.deepEqual(
      dualConeGramian(
        [
          [1e-5, 0],
          [0, 1e-5],
        ],
        1e-4,
        0.5,
      ),
      [
        [0.5, 0],
        [0, 0.5],
      ],
    );
    const project = rightOf(
      dualConeProjector([
        [1, -0.5],
        [-0.5, 1],
      ]),
    );
    assert.deepEqual(project([1, 0]).weights, [1, 0.5]);
    const up = coefficientsOf(upgrad(), {
      gramian: [
        [1, -0.5],
        [-0.5, 1],
      ],
    });
    up.forEach((x) => assert.ok(Math.abs(x - 0.75) < 1e-4));
    assert.deepEqual(
      coefficientsOf(dualProj(), {
        gramian: [
          [1, -0.75],
          [-0.75, 1],
        ],
      }),
      [0.5, 0.5],
    );
    assert.deepEqual(upgradFlags["reg-eps"], { key: "regEps", kind: "number" });
    assert.deepEqual(dualProjFlags, upgradFlags);
    assert.equal(DUAL_CONE_DEFAULTS.normEps, 1e-4);
    assert.equal(gradientWeighting(UPGRAD_METHOD, {}).name, "upgrad");
    assert.equal(gradientWeighting(DUALPROJ_METHOD, {}).name, "dualproj");
    assert.match(leftMessage(checkKktResiduals([1e-16, 1e-3])), /projection 1: KKT residual 0.001/);
    assert.match(leftMessage(checkKktResiduals([0, NaN])), /projection 1: KKT residual NaN/);
    assert.ok(E.isRight(checkKktResiduals([0, 1e-15])));
    assert.equal(upgrad().coefficientsOnSimplex, false);
    assert.equal(dualProj().needs, "gramian");
  });
});
