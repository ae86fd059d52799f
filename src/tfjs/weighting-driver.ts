import * as E from "fp-ts/Either";

import { showValue, type StepError } from "../core/errors.js";
import type { GradientStepInput, GradientWeighting, GradientWeightingStep } from "../core/gradient-weighting.js";
import { isEpochAware, isTwoPhase, type TaskLosses, type Weighting, type WeightingStep } from "../core/weighting.js";
import { AdapterError } from "./errors.js";

/**
 * The host side of training with a loss weighting, in one place: the weighting state, the step
 * count, each task's last weight (lagged mode), `advance` (step the weighting on a step's
 * losses), `observe` (two-phase weightings), `endEpoch` (epoch-aware ones) and the host state a
 * checkpoint holds. `createTrainer` drives one; the data-parallel coordinator drives one for all
 * its replicas, so both apply the same rules (a rejected loss vector, absent tasks keeping their
 * lagged weight) by the same code. `createGradientWeightingDriver` is the same for a
 * gradient-aware weighting, shared by `createGradientTrainer` and the coordinator.
 */

/** The trainer's host-side state, as saved in a checkpoint (JSON-safe). */
export interface TrainerHostState {
  readonly step: number;
  /** Last weight of each task (lagged mode feeds these, restricted to the present tasks). */
  readonly laggedWeights: ReadonlyArray<number>;
  /** The weighting state, encoded by the weighting's `stateCodec`. */
  readonly weightingState: unknown;
  readonly lagged: boolean;
}

/**
 * Checks a saved host state against the weighting that will continue it, before anything is
 * changed: the weighting state decodes with its codec, holds `numTasks` tasks, the step is a safe
 * integer >= 0, and `laggedWeights` are `numTasks` numbers of the given kind (loss weights are
 * >= 0; gradient coefficients need only be finite). Returns the decoded weighting state; throws
 * `AdapterError("checkpoint")` naming what is wrong.
 */
const checkSavedHostState = <S>(
  weighting: {
    readonly name: string;
    readonly stateCodec: Weighting<S>["stateCodec"];
    numTasks(state: S): number;
  },
  numTasks: number,
  saved: TrainerHostState,
  laggedWeights: "finite numbers >= 0" | "finite numbers",
): S => {
  const decoded = weighting.stateCodec.decode(saved.weightingState);
  if (E.isLeft(decoded))
    throw new AdapterError(
      "checkpoint",
      `the checkpoint's weighting state does not decode as ${weighting.name}`,
      decoded.left,
    );
  if (weighting.numTasks(decoded.right) !== numTasks)
    throw new AdapterError(
      "checkpoint",
      `the checkpoint is for ${weighting.numTasks(decoded.right)} tasks, not ${numTasks}`,
    );
  if (!Number.isSafeInteger(saved.step) || saved.step < 0)
    throw new AdapterError("checkpoint", `bad step ${saved.step}`);
  const nonNegative = laggedWeights === "finite numbers >= 0";
  if (
    !Array.isArray(saved.laggedWeights) ||
    saved.laggedWeights.length !== numTasks ||
    saved.laggedWeights.some((w) => !Number.isFinite(w) || (nonNegative && w < 0))
  ) {
    throw new AdapterError("checkpoint", `laggedWeights must be ${numTasks} ${laggedWeights}`);
  }
  return decoded.right;
};

/** The weighting side of a training loop. */
export interface WeightingDriver<S> {
  readonly weighting: Weighting<S>;
  readonly numTasks: number;
  readonly lagged: boolean;
  /** The weighting state now. */
  readonly state: S;
  /** Completed steps. */
  readonly stepCount: number;
  /** True for a two-phase weighting (FAMO): `observe` must follow each step's update. */
  readonly twoPhase: boolean;
  /** Steps the weighting on a step's losses (the step count moves on in `completeStep`); a Left is an `AdapterError("weighting")` naming the step and the losses. */
  advance(taskLosses: TaskLosses): WeightingStep<S>;
  /** The same as `advance`, as a value: the caller decides how to fail. */
  tryAdvance(
    taskLosses: TaskLosses,
  ): E.Either<{ readonly message: string; readonly cause: StepError }, WeightingStep<S>>;
  /** A two-phase weighting observes the post-update losses (a no-op for others). */
  observe(lossesAfterUpdate: TaskLosses): void;
  tryObserve(lossesAfterUpdate: TaskLosses): E.Either<{ readonly message: string; readonly cause: StepError }, void>;
  /** The end-of-epoch event of an epoch-aware weighting (DWA); a no-op for others. */
  endEpoch(): void;
  /** Counts a completed step. */
  completeStep(step?: number): void;
  /** Lagged mode: each present task's last weight, renormalised over the present tasks (uniform if none is > 0). */
  laggedWeightsFor(present: ReadonlyArray<boolean>): number[];
  /** The host state for a checkpoint. */
  hostState(): TrainerHostState;
  /** Restores a host state (checks it fits this weighting, task count and mode). */
  restore(saved: TrainerHostState): void;
}

