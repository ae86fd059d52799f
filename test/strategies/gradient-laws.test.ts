import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { fromLossWeighting, type GradientWeighting } from "../../src/core/index.js";
import { strictPartial } from "../../src/core/strict.js";
import { checkGradientWeightingLaws, runGradientWeightingLaws, type GradientLawOptions } from "../../src/laws/index.js";
import {
  createGradientWeighting,
  equal,
  GRADIENT_STRATEGIES,
  GRADIENT_STRATEGY_NAMES,
  gradientWeighting,
  NoMemory,
} from "../../src/strategies/index.js";

/**
 * The gradient law suite over every built-in gradient-aware weighting (the registry's defaults),
 * and the suite's own tests: each broken weighting below breaks the law it names. In CI every law
 * runs 300 times (LAWS_NUM_RUNS locally, default 60): the solver-based methods cost more per run
 * than a loss weighting.
 */
const NUM_RUNS = process.env.CI !== undefined ? 300 : Number(process.env.LAWS_NUM_RUNS ?? 60);

/**
 * The scale law per method: c(s·g) = s^e · c(g) from a fresh state, where the method's formula
 * makes it exact. MGDA, IMTL-G and Aligned-MTL see only angles and norm ratios (e = 0); STCH
 * sees only the losses (e = 0). The others are not exactly homogeneous: PCGrad's and GradVac's
 * 1e-8 added to squared norms (LibMTL's), CAGrad's sqrt(·+1e-8), Nash-MTL's max-norm clipping, UPGrad/DualProj's norm_eps and reg_eps, GradNorm's
 * learned weights, GradDrop's and DB-MTL's direction.
 */
const SCALE_EXPONENT: Partial<Record<string, number>> = { mgda: 0, "imtl-g": 0, "aligned-mtl": 0, stch: 0 };

describe("the gradient law suite over every built-in gradient-aware weighting", () => {
  for (const name of GRADIENT_STRATEGY_NAMES) {
    it(`${name}: finite, absent → 0, determinism, JSON round trip, resume, ${GRADIENT_STRATEGIES[name].permutationEquivariant ? "permutation, " : ""}${SCALE_EXPONENT[name] === undefined ? "" : "scale, "}bad input`, () => {
      const built = createGradientWeighting(name, {});
      assert.ok(E.isRight(built), `${name}: ${E.isLeft(built) ? built.left.message : ""}`);
      const options: GradientLawOptions = {
        numTasks: [1, 4],
        numRuns: NUM_RUNS,
        permutationEquivariant: GRADIENT_STRATEGIES[name].permutationEquivariant,
        ...(SCALE_EXPONENT[name] === undefined ? {} : { scaleExponent: SCALE_EXPONENT[name] }),
      };
      checkGradientWeightingLaws(built.right, options);
    });
  }
  it("a loss weighting through fromLossWeighting obeys them too (coefficients on the simplex)", () => {
    checkGradientWeightingLaws(fromLossWeighting(equal()), { numTasks: [1, 5], numRuns: NUM_RUNS, scaleExponent: 0 });
  });
});

/** c_k = 1 over the present tasks: obeys every law (the plain sum; scale exponent 0). */
const sum = (solve?: (gramian: ReadonlyArray<ReadonlyArray<number>>) => number[]) =>
  gradientWeighting(
    {
      name: "sum",
      needs: "gramian",
      coefficientsOnSimplex: false,
      optionsCodec: strictPartial({}, "SumOptions"),
      configOf: () => E.right({}),
      configProps: {},
      initMemory: () => null,
      memoryCodec: NoMemory,
      solve: (_c, memory, problem) =>
        E.right({ coefficients: solve === undefined ? problem.gramian.map(() => 1) : solve(problem.gramian), memory }),
    },
    {},
  );

const failing = (w: GradientWeighting<unknown>, options: Partial<GradientLawOptions> = {}) =>
  runGradientWeightingLaws(w, { numTasks: [1, 4], numRuns: 60, scaleExponent: 0, ...options })
    .results.filter((r) => !r.ok)
    .map((r) => r.law);

describe("the gradient law suite catches broken weightings", () => {
  it("a correct weighting passes", () => {
    assert.deepEqual(failing(sum() as GradientWeighting<unknown>), []);
  });
  it("a non-finite coefficient", () => {
    assert.ok(
      failing(sum((g) => g.map((row, i) => (i === 0 ? Number.NaN : 1))) as GradientWeighting<unknown>).includes(
        "finite",
      ),
    );
  });
  it("an absent task with a coefficient: the builder keeps it 0, so a hand-written weighting that does not", () => {
    const base = sum() as GradientWeighting<unknown>;
    const leaky: GradientWeighting<unknown> = {
      ...base,
      step: (s, input) =>
        E.map((r: { coefficients: ReadonlyArray<number> }) => ({
          ...r,
          coefficients: r.coefficients.map((c) => c + 0.5),
        }))(base.step(s, input)) as ReturnType<typeof base.step>,
    };
    assert.ok(failing(leaky).includes("finite"));
  });
  it("coefficients that follow the task index, not the task", () => {
    assert.ok(failing(sum((g) => g.map((_, i) => i + 1)) as GradientWeighting<unknown>).includes("permutation"));
  });
  it("coefficients that grow with the gradients' scale", () => {
    assert.ok(
      failing(sum((g) => g.map((row, i) => (row[i] as number) + 1)) as GradientWeighting<unknown>).includes("scale"),
    );
  });
  it("a weighting that accepts a NaN Gramian", () => {
    const base = sum() as GradientWeighting<unknown>;
    const lax: GradientWeighting<unknown> = {
      ...base,
      step: (s, input) =>
        base.step(s, { ...input, gramian: input.gramian?.map((row) => row.map((x) => (Number.isFinite(x) ? x : 0))) }),
    };
    assert.ok(failing(lax).includes("bad-input"));
  });
  it("a state that does not survive JSON, or a resume that differs", () => {
    const base = sum() as GradientWeighting<unknown>;
    const lossy: GradientWeighting<unknown> = {
      ...base,
      stateCodec: {
        ...base.stateCodec,
        decode: (u: unknown) => base.stateCodec.decode({ ...(u as object), step: 0 }),
      } as typeof base.stateCodec,
    };
    const laws = failing(lossy);
    assert.ok(laws.includes("json-round-trip") && laws.includes("resume"), laws.join(", "));
  });
});
