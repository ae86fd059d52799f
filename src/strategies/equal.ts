import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, NonNegativeInt } from "../core/codecs.js";
import { checkLosses, guardLosses } from "../core/losses.js";
import { uniformOverPresent } from "../core/softmax.js";
import { strictPartial } from "../core/strict.js";
import type { Weighting } from "../core/weighting.js";
import { checkNumTasks, decodeOptions, stateCodec } from "./common.js";

/**
 * Equal weighting (plain mixed training): every present task gets 1/P, absent tasks 0.
 * The baseline every other strategy is compared with.
 */

/**
 * Options of `equal` (none; unknown keys are rejected).
 *
 * @example
 * EqualOptions.decode({}) // Right({})
 */
export const EqualOptions = strictPartial({}, "EqualOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type EqualOptions = t.OutputOf<typeof EqualOptions>;

/**
 * The checked configuration stored in the state.
 *
 * @example
 * EqualConfig.is({ numTasks: 3 }) // true
 */
export const EqualConfig = t.type({ numTasks: Count }, "EqualConfig");
export type EqualConfig = t.TypeOf<typeof EqualConfig>;

/** Equal weighting's state: its config and a step counter. */
export interface EqualState {
  readonly kind: "equal";
  readonly version: 1;
  readonly config: EqualConfig;
  readonly step: number;
}

const EqualStateShape = t.type(
  { kind: t.literal("equal"), version: t.literal(1), config: EqualConfig, step: NonNegativeInt },
  "EqualState",
);

/**
 * The codec of `EqualState` (JSON-safe, exact round trip).
 *
 * @example
 * EqualStateCodec.decode(JSON.parse(JSON.stringify(EqualStateCodec.encode(state)))) // Right(state)
 */
export const EqualStateCodec: t.Type<EqualState, unknown, unknown> = stateCodec<EqualState>(
  "EqualState",
  EqualStateShape,
  () => [],
);

/**
 * Equal weighting as a `Weighting`.
 *
 * @example
 * const w = equal();
 * const s0 = unwrap(w.init(3));
 * unwrap(w.step(s0, [0.3, null, 2])).weights // [0.5, 0, 0.5]
 */
export const equal = (options: EqualOptions = {}): Weighting<EqualState> => {
  const decoded = decodeOptions(EqualOptions, options);
  return {
    name: "equal",
    init: (numTasks) =>
      E.isLeft(decoded)
        ? decoded
        : E.map((n: Count): EqualState => ({ kind: "equal", version: 1, config: { numTasks: n }, step: 0 }))(
            checkNumTasks(numTasks),
          ),
    step: guardLosses((state, losses) => {
      const problem = checkLosses(losses, state.config.numTasks);
      if (problem !== null) return E.left(problem);
      return E.right({
        state: { ...state, step: state.step + 1 },
        weights: uniformOverPresent(losses),
        diagnostics: {},
      });
    }),
    stateCodec: EqualStateCodec,
    numTasks: (state) => state.config.numTasks,
  };
};
