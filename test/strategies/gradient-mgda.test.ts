import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as E from "fp-ts/Either";

import { gramianOf, type GradientWeighting } from "../../src/core/gradient-weighting.js";
import { Rng, unwrap } from "../../src/core/index.js";
import { alignedMtl, alignedMtlFlags } from "../../src/strategies/gradient/aligned-mtl.js";
import { imtlG, imtlGFlags } from "../../src/strategies/gradient/imtl-g.js";
import { mgda, mgdaFlags, minNormPoint } from "../../src/strategies/gradient/mgda.js";
import {
  bruteForceMinNorm,
  combine,
  gramOfRows,
  jacobiEigen,
  libmtlAlignedMtl,
  libmtlFindMinNormElement,
  libmtlGradientNormalizers,
  libmtlImtl,
  libmtlMgda,
  torchjdAlignedMtlWeighting,
  torchjdImtlgWeighting,
  torchjdMgdaWeighting,
  type Matrix,
  type Vector,
} from "./reference/gradient-mgda.js";

/**
 * The `mgda` group (MGDA, IMTL-G, Aligned-MTL) against independent float64 transcriptions of
 * LibMTL and TorchJD (test/strategies/reference/gradient-mgda.ts) on seeded gradient sets, and
 * each method's defining property on random Gramians.
 *
 * Differences are measured on the update direction d = Σ c_k g_k, relative to the size of the
 * terms summed, Σ_k |c_k| ‖g_k‖∞ of the reference (so a zero direction, MGDA's answer when 0 is
 * in the hull, is measured against the gradients that cancel), and on the coefficients, relative
 * to their largest magnitude, where they are unique (full-rank gradient sets).
 */

type Kind = "random" | "duplicate" | "collinear" | "low-rank" | "conflicting" | "opposed" | "scaled";
interface GradientSet {
  readonly kind: Kind;
  readonly grads: Vector[];
  readonly losses: number[];
}

const normalRow = (rng: Rng, p: number): Vector => Array.from({ length: p }, () => rng.normal());

/** Seeded gradient sets of every kind: full rank, rank-deficient (duplicates, collinear, fewer dimensions than tasks) and conflicting. */
const gradientSets = (seed: number, perKind: number): GradientSet[] => {
  const rng = Rng.seeded(seed);
  const sets: GradientSet[] = [];
  const kinds: Kind[] = ["random", "duplicate", "collinear", "low-rank", "conflicting", "opposed", "scaled"];
  for (const kind of kinds) {
    for (let s = 0; s < perKind; s++) {
      const k = 2 + rng.int(5); // 2..6 tasks
      const p = kind === "low-rank" ? 1 + rng.int(k - 1) : k + rng.int(6);
      let grads = Array.from({ length: k }, () => normalRow(rng, p));
      if (kind === "duplicate" && k >= 2) grads[k - 1] = [...grads[rng.int(k - 1)]!];
      if (kind === "collinear" && k >= 2) {
        const factor = (rng.uniform() < 0.5 ? -1 : 1) * (0.3 + 2.7 * rng.uniform());
        grads[k - 1] = grads[rng.int(k - 1)]!.map((x) => factor * x);
      }
      if (kind === "conflicting") {
        // Every other task nearly opposes task 0: negative cosines throughout.
        const base = grads[0]!;
        grads = grads.map((g, i) => (i === 0 ? g : base.map((x, j) => -(0.5 + rng.uniform()) * x + 0.2 * g[j]!)));
      }
      if (kind === "opposed") {
        // K unit-ish vectors spread around a circle in a random plane: 0 lies inside their hull.
        const u = normalRow(rng, p);
        const w = normalRow(rng, p);
        grads = Array.from({ length: k }, (_, i) => {
          const angle = (2 * Math.PI * i) / k + 0.1 * rng.uniform();
          const radius = 0.5 + rng.uniform();
          return u.map((x, j) => radius * (Math.cos(angle) * x + Math.sin(angle) * w[j]!) + 0.01 * rng.normal());
        });
      }
      if (kind === "scaled") grads = grads.map((g, i) => g.map((x) => x * 10 ** (3 * (i % 3) - 3)));
      const losses = grads.map(() => 0.1 + 2 * rng.uniform());
      sets.push({ kind, grads, losses });
    }
  }
  return sets;
};

const SETS = gradientSets(20240611, 12);

const maxAbs = (v: readonly number[]): number => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** max |a − b| / Σ_k |c_k| ‖g_k‖∞: a direction difference relative to the terms summed. */
const directionDifference = (
  a: readonly number[],
  b: readonly number[],
  coefficients: readonly number[],
  grads: readonly Vector[],
): number => {
  const scale = coefficients.reduce((s, c, k) => s + Math.abs(c) * maxAbs(grads[k]!), 0);
  const diff = maxAbs(a.map((x, i) => x - b[i]!));
  return scale > 0 ? diff / scale : diff;
};

