import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { NonNegativeInt } from "../core/codecs.js";
import { invalidConfig } from "../core/errors.js";
import { checkLosses, guardLosses } from "../core/losses.js";
import type { TaskLosses, Weighting, WeightingStep } from "../core/weighting.js";
import { liftPhases, wrappedCodec, type LiftedPhases, type Wrapped } from "./combinators/wrap.js";

/**
 * Sequential curriculum (MiOIR, Kong et al. 2024, "Towards Effective Multiple-in-One Image
 * Restoration: A Sequential and Prompt Learning Strategy"): training goes stage by stage, stage
 * j (0-based) on the union of the first j+1 tasks, each stage continuing from the last. Stage
 * boundaries are step indices: with `stages: [b1, b2, ...]` stage 0 is steps [0, b1), stage 1
 * is [b1, b2), ...; after the last boundary every task is active (so fewer than K-1 boundaries
 * make the last stage jump to all tasks). "First" follows `order` (default 0, 1, ..., K-1).
 *
 * It composes with any weighting by masking inactive tasks as absent: `sequential({ stages },
 * art())` is Art over the active tasks. `activeTasks(step, numTasks)` tells the data sampler
 * which tasks to draw. A loss given for an inactive task is ignored (treated as absent) but
 * still validated (a NaN is an error anywhere).
 */

/** Options of `sequential`: strictly increasing stage boundaries (steps) and an optional task order. */
export interface SequentialOptions {
  readonly stages: ReadonlyArray<number>;
  readonly order?: ReadonlyArray<number>;
}

/** The checked configuration stored in the state. */
export interface SequentialConfig {
  readonly stages: ReadonlyArray<number>;
  readonly order: ReadonlyArray<number>;
}

/** The state of `sequential`: config, the step counter and the inner state. */
export type SequentialState<I> = Wrapped<
  { readonly kind: "sequential"; readonly version: 1; readonly config: SequentialConfig; readonly step: number },
  I
>;

/** A weighting driven by a curriculum: it also says which tasks are active at a step. */
export interface SequentialWeighting<I> extends Weighting<SequentialState<I>>, LiftedPhases<SequentialState<I>> {
  /** The tasks active at step `step` (0-based) for K = `numTasks`, in curriculum order. */
  readonly activeTasks: (step: number, numTasks: number) => number[];
  /** The tasks active at the next step of `state`. */
  readonly nextActiveTasks: (state: SequentialState<I>) => number[];
}

const configProblems = (config: SequentialConfig, numTasks: number): string[] => {
  const problems: string[] = [];
  config.stages.forEach((b, i) => {
    if (!Number.isSafeInteger(b) || b < 1) problems.push(`stages.${i}: expected an integer >= 1 (got ${b})`);
    else if (i > 0 && b <= (config.stages[i - 1] as number))
      problems.push(`stages.${i}: expected > stages.${i - 1} (got ${b})`);
  });
  if (config.stages.length > numTasks - 1) {
    problems.push(
      `stages: expected at most ${numTasks - 1} boundaries for ${numTasks} tasks (got ${config.stages.length})`,
    );
  }
  const sorted = [...config.order].sort((a, b) => a - b);
  if (sorted.length !== numTasks || sorted.some((x, i) => x !== i)) {
    problems.push(`order: expected a permutation of 0..${numTasks - 1} (got ${JSON.stringify(config.order)})`);
  }
  return problems;
};

/**
 * The active tasks of a curriculum at a step.
 *
 * @example
 * activeTasksAt({ stages: [10, 20], order: [2, 0, 1] }, 15) // [2, 0]
 */
export const activeTasksAt = (config: SequentialConfig, step: number): number[] => {
  let stage = 0;
  while (stage < config.stages.length && step >= (config.stages[stage] as number)) stage++;
  const count = stage === config.stages.length ? config.order.length : stage + 1;
  return config.order.slice(0, count);
};

/**
 * The sequential curriculum around an inner weighting.
 *
 * @example
 * const w = sequential({ stages: [5000, 10000] }, art()); // 3 tasks: {0}, then {0,1}, then all
 * w.activeTasks(7000, 3) // [0, 1]
 */
export const sequential = <I>(options: SequentialOptions, inner: Weighting<I>): SequentialWeighting<I> => {
  const configFor = (numTasks: number): SequentialConfig => ({
    stages: [...options.stages],
    order: options.order === undefined ? Array.from({ length: numTasks }, (_, k) => k) : [...options.order],
  });
  const mask = (state: SequentialState<I>, losses: TaskLosses): TaskLosses => {
    const active = new Set(activeTasksAt(state.config, state.step));
    return losses.map((loss, k) => (active.has(k) ? loss : null));
  };
  return {
    name: `sequential(${inner.name})`,
    init: (numTasks) => {
      const config = configFor(numTasks);
      const problems = configProblems(config, numTasks);
      if (problems.length > 0) return E.left(invalidConfig(problems));
      return E.map((state: I): SequentialState<I> => ({
        kind: "sequential",
        version: 1,
        config,
        step: 0,
        inner: state,
      }))(inner.init(numTasks));
    },
    step: guardLosses((state, losses) => {
      const problem = checkLosses(losses, inner.numTasks(state.inner));
      if (problem !== null) return E.left(problem);
      return E.map((r: WeightingStep<I>): WeightingStep<SequentialState<I>> => ({
        ...r,
        state: { ...state, step: state.step + 1, inner: r.state },
      }))(inner.step(state.inner, mask(state, losses)));
    }),
    stateCodec: wrappedCodec<SequentialState<I>>(
      "SequentialState",
      {
        kind: t.literal("sequential"),
        version: t.literal(1),
        config: t.type({ stages: t.array(t.number), order: t.array(t.number) }),
        step: NonNegativeInt,
      },
      inner.stateCodec,
      (state) => configProblems(state.config, inner.numTasks(state.inner)),
    ),
    numTasks: (state) => inner.numTasks(state.inner),
    activeTasks: (step, numTasks) => activeTasksAt(configFor(numTasks), step),
    nextActiveTasks: (state) => activeTasksAt(state.config, state.step),
    // observe follows the step it completes: the step counter has moved on, so mask with step - 1.
    ...liftPhases<SequentialState<I>, I>(inner, (state, losses) =>
      mask({ ...state, step: Math.max(0, state.step - 1) }, losses),
    ),
  };
};