/** Uniform weights over the present tasks. */
const uniformOver = (present: ReadonlyArray<boolean>): number[] => {
  const n = present.filter(Boolean).length;
  return present.map((p) => (p ? 1 / n : 0));
};

/**
 * A driver for `weighting` over `numTasks` tasks, from `initialState` or `weighting.init`.
 * Throws an `AdapterError("option")` when the state does not fit.
 *
 * @example
 * const driver = createWeightingDriver(art(), 3, false);
 * const { weights } = driver.advance([0.2, null, 0.4]); driver.completeStep();
 */
export const createWeightingDriver = <S>(
  weighting: Weighting<S>,
  numTasks: number,
  lagged: boolean,
  initialState?: S,
): WeightingDriver<S> => {
  let state: S;
  if (initialState !== undefined) {
    if (weighting.numTasks(initialState) !== numTasks)
      throw new AdapterError(
        "option",
        `initialState is for ${weighting.numTasks(initialState)} tasks, not ${numTasks}`,
      );
    state = initialState;
  } else {
    const init = weighting.init(numTasks);
    if (E.isLeft(init))
      throw new AdapterError("option", `weighting.init(${numTasks}) failed: ${init.left.message}`, init.left);
    state = init.right;
  }
  let stepCount = 0;
  let lastWeights: number[] = new Array<number>(numTasks).fill(1 / numTasks);
  const twoPhase = isTwoPhase(weighting) ? weighting : null;
  const epochAware = isEpochAware(weighting) ? weighting : null;

  const tryAdvance: WeightingDriver<S>["tryAdvance"] = (taskLosses) => {
    const result = weighting.step(state, taskLosses);
    if (E.isLeft(result)) {
      return E.left({
        message: `step ${stepCount + 1}: the weighting rejected the losses [${Array.from(taskLosses, (l) => (l === null ? "null" : showValue(l))).join(", ")}]: ${result.left.message}`,
        cause: result.left,
      });
    }
    state = result.right.state;
    result.right.weights.forEach((w, k) => {
      // Remember each present task's weight for lagged mode; absent tasks keep their last one.
      if (taskLosses[k] !== null) lastWeights[k] = w;
    });
    return E.right(result.right);
  };
  const tryObserve: WeightingDriver<S>["tryObserve"] = (losses) => {
    if (twoPhase === null) return E.right(undefined);
    const observed = twoPhase.observe(state, losses);
    if (E.isLeft(observed))
      return E.left({
        message: `weighting.observe rejected the post-update losses: ${observed.left.message}`,
        cause: observed.left,
      });
    state = observed.right;
    return E.right(undefined);
  };
  const orThrow = <A>(result: E.Either<{ readonly message: string; readonly cause: StepError }, A>): A => {
    if (E.isLeft(result)) throw new AdapterError("weighting", result.left.message, result.left.cause);
    return result.right;
  };

  return {
    weighting,
    numTasks,
    lagged,
    get state() {
      return state;
    },
    get stepCount() {
      return stepCount;
    },
    twoPhase: twoPhase !== null,
    tryAdvance,
    advance: (taskLosses) => orThrow(tryAdvance(taskLosses)),
    tryObserve,
    observe: (losses) => orThrow(tryObserve(losses)),
    endEpoch: () => {
      if (epochAware !== null) state = epochAware.endEpoch(state);
    },
    completeStep: (step) => {
      stepCount = step ?? stepCount + 1;
    },
    laggedWeightsFor: (present) => {
      const restricted = lastWeights.map((w, k) => (present[k] ? w : 0));
      const total = restricted.reduce((a, b) => a + b, 0);
      return total > 0 && Number.isFinite(total) ? restricted.map((w) => w / total) : uniformOver(present);
    },
    hostState: () => ({
      step: stepCount,
      laggedWeights: [...lastWeights],
      weightingState: weighting.stateCodec.encode(state),
      lagged,
    }),
    restore: (saved) => {
      if (typeof saved.lagged === "boolean" && saved.lagged !== lagged) {
        const mode = (l: boolean) => (l ? "lagged" : "exact");
        throw new AdapterError(
          "checkpoint",
          `the checkpoint was saved in ${mode(saved.lagged)} mode, this trainer is in ${mode(lagged)} mode (create it with lagged: ${saved.lagged})`,
        );
      }
      state = checkSavedHostState(weighting, numTasks, saved, "finite numbers >= 0");
      stepCount = saved.step;
      lastWeights = [...saved.laggedWeights];
    },
  };
};