const relativeDifference = (a: readonly number[], b: readonly number[]): number => {
  const scale = maxAbs(b);
  const diff = maxAbs(a.map((x, i) => x - b[i]!));
  return scale > 0 ? diff / scale : diff;
};

/** The smallest eigenvalue over the largest of a Gramian (0 for a rank-deficient one, up to rounding). */
const conditionRatio = (gramian: Matrix): number => {
  const { values } = jacobiEigen(gramian);
  const largest = Math.max(...values);
  return largest > 0 ? Math.max(values[0]!, 0) / largest : 0;
};

const stepOnce = <S>(w: GradientWeighting<S>, losses: readonly (number | null)[], grads: readonly (Vector | null)[]) =>
  w.step(unwrap(w.init(losses.length)), { losses, gramian: gramianOf(grads) });

const coefficientsOf = <S>(w: GradientWeighting<S>, set: GradientSet): number[] => [
  ...unwrap(stepOnce(w, set.losses, set.grads)).coefficients,
];

const report = (label: string, value: number): void => console.log(`${label}: ${value.toExponential(2)}`);

/** Random gradient sets for fast-check: K rows of P bounded doubles (|x| ≥ 1e-100 or 0), optionally a positive or negative multiple of a row appended. */
const arbitraryGradients = (options: { maxTasks: number; positiveCopies?: boolean }) =>
  fc
    .record({
      k: fc.integer({ min: 1, max: options.maxTasks }),
      p: fc.integer({ min: 1, max: 7 }),
      seedValues: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 56, maxLength: 56 }),
      copy: fc.option(
        fc.record({ of: fc.nat(), factor: fc.double({ min: 0.1, max: 3, noNaN: true }), negative: fc.boolean() }),
        { nil: null },
      ),
    })
    .map(({ k, p, seedValues, copy }) => {
      // Entries below 1e-100 become 0: their products would be subnormal, and a Gramian with a few
      // bits of precision is not PSD to any useful tolerance (float32 gradients never get there).
      const entry = (x: number): number => (Math.abs(x) < 1e-100 ? 0 : x);
      const grads = Array.from({ length: k }, (_, i) =>
        Array.from({ length: p }, (__, j) => entry(seedValues[(i * p + j) % seedValues.length]!)),
      );
      if (copy !== null) {
        const sign = copy.negative && options.positiveCopies !== true ? -1 : 1;
        grads.push(grads[copy.of % k]!.map((x) => sign * copy.factor * x));
      }
      return grads;
    });

const matVec = (m: Matrix, v: readonly number[]): Vector => m.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));

// ---------------------------------------------------------------------------------------------

