import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, NonNegativeInt, NullableFinite, PositiveFinite } from "../core/codecs.js";
import { checkLosses, guardLosses } from "../core/losses.js";
import { softmaxPresent, uniformOverPresent } from "../core/softmax.js";
import { strictPartial } from "../core/strict.js";
import type { EpochAwareWeighting } from "../core/weighting.js";
import { checkNumTasks, decodeOptions, stateCodec, vectorProblems } from "./common.js";

/**
 * Dynamic weight average (DWA, Liu et al. 2019, "End-to-End Multi-Task Learning with
 * Attention"): w_k(t) = K softmax_k(r_k(t-1) / T) with r_k(t-1) = L_k(t-1) / L_k(t-2), where
 * L_k(t) is task k's mean loss over epoch t, and uniform weights for the first two epochs.
 *
 * - Our weights are on the simplex, so DWA's factor K (a global scale making the weights sum
 *   to K) is dropped; a trainer that wants DWA's exact magnitude multiplies by K.
 * - The weights change only at epoch boundaries (`endEpoch`); within an epoch they are
 *   renormalised over the tasks present in each step (absent tasks get 0).
 * - A task absent for a whole epoch keeps its last mean: the closed epoch's mean is taken to
 *   be the previous one, so its ratio becomes 1 (no evidence of progress either way).
 * - A task without two epoch means yet (seen late) uses the neutral ratio 1.
 * - An epoch with no steps only advances the epoch count (the means and weights stay).
 * - Epoch means are running means (no sum that could overflow).
 */

/**
 * Options of `dwa`: the temperature T (default 2, the paper's value).
 *
 * @example
 * DwaOptions.decode({ temperature: 2 }) // Right; { temprature: 2 } is Left (unknown key)
 */
