/**
 * The laws of a loss `Weighting` (the suite `checkWeightingLaws` runs; see index.ts for the list).
 */
import fc from "fast-check";
import * as E from "fp-ts/Either";

import { isEpochAware, isTwoPhase, type TaskLosses, type Weighting } from "../core/weighting.js";
import { check as assert } from "./check.js";
import { checkLaw, defaultLossArb, LawViolation, type LawReport } from "./common.js";

/** The kinds of bad input the `bad-input` law injects. */
export type BadInputKind =
  "nan" | "infinity" | "negative-infinity" | "negative" | "zero" | "wrong-length" | "all-absent";

/**
 * All bad-input kinds.
 *
 * @example
 * runWeightingLaws(w, { numTasks: 3, accepts: BAD_INPUT_KINDS.slice(0, 3) }) // accept NaN/±Infinity
 */
export const BAD_INPUT_KINDS: readonly BadInputKind[] = [
  "nan",
  "infinity",
  "negative-infinity",
  "negative",
  "zero",
  "wrong-length",
  "all-absent",
];

/** The names of the laws. */
export type LawName =
  "simplex" | "determinism" | "json-round-trip" | "resume" | "permutation" | "bad-input" | "long-run" | "values";

/**
 * A closed form of a weighting: the weights it must give at each step of `sequence`, driven
 * from `init(numTasks)` as the laws drive it (`endEpoch` every `epochLength` steps, `observe`
 * with the next step's losses).
 *
 * @example
 * const equalWeights: ExpectedWeights = (_, sequence) =>
 *   sequence.map((losses) => losses.map((l) => (l === null ? 0 : 1 / losses.filter((x) => x !== null).length)));
 */
export type ExpectedWeights = (
  numTasks: number,
  sequence: ReadonlyArray<TaskLosses>,
) => ReadonlyArray<ReadonlyArray<number>>;

/** Options of the law suite. */
export interface LawOptions {
  /** The number of tasks, fixed or drawn per run from [min, max]. */
  readonly numTasks: number | readonly [number, number];
  /** Runs per law (default 100). */
  readonly numRuns?: number;
  /** fast-check's seed, to replay a failure (with `path`). */
  readonly seed?: number;
  /** fast-check's counterexample path, to replay a failure. */
  readonly path?: string;
  /** A valid present loss (default: doubles in [1e-3, 1e3]). */
  readonly lossArb?: fc.Arbitrary<number>;
  /** Tasks that are never absent in generated valid losses (e.g. the unmasked task of a mask). */
  readonly alwaysPresent?: readonly number[];
  /** Longest generated sequence of steps (default 6). */
  readonly maxSteps?: number;
  /** Present tasks must get a weight > 0 (default true). */
  readonly strictlyPositive?: boolean;
  /** Check permutation equivariance (default true). */
  readonly permutationEquivariant?: boolean;
  /** Steps between `endEpoch` calls for epoch-aware weightings (default 2). */
  readonly epochLength?: number;
  /** Bad-input kinds that the weighting accepts on purpose (e.g. non-finite for `skipNonFinite`). */
  readonly accepts?: readonly BadInputKind[];
  /** Tolerance of the sum and of permuted weights (default 1e-9). */
  readonly tolerance?: number;
  /** Which laws to run (default all; `values` runs only when `expected` is given). */
  readonly laws?: readonly LawName[];
  /** Longest sequence of the `long-run` and `values` laws (default 40; at least `maxSteps` + 1). */
  readonly longRunSteps?: number;
  /** Runs of the `long-run` law (default max(10, ceil(numRuns / 10))): each run is long. */
  readonly longRunNumRuns?: number;
  /** The closed form the `values` law compares every step's weights with. */
  readonly expected?: ExpectedWeights;
  /** Relative tolerance of the `values` law (default 1e-12; differences below 1e-300 always pass). */
  readonly valueTolerance?: number;
}

/**
 * A valid loss vector for K tasks: some tasks absent (null), at least one present, and every
 * task of `alwaysPresent` present.
 *
 * @example
 * fc.sample(validLossesArb(3), 1) // e.g. [[0.5, null, 12.25]]
 */
export const validLossesArb = (
  numTasks: number,
  lossArb: fc.Arbitrary<number> = defaultLossArb,
  alwaysPresent: readonly number[] = [],
): fc.Arbitrary<Array<number | null>> =>
  fc
    .tuple(
      fc.array(lossArb, { minLength: numTasks, maxLength: numTasks }),
      fc.array(fc.boolean(), { minLength: numTasks, maxLength: numTasks }),
      fc.nat({ max: numTasks - 1 }),
    )
    .map(([values, present, forced]) => {
      const mask = present.map((p, k) => p || alwaysPresent.includes(k));
      if (!mask.some((p) => p)) mask[forced] = true;
      return values.map((v, k) => (mask[k] ? v : null));
    });

