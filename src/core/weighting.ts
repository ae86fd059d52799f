import type { Either } from "fp-ts/Either";
import type * as t from "io-ts";

import type { ConfigError, StepError } from "./errors.js";

/**
 * The one contract every loss weighting in art-mtl follows (Art, its peers, combinators).
 * A weighting is a pair of pure functions over a plain, JSON-safe state: `init` makes the
 * state for K tasks and `step` turns (state, per-task losses) into (new state, weights).
 * Nothing is mutated; errors are values; the state is a checkpoint.
 */

/** One step's per-task losses: a number per task, or null when the task is absent from the batch. */
export type TaskLosses = ReadonlyArray<number | null>;

/** Per-task diagnostic series for logging (null for absent tasks), e.g. Art's s, r and z. */
export type Diagnostics = Readonly<Record<string, ReadonlyArray<number | null>>>;

/** The result of one step. `weights` are on the simplex: >= 0, sum 1, exactly 0 for absent tasks. */
export interface WeightingStep<S> {
  readonly state: S;
  readonly weights: ReadonlyArray<number>;
  readonly diagnostics: Diagnostics;
}

/** A loss weighting: pure `init`/`step` over a serializable state `S`. */
export interface Weighting<S> {
  /** A short identifier, e.g. "art" or "dwa". */
  readonly name: string;
  /** The state for `numTasks` tasks (configuration errors surface here). */
  readonly init: (numTasks: number) => Either<ConfigError, S>;
  /** One step. Returns the new state; the input state is never mutated. */
  readonly step: (state: S, losses: TaskLosses) => Either<StepError, WeightingStep<S>>;
  /** Encodes the state to JSON-safe data and decodes it back exactly (checkpoints). */
  readonly stateCodec: t.Type<S, unknown, unknown>;
  /** The number of tasks a state was made for. */
  readonly numTasks: (state: S) => number;
}

/**
 * A weighting whose state type the holder does not know: what a list of different weightings, a
 * registry or a generic driver holds. Every `Weighting<S>` is an `AnyWeighting` without a cast.
 * A state one of them returns is only ever handed back to the same weighting (its `stateCodec`
 * checks what crosses a checkpoint). `Weighting<unknown>` would not do: `Weighting<S>` is
 * invariant in S (S is `step`'s parameter and result, and the codec's `encode` parameter).
 *
 * @example
 * const candidates: AnyWeighting[] = [art(), dwa(), famo()]; // no casts
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- "some S": TypeScript has no existential type
export type AnyWeighting = Weighting<any>;

/** A weighting that needs an end-of-epoch event (e.g. DWA). */
export interface EpochAwareWeighting<S> extends Weighting<S> {
  readonly endEpoch: (state: S) => S;
}

/** A weighting that observes the losses again after the parameter update (e.g. FAMO). */
export interface TwoPhaseWeighting<S> extends Weighting<S> {
  readonly observe: (state: S, lossesAfterUpdate: TaskLosses) => Either<StepError, S>;
}

/** True when `w` needs `endEpoch` calls. */
export const isEpochAware = <S>(w: Weighting<S>): w is EpochAwareWeighting<S> =>
  typeof (w as Partial<EpochAwareWeighting<S>>).endEpoch === "function";

/** True when `w` needs `observe` calls after each update. */
export const isTwoPhase = <S>(w: Weighting<S>): w is TwoPhaseWeighting<S> =>
  typeof (w as Partial<TwoPhaseWeighting<S>>).observe === "function";