export const DwaOptions = strictPartial({ temperature: PositiveFinite }, "DwaOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type DwaOptions = t.OutputOf<typeof DwaOptions>;

/**
 * The checked configuration stored in the state.
 *
 * @example
 * DwaConfig.is({ numTasks: 3, temperature: 2 }) // true
 */
export const DwaConfig = t.type({ numTasks: Count, temperature: PositiveFinite }, "DwaConfig");
export type DwaConfig = t.TypeOf<typeof DwaConfig>;

/**
 * DWA's default temperature (the paper's T = 2).
 *
 * @example
 * dwa().init(2) // config.temperature = DWA_DEFAULT_TEMPERATURE
 */
export const DWA_DEFAULT_TEMPERATURE = 2;

/** DWA's state. */
export interface DwaState {
  readonly kind: "dwa";
  readonly version: 1;
  readonly config: DwaConfig;
  /** Steps taken in total. */
  readonly step: number;
  /** Epochs closed so far (the current epoch's index). */
  readonly epoch: number;
  /** Running mean of each task's loss in the current epoch (null while unseen in it). */
  readonly epochMean: ReadonlyArray<number | null>;
  /** How many losses of each task the current epoch has seen. */
  readonly epochCount: ReadonlyArray<number>;
  /** Mean loss of the last closed epoch, L_k(t-1) (null when never seen). */
  readonly lastMean: ReadonlyArray<number | null>;
  /** Mean loss of the epoch before, L_k(t-2) (null when unknown). */
  readonly previousMean: ReadonlyArray<number | null>;
}

const positiveOrNull = (value: unknown): boolean => value === null || (typeof value === "number" && value > 0);

/**
 * The codec of `DwaState` (vectors of length K; a mean is null exactly when its count is 0).
 *
 * @example
 * DwaStateCodec.decode(JSON.parse(JSON.stringify(DwaStateCodec.encode(state)))) // Right(state)
 */
export const DwaStateCodec = stateCodec<DwaState>(
  "DwaState",
  t.type({
    kind: t.literal("dwa"),
    version: t.literal(1),
    config: DwaConfig,
    step: NonNegativeInt,
    epoch: NonNegativeInt,
    epochMean: t.array(NullableFinite),
    epochCount: t.array(NonNegativeInt),
    lastMean: t.array(NullableFinite),
    previousMean: t.array(NullableFinite),
  }),
  (state) => {
    const k = state.config.numTasks;
    const problems = [
      ...vectorProblems("epochMean", state.epochMean, k, positiveOrNull, "a number > 0 or null"),
      ...vectorProblems("epochCount", state.epochCount, k, () => true, ""),
      ...vectorProblems("lastMean", state.lastMean, k, positiveOrNull, "a number > 0 or null"),
      ...vectorProblems("previousMean", state.previousMean, k, positiveOrNull, "a number > 0 or null"),
    ];
    if (problems.length > 0) return problems;
    state.epochMean.forEach((mean, i) => {
      if ((mean === null) !== (state.epochCount[i] === 0)) {
        problems.push(
          `epochMean.${i}: expected null exactly when epochCount.${i} is 0 (got ${mean} with count ${state.epochCount[i]})`,
        );
      }
    });
    return problems;
  },
);

/**
 * The loss ratios r_k = L_k(t-1) / L_k(t-2) that the current epoch uses (1 when unknown).
 *
 * @example
 * dwaRatios(state) // e.g. [0.9, 1, 1.2]
 */
export const dwaRatios = (state: DwaState): number[] =>
  state.lastMean.map((last, k) => {
    const before = state.previousMean[k];
    return last === null || before === null || before === undefined ? 1 : last / before;
  });

/**
 * DWA as an `EpochAwareWeighting`: call `endEpoch(state)` after the last step of each epoch.
 *
 * @example
 * const w = dwa({ temperature: 2 });
 * let s = unwrap(w.init(2));
 * s = unwrap(w.step(s, [1, 1])).state; s = w.endEpoch(s);     // epoch 0: uniform
 * s = unwrap(w.step(s, [0.5, 1])).state; s = w.endEpoch(s);   // epoch 1: uniform
 * unwrap(w.step(s, [0.5, 1])).weights                         // softmax([0.5, 1] / 2)
 */
export const dwa = (options: DwaOptions = {}): EpochAwareWeighting<DwaState> => {
  const decoded = decodeOptions(DwaOptions, options);
  return {
    name: "dwa",
    init: (numTasks) => {
      if (E.isLeft(decoded)) return decoded;
      const temperature = decoded.right.temperature ?? (DWA_DEFAULT_TEMPERATURE as PositiveFinite);
      return E.map((n: Count): DwaState => {
        const empty = Array.from({ length: n }, (): number | null => null);
        return {
          kind: "dwa",
          version: 1,
          config: { numTasks: n, temperature },
          step: 0,
          epoch: 0,
          epochMean: empty,
          epochCount: Array.from({ length: n }, () => 0),
          lastMean: empty,
          previousMean: empty,
        };
      })(checkNumTasks(numTasks));
    },
    step: guardLosses((state, losses) => {
      const problem = checkLosses(losses, state.config.numTasks);
      if (problem !== null) return E.left(problem);
      const ratios = dwaRatios(state);
      const weights =
        state.epoch < 2
          ? uniformOverPresent(losses)
          : softmaxPresent(ratios.map((ratio, k) => (losses[k] === null ? null : ratio / state.config.temperature)));
      const epochMean = state.epochMean.map((mean, k) => {
        const loss = losses[k] as number | null;
        if (loss === null) return mean;
        // Running mean: m_n = m_{n-1} + (x - m_{n-1}) / n.
        return mean === null ? loss : mean + (loss - mean) / ((state.epochCount[k] as number) + 1);
      });
      const epochCount = state.epochCount.map((count, k) => (losses[k] === null ? count : count + 1));
      return E.right({
        state: { ...state, step: state.step + 1, epochMean, epochCount },
        weights,
        diagnostics: { ratio: ratios.map((ratio, k) => (losses[k] === null ? null : ratio)) },
      });
    }),
    endEpoch: (state) => {
      // An epoch with no steps only advances the count (its means would just repeat the last).
      if (state.epochCount.every((count) => count === 0)) return { ...state, epoch: state.epoch + 1 };
      const closed = state.epochMean.map((mean, k) => mean ?? state.lastMean[k] ?? null);
      return {
        ...state,
        epoch: state.epoch + 1,
        epochMean: state.epochMean.map(() => null),
        epochCount: state.epochCount.map(() => 0),
        lastMean: closed,
        previousMean: state.lastMean,
      };
    },
    stateCodec: DwaStateCodec,
    numTasks: (state) => state.config.numTasks,
  };
};
