import * as E from "fp-ts/Either";
import * as t from "io-ts";

import type { StepError } from "../../core/errors.js";
import { checkLosses, guardLosses } from "../../core/losses.js";
import { isEpochAware, isTwoPhase, type TaskLosses, type Weighting } from "../../core/weighting.js";
import { stateCodec } from "../common.js";

/**
 * What every combinator shares: its state is a plain object with a `kind`, a `version`, its
 * own fields and the wrapped weighting's state under `inner` (optax-style nesting), so a
 * checkpoint of a stack of combinators is one JSON document. The helpers here build that
 * state's codec and pass the optional phases (`endEpoch`, `observe`) through to the inner
 * weighting, so that e.g. `warmup(10, famo())` is still a `TwoPhaseWeighting`.
 */

/** A combinator's state: its own fields plus the inner state. */
export type Wrapped<Own, I> = Own & { readonly inner: I };

/**
 * The codec of a combinator's state: `own` describes the combinator's fields, the inner state
 * is checked by the inner weighting's codec, and `problems` adds consistency checks.
 *
 * @example
 * wrappedCodec("WarmupState", { kind: t.literal("warmup"), step: NonNegativeInt }, art().stateCodec)
 */
export const wrappedCodec = <S>(
  name: string,
  own: t.Props,
  inner: t.Mixed,
  problems: (state: S) => string[] = () => [],
): t.Type<S, unknown, unknown> => stateCodec<S>(name, t.type({ ...own, inner }, name), problems);

/** The optional phases of an inner weighting, lifted to a wrapper's state. */
export interface LiftedPhases<S> {
  readonly endEpoch?: (state: S) => S;
  readonly observe?: (state: S, lossesAfterUpdate: TaskLosses) => E.Either<StepError, S>;
}

/**
 * Lifts `endEpoch` and `observe` of `inner` (when it has them) to a wrapper whose state keeps
 * the inner state under `inner`. `maskLosses` lets a masking wrapper hide the same tasks from
 * `observe` as from `step` (the whole vector is validated first, as `step` does).
 *
 * @example
 * const w = { name: "warmup", init, step, stateCodec, numTasks, ...liftPhases(inner) };
 */
export const liftPhases = <S extends { readonly inner: unknown }, I>(
  inner: Weighting<I>,
  maskLosses?: (state: S, losses: TaskLosses) => TaskLosses,
): LiftedPhases<S> => {
  const phases: { endEpoch?: LiftedPhases<S>["endEpoch"]; observe?: LiftedPhases<S>["observe"] } = {};
  if (isEpochAware(inner)) {
    phases.endEpoch = (state) => ({ ...state, inner: inner.endEpoch(state.inner as I) });
  }
  if (isTwoPhase(inner)) {
    phases.observe = guardLosses((state: S, losses: TaskLosses) => {
      if (maskLosses === undefined)
        return E.map((next: I): S => ({ ...state, inner: next }))(inner.observe(state.inner as I, losses));
      // Validate the whole vector before hiding tasks: a NaN in a masked task is still a bug upstream.
      const problem = checkLosses(losses, inner.numTasks(state.inner as I));
      if (problem !== null) return E.left(problem);
      return E.map((next: I): S => ({ ...state, inner: next }))(
        inner.observe(state.inner as I, maskLosses(state, losses)),
      );
    });
  }
  return phases;
};
