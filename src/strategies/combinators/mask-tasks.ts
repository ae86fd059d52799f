import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { invalidConfig } from "../../core/errors.js";
import { checkLosses, guardLosses } from "../../core/losses.js";
import type { TaskLosses, Weighting, WeightingStep } from "../../core/weighting.js";
import { liftPhases, wrappedCodec, type LiftedPhases, type Wrapped } from "./wrap.js";

/** The state of `maskTasks`: the mask (true = masked out) and the inner state. */
export type MaskTasksState<I> = Wrapped<
  { readonly kind: "mask-tasks"; readonly version: 1; readonly config: { readonly masked: ReadonlyArray<boolean> } },
  I
>;

/**
 * Hides the masked tasks' losses (replaced by null) before the inner weighting sees them.
 * The whole vector is validated first, so a NaN in a masked task is still an error (it is a
 * bug upstream, not an absent task).
 *
 * @example
 * applyMask([0.1, 0.2, 0.3], [false, true, false]) // [0.1, null, 0.3]
 */
export const applyMask = (losses: TaskLosses, masked: ReadonlyArray<boolean>): TaskLosses =>
  losses.map((loss, k) => (masked[k] === true ? null : loss));

/**
 * Treats the masked tasks as absent: their weights are exactly 0 and the inner weighting's
 * statistics for them do not move. `masked[k] = true` masks task k; at least one task must
 * stay unmasked and the mask must have one entry per task (checked at `init`).
 *
 * @example
 * const w = maskTasks([false, true, false], art()); // task 1 is ignored
 */
export const maskTasks = <I>(
  masked: ReadonlyArray<boolean>,
  inner: Weighting<I>,
): Weighting<MaskTasksState<I>> & LiftedPhases<MaskTasksState<I>> => {
  const codec = wrappedCodec<MaskTasksState<I>>(
    "MaskTasksState",
    { kind: t.literal("mask-tasks"), version: t.literal(1), config: t.type({ masked: t.array(t.boolean) }) },
    inner.stateCodec,
    (state) =>
      state.config.masked.length !== inner.numTasks(state.inner)
        ? [`config.masked: expected ${inner.numTasks(state.inner)} entries (got ${state.config.masked.length})`]
        : [],
  );
  return {
    name: `maskTasks(${inner.name})`,
    init: (numTasks) => {
      if (masked.length !== numTasks)
        return E.left(invalidConfig([`masked: expected ${numTasks} entries, one per task (got ${masked.length})`]));
      if (masked.every((m) => m)) return E.left(invalidConfig(["masked: at least one task must stay unmasked"]));
      return E.map((state: I): MaskTasksState<I> => ({
        kind: "mask-tasks",
        version: 1,
        config: { masked: [...masked] },
        inner: state,
      }))(inner.init(numTasks));
    },
    step: guardLosses((state, losses) => {
      const problem = checkLosses(losses, state.config.masked.length);
      if (problem !== null) return E.left(problem);
      return E.map((r: WeightingStep<I>): WeightingStep<MaskTasksState<I>> => ({
        ...r,
        state: { ...state, inner: r.state },
      }))(inner.step(state.inner, applyMask(losses, state.config.masked)));
    }),
    stateCodec: codec,
    numTasks: (state) => inner.numTasks(state.inner),
    ...liftPhases<MaskTasksState<I>, I>(inner, (state, losses) => applyMask(losses, state.config.masked)),
  };
};