/**
 * A bad loss vector of the given kind, built from a valid one (NaN and ±Infinity are injected
 * on purpose here, never by the valid arbitrary).
 *
 * @example
 * fc.sample(badLossesArb(3, "nan"), 1) // e.g. [[0.5, NaN, null]]
 */
export const badLossesArb = (
  numTasks: number,
  kind: BadInputKind,
  lossArb: fc.Arbitrary<number> = defaultLossArb,
): fc.Arbitrary<Array<number | null>> => {
  const base = validLossesArb(numTasks, lossArb);
  const inject = (value: (x: number) => number) =>
    fc
      .tuple(base, fc.nat({ max: numTasks - 1 }), lossArb)
      .map(([losses, k, x]) => losses.map((l, i) => (i === k ? value(x) : l)));
  switch (kind) {
    case "nan":
      return inject(() => Number.NaN);
    case "infinity":
      return inject(() => Infinity);
    case "negative-infinity":
      return inject(() => -Infinity);
    case "negative":
      return inject((x) => -x);
    case "zero":
      return inject(() => 0);
    case "wrong-length":
      return fc
        .tuple(base, fc.boolean(), lossArb)
        .map(([losses, longer, x]) => (longer ? [...losses, x] : losses.slice(0, -1)));
    case "all-absent":
      return fc.constant(Array.from({ length: numTasks }, () => null));
  }
};

const deepFreeze = <T>(value: T): T => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
};

const snapshot = <T>(value: T): T => structuredClone(value);

interface Trace {
  readonly weights: ReadonlyArray<ReadonlyArray<number>>;
  readonly states: readonly unknown[];
}

/** Runs a sequence from a state, with `endEpoch`/`observe` as the module doc says; `cut` round-trips the state through JSON before that step. */
const drive = <S>(
  weighting: Weighting<S>,
  start: S,
  sequence: ReadonlyArray<TaskLosses>,
  epochLength: number,
  cut = -1,
): Trace => {
  const weights: Array<ReadonlyArray<number>> = [];
  const states: unknown[] = [];
  let state = start;
  for (let i = 0; i < sequence.length; i++) {
    if (i === cut) state = roundTrip(weighting, state);
    const losses = sequence[i] as TaskLosses;
    const result = weighting.step(deepFreeze(state), deepFreeze(losses));
    if (E.isLeft(result))
      throw new Error(`step ${i} rejected valid losses ${JSON.stringify(losses)}: ${result.left.message}`);
    state = result.right.state;
    weights.push(result.right.weights);
    if (isTwoPhase(weighting)) {
      const after = sequence[i + 1] ?? losses;
      const observed = weighting.observe(deepFreeze(state), deepFreeze(after));
      if (E.isLeft(observed))
        throw new Error(
          `observe after step ${i} rejected valid losses ${JSON.stringify(after)}: ${observed.left.message}`,
        );
      state = observed.right;
    }
    if (isEpochAware(weighting) && (i + 1) % epochLength === 0) state = weighting.endEpoch(deepFreeze(state));
    states.push(state);
  }
  return { weights, states };
};

const roundTrip = <S>(weighting: Weighting<S>, state: S): S => {
  const json = JSON.stringify(weighting.stateCodec.encode(state));
  const decoded = weighting.stateCodec.decode(JSON.parse(json));
  if (E.isLeft(decoded)) throw new Error(`stateCodec rejected its own encoding ${json}`);
  return decoded.right;
};

const initOrThrow = <S>(weighting: Weighting<S>, numTasks: number): S => {
  const state = weighting.init(numTasks);
  if (E.isLeft(state)) throw new Error(`init(${numTasks}) failed: ${state.left.message}`);
  return state.right;
};

/**
 * Runs the laws and returns a report (never throws for a failed law).
 *
 * @example
 * const report = runWeightingLaws(art(), { numTasks: 3, lossArb: fc.double({ min: 1e-3, max: 0.999, noNaN: true }) });
 * report.ok // true
 */