describe("mgda: LibMTL's MGDA", () => {
  const normalisations = ["none", "l2", "loss", "loss+"] as const;

  it("referenceSolver: true equals the transcription of LibMTL's MinNormSolver on the same Gramian (≤ 1e-12)", () => {
    // The solver alone: both sides see the Gramian of the gradients LibMTL normalises, formed the same way.
    let worst = 0;
    const w = mgda({ referenceSolver: true });
    for (const gn of normalisations) {
      for (const set of SETS) {
        const normalised = libmtlGradientNormalizers(set.grads, set.losses, gn);
        const ours = unwrap(
          w.step(unwrap(w.init(normalised.length)), { losses: set.losses, gramian: gramOfRows(normalised) }),
        ).coefficients;
        const reference = libmtlFindMinNormElement(normalised);
        const difference = relativeDifference(ours, reference);
        worst = Math.max(worst, difference);
        assert.ok(difference <= 1e-12, `${gn} ${set.kind}: weights differ by ${difference}`);
      }
    }
    report(
      "mgda --reference-solver vs LibMTL MinNormSolver transcription (same Gramian), max relative weight difference",
      worst,
    );
  });

  it("referenceSolver: true with LibMTL's normalisations equals MGDA.backward's update (≤ 1e-9 without ties)", () => {
    // Here the normalisation happens on the Gramian (G_ij / n_i n_j) and in the transcription on
    // the gradients, so the two Gramians differ by rounding, which up to 250 iterations amplify. Where normalised gradients tie
    // (duplicates, collinear pairs: equal pair costs) or the weights are not unique (fewer
    // dimensions than tasks; with applyTo raw, other weights are another raw update), rounding
    // may pick another pair or path: such updates are reported, not asserted.
    let worst = 0;
    let worstTied = 0;
    for (const gn of normalisations) {
      for (const applyTo of ["normalised", "raw"] as const) {
        const w = mgda({ gradientNormalization: gn, applyTo, referenceSolver: true });
        for (const set of SETS) {
          const ours = coefficientsOf(w, set);
          const reference = libmtlMgda(set.grads, set.losses, gn, applyTo === "raw");
          const difference = directionDifference(
            combine(ours, set.grads),
            reference.update,
            reference.sol,
            applyTo === "raw" ? set.grads : libmtlGradientNormalizers(set.grads, set.losses, gn),
          );
          const tied =
            gn !== "none" && (set.kind === "duplicate" || set.kind === "collinear" || set.kind === "low-rank");
          if (tied) worstTied = Math.max(worstTied, difference);
          else {
            worst = Math.max(worst, difference);
            assert.ok(difference <= 1e-9, `${gn} ${applyTo} ${set.kind}: update differs by ${difference}`);
          }
        }
      }
    }
    report(
      "mgda --reference-solver (every normalisation, apply-to) vs LibMTL MGDA.backward, max relative update difference",
      worst,
    );
    report("  the same on tied normalised gradients (rounding picks the path)", worstTied);
  });

  it("the default (exact) solver equals the brute-force min-norm point, every normalisation (≤ 1e-12), and never loses to LibMTL's solver", () => {
    let worst = 0;
    let worstAgainstLibmtl = 0;
    let worstAgainstTorchjd = 0;
    for (const gn of normalisations) {
      const w = mgda({ gradientNormalization: gn });
      for (const set of SETS) {
        const ours = coefficientsOf(w, set);
        const d = combine(ours, set.grads);
        // The normalised gradients' hull, as LibMTL forms it.
        const normalisers = set.grads.map((g, i) => {
          const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
          return gn === "l2" ? norm : gn === "loss" ? set.losses[i]! : gn === "loss+" ? set.losses[i]! * norm : 1;
        });
        const normalised = set.grads.map((g, i) => g.map((x) => x / normalisers[i]!));
        const exact = bruteForceMinNorm(normalised);
        const weights = ours.map((c, i) => c * normalisers[i]!);
        const difference = directionDifference(combine(weights, normalised), exact.point, exact.weights, normalised);
        worst = Math.max(worst, difference);
        assert.ok(difference <= 1e-12, `${gn} ${set.kind}: differs from the exact min-norm point by ${difference}`);
        const libmtl = libmtlMgda(set.grads, set.losses, gn);
        const ourNorm = combine(weights, normalised).reduce((s, x) => s + x * x, 0);
        const libmtlNorm = combine(libmtl.sol, normalised).reduce((s, x) => s + x * x, 0);
        const scale = Math.max(...normalised.map((g) => g.reduce((s, x) => s + x * x, 0)));
        assert.ok(ourNorm <= libmtlNorm + 1e-14 * scale, `${gn} ${set.kind}: ‖d‖² ${ourNorm} > LibMTL's ${libmtlNorm}`);
        worstAgainstLibmtl = Math.max(worstAgainstLibmtl, directionDifference(d, libmtl.update, ours, set.grads));
        if (gn === "none") {
          const torchjd = torchjdMgdaWeighting(gramOfRows(set.grads));
          worstAgainstTorchjd = Math.max(
            worstAgainstTorchjd,
            directionDifference(d, combine(torchjd, set.grads), torchjd, set.grads),
          );
        }
      }
    }
    report("mgda (exact) vs brute-force min-norm point, max relative direction difference", worst);
    report(
      "mgda (exact) vs LibMTL's MinNormSolver (its own stopping error), max relative direction difference",
      worstAgainstLibmtl,
    );
    report("mgda (exact) vs TorchJD's MGDA Frank-Wolfe (epsilon 1e-3, 100 iterations)", worstAgainstTorchjd);
  });

  it("LibMTL's 2-task closed form clips to 0.999 / 0.001 where the exact point is a vertex", () => {
    const grads = [
      [1, 0],
      [2, 1],
    ]; // g_0 is the closest point of the segment
    const exact = coefficientsOf(mgda(), { kind: "random", grads, losses: [1, 1] });
    const reference = coefficientsOf(mgda({ referenceSolver: true }), { kind: "random", grads, losses: [1, 1] });
    assert.deepEqual(exact, [1, 0]);
    assert.deepEqual(reference, libmtlMgda(grads, [1, 1], "none").sol);
    assert.equal(reference[0], 0.999);
  });

  it("defining property: the KKT conditions of min_{w ∈ simplex} wᵀGw on random Gramians", () => {
    let worst = 0;
    fc.assert(
      fc.property(arbitraryGradients({ maxTasks: 6 }), fc.constantFrom("none", "l2"), (grads, gn) => {
        const k = grads.length;
        const gramian = gramianOf(grads);
        const out = mgda({ gradientNormalization: gn }).step(unwrap(mgda({ gradientNormalization: gn }).init(k)), {
          losses: grads.map(() => 1),
          gramian,
        });
        assert.ok(E.isRight(out), E.isLeft(out) ? out.left.message : "");
        // w_k = c_k n_k are the weights on the normalised Gramian Ĝ = G / (n nᵀ).
        const normalisers = out.right.diagnostics["normaliser"] as number[];
        const w = out.right.coefficients.map((c, i) => c * normalisers[i]!);
        const g = gramian.map((row, i) => row.map((x, j) => x / (normalisers[i]! * normalisers[j]!)));
        const scale = Math.max(...g.map((row, i) => row[i]!), Number.MIN_VALUE);
        const gw = matVec(g, w);
        const objective = w.reduce((s, x, i) => s + x * gw[i]!, 0);
        assert.ok(
          w.every((x) => x >= 0),
          `negative weight ${w}`,
        );
        assert.ok(Math.abs(w.reduce((s, x) => s + x, 0) - 1) <= 1e-14, "weights do not sum to 1");
        for (let i = 0; i < k; i++) {
          const slack = (gw[i]! - objective) / scale;
          worst = Math.max(worst, w[i]! > 0 ? Math.abs(slack) : -slack);
          assert.ok(slack >= -1e-13, `(Gw)_${i} < wᵀGw by ${-slack} × max G_ii`);
          if (w[i]! > 0) assert.ok(Math.abs(slack) <= 1e-13, `active task ${i}: (Gw)_i − wᵀGw = ${slack} × max G_ii`);
        }
      }),
      { numRuns: 400, seed: 7 },
    );
    report("mgda KKT residual on random Gramians, relative to max G_ii", worst);
  });

  it("a zero gradient under l2 normalisation stays zero (LibMTL divides by 0): MGDA stops, with finite coefficients", () => {
    const out = unwrap(
      stepOnce(
        mgda({ gradientNormalization: "l2" }),
        [1, 1, 1],
        [
          [1, 0],
          [0, 0],
          [0, 2],
        ],
      ),
    );
    assert.deepEqual([...out.coefficients], [0, 1, 0]);
    assert.deepEqual(out.diagnostics["normaliser"], [1, 1, 2]);
  });

  it("minNormPoint on a hand-checked case: three points around the origin give 0", () => {
    const grads = [
      [1, 0],
      [-0.5, Math.sqrt(3) / 2],
      [-0.5, -Math.sqrt(3) / 2],
    ];
    const { weights, squaredNorm } = minNormPoint(gramOfRows(grads));
    assert.ok(squaredNorm <= 1e-15, `‖d‖² = ${squaredNorm}`);
    for (const x of weights) assert.ok(Math.abs(x - 1 / 3) <= 1e-15, `weights ${weights}`);
  });
});

