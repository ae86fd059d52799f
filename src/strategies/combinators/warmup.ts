import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { NonNegativeInt } from "../../core/codecs.js";
import { invalidConfig } from "../../core/errors.js";
import { guardLosses } from "../../core/losses.js";
import { uniformOverPresent } from "../../core/softmax.js";
import type { TaskLosses, Weighting, WeightingStep } from "../../core/weighting.js";
import { liftPhases, wrappedCodec, type LiftedPhases, type Wrapped } from "./wrap.js";

/** The state of `warmup`: the number of warm-up steps, the step counter and the inner state. */
export type WarmupState<I> = Wrapped<
  { readonly kind: "warmup"; readonly version: 1; readonly config: { readonly steps: number }; readonly step: number },
  I
>;

/**
 * Uniform weights over the present tasks for the first `steps` steps, while the inner
 * weighting still steps (so its statistics are warm when it takes over). The inner weights of
 * the warm-up steps are reported as `diagnostics.innerWeights`.
 *
 * @example
 * const w = warmup(100, art());   // 100 steps of mixed training, then Art
 */
export const warmup = <I>(
  steps: number,
  inner: Weighting<I>,
): Weighting<WarmupState<I>> & LiftedPhases<WarmupState<I>> => {
  const codec = wrappedCodec<WarmupState<I>>(
    "WarmupState",
    {
      kind: t.literal("warmup"),
      version: t.literal(1),
      config: t.type({ steps: NonNegativeInt }),
      step: NonNegativeInt,
    },
    inner.stateCodec,
  );
  return {
    name: `warmup(${inner.name})`,
    init: (numTasks) => {
      if (!NonNegativeInt.is(steps))
        return E.left(invalidConfig([`steps: expected NonNegativeInt (got ${String(steps)})`]));
      return E.map((state: I): WarmupState<I> => ({
        kind: "warmup",
        version: 1,
        config: { steps },
        step: 0,
        inner: state,
      }))(inner.init(numTasks));
    },
    step: guardLosses((state: WarmupState<I>, losses: TaskLosses) =>
      E.map((r: WeightingStep<I>): WeightingStep<WarmupState<I>> => {
        const warming = state.step < state.config.steps;
        return {
          state: { ...state, step: state.step + 1, inner: r.state },
          weights: warming ? uniformOverPresent(losses) : r.weights,
          diagnostics: warming
            ? { ...r.diagnostics, innerWeights: r.weights.map((w, k) => (losses[k] === null ? null : w)) }
            : r.diagnostics,
        };
      })(inner.step(state.inner, losses)),
    ),
    stateCodec: codec,
    numTasks: (state) => inner.numTasks(state.inner),
    ...liftPhases<WarmupState<I>, I>(inner),
  };
};
