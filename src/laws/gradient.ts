import fc from "fast-check";
import * as E from "fp-ts/Either";

import { gramianOf, type GradientStepInput, type GradientWeighting } from "../core/gradient-weighting.js";
import { check as assert } from "./check.js";
import { checkLaw, defaultLossArb, LawViolation, type LawReport } from "./common.js";

/**
 * The laws every `GradientWeighting` must obey, as a fast-check suite over random steps: per-task
 * gradients (random vectors of a small dimension, some tasks absent, some runs with duplicate,
 * collinear or opposed gradients), their Gramian, and losses.
 *
 * - `finite`: K coefficients, all finite, exactly 0 for absent tasks (and a `direction`, when
 *   given, of the gradients' length and finite); on the simplex when the weighting says so;
 * - `determinism`: the same inputs give the same outputs twice; deep-frozen inputs are not mutated;
 * - `json-round-trip`: every state survives `stateCodec` encode → JSON → decode exactly;
 * - `resume`: decoding a checkpoint mid-run and continuing gives the same coefficients;
 * - `permutation`: permuting the tasks (losses, Gramian rows and columns, gradients) leaves the
 *   update direction Σ c_k g_k unchanged (coefficients need not be unique where gradients repeat);
 *   skip for seeded or positional methods with `permutationEquivariant: false`;
 * - `scale` (with `scaleExponent`): multiplying every gradient by s (the Gramian by s²) multiplies
 *   the coefficients by s^scaleExponent, from a fresh state (0: scale-invariant, e.g. MGDA);
 * - `bad-input`: a Gramian entry NaN or ±Infinity, a non-symmetric or indefinite Gramian, a NaN
 *   loss and all tasks absent give `Left`, and the state is unchanged.
 *
 * @example
 * import { checkGradientWeightingLaws } from "art-mtl/laws";
 * checkGradientWeightingLaws(mgda(), { numTasks: [1, 5], scaleExponent: 0 });
 */

/** The names of the gradient laws. */
export type GradientLawName =
  "finite" | "determinism" | "json-round-trip" | "resume" | "permutation" | "scale" | "bad-input";

/** Options of the gradient law suite. */
export interface GradientLawOptions {
  /** The number of tasks, fixed or drawn per run from [min, max]. */
  readonly numTasks: number | readonly [number, number];
  /** Runs per law (default 100). */
  readonly numRuns?: number;
  readonly seed?: number;
  readonly path?: string;
  /** Longest generated sequence of steps (default 5). */
  readonly maxSteps?: number;
  /** The dimension of the random gradients (default 4). */
  readonly dimension?: number;
  /** Check permutation equivariance (default true). */
  readonly permutationEquivariant?: boolean;
  /** The exponent e of the `scale` law: c(s·g) = s^e c(g); omitted: the law is skipped. */
  readonly scaleExponent?: number;
  /** Relative tolerance of permutation and scale (default 1e-7: solvers stop near machine precision). */
  readonly tolerance?: number;
  /** Which laws to run (default all that apply). */
  readonly laws?: readonly GradientLawName[];
}

/** One step of the gradient laws' random input: per-task losses and gradients (null: the task is absent). */
export interface GradientStep {
  readonly losses: Array<number | null>;
  readonly gradients: Array<number[] | null>;
}

/**
 * One random step for K tasks: losses, and per-task gradients of `dimension` entries; some
 * tasks absent (at least one present); sometimes a gradient duplicates, scales or negates another.
 *
 * @example
 * fc.sample(gradientStepArb(3, 4), 1) // [{ losses: [0.5, null, 2], gradients: [[…], null, […]] }]
 */
