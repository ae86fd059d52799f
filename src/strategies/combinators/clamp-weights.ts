import * as E from "fp-ts/Either";
import * as t from "io-ts";
import { invalidConfig } from "../../core/errors.js";
import { uniformOverPresent } from "../../core/softmax.js";
import type { TaskLosses, Weighting, WeightingStep } from "../../core/weighting.js";
import type { LiftedPhases, Wrapped } from "./wrap.js";
import { liftPhases, wrappedCodec } from "./wrap.js";

/** Bounds for `clampWeights`: every present weight ends in [floor, ceiling]. */
export interface WeightBounds {
  readonly floor: number;
  readonly ceiling: number;
}

/** The state of `clampWeights`: the bounds and the inner state. */
export type ClampWeightsState<I> = Wrapped<{ readonly kind: "clamp-weights"; readonly version: 1; readonly config: WeightBounds }, I>;

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/**
 * Puts weights on the simplex inside [floor, ceiling] over the present tasks: the result is
 * clamp(lambda w_k, floor, ceiling) with lambda chosen so that it sums to 1. Clipping and then
 * renormalising once would push clipped weights back out of bounds; solving for lambda (the
 * sum is piecewise linear and increasing in lambda) makes the bounds hold exactly and keeps
 * the weights' order. When the bounds cannot hold (P present tasks with P * ceiling < 1) the
 * closest choice, uniform over the present tasks, is returned. Absent tasks stay at 0.
 *
 * @example
 * clampOntoSimplex([0.9, 0.05, 0.05], [true, true, true], { floor: 0.1, ceiling: 0.8 }) // [0.8, 0.1, 0.1]
 */
export const clampOntoSimplex = (weights: ReadonlyArray<number>, present: ReadonlyArray<boolean>, bounds: WeightBounds): number[] => {
  const { floor, ceiling } = bounds;
  const idx = present.flatMap((p, k) => (p ? [k] : []));
  const count = idx.length;
  if (count * ceiling < 1) return present.map((p) => (p ? 1 / count : 0));
  const w = (k: number) => weights[k] as number;
  const total = (lambda: number) => idx.reduce((sum, k) => sum + clamp(lambda * w(k), floor, ceiling), 0);
  const breaks = [...new Set(idx.flatMap((k) => (w(k) > 0 ? [floor / w(k), ceiling / w(k)] : [])))].sort((a, b) => a - b);
  let lo = 0;
  let lambda = breaks.length > 0 ? (breaks[breaks.length - 1] as number) : 0;
  for (const hi of breaks) {
    if (total(hi) >= 1) {
      // Between lo and hi the same tasks are free (strictly inside the bounds): solve A + lambda B = 1.
      const mid = (lo + hi) / 2;
      let fixed = 0;
      let free = 0;
      for (const k of idx) {
        const x = mid * w(k);
        if (x > floor && x < ceiling) free += w(k);
        else fixed += clamp(x, floor, ceiling);
      }
      lambda = free > 0 ? (1 - fixed) / free : hi;
      break;
    }
    lo = hi;
  }
  return present.map((p, k) => (p ? clamp(lambda * w(k), floor, ceiling) : 0));
};

/**
 * Keeps every present task's weight in [floor, ceiling] (then on the simplex, see
 * `clampOntoSimplex`). `init` fails when the bounds are infeasible for all K tasks present
 * (K * floor > 1, K * ceiling < 1 or floor > ceiling).
 *
 * @example
 * const w = clampWeights({ floor: 0.05, ceiling: 0.6 }, art());
 */
export const clampWeights = <I>(bounds: WeightBounds, inner: Weighting<I>): Weighting<ClampWeightsState<I>> & LiftedPhases<ClampWeightsState<I>> => {
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
      return E.map((state: I): ClampWeightsState<I> => ({ kind: "clamp-weights", version: 1, config: { floor, ceiling }, inner: state }))(inner.init(numTasks));
    },
    step: (state, losses: TaskLosses) =>
      E.map((r: WeightingStep<I>): WeightingStep<ClampWeightsState<I>> => {
        const present = losses.map((loss) => loss !== null);
        const weights = present.some((p) => p) ? clampOntoSimplex(r.weights, present, state.config) : uniformOverPresent(losses);
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