/** The host side of training with a gradient-aware weighting (exact mode only: the coefficients need this step's gradients). */
export interface GradientWeightingDriver<S> {
  readonly weighting: GradientWeighting<S>;
  readonly numTasks: number;
  readonly state: S;
  /** Completed steps. */
  readonly stepCount: number;
  /**
   * Steps the weighting on a step's losses and Gramian (and gradients, for the methods that need
   * them). A Left names the step and the losses: the weighting rejected them, or returned a
   * non-finite coefficient or direction (then nothing may be applied). The step count moves on
   * in `completeStep`.
   */
  tryStep(
    input: GradientStepInput,
  ): E.Either<{ readonly message: string; readonly cause?: StepError }, GradientWeightingStep<S>>;
  /** Counts a completed step. */
  completeStep(step?: number): void;
  /** The host state for a checkpoint (`laggedWeights`: the last coefficients). */
  hostState(): TrainerHostState;
  /** Restores a host state (checks it fits this weighting and task count; lagged mode is refused). */
  restore(saved: TrainerHostState): void;
}

/**
 * A driver for the gradient-aware `weighting` over `numTasks` tasks, from `initialState` or
 * `weighting.init`. Throws an `AdapterError("option")` when the state does not fit.
 *
 * @example
 * const driver = createGradientWeightingDriver(upgrad(), 2);
 * const step = driver.tryStep({ losses: [0.5, 0.2], gramian: [[1, 0], [0, 1]] }); // Right: coefficients [0.5, 0.5]
 */
export const createGradientWeightingDriver = <S>(
  weighting: GradientWeighting<S>,
  numTasks: number,
  initialState?: S,
): GradientWeightingDriver<S> => {
  let state: S;
  if (initialState !== undefined) {
    if (weighting.numTasks(initialState) !== numTasks)
      throw new AdapterError(
        "option",
        `initialState is for ${weighting.numTasks(initialState)} tasks, not ${numTasks}`,
      );
    state = initialState;
  } else {
    const init = weighting.init(numTasks);
    if (E.isLeft(init))
      throw new AdapterError("option", `weighting.init(${numTasks}) failed: ${init.left.message}`, init.left);
    state = init.right;
  }
  let stepCount = 0;
  let lastCoefficients: number[] = new Array<number>(numTasks).fill(0);
  const showLosses = (losses: TaskLosses) => Array.from(losses, (l) => (l === null ? "absent" : String(l))).join(", ");
  return {
    weighting,
    numTasks,
    get state() {
      return state;
    },
    get stepCount() {
      return stepCount;
    },
    tryStep: (input) => {
      const result = weighting.step(state, input);
      if (E.isLeft(result)) {
        return E.left({
          message: `step ${stepCount + 1}: the weighting rejected the step (losses ${showLosses(input.losses)}): ${result.left.message}`,
          cause: result.left,
        });
      }
      const { coefficients, direction } = result.right;
      const bad = coefficients.findIndex((c) => !Number.isFinite(c));
      if (bad >= 0 || (direction !== undefined && !direction.every(Number.isFinite))) {
        return E.left({
          message: `step ${stepCount + 1}: ${weighting.name} returned a non-finite ${bad >= 0 ? `coefficient for task ${bad} (${coefficients[bad]})` : "direction"}; nothing was applied`,
        });
      }
      state = result.right.state;
      lastCoefficients = [...coefficients];
      return E.right(result.right);
    },
    completeStep: (step) => {
      stepCount = step ?? stepCount + 1;
    },
    hostState: () => ({
      step: stepCount,
      laggedWeights: [...lastCoefficients],
      weightingState: weighting.stateCodec.encode(state),
      lagged: false,
    }),
    restore: (saved) => {
      if (saved.lagged)
        throw new AdapterError(
          "checkpoint",
          "the checkpoint was saved in lagged mode; a gradient-aware trainer runs in exact mode only",
        );
      // Coefficients may be negative (not on the simplex): only finiteness is required of them.
      state = checkSavedHostState(weighting, numTasks, saved, "finite numbers");
      stepCount = saved.step;
      lastCoefficients = [...saved.laggedWeights];
    },
  };
};