export const gradientStepArb = (numTasks: number, dimension: number): fc.Arbitrary<GradientStep> =>
  fc
    .record({
      losses: fc.array(defaultLossArb, { minLength: numTasks, maxLength: numTasks }),
      present: fc.array(fc.boolean(), { minLength: numTasks, maxLength: numTasks }),
      forced: fc.nat({ max: numTasks - 1 }),
      // Entries below 1e-6 become 0 (exact zeros stay in): a gradient 1e-12 long next to ones of
      // length ~1 makes several methods ill-posed (CAGrad's direction then depends on which of
      // its equally optimal weights a solver returns), and squares below 1e-300 underflow, which
      // breaks an exact scale law for reasons outside the method.
      vectors: fc.array(
        fc.array(
          fc.double({ min: -10, max: 10, noNaN: true }).map((x) => (Math.abs(x) < 1e-6 ? 0 : x)),
          { minLength: dimension, maxLength: dimension },
        ),
        { minLength: numTasks, maxLength: numTasks },
      ),
      tie: fc.option(
        fc.record({
          from: fc.nat({ max: numTasks - 1 }),
          to: fc.nat({ max: numTasks - 1 }),
          factor: fc.constantFrom(1, 2, -1, -0.5),
        }),
        { freq: 3 },
      ),
    })
    .map(({ losses, present, forced, vectors, tie }) => {
      const mask = [...present];
      if (!mask.some(Boolean)) mask[forced] = true;
      const gradients = vectors.map((v) => [...v]);
      if (tie !== null && tie.from !== tie.to)
        gradients[tie.to] = (gradients[tie.from] as number[]).map((x) => x * tie.factor);
      return {
        losses: losses.map((l, k) => (mask[k] ? l : null)),
        gradients: gradients.map((g, k) => (mask[k] ? g : null)),
      };
    });

const deepFreeze = <T>(value: T): T => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
};

const inputOf = (step: GradientStep, needs: GradientWeighting<unknown>["needs"]): GradientStepInput => {
  const gramian = gramianOf(step.gradients);
  if (needs === "gradients") return { losses: step.losses, gramian, gradients: step.gradients };
  return { losses: step.losses, gramian };
};

const initOrThrow = <S>(weighting: GradientWeighting<S>, numTasks: number): S => {
  const state = weighting.init(numTasks);
  if (E.isLeft(state)) throw new Error(`init(${numTasks}) failed: ${state.left.message}`);
  return state.right;
};

const roundTrip = <S>(weighting: GradientWeighting<S>, state: S): S => {
  const json = JSON.stringify(weighting.stateCodec.encode(state));
  const decoded = weighting.stateCodec.decode(JSON.parse(json));
  if (E.isLeft(decoded)) throw new Error(`stateCodec rejected its own encoding ${json}`);
  return decoded.right;
};

interface GradientTrace {
  readonly coefficients: ReadonlyArray<ReadonlyArray<number>>;
  readonly directions: ReadonlyArray<ReadonlyArray<number> | undefined>;
  readonly states: readonly unknown[];
}

const drive = <S>(
  weighting: GradientWeighting<S>,
  start: S,
  steps: ReadonlyArray<GradientStep>,
  cut = -1,
): GradientTrace => {
  const coefficients: Array<ReadonlyArray<number>> = [];
  const directions: Array<ReadonlyArray<number> | undefined> = [];
  const states: unknown[] = [];
  let state = start;
  steps.forEach((step, i) => {
    if (i === cut) state = roundTrip(weighting, state);
    const result = weighting.step(deepFreeze(state), deepFreeze(inputOf(step, weighting.needs)));
    if (E.isLeft(result)) throw new Error(`step ${i} rejected a valid input: ${result.left.message}`);
    state = result.right.state;
    coefficients.push(result.right.coefficients);
    directions.push(result.right.direction);
    states.push(state);
  });
  return { coefficients, directions, states };
};

/** Σ_k c_k g_k, or the method's own direction. */
const directionOf = (
  step: GradientStep,
  c: ReadonlyArray<number>,
  direction: ReadonlyArray<number> | undefined,
  dimension: number,
): number[] =>
  direction !== undefined
    ? [...direction]
    : Array.from({ length: dimension }, (_, p) =>
        step.gradients.reduce((sum, g, k) => sum + (g === null ? 0 : (c[k] as number) * (g[p] as number)), 0),
      );

