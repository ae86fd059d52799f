import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, NonNegativeInt } from "../core/codecs.js";
import { checkLosses, guardLosses } from "../core/losses.js";
import { strictPartial } from "../core/strict.js";
import type { TaskLosses, Weighting } from "../core/weighting.js";
import { checkNumTasks, decodeOptions, normalisePresent, stateCodec } from "./common.js";

/**
 * Scale-invariant weighting (SI): w_k ∝ 1 / L_k over the present tasks. Multiplying a task's
 * loss by a constant c multiplies its weight by 1/c, so w_k L_k (the weighted loss) does not
 * depend on the loss's unit: the gradient equals that of sum_k log L_k up to a global factor.
 */

/**
 * Options of `si` (none; unknown keys are rejected).
 *
 * @example
 * SiOptions.decode({ scale: 2 }) // Left: "scale: unknown key"
 */
export const SiOptions = strictPartial({}, "SiOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type SiOptions = t.OutputOf<typeof SiOptions>;

/**
 * The checked configuration stored in the state.
 *
 * @example
 * SiConfig.is({ numTasks: 3 }) // true
 */
export const SiConfig = t.type({ numTasks: Count }, "SiConfig");
export type SiConfig = t.TypeOf<typeof SiConfig>;

/** SI's state: its config and a step counter (the rule itself is memoryless). */
export interface SiState {
  readonly kind: "si";
  readonly version: 1;
  readonly config: SiConfig;
  readonly step: number;
}

/**
 * The codec of `SiState`.
 *
 * @example
 * SiStateCodec.decode(JSON.parse(JSON.stringify(SiStateCodec.encode(state)))) // Right(state)
 */
export const SiStateCodec = stateCodec<SiState>(
  "SiState",
  t.type({ kind: t.literal("si"), version: t.literal(1), config: SiConfig, step: NonNegativeInt }),
  () => [],
);

/**
 * Inverse-loss weights over the present tasks (absent = 0). Shared with GLS, whose weights
 * point the same way.
 *
 * @example
 * inverseLossWeights([1, null, 3]) // [0.75, 0, 0.25]
 */
export const inverseLossWeights = (losses: TaskLosses): number[] => {
  // Scale by the smallest present loss first so that 1/L cannot overflow for tiny losses.
  let min = Infinity;
  for (const loss of losses) if (loss !== null && loss < min) min = loss;
  return normalisePresent(losses.map((loss) => (loss === null ? null : min / loss)));
};

/**
 * SI as a `Weighting`. Its diagnostic `inverseLoss` is 1 / L_k normalised by the smallest
 * present loss, min_i L_i / L_k (1 for the smallest loss, null when absent): it stays finite
 * even for subnormal losses, where 1 / L would be Infinity (printed as null in JSON).
 *
 * @example
 * const w = si();
 * unwrap(w.step(unwrap(w.init(2)), [1, 3])).weights // [0.75, 0.25]
 */
export const si = (options: SiOptions = {}): Weighting<SiState> => {
  const decoded = decodeOptions(SiOptions, options);
  return {
    name: "si",
    init: (numTasks) =>
      E.isLeft(decoded)
        ? decoded
        : E.map((n: Count): SiState => ({ kind: "si", version: 1, config: { numTasks: n }, step: 0 }))(
            checkNumTasks(numTasks),
          ),
    step: guardLosses((state, losses) => {
      const problem = checkLosses(losses, state.config.numTasks);
      if (problem !== null) return E.left(problem);
      let min = Infinity;
      for (const loss of losses) if (loss !== null && loss < min) min = loss;
      return E.right({
        state: { ...state, step: state.step + 1 },
        weights: inverseLossWeights(losses),
        diagnostics: { inverseLoss: losses.map((loss) => (loss === null ? null : min / loss)) },
      });
    }),
    stateCodec: SiStateCodec,
    numTasks: (state) => state.config.numTasks,
  };
};
