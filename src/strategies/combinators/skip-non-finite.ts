import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, NonNegativeInt } from "../../core/codecs.js";
import { invalidConfig, invalidLoss } from "../../core/errors.js";
import { checkLosses } from "../../core/losses.js";
import type { TaskLosses, Weighting, WeightingStep } from "../../core/weighting.js";
import { liftPhases, wrappedCodec, type LiftedPhases, type Wrapped } from "./wrap.js";

/** The state of `skipNonFinite`: skip counters, the last good weights and the inner state. */
export type SkipNonFiniteState<I> = Wrapped<
  {
    readonly kind: "skip-non-finite";
    readonly version: 1;
    readonly config: { readonly maxConsecutive: number };
    /** Skips since the last good step. */
    readonly consecutiveSkips: number;
    /** Skips since `init`. */
    readonly totalSkips: number;
    /** The weights of the last good step (null before the first). */
    readonly lastWeights: ReadonlyArray<number> | null;
  },
  I
>;

/**
 * The default number of consecutive skips tolerated before the error is returned.
 *
 * @example
 * skipNonFinite({}, art()) // tolerates SKIP_DEFAULT_MAX_CONSECUTIVE skips in a row
 */
export const SKIP_DEFAULT_MAX_CONSECUTIVE = 5;

const isNonFinite = (loss: unknown): boolean => typeof loss === "number" && !Number.isFinite(loss);

/**
 * Like optax's `apply_if_finite`: a step whose losses contain NaN or ±Infinity is skipped
 * instead of failing. The inner state does not move, the skip is counted, and the weights
 * returned are the last good weights restricted to the tasks in the batch (non-null entries)
 * and renormalised, or uniform over them when there are none yet. They are a placeholder: a
 * trainer should not apply an update computed from a non-finite loss (`diagnostics.nonFinite`
 * marks the offending tasks with 1). After `maxConsecutive` skips in a row the next non-finite
 * step returns the error (an `InvalidLoss` naming the task). Other bad input (negative or zero
 * losses, a wrong length, no task at all) is an error as usual; a batch whose only non-null
 * losses are non-finite is skipped like any other.
 *
 * @example
 * const w = skipNonFinite({ maxConsecutive: 3 }, art());
 * w.step(s, [NaN, 0.2]) // Right: weights of the last good step; state.consecutiveSkips = 1
 */
export const skipNonFinite = <I>(
  options: { readonly maxConsecutive?: number },
  inner: Weighting<I>,
): Weighting<SkipNonFiniteState<I>> & LiftedPhases<SkipNonFiniteState<I>> => {
  const codec = wrappedCodec<SkipNonFiniteState<I>>(
    "SkipNonFiniteState",
    {
      kind: t.literal("skip-non-finite"),
      version: t.literal(1),
      config: t.type({ maxConsecutive: Count }),
      consecutiveSkips: NonNegativeInt,
      totalSkips: NonNegativeInt,
      lastWeights: t.union([t.array(t.number), t.null]),
    },
    inner.stateCodec,
    (state) => [
      ...(state.consecutiveSkips > state.config.maxConsecutive
        ? [`consecutiveSkips: expected <= maxConsecutive (got ${state.consecutiveSkips})`]
        : []),
      ...(state.consecutiveSkips > state.totalSkips
        ? [`totalSkips: expected >= consecutiveSkips (got ${state.totalSkips})`]
        : []),
      ...(state.lastWeights !== null && state.lastWeights.length !== inner.numTasks(state.inner)
        ? [`lastWeights: expected ${inner.numTasks(state.inner)} entries (got ${state.lastWeights.length})`]
        : []),
    ],
  );
  return {
    name: `skipNonFinite(${inner.name})`,
    init: (numTasks) => {
      const maxConsecutive = options.maxConsecutive ?? SKIP_DEFAULT_MAX_CONSECUTIVE;
      if (!Count.is(maxConsecutive))
        return E.left(invalidConfig([`maxConsecutive: expected Count (got ${maxConsecutive})`]));
      return E.map((state: I): SkipNonFiniteState<I> => ({
        kind: "skip-non-finite",
        version: 1,
        config: { maxConsecutive },
        consecutiveSkips: 0,
        totalSkips: 0,
        lastWeights: null,
        inner: state,
      }))(inner.init(numTasks));
    },
    step: (state, losses: TaskLosses) => {
      const numTasks = inner.numTasks(state.inner);
      const bad = Array.isArray(losses) ? losses.findIndex(isNonFinite) : -1;
      if (bad < 0) {
        return E.map((r: WeightingStep<I>): WeightingStep<SkipNonFiniteState<I>> => ({
          ...r,
          state: { ...state, consecutiveSkips: 0, lastWeights: r.weights, inner: r.state },
        }))(inner.step(state.inner, losses));
      }
      // Check everything but the non-finite entries: those errors are not skipped.
      const rest = checkLosses(
        losses.map((loss) => (isNonFinite(loss) ? null : loss)),
        numTasks,
      );
      if (rest !== null && rest._tag !== "NoPresentTask") return E.left(rest);
      if (state.consecutiveSkips >= state.config.maxConsecutive) {
        const value = losses[bad];
        return E.left(
          invalidLoss(
            bad,
            value,
            Number.isNaN(value) ? "nan" : "infinite",
            undefined,
            `${Number.isNaN(value) ? "a loss must not be NaN" : "a loss must be finite"} (after ${state.consecutiveSkips} consecutive skipped steps)`,
          ),
        );
      }
      const inBatch = losses.map((loss) => loss !== null);
      const previous = state.lastWeights ?? [];
      let mass = 0;
      for (let k = 0; k < numTasks; k++) if (inBatch[k]) mass += previous[k] ?? 0;
      const count = inBatch.filter((p) => p).length;
      const weights = inBatch.map((p, k) => (!p ? 0 : mass > 0 ? (previous[k] ?? 0) / mass : 1 / count));
      return E.right({
        state: { ...state, consecutiveSkips: state.consecutiveSkips + 1, totalSkips: state.totalSkips + 1 },
        weights,
        diagnostics: { nonFinite: losses.map((loss) => (loss === null ? null : isNonFinite(loss) ? 1 : 0)) },
      });
    },
    stateCodec: codec,
    numTasks: (state) => inner.numTasks(state.inner),
    ...liftPhases<SkipNonFiniteState<I>, I>(inner),
  };
};