describe("imtl-g: IMTL's gradient half", () => {
  it("equals LibMTL's closed form (default and referenceInverse) and TorchJD's IMTLGWeighting on full-rank sets (≤ 1e-12 up to the condition number)", () => {
    // A linear solve loses ~ε·cond(G) whoever does it: the bound is 1e-12 for cond(G) ≤ 1e3
    // and 1e-15 × cond(G) beyond (the "opposed" sets are nearly rank 2, cond ~ 1e5).
    let worstWellConditioned = 0;
    let worstPerCondition = 0;
    let compared = 0;
    for (const set of SETS) {
      const ratio = conditionRatio(gramOfRows(set.grads));
      if (ratio < 1e-8) continue;
      compared++;
      const bound = Math.max(1e-12, 1e-15 / ratio);
      const reference = libmtlImtl(set.grads);
      const ours = coefficientsOf(imtlG(), set);
      const oursInverse = coefficientsOf(imtlG({ referenceInverse: true }), set);
      const torchjd = torchjdImtlgWeighting(gramOfRows(set.grads));
      const differences = [
        directionDifference(combine(ours, set.grads), reference.update, reference.alpha, set.grads),
        directionDifference(combine(oursInverse, set.grads), reference.update, reference.alpha, set.grads),
        directionDifference(combine(ours, set.grads), combine(torchjd, set.grads), torchjd, set.grads),
        relativeDifference(ours, reference.alpha),
        relativeDifference(oursInverse, reference.alpha),
        relativeDifference(ours, torchjd),
      ];
      const difference = Math.max(...differences);
      if (ratio >= 1e-4) worstWellConditioned = Math.max(worstWellConditioned, difference);
      worstPerCondition = Math.max(worstPerCondition, difference * ratio);
      assert.ok(
        difference <= bound,
        `${set.kind}: differs by ${differences.join(", ")} (cond ${1 / ratio}, bound ${bound})`,
      );
    }
    assert.ok(compared >= 30, `only ${compared} full-rank sets`);
    report(
      "imtl-g (default, --reference-inverse) vs LibMTL and TorchJD transcriptions, cond(G) ≤ 1e4, max relative difference (directions and coefficients)",
      worstWellConditioned,
    );
    report("  the same, every full-rank set, max difference / cond(G)", worstPerCondition);
  });

  it("on rank-deficient sets the default equals TorchJD's pseudo-inverse form, and referenceInverse is a Left where LibMTL's system is singular", () => {
    let worst = 0;
    let singular = 0;
    let worstNonsingular = 0;
    let worstDefaultThere = 0;
    for (const set of SETS.filter((s) => s.kind === "duplicate" || s.kind === "collinear" || s.kind === "low-rank")) {
      const ours = coefficientsOf(imtlG(), set);
      const torchjd = torchjdImtlgWeighting(gramOfRows(set.grads));
      worst = Math.max(
        worst,
        directionDifference(combine(ours, set.grads), combine(torchjd, set.grads), torchjd, set.grads),
      );
      const inverse = stepOnce(imtlG({ referenceInverse: true }), set.losses, set.grads);
      if (E.isLeft(inverse)) {
        singular++;
        assert.match(inverse.left.message, /singular/);
      } else {
        // A nonsingular D Uᵀ although G is singular (an opposite pair, or K − 1 dimensions for K
        // tasks): the only equal-projection direction is 0, and LibMTL's α (Σα = 1) finds it;
        // the pseudo-inverse form returns a least-squares compromise instead.
        const c = [...inverse.right.coefficients];
        const reference = libmtlImtl(set.grads);
        const difference = directionDifference(combine(c, set.grads), reference.update, reference.alpha, set.grads);
        assert.ok(difference <= 1e-12, `${set.kind}: --reference-inverse differs from LibMTL by ${difference}`);
        assert.ok(
          maxAbs(reference.update) <=
            1e-12 * reference.alpha.reduce((m, x, i) => m + Math.abs(x) * maxAbs(set.grads[i]!), 0),
          "LibMTL's direction is 0 here",
        );
        worstNonsingular = Math.max(worstNonsingular, difference);
        worstDefaultThere = Math.max(
          worstDefaultThere,
          directionDifference(combine(ours, set.grads), reference.update, ours, set.grads),
        );
      }
    }
    report(
      "  where LibMTL's D Uᵀ is nonsingular (its direction is 0): --reference-inverse vs LibMTL transcription",
      worstNonsingular,
    );
    report("  there, the default (TorchJD's least squares) vs LibMTL", worstDefaultThere);
    report("imtl-g (default) vs TorchJD transcription on rank-deficient sets", worst);
    report("imtl-g --reference-inverse: rank-deficient sets refused as singular", singular);
    assert.ok(worst <= 1e-12, `differs by ${worst}`);
    assert.ok(singular >= 20, `only ${singular} singular systems reported`);
  });

  it("defining property: the direction projects equally on every unit task gradient (and Σc = 1)", () => {
    let worst = 0;
    fc.assert(
      fc.property(arbitraryGradients({ maxTasks: 5, positiveCopies: true }), (grads) => {
        const gramian = gramianOf(grads);
        const norms = gramian.map((row, i) => Math.sqrt(row[i]!));
        // Where the system has a solution: the distinct directions are well conditioned (positive copies share a unit vector).
        const distinct = grads.filter(
          (g, i) =>
            !grads.slice(0, i).some((h) => {
              const dot = g.reduce((s, x, j) => s + x * h[j]!, 0);
              return (
                Math.abs(dot - Math.sqrt(g.reduce((s, x) => s + x * x, 0) * h.reduce((s, x) => s + x * x, 0))) <=
                1e-12 * (dot === 0 ? 1 : Math.abs(dot))
              );
            }),
        );
        fc.pre(norms.every((n) => n > 1e-3) && conditionRatio(gramianOf(distinct)) > 1e-6);
        const c = unwrap(
          stepOnce(
            imtlG(),
            grads.map(() => 1),
            grads,
          ),
        ).coefficients;
        assert.ok(Math.abs(c.reduce((s, x) => s + x, 0) - 1) <= 1e-9, `Σc = ${c.reduce((s, x) => s + x, 0)}`);
        const d = combine([...c], grads);
        const projections = grads.map((g, i) => g.reduce((s, x, j) => s + x * d[j]!, 0) / norms[i]!);
        const scale = c.reduce((s, x, i) => s + Math.abs(x) * norms[i]!, 0);
        const spread = (Math.max(...projections) - Math.min(...projections)) / scale;
        worst = Math.max(worst, spread);
        assert.ok(spread <= 1e-9, `projections ${projections} differ by ${spread} (relative)`);
      }),
      { numRuns: 400, seed: 11 },
    );
    report("imtl-g projection spread on random Gramians, relative to Σ|c_k|‖g_k‖", worst);
  });

  it("a zero gradient gets coefficient 0 by default, and referenceInverse refuses it", () => {
    const grads = [
      [1, 0],
      [0, 0],
      [0, 2],
    ];
    const c = coefficientsOf(imtlG(), { kind: "random", grads, losses: [1, 1, 1] });
    assert.equal(c[1], 0);
    const two = coefficientsOf(imtlG(), {
      kind: "random",
      grads: [
        [1, 0],
        [0, 2],
      ],
      losses: [1, 1],
    });
    assert.ok(relativeDifference([c[0]!, c[2]!], two) <= 1e-15, `${c} vs ${two}`);
    const refused = stepOnce(imtlG({ referenceInverse: true }), [1, 1, 1], grads);
    assert.ok(E.isLeft(refused) && /zero gradient/.test(refused.left.message), "a zero gradient must be refused");
  });
});

