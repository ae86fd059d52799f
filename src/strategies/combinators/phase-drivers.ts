import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, NonNegativeInt } from "../../core/codecs.js";
import { invalidConfig, type StepError } from "../../core/errors.js";
import { guardLosses } from "../../core/losses.js";
import type { EpochAwareWeighting, TwoPhaseWeighting, Weighting, WeightingStep } from "../../core/weighting.js";
import { wrappedCodec, type Wrapped } from "./wrap.js";

/**
 * Drivers that turn a two-phase or epoch-aware weighting into a plain `Weighting`, for callers
 * that only know `step` (the replay CLI, a log of losses): the extra phase is called from the
 * step sequence itself.
 */

/** The state of `observeOnNextStep`: whether a step is waiting to be observed, and the inner state. */
export type ObserveOnNextStepState<I> = Wrapped<
  { readonly kind: "observe-on-next-step"; readonly version: 1; readonly waiting: boolean },
  I
>;

/**
 * Calls the inner `observe` with each step's losses before stepping with them: the losses of
 * step t+1 stand in for "the losses after update t". This is exact when the losses are
 * measured on the same batch after the update, and an approximation (a fresh batch) when they
 * come from a log of per-step training losses, as in `art-mtl replay`.
 *
 * @example
 * const plain = observeOnNextStep(famo()); // step(s, L2) = observe(s, L2) then step(·, L2)
 */
export const observeOnNextStep = <I>(inner: TwoPhaseWeighting<I>): Weighting<ObserveOnNextStepState<I>> => ({
  name: `observeOnNextStep(${inner.name})`,
  init: (numTasks) =>
    E.map((state: I): ObserveOnNextStepState<I> => ({
      kind: "observe-on-next-step",
      version: 1,
      waiting: false,
      inner: state,
    }))(inner.init(numTasks)),
  step: guardLosses((state, losses) => {
    const observed: E.Either<StepError, I> = state.waiting ? inner.observe(state.inner, losses) : E.right(state.inner);
    return E.chain((current: I) =>
      E.map((r: WeightingStep<I>): WeightingStep<ObserveOnNextStepState<I>> => ({
        ...r,
        state: { ...state, waiting: true, inner: r.state },
      }))(inner.step(current, losses)),
    )(observed);
  }),
  stateCodec: wrappedCodec<ObserveOnNextStepState<I>>(
    "ObserveOnNextStepState",
    { kind: t.literal("observe-on-next-step"), version: t.literal(1), waiting: t.boolean },
    inner.stateCodec,
  ),
  numTasks: (state) => inner.numTasks(state.inner),
});

/** The state of `endEpochEvery`: the epoch length, the step counter and the inner state. */
export type EndEpochEveryState<I> = Wrapped<
  {
    readonly kind: "end-epoch-every";
    readonly version: 1;
    readonly config: { readonly epochLength: number };
    readonly step: number;
  },
  I
>;

/**
 * Closes an epoch of the inner weighting after every `epochLength` successful steps, for step
 * sequences without epoch markers (e.g. `art-mtl replay --strategy dwa --epoch-length N`).
 *
 * @example
 * const plain = endEpochEvery(100, dwa()); // endEpoch after steps 100, 200, ...
 */
export const endEpochEvery = <I>(
  epochLength: number,
  inner: EpochAwareWeighting<I>,
): Weighting<EndEpochEveryState<I>> => ({
  name: `endEpochEvery(${inner.name})`,
  init: (numTasks) => {
    if (!Count.is(epochLength))
      return E.left(invalidConfig([`epochLength: expected Count (got ${String(epochLength)})`]));
    return E.map((state: I): EndEpochEveryState<I> => ({
      kind: "end-epoch-every",
      version: 1,
      config: { epochLength },
      step: 0,
      inner: state,
    }))(inner.init(numTasks));
  },
  step: (state, losses) =>
    E.map((r: WeightingStep<I>): WeightingStep<EndEpochEveryState<I>> => {
      const step = state.step + 1;
      const closes = step % state.config.epochLength === 0;
      return { ...r, state: { ...state, step, inner: closes ? inner.endEpoch(r.state) : r.state } };
    })(inner.step(state.inner, losses)),
  stateCodec: wrappedCodec<EndEpochEveryState<I>>(
    "EndEpochEveryState",
    {
      kind: t.literal("end-epoch-every"),
      version: t.literal(1),
      config: t.type({ epochLength: Count }),
      step: NonNegativeInt,
    },
    inner.stateCodec,
  ),
  numTasks: (state) => inner.numTasks(state.inner),
});