/** The size of the terms of Σ_k c_k g_k (a difference is judged against it). */
const magnitude = (step: GradientStep, c: ReadonlyArray<number>): number =>
  step.gradients.reduce(
    (m, g, k) => (g === null ? m : Math.max(m, Math.abs(c[k] as number) * Math.sqrt(g.reduce((s, x) => s + x * x, 0)))),
    0,
  );

const close = (a: number, b: number, tolerance: number, scale: number): boolean =>
  Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b), scale);

/**
 * Runs the gradient laws and returns a report (never throws for a failed law).
 *
 * @example
 * runGradientWeightingLaws(mgda(), { numTasks: 3, scaleExponent: 0 }).ok // true
 */
export const runGradientWeightingLaws = <S>(
  weighting: GradientWeighting<S>,
  options: GradientLawOptions,
): LawReport => {
  const numRuns = options.numRuns ?? 100;
  const maxSteps = options.maxSteps ?? 5;
  const dimension = options.dimension ?? 4;
  const tolerance = options.tolerance ?? 1e-7;
  const laws = new Set<GradientLawName>(
    options.laws ?? ["finite", "determinism", "json-round-trip", "resume", "permutation", "scale", "bad-input"],
  );
  if (options.permutationEquivariant === false) laws.delete("permutation");
  if (options.scaleExponent === undefined) laws.delete("scale");
  const [minK, maxK] = typeof options.numTasks === "number" ? [options.numTasks, options.numTasks] : options.numTasks;
  const scenario = (minSteps: number) =>
    fc.integer({ min: minK, max: maxK }).chain((numTasks) =>
      fc.record({
        numTasks: fc.constant(numTasks),
        steps: fc.array(gradientStepArb(numTasks, dimension), { minLength: minSteps, maxLength: maxSteps }),
      }),
    );
  const properties: Array<[GradientLawName, fc.IProperty<never>]> = [];
  const add = <T>(law: GradientLawName, arb: fc.Arbitrary<T>, predicate: (value: T) => void) => {
    if (laws.has(law)) properties.push([law, fc.property(arb, predicate) as unknown as fc.IProperty<never>]);
  };

  add("finite", scenario(1), ({ numTasks, steps }) => {
    const trace = drive(weighting, initOrThrow(weighting, numTasks), steps);
    trace.coefficients.forEach((c, i) => {
      const step = steps[i] as GradientStep;
      assert.equal(c.length, numTasks, `step ${i}: ${c.length} coefficients for ${numTasks} tasks`);
      c.forEach((x, k) => {
        assert.ok(Number.isFinite(x), `step ${i}: coefficient ${k} = ${x} is not finite`);
        if (step.losses[k] === null)
          assert.ok(x === 0, `step ${i}: absent task ${k} has coefficient ${x}, expected exactly 0`);
      });
      if (weighting.coefficientsOnSimplex) {
        const sum = c.reduce((a, b) => a + b, 0);
        assert.ok(
          c.every((x) => x >= 0) && Math.abs(sum - 1) <= 1e-9,
          `step ${i}: coefficients ${JSON.stringify(c)} are not on the simplex (sum ${sum})`,
        );
      }
      const d = trace.directions[i];
      if (d !== undefined) {
        assert.equal(d.length, dimension, `step ${i}: direction of length ${d.length}, gradients have ${dimension}`);
        assert.ok(d.every(Number.isFinite), `step ${i}: direction has a non-finite entry`);
      }
    });
  });

  add("determinism", scenario(1), ({ numTasks, steps }) => {
    const start = deepFreeze(initOrThrow(weighting, numTasks));
    const before = structuredClone(start);
    assert.deepStrictEqual(initOrThrow(weighting, numTasks), start, "init is not deterministic");
    const a = drive(weighting, start, steps);
    const b = drive(weighting, start, steps);
    assert.deepStrictEqual(b.coefficients, a.coefficients, "the same inputs gave different coefficients");
    assert.deepStrictEqual(b.states, a.states, "the same inputs gave different states");
    assert.deepStrictEqual(start, before, "the initial state was mutated");
  });

  add("json-round-trip", scenario(0), ({ numTasks, steps }) => {
    const start = initOrThrow(weighting, numTasks);
    for (const state of [start, ...(drive(weighting, start, steps).states as S[])]) {
      const json = JSON.stringify(weighting.stateCodec.encode(state));
      const decoded = weighting.stateCodec.decode(JSON.parse(json));
      assert.ok(E.isRight(decoded), `stateCodec rejected its own encoding ${json.slice(0, 300)}`);
      assert.deepStrictEqual(decoded.right, state, `round trip changed the state ${json.slice(0, 300)}`);
      assert.equal(weighting.numTasks(decoded.right), numTasks, "numTasks changed in the round trip");
    }
  });

  add(
    "resume",
    scenario(1).chain((s) => fc.record({ scenario: fc.constant(s), cut: fc.nat({ max: s.steps.length - 1 }) })),
    ({ scenario: { numTasks, steps }, cut }) => {
      const start = initOrThrow(weighting, numTasks);
      const straight = drive(weighting, start, steps);
      const resumed = drive(weighting, start, steps, cut);
      assert.deepStrictEqual(
        resumed.coefficients,
        straight.coefficients,
        `resuming before step ${cut} changed the coefficients`,
      );
      assert.deepStrictEqual(resumed.states, straight.states, `resuming before step ${cut} changed the states`);
    },
  );

  add(
    "permutation",
    scenario(1).chain((s) =>
      fc.record({
        scenario: fc.constant(s),
        order: fc.shuffledSubarray([...Array(s.numTasks).keys()], { minLength: s.numTasks, maxLength: s.numTasks }),
      }),
    ),
    ({ scenario: { numTasks, steps }, order }) => {
      const permuted = steps.map((s) => ({
        losses: order.map((k) => s.losses[k] ?? null),
        gradients: order.map((k) => s.gradients[k] ?? null),
      }));
      const a = drive(weighting, initOrThrow(weighting, numTasks), steps);
      const b = drive(weighting, initOrThrow(weighting, numTasks), permuted);
      // The update direction is what must not depend on the task order; coefficients may differ
      // where they are not unique (duplicate or opposed gradients give the same direction).
      a.coefficients.forEach((c, i) => {
        const da = directionOf(steps[i] as GradientStep, c, a.directions[i], dimension);
        const db = directionOf(
          permuted[i] as GradientStep,
          b.coefficients[i] as ReadonlyArray<number>,
          b.directions[i],
          dimension,
        );
        const scale = magnitude(steps[i] as GradientStep, c);
        da.forEach((x, p) =>
          assert.ok(
            close(db[p] as number, x, tolerance, scale),
            `step ${i}: direction entry ${p} is ${db[p]} with the tasks in order ${JSON.stringify(order)}, ${x} without (coefficients ${JSON.stringify(b.coefficients[i])} vs ${JSON.stringify(c)})`,
          ),
        );
      });
    },
  );

  add(
    "scale",
    fc.tuple(
      fc.integer({ min: minK, max: maxK }).chain((k) => gradientStepArb(k, dimension)),
      fc.constantFrom(1e-3, 0.5, 3, 1e3),
    ),
    ([step, s]) => {
      const numTasks = step.losses.length;
      const scaled = {
        losses: step.losses,
        gradients: step.gradients.map((g) => (g === null ? null : g.map((x) => x * s))),
      };
      const a = drive(weighting, initOrThrow(weighting, numTasks), [step]);
      const b = drive(weighting, initOrThrow(weighting, numTasks), [scaled]);
      const factor = s ** (options.scaleExponent as number);
      const c = a.coefficients[0] as ReadonlyArray<number>;
      const scale = Math.max(...c.map((x) => Math.abs(x * factor)));
      c.forEach((x, k) => {
        const got = (b.coefficients[0] as ReadonlyArray<number>)[k] as number;
        assert.ok(
          close(got, x * factor, tolerance, scale),
          `task ${k}: gradients × ${s} gave coefficient ${got}, expected ${x} × ${factor} = ${x * factor}`,
        );
      });
    },
  );

  const badInputs = (step: GradientStep): Array<[string, GradientStepInput]> => {
    const input = inputOf(step, weighting.needs);
    const numTasks = step.losses.length;
    const k = step.losses.findIndex((l) => l !== null);
    const gramian = (input.gramian ?? []).map((row) => [...row]);
    const withEntry = (value: number): number[][] =>
      gramian.map((row, i) => row.map((x, j) => (i === k && j === k ? value : x)));
    const cases: Array<[string, GradientStepInput]> = [
      ["a NaN loss", { ...input, losses: step.losses.map((l, i) => (i === k ? Number.NaN : l)) }],
      ["every task absent", { ...input, losses: step.losses.map(() => null) }],
    ];
    if (weighting.needs !== "losses") {
      cases.push(["a NaN Gramian entry", { ...input, gramian: withEntry(Number.NaN) }]);
      cases.push(["an Infinity Gramian entry", { ...input, gramian: withEntry(Infinity) }]);
      cases.push(["a negative squared norm", { ...input, gramian: withEntry(-1 - Math.abs(gramian[k]?.[k] ?? 0)) }]);
      // Present tasks a, b with |G_ab| far above sqrt(G_aa G_bb): indefinite.
      const b = step.losses.findIndex((l, i) => l !== null && i !== k);
      if (b >= 0 && numTasks > 1) {
        const big = 10 * (1 + Math.abs(gramian[k]?.[k] ?? 0) + Math.abs(gramian[b]?.[b] ?? 0));
        const indefinite = gramian.map((row, i) =>
          row.map((x, j) => ((i === k && j === b) || (i === b && j === k) ? big : x)),
        );
        cases.push(["an indefinite Gramian", { ...input, gramian: indefinite }]);
        const asymmetric = gramian.map((row, i) => row.map((x, j) => (i === k && j === b ? x + big : x)));
        cases.push(["a non-symmetric Gramian", { ...input, gramian: asymmetric }]);
      }
    }
    if (weighting.needs === "gradients") {
      cases.push([
        "a NaN gradient entry",
        {
          ...input,
          gradients: step.gradients.map((g, i) =>
            i === k && g !== null ? g.map((x, p) => (p === 0 ? Number.NaN : x)) : g,
          ),
        },
      ]);
    }
    return cases;
  };

  add("bad-input", scenario(1), ({ numTasks, steps }) => {
    const trace = drive(weighting, initOrThrow(weighting, numTasks), steps.slice(0, -1));
    const last = trace.states[trace.states.length - 1] as S | undefined;
    const state = deepFreeze(last ?? initOrThrow(weighting, numTasks));
    const before = structuredClone(state);
    for (const [what, input] of badInputs(steps[steps.length - 1] as GradientStep)) {
      const result = weighting.step(state, input);
      assert.ok(E.isLeft(result), `${what} gave Right, expected Left`);
      assert.ok(
        typeof result.left.message === "string" && result.left.message.length > 0,
        `${what}: the Left has no message`,
      );
      assert.deepStrictEqual(state, before, `step mutated its state on ${what}`);
    }
  });

  const results = properties.map(([law, property]) => checkLaw(law, property, numRuns, options));
  return { weighting: weighting.name, ok: results.every((r) => r.ok), results };
};

/**
 * Runs the gradient laws and throws a `LawViolation` if any fails; returns the report otherwise.
 *
 * @example
 * checkGradientWeightingLaws(pcgrad({ seed: 1 }), { numTasks: [1, 4], permutationEquivariant: false });
 */
export const checkGradientWeightingLaws = <S>(
  weighting: GradientWeighting<S>,
  options: GradientLawOptions,
): LawReport => {
  const report = runGradientWeightingLaws(weighting, options);
  if (!report.ok) throw new LawViolation(report);
  return report;
};