describe("aligned-mtl: Aligned-MTL", () => {
  it("equals LibMTL's Aligned_MTL and TorchJD's AlignedMTLWeighting (every scale mode, preference) on every set (directions ≤ 1e-12; coefficients ≤ 1e-12 up to the eigenvalue spread)", () => {
    let worstLibmtl = 0;
    let worstTorchjd = 0;
    let worstCoefficients = 0;
    let worstCoefficientsPerSpread = 0;
    for (const set of SETS) {
      const ours = coefficientsOf(alignedMtl(), set);
      const reference = libmtlAlignedMtl(set.grads);
      worstLibmtl = Math.max(
        worstLibmtl,
        directionDifference(combine(ours, set.grads), reference.update, reference.alpha, set.grads),
      );
      const gramian = gramOfRows(set.grads);
      // Coefficients carry 1/√λ: their rounding grows with the kept eigenvalues' spread.
      const { values } = jacobiEigen(gramian);
      const kept = values.filter((l) => l > Math.max(...values) * values.length * 2 ** -23);
      const spread = Math.max(...kept) / Math.min(...kept);
      const coefficientDifference = relativeDifference(ours, reference.alpha);
      assert.ok(
        coefficientDifference <= Math.max(1e-12, 1e-15 * spread),
        `${set.kind}: coefficients differ by ${coefficientDifference} (λ_max/λ_min ${spread})`,
      );
      if (spread <= 1e4) worstCoefficients = Math.max(worstCoefficients, coefficientDifference);
      worstCoefficientsPerSpread = Math.max(worstCoefficientsPerSpread, coefficientDifference / spread);
      for (const scaleMode of ["min", "median", "rmse"] as const) {
        const mean = coefficientsOf(alignedMtl({ scaleMode, meanWeighting: true }), set);
        const torchjd = torchjdAlignedMtlWeighting(gramian, null, scaleMode);
        worstTorchjd = Math.max(
          worstTorchjd,
          directionDifference(combine(mean, set.grads), combine(torchjd, set.grads), torchjd, set.grads),
        );
        const pref = set.grads.map((_, i) => 0.5 + i);
        const withPref = coefficientsOf(alignedMtl({ scaleMode, prefVector: pref }), set);
        const torchjdPref = torchjdAlignedMtlWeighting(gramian, pref, scaleMode);
        worstTorchjd = Math.max(
          worstTorchjd,
          directionDifference(combine(withPref, set.grads), combine(torchjdPref, set.grads), torchjdPref, set.grads),
        );
      }
    }
    report("aligned-mtl vs LibMTL transcription, max relative direction difference", worstLibmtl);
    report(
      "aligned-mtl coefficients vs LibMTL transcription, λ_max/λ_min ≤ 1e4, max relative difference",
      worstCoefficients,
    );
    report("  the same, every set, max difference / (λ_max/λ_min)", worstCoefficientsPerSpread);
    report(
      "aligned-mtl (scale modes, preferences) vs TorchJD transcription, max relative direction difference",
      worstTorchjd,
    );
    assert.ok(
      worstLibmtl <= 1e-12 && worstTorchjd <= 1e-12,
      `differs by ${worstLibmtl} (LibMTL), ${worstTorchjd} (TorchJD)`,
    );
  });

  it("defining property: with S = G^{1/2}, S c = √λ_min · P p (the balanced direction's components along the orthonormalised task gradients are equal)", () => {
    let worst = 0;
    fc.assert(
      fc.property(
        arbitraryGradients({ maxTasks: 5 }),
        fc.constantFrom("ones", "random"),
        fc.double({ min: 0.1, max: 2, noNaN: true }),
        (grads, prefKind, prefScale) => {
          const k = grads.length;
          const gramian = gramianOf(grads);
          const { values, vectors } = jacobiEigen(gramian);
          const largest = Math.max(...values);
          const tolerance = largest * k * 2 ** -23;
          // Keep away from the rank cut-off, where two eigen-solvers may count the rank differently.
          fc.pre(largest > 1e-200 && values.every((l) => l <= tolerance / 10 || l >= tolerance * 10));
          const pref = grads.map((_, i) => (prefKind === "ones" ? 1 : prefScale * (1 + ((i * 7) % 3))));
          const c = unwrap(
            stepOnce(
              alignedMtl({ prefVector: pref }),
              grads.map(() => 1),
              grads,
            ),
          ).coefficients;
          const kept = values.map((_, e) => e).filter((e) => values[e]! > tolerance);
          const sigma = Math.sqrt(values[kept[0]!]!);
          // S c and P p through the test's own eigen-decomposition.
          const sc = Array.from({ length: k }, (_, i) =>
            kept.reduce(
              (s, e) =>
                s + vectors[i]![e]! * Math.sqrt(values[e]!) * vectors.reduce((t, row, j) => t + row[e]! * c[j]!, 0),
              0,
            ),
          );
          const pp = Array.from({ length: k }, (_, i) =>
            kept.reduce((s, e) => s + vectors[i]![e]! * vectors.reduce((t, row, j) => t + row[e]! * pref[j]!, 0), 0),
          );
          const scale = sigma * maxAbs(pref) * k;
          const difference = maxAbs(sc.map((x, i) => x - sigma * pp[i]!)) / scale;
          worst = Math.max(worst, difference);
          assert.ok(difference <= 1e-9, `S c − √λ_min P p = ${difference} (relative)`);
        },
      ),
      { numRuns: 400, seed: 13 },
    );
    report("aligned-mtl defining-property residual on random Gramians", worst);
  });

  it("the aligned gradients B G have equal singular values: their Gramian is λ_min × a projector (full rank: λ_min I)", () => {
    // Recover B column by column from unit preference vectors: c(e_j) = B e_j.
    for (const set of SETS.filter((s) => s.kind === "random" || s.kind === "conflicting")) {
      const k = set.grads.length;
      const columns = Array.from({ length: k }, (_, j) =>
        coefficientsOf(alignedMtl({ prefVector: set.grads.map((__, i) => (i === j ? 1 : 0)) }), set),
      );
      const b = Array.from({ length: k }, (_, i) => columns.map((col) => col[i]!));
      const aligned = b.map((row) => combine(row, set.grads));
      const g = gramOfRows(aligned);
      const lambdaMin = Math.min(...jacobiEigen(gramOfRows(set.grads)).values);
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++)
          assert.ok(
            Math.abs(g[i]![j]! - (i === j ? lambdaMin : 0)) <= 1e-9 * Math.max(1, lambdaMin),
            `aligned Gramian [${i}][${j}] = ${g[i]![j]!}`,
          );
    }
  });

  it("an all-zero Gramian: TorchJD's identity (c = p), where LibMTL fails", () => {
    const c = unwrap(
      alignedMtl().step(unwrap(alignedMtl().init(2)), {
        losses: [1, 1],
        gramian: [
          [0, 0],
          [0, 0],
        ],
      }),
    ).coefficients;
    assert.deepEqual(c, [1, 1]);
    assert.deepEqual(
      torchjdAlignedMtlWeighting(
        [
          [0, 0],
          [0, 0],
        ],
        [1, 1],
      ),
      [1, 1],
    );
    assert.throws(() =>
      libmtlAlignedMtl([
        [0, 0],
        [0, 0],
      ]),
    );
  });
});

