import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { NonNegativeInt } from "../../core/codecs.js";
import { invalidConfig, invalidState, type ConfigError, type StepError } from "../../core/errors.js";
import { guardLosses } from "../../core/losses.js";
import { formatDecodeErrors } from "../../core/report.js";
import type { Weighting, WeightingStep } from "../../core/weighting.js";
import { liftPhases, wrappedCodec, type LiftedPhases, type Wrapped } from "./wrap.js";

/** The state of `scheduleHyperparams`: the step counter and the inner state (holding the current values). */
export type ScheduleState<I> = Wrapped<
  { readonly kind: "schedule-hyperparams"; readonly version: 1; readonly step: number },
  I
>;

/** A schedule: the hyper-parameters to use at a step, as a patch of the inner state's `config`. */
export type HyperparamSchedule = (step: number) => Readonly<Record<string, unknown>>;

/** The config of a state that has one (every built-in strategy's state does). */
type Configured = { readonly config: Readonly<Record<string, unknown>> };

/**
 * Applies a config patch to a state through the weighting's own state codec, so a scheduled
 * value is checked exactly like a configured one (e.g. Art's tau must be a positive number).
 * Unknown keys and `numTasks` are refused: a schedule may tune a rule, not reshape its state.
 *
 * @example
 * patchConfig(art(), state, { tau: 2 }) // Right(state with config.tau = 2)
 */
export const patchConfig = <I>(
  inner: Weighting<I>,
  state: I,
  patch: Readonly<Record<string, unknown>>,
): E.Either<string[], I> => {
  const encoded = inner.stateCodec.encode(state) as Configured;
  if (
    typeof encoded !== "object" ||
    encoded === null ||
    typeof encoded.config !== "object" ||
    encoded.config === null
  ) {
    return E.left([`${inner.name}: its state has no config to schedule`]);
  }
  const unknown = Object.keys(patch).filter(
    (key) => key === "numTasks" || !Object.prototype.hasOwnProperty.call(encoded.config, key),
  );
  if (unknown.length > 0) {
    return E.left(
      unknown.map(
        (key) =>
          `${key}: not a schedulable config key of ${inner.name} (known: ${Object.keys(encoded.config)
            .filter((k) => k !== "numTasks")
            .join(", ")})`,
      ),
    );
  }
  const decoded = inner.stateCodec.decode({ ...encoded, config: { ...encoded.config, ...patch } });
  return E.isLeft(decoded) ? E.left(formatDecodeErrors(decoded.left)) : E.right(decoded.right);
};

/**
 * Like optax's `inject_hyperparams`: before each step the inner state's config is patched with
 * `schedule(step)` (a pure function of the step index, starting at 0), so the checkpoint holds
 * the values in force and a resumed run continues the same schedule (given the same function,
 * which is code and so not part of the state). Only the directly wrapped weighting's `config`
 * is patched. A schedule giving an invalid value fails `init` (step 0) or that `step`
 * (`InvalidState` naming the key).
 *
 * @example
 * // Art with tau annealed from 3 to 1 over 1000 steps.
 * const w = scheduleHyperparams(art(), (step) => ({ tau: Math.max(1, 3 - step / 500) }));
 */
export const scheduleHyperparams = <I>(
  inner: Weighting<I>,
  schedule: HyperparamSchedule,
): Weighting<ScheduleState<I>> & LiftedPhases<ScheduleState<I>> => {
  const codec = wrappedCodec<ScheduleState<I>>(
    "ScheduleState",
    { kind: t.literal("schedule-hyperparams"), version: t.literal(1), step: NonNegativeInt },
    inner.stateCodec,
  );
  return {
    name: `scheduleHyperparams(${inner.name})`,
    init: (numTasks) =>
      E.chain((state: I): E.Either<ConfigError, ScheduleState<I>> => {
        const patched = patchConfig(inner, state, schedule(0));
        return E.isLeft(patched)
          ? E.left(invalidConfig(patched.left.map((line) => `schedule(0): ${line}`)))
          : E.right({ kind: "schedule-hyperparams", version: 1, step: 0, inner: patched.right });
      })(inner.init(numTasks)),
    step: guardLosses((state, losses) => {
      const patched = patchConfig(inner, state.inner, schedule(state.step));
      if (E.isLeft(patched))
        return E.left<StepError>(invalidState(patched.left.map((line) => `schedule(${state.step}): ${line}`)));
      return E.map((r: WeightingStep<I>): WeightingStep<ScheduleState<I>> => ({
        ...r,
        state: { ...state, step: state.step + 1, inner: r.state },
      }))(inner.step(patched.right, losses));
    }),
    stateCodec: codec,
    numTasks: (state) => inner.numTasks(state.inner),
    ...liftPhases<ScheduleState<I>, I>(inner),
  };
};