export const runWeightingLaws = <S>(weighting: Weighting<S>, options: LawOptions): LawReport => {
  const numRuns = options.numRuns ?? 100;
  const lossArb = options.lossArb ?? defaultLossArb;
  const maxSteps = options.maxSteps ?? 6;
  const tolerance = options.tolerance ?? 1e-9;
  const epochLength = options.epochLength ?? 2;
  const strictlyPositive = options.strictlyPositive ?? true;
  const accepts = new Set(options.accepts ?? []);
  const alwaysPresent = options.alwaysPresent ?? [];
  const expected = options.expected;
  const valueTolerance = options.valueTolerance ?? 1e-12;
  const longRunSteps = Math.max(options.longRunSteps ?? 40, maxSteps + 1);
  const longRunNumRuns = options.longRunNumRuns ?? Math.max(10, Math.ceil(numRuns / 10));
  const laws = new Set<LawName>(
    options.laws ?? [
      "simplex",
      "determinism",
      "json-round-trip",
      "resume",
      "permutation",
      "bad-input",
      "long-run",
      "values",
    ],
  );
  if (options.permutationEquivariant === false) laws.delete("permutation");
  if (expected === undefined) laws.delete("values");
  const [minK, maxK] = typeof options.numTasks === "number" ? [options.numTasks, options.numTasks] : options.numTasks;

  const scenario = (minSteps: number, maxLength = maxSteps) =>
    fc.integer({ min: minK, max: maxK }).chain((numTasks) =>
      fc.record({
        numTasks: fc.constant(numTasks),
        sequence: fc.array(validLossesArb(numTasks, lossArb, alwaysPresent), { minLength: minSteps, maxLength }),
      }),
    );
  // Long runs: past the short scenarios' end, up to longRunSteps.
  const longScenario = () => scenario(maxSteps + 1, longRunSteps);

  const properties: Array<[LawName, fc.IProperty<never>, number]> = [];
  const add = <T>(law: LawName, arb: fc.Arbitrary<T>, predicate: (value: T) => void, runs = numRuns) => {
    if (laws.has(law)) properties.push([law, fc.property(arb, predicate) as unknown as fc.IProperty<never>, runs]);
  };

  const checkSimplex = (numTasks: number, sequence: ReadonlyArray<TaskLosses>, trace: Trace) => {
    trace.weights.forEach((weights, i) => {
      const losses = sequence[i] as TaskLosses;
      assert.equal(weights.length, numTasks, `step ${i}: ${weights.length} weights for ${numTasks} tasks`);
      let sum = 0;
      weights.forEach((w, k) => {
        assert.ok(Number.isFinite(w) && w >= 0, `step ${i}: weight ${k} = ${w} is not a finite number >= 0`);
        if (losses[k] === null) assert.ok(w === 0, `step ${i}: absent task ${k} has weight ${w}, expected exactly 0`);
        else if (strictlyPositive) assert.ok(w > 0, `step ${i}: present task ${k} has weight ${w}, expected > 0`);
        sum += w;
      });
      assert.ok(Math.abs(sum - 1) <= tolerance, `step ${i}: weights sum to ${sum}, expected 1`);
    });
  };

  add("simplex", scenario(1), ({ numTasks, sequence }) => {
    checkSimplex(numTasks, sequence, drive(weighting, initOrThrow(weighting, numTasks), sequence, epochLength));
  });

  add("determinism", scenario(1), ({ numTasks, sequence }) => {
    const start = deepFreeze(initOrThrow(weighting, numTasks));
    const before = snapshot(start);
    const again = deepFreeze(initOrThrow(weighting, numTasks));
    assert.deepStrictEqual(again, start, "init is not deterministic");
    const first = drive(weighting, start, sequence, epochLength);
    const second = drive(weighting, start, sequence, epochLength);
    assert.deepStrictEqual(second.weights, first.weights, "the same inputs gave different weights");
    assert.deepStrictEqual(second.states, first.states, "the same inputs gave different states");
    assert.deepStrictEqual(start, before, "the initial state was mutated");
  });

  add("json-round-trip", scenario(0), ({ numTasks, sequence }) => {
    const start = initOrThrow(weighting, numTasks);
    for (const state of [start, ...(drive(weighting, start, sequence, epochLength).states as S[])]) {
      const json = JSON.stringify(weighting.stateCodec.encode(state));
      const decoded = weighting.stateCodec.decode(JSON.parse(json));
      assert.ok(E.isRight(decoded), `stateCodec rejected its own encoding ${json}`);
      assert.deepStrictEqual(decoded.right, state, `round trip changed the state ${json}`);
      assert.equal(weighting.numTasks(decoded.right), numTasks, "numTasks changed in the round trip");
    }
  });

  add(
    "resume",
    // cut < length, so every run round-trips a state (scenario(1) has at least one step).
    scenario(1).chain((s) => fc.record({ scenario: fc.constant(s), cut: fc.nat({ max: s.sequence.length - 1 }) })),
    ({ scenario: { numTasks, sequence }, cut }) => {
      const start = initOrThrow(weighting, numTasks);
      const straight = drive(weighting, start, sequence, epochLength);
      const resumed = drive(weighting, start, sequence, epochLength, cut);
      assert.deepStrictEqual(resumed.weights, straight.weights, `resuming before step ${cut} changed the weights`);
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
    ({ scenario: { numTasks, sequence }, order }) => {
      // Task j of the permuted run is task order[j] of the original run.
      const permuted = sequence.map((losses) => order.map((k) => losses[k] ?? null));
      const a = drive(weighting, initOrThrow(weighting, numTasks), sequence, epochLength);
      const b = drive(weighting, initOrThrow(weighting, numTasks), permuted, epochLength);
      a.weights.forEach((weights, i) => {
        order.forEach((k, j) => {
          const expected = weights[k] as number;
          const got = (b.weights[i] as ReadonlyArray<number>)[j] as number;
          assert.ok(
            Math.abs(got - expected) <= tolerance * Math.max(1, Math.abs(expected)),
            `step ${i}: permuted task ${j} (task ${k}) got ${got}, expected ${expected}`,
          );
        });
      });
    },
  );

  add(
    "bad-input",
    fc
      .tuple(scenario(0), fc.constantFrom(...BAD_INPUT_KINDS))
      .chain(([s, kind]) =>
        fc.record({ scenario: fc.constant(s), kind: fc.constant(kind), bad: badLossesArb(s.numTasks, kind, lossArb) }),
      ),
    ({ scenario: { numTasks, sequence }, kind, bad }) => {
      const trace = drive(weighting, initOrThrow(weighting, numTasks), sequence, epochLength);
      const last = trace.states[trace.states.length - 1] as S | undefined;
      const state = deepFreeze(last === undefined ? initOrThrow(weighting, numTasks) : last);
      const before = snapshot(state);
      const result = weighting.step(state, deepFreeze(bad));
      if (accepts.has(kind))
        assert.ok(E.isRight(result), `${kind} input ${showLosses(bad)} was rejected but the weighting accepts it`);
      else assert.ok(E.isLeft(result), `${kind} input ${showLosses(bad)} gave Right, expected Left`);
      assert.deepStrictEqual(state, before, `step mutated its state on ${kind} input`);
      if (isTwoPhase(weighting) && E.isRight(result) === false) {
        const stepped = weighting.step(state, deepFreeze(sequence[sequence.length - 1] ?? validFallback(numTasks)));
        if (E.isRight(stepped)) {
          const pending = deepFreeze(stepped.right.state);
          const pendingBefore = snapshot(pending);
          const observed = weighting.observe(pending, bad);
          assert.ok(E.isLeft(observed), `observe accepted ${kind} input ${showLosses(bad)}`);
          assert.deepStrictEqual(pending, pendingBefore, `observe mutated its state on ${kind} input`);
        }
      }
    },
  );

  add(
    "long-run",
    longScenario().chain((s) => fc.record({ scenario: fc.constant(s), cut: fc.nat({ max: s.sequence.length - 1 }) })),
    ({ scenario: { numTasks, sequence }, cut }) => {
      const start = initOrThrow(weighting, numTasks);
      const straight = drive(weighting, start, sequence, epochLength);
      checkSimplex(numTasks, sequence, straight);
      const resumed = drive(weighting, start, sequence, epochLength, cut);
      assert.deepStrictEqual(resumed.weights, straight.weights, `resuming before step ${cut} changed the weights`);
      assert.deepStrictEqual(resumed.states, straight.states, `resuming before step ${cut} changed the states`);
    },
    longRunNumRuns,
  );

  if (expected !== undefined) {
    add("values", scenario(1, longRunSteps), ({ numTasks, sequence }) => {
      const trace = drive(weighting, initOrThrow(weighting, numTasks), sequence, epochLength);
      const want = expected(numTasks, sequence);
      assert.equal(
        want.length,
        sequence.length,
        `expected gave ${want.length} weight vectors for ${sequence.length} steps`,
      );
      trace.weights.forEach((weights, i) => {
        const target = want[i] as ReadonlyArray<number>;
        weights.forEach((w, k) => {
          const e = target[k] as number;
          assert.ok(
            Math.abs(w - e) <= Math.max(valueTolerance * Math.abs(e), 1e-300),
            `step ${i}: task ${k} has weight ${w}, the closed form gives ${e} (losses ${showLosses(sequence[i] as TaskLosses)})`,
          );
        });
      });
    });
  }

  const results = properties.map(([law, property, runs]) => checkLaw(law, property, runs, options));
  return { weighting: weighting.name, ok: results.every((r) => r.ok), results };
};

const validFallback = (numTasks: number): TaskLosses => Array.from({ length: numTasks }, () => 0.5);

const showLosses = (losses: TaskLosses): string =>
  `[${losses.map((l) => (l === null ? "null" : String(l))).join(", ")}]`;

/**
 * Runs the laws and throws a `LawViolation` (with the seed and path to replay) if any fails;
 * returns the report otherwise.
 *
 * @example
 * checkWeightingLaws(dwa(), { numTasks: [1, 5], numRuns: 1000 });
 */
export const checkWeightingLaws = <S>(weighting: Weighting<S>, options: LawOptions): LawReport => {
  const report = runWeightingLaws(weighting, options);
  if (!report.ok) throw new LawViolation(report);
  return report;
};