// ---------------------------------------------------------------------------------------------

const widen = <S>(w: GradientWeighting<S>): GradientWeighting<unknown> => w as unknown as GradientWeighting<unknown>;

const METHODS: Readonly<Record<string, () => GradientWeighting<unknown>>> = {
  mgda: () => widen(mgda()),
  "mgda (l2, reference solver)": () => widen(mgda({ gradientNormalization: "l2", referenceSolver: true })),
  "mgda (loss+)": () => widen(mgda({ gradientNormalization: "loss+" })),
  "imtl-g": () => widen(imtlG()),
  "imtl-g (reference inverse)": () => widen(imtlG({ referenceInverse: true })),
  "aligned-mtl": () => widen(alignedMtl()),
  "aligned-mtl (TorchJD mean)": () => widen(alignedMtl({ meanWeighting: true })),
};

describe("mgda group: the contract", () => {
  for (const [name, make] of Object.entries(METHODS)) {
    it(`${name}: an absent task gets exactly 0 and the others equal the run on the present sub-problem`, () => {
      for (const set of SETS.filter((s) => s.grads.length >= 3 && s.kind !== "low-rank").slice(0, 20)) {
        const absent = 1;
        const losses = set.losses.map((l, i) => (i === absent ? null : l));
        // The absent task's rows and columns hold junk (finite): they must be ignored.
        const gramian = gramianOf(set.grads).map((row, i) =>
          row.map((x, j) => (i === absent || j === absent ? 1e3 * (i + 1) - j : x)),
        );
        const w = make();
        const full = w.step(unwrap(w.init(losses.length)), { losses, gramian });
        const subGrads = set.grads.filter((_, i) => i !== absent);
        const sub = w.step(unwrap(w.init(subGrads.length)), {
          losses: set.losses.filter((_, i) => i !== absent),
          gramian: gramianOf(subGrads),
        });
        assert.equal(E.isRight(full), E.isRight(sub));
        if (E.isLeft(full) || E.isLeft(sub)) continue;
        assert.equal(full.right.coefficients[absent], 0);
        assert.deepEqual(
          full.right.coefficients.filter((_, i) => i !== absent),
          [...sub.right.coefficients],
        );
      }
    });

    it(`${name}: NaN / Infinity Gramian entries and a non-PSD Gramian are Left with a clear message`, () => {
      const w = make();
      const state = unwrap(w.init(2));
      for (const bad of [NaN, Infinity, -Infinity]) {
        const out = w.step(state, {
          losses: [1, 1],
          gramian: [
            [1, bad],
            [bad, 1],
          ],
        });
        assert.ok(E.isLeft(out) && /finite number/.test(out.left.message), `${bad}`);
      }
      const notPsd = w.step(state, {
        losses: [1, 1],
        gramian: [
          [1, 2],
          [2, 1],
        ],
      });
      assert.ok(
        E.isLeft(notPsd) && /not positive semi-definite/.test(notPsd.left.message),
        "a non-PSD Gramian must be refused",
      );
    });

    it(`${name}: JSON round trip of the state and exact resume`, () => {
      const w = make();
      const steps = SETS.filter((s) => s.grads.length === 3).slice(0, 8);
      const run = (from: unknown, list: GradientSet[]) => {
        let state = from;
        const out: number[][] = [];
        for (const s of list) {
          const r = w.step(state, { losses: s.losses, gramian: gramianOf(s.grads) });
          if (E.isLeft(r)) {
            out.push([NaN]);
            continue;
          }
          out.push([...r.right.coefficients]);
          state = r.right.state;
        }
        return { out, state };
      };
      const straight = run(unwrap(w.init(3)), steps);
      const first = run(unwrap(w.init(3)), steps.slice(0, 3));
      const json = JSON.parse(JSON.stringify(w.stateCodec.encode(first.state))) as unknown;
      const decoded = w.stateCodec.decode(json);
      assert.ok(E.isRight(decoded), "the state must decode");
      assert.deepEqual(decoded.right, first.state);
      const rest = run(decoded.right, steps.slice(3));
      assert.deepEqual([...first.out, ...rest.out], straight.out);
      assert.deepEqual(rest.state, straight.state);
    });
  }

  it("bad options are Left with the option named", () => {
    const cases: [
      string,
      ReturnType<typeof mgda>["init"] | ReturnType<typeof imtlG>["init"] | ReturnType<typeof alignedMtl>["init"],
      RegExp,
    ][] = [
      ["mgda gradientNormalization", mgda({ gradientNormalization: "l3" as "l2" }).init, /gradientNormalization/],
      ["mgda applyTo", mgda({ applyTo: "both" as "raw" }).init, /applyTo/],
      ["mgda unknown key", mgda({ mgda_gn: "l2" } as never).init, /mgda_gn: unknown key/],
      ["imtl-g rankEpsilon", imtlG({ rankEpsilon: 2 }).init, /rankEpsilon: expected a number in \(0, 1\)/],
      ["imtl-g referenceInverse", imtlG({ referenceInverse: "yes" as unknown as boolean }).init, /referenceInverse/],
      ["aligned-mtl prefVector length", alignedMtl({ prefVector: [1, 2] }).init, /prefVector: expected 3 entries/],
      ["aligned-mtl scaleMode", alignedMtl({ scaleMode: "max" as "min" }).init, /scaleMode/],
      ["aligned-mtl rankEpsilon", alignedMtl({ rankEpsilon: 0 }).init, /rankEpsilon/],
    ];
    for (const [label, init, pattern] of cases) {
      const out = init(3);
      assert.ok(E.isLeft(out), label);
      assert.match(out.left.message, pattern, label);
    }
  });

  it("reference modes are Left where the reference code fails", () => {
    // LibMTL's MinNormSolver never starts when every pair's cost is >= 1e8.
    const huge = mgda({ referenceSolver: true }).step(unwrap(mgda({ referenceSolver: true }).init(3)), {
      losses: [1, 1, 1],
      gramian: [
        [1e9, 0, 0],
        [0, 1e9, 0],
        [0, 0, 1e9],
      ],
    });
    assert.ok(E.isLeft(huge) && /1e\+?8|100000000/.test(huge.left.message), "LibMTL's 1e8 start bound");
    // The exact solver has no such limit.
    assert.deepEqual(
      unwrap(
        mgda().step(unwrap(mgda().init(3)), {
          losses: [1, 1, 1],
          gramian: [
            [1e9, 0, 0],
            [0, 1e9, 0],
            [0, 0, 1e9],
          ],
        }),
      ).coefficients,
      [1 / 3, 1 / 3, 1 / 3],
    );
  });

  it("flags name the options", () => {
    assert.deepEqual(mgdaFlags["reference-solver"], { key: "referenceSolver", kind: "boolean" });
    assert.deepEqual(mgdaFlags["gradient-normalization"], { key: "gradientNormalization", kind: "string" });
    assert.deepEqual(imtlGFlags["reference-inverse"], { key: "referenceInverse", kind: "boolean" });
    assert.deepEqual(alignedMtlFlags["mean-weighting"], { key: "meanWeighting", kind: "boolean" });
    assert.equal(mgda().coefficientsOnSimplex, true);
    assert.equal(mgda({ gradientNormalization: "l2" }).coefficientsOnSimplex, false);
  });
});
