import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { invalidConfig } from "../../core/errors.js";
import { uniformOverPresent } from "../../core/softmax.js";
import type { TaskLosses, Weighting, WeightingStep } from "../../core/weighting.js";
import { liftPhases, wrappedCodec, type LiftedPhases, type Wrapped } from "./wrap.js";

/** Bounds for `clampWeights`: every present weight ends in [floor, ceiling]. */
export interface WeightBounds {
  readonly floor: number;
  readonly ceiling: number;
}

/** The state of `clampWeights`: the bounds and the inner state. */
export type ClampWeightsState<I> = Wrapped<
  { readonly kind: "clamp-weights"; readonly version: 1; readonly config: WeightBounds },
  I
>;

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/**
 * Puts weights on the simplex inside [floor, ceiling] over the present tasks: the result is
 * clamp(lambda w_k, floor, ceiling) with lambda chosen so that it sums to 1. Clipping and then
 * renormalising once would push clipped weights back out of bounds; here the tasks are sorted
 * by weight and the split into (at floor, free, at ceiling) is searched directly, the free
 * ones sharing the remaining mass in proportion to their weights. Ratios w_k / sum are used
 * instead of lambda itself, so weights that underflow to subnormals (a very peaked softmax)
 * cannot overflow lambda. Bounds hold exactly (values are clamped last) and the order of the
 * weights is kept. When the bounds cannot hold (P present tasks with P * ceiling < 1) the
 * closest choice, uniform over the present tasks, is returned. Absent tasks stay at 0.
 *
 * @example
 * clampOntoSimplex([0.9, 0.05, 0.05], [true, true, true], { floor: 0.1, ceiling: 0.8 }) // [0.8, 0.1, 0.1]
 */
export const clampOntoSimplex = (
  weights: ReadonlyArray<number>,
  present: ReadonlyArray<boolean>,
  bounds: WeightBounds,
): number[] => {
  const { floor, ceiling } = bounds;
  const idx = present.flatMap((p, k) => (p ? [k] : []));
  const count = idx.length;
  const uniform = () => present.map((p) => (p ? 1 / count : 0));
  if (count * ceiling < 1) return uniform();
  // Ascending by weight (ties by index, so the result does not depend on the search order).
  const sorted = [...idx].sort((i, j) => (weights[i] as number) - (weights[j] as number) || i - j);
  const ws = sorted.map((k) => weights[k] as number);
  const prefix = [0];
  for (const w of ws) prefix.push((prefix[prefix.length - 1] as number) + w);
  const slack = 1e-12;
  // Tasks ws[0..a) sit at the floor, ws[a..b) are free, ws[b..count) sit at the ceiling.
  for (let a = 0; a <= count; a++) {
    for (let b = a; b <= count; b++) {
      const mass = 1 - a * floor - (count - b) * ceiling;
      const out = new Map<number, number>();
      if (a === b) {
        if (Math.abs(mass) > slack) continue;
      } else {
        const sum = (prefix[b] as number) - (prefix[a] as number);
        if (!(sum > 0) || mass < 0) continue;
        const share = (i: number) => mass * ((ws[i] as number) / sum);
        if (share(a) < floor * (1 - slack) || share(b - 1) > ceiling * (1 + slack)) continue;
        if (a > 0 && share(a - 1) > floor * (1 + slack)) continue;
        if (b < count && share(b) < ceiling * (1 - slack)) continue;
        for (let i = a; i < b; i++) out.set(sorted[i] as number, clamp(share(i), floor, ceiling));
      }
      for (let i = 0; i < a; i++) out.set(sorted[i] as number, floor);
      for (let i = b; i < count; i++) out.set(sorted[i] as number, ceiling);
      return present.map((p, k) => (p ? (out.get(k) as number) : 0));
    }
  }
  // Not reached for feasible bounds up to rounding; uniform is always inside them.
  return uniform();
};

/**
 * Keeps every present task's weight in [floor, ceiling] (then on the simplex, see
 * `clampOntoSimplex`). `init` fails when the bounds are infeasible for all K tasks present
 * (K * floor > 1, K * ceiling < 1 or floor > ceiling).
 *
 * @example
 * const w = clampWeights({ floor: 0.05, ceiling: 0.6 }, art());
 */
export const clampWeights = <I>(
  bounds: WeightBounds,
  inner: Weighting<I>,
): Weighting<ClampWeightsState<I>> & LiftedPhases<ClampWeightsState<I>> => {
  const Unit = t.refinement(t.number, (n) => n >= 0 && n <= 1, "number in [0, 1]");
  const codec = wrappedCodec<ClampWeightsState<I>>(
    "ClampWeightsState",
    { kind: t.literal("clamp-weights"), version: t.literal(1), config: t.type({ floor: Unit, ceiling: Unit }) },
    inner.stateCodec,
    (state) => (state.config.floor > state.config.ceiling ? ["config: expected floor <= ceiling"] : []),
  );
  return {
    name: `clampWeights(${inner.name})`,
    init: (numTasks) => {
      const { floor, ceiling } = bounds;
      const problems: string[] = [];
      if (!(floor >= 0 && floor <= 1)) problems.push(`floor: expected a number in [0, 1] (got ${floor})`);
      if (!(ceiling > 0 && ceiling <= 1)) problems.push(`ceiling: expected a number in (0, 1] (got ${ceiling})`);
      if (problems.length === 0) {
        if (floor > ceiling) problems.push(`floor: expected floor <= ceiling (got ${floor} > ${ceiling})`);
        if (numTasks * floor > 1) problems.push(`floor: infeasible, ${numTasks} tasks * floor ${floor} > 1`);
        if (numTasks * ceiling < 1) problems.push(`ceiling: infeasible, ${numTasks} tasks * ceiling ${ceiling} < 1`);
      }
      if (problems.length > 0) return E.left(invalidConfig(problems));
      return E.map((state: I): ClampWeightsState<I> => ({
        kind: "clamp-weights",
        version: 1,
        config: { floor, ceiling },
        inner: state,
      }))(inner.init(numTasks));
    },
    step: (state, losses: TaskLosses) =>
      E.map((r: WeightingStep<I>): WeightingStep<ClampWeightsState<I>> => {
        const present = losses.map((loss) => loss !== null);
        const weights = present.some((p) => p)
          ? clampOntoSimplex(r.weights, present, state.config)
          : uniformOverPresent(losses);
        return {
          state: { ...state, inner: r.state },
          weights,
          diagnostics: { ...r.diagnostics, unclampedWeights: r.weights.map((w, k) => (present[k] ? w : null)) },
        };
      })(inner.step(state.inner, losses)),
    stateCodec: codec,
    numTasks: (state) => inner.numTasks(state.inner),
    ...liftPhases<ClampWeightsState<I>, I>(inner),
  };
};
