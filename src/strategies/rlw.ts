import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, NonNegativeInt } from "../core/codecs.js";
import { checkLosses, guardLosses } from "../core/losses.js";
import { Rng, type RngState } from "../core/random.js";
import { softmaxPresent } from "../core/softmax.js";
import { strictPartial } from "../core/strict.js";
import type { Weighting } from "../core/weighting.js";
import { checkNumTasks, decodeOptions, stateCodec } from "./common.js";

/**
 * Random loss weighting (RLW, Lin et al. 2022, "Reasonable Effectiveness of Random Weighting"):
 * at every step draw lambda_k ~ N(0, 1) and weigh by softmax(lambda) over the present tasks.
 * The generator (xoshiro128**, four uint32 words) lives in the state, so a run is reproducible
 * from its seed and resumes exactly from a checkpoint. One draw is made for every task at every
 * step, absent or not, so task k's draw at step t depends only on the seed and t.
 */

/**
 * Options of `rlw`: the integer seed (default 0).
 *
 * @example
 * RlwOptions.decode({ seed: 3 }) // Right({ seed: 3 })
 */
export const RlwOptions = strictPartial({ seed: NonNegativeInt }, "RlwOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type RlwOptions = t.OutputOf<typeof RlwOptions>;

/**
 * The checked configuration stored in the state.
 *
 * @example
 * RlwConfig.is({ numTasks: 3, seed: 0 }) // true
 */
export const RlwConfig = t.type({ numTasks: Count, seed: NonNegativeInt }, "RlwConfig");
export type RlwConfig = t.TypeOf<typeof RlwConfig>;

/** RLW's state: config, step counter and the generator's four words. */
export interface RlwState {
  readonly kind: "rlw";
  readonly version: 1;
  readonly config: RlwConfig;
  readonly step: number;
  readonly rng: RngState;
}

const Uint32 = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, "Uint32");

/**
 * The codec of `RlwState` (the generator's words must be uint32s, not all zero).
 *
 * @example
 * RlwStateCodec.decode({ ...state, rng: [0, 0, 0, 0] }) // Left: "rng: the all-zero generator state is invalid"
 */
export const RlwStateCodec = stateCodec<RlwState>(
  "RlwState",
  t.type({
    kind: t.literal("rlw"),
    version: t.literal(1),
    config: RlwConfig,
    step: NonNegativeInt,
    rng: t.tuple([Uint32, Uint32, Uint32, Uint32]),
  }),
  (state) => (state.rng.every((word) => word === 0) ? ["rng: the all-zero generator state is invalid"] : []),
);

/**
 * RLW as a `Weighting`.
 *
 * @example
 * const w = rlw({ seed: 3 });
 * const r = unwrap(w.step(unwrap(w.init(3)), [0.5, null, 0.2]));
 * r.weights[1] // 0; the others are softmax of two N(0,1) draws
 */
export const rlw = (options: RlwOptions = {}): Weighting<RlwState> => {
  const decoded = decodeOptions(RlwOptions, options);
  return {
    name: "rlw",
    init: (numTasks) => {
      if (E.isLeft(decoded)) return decoded;
      const seed = decoded.right.seed ?? (0 as NonNegativeInt);
      return E.map((n: Count): RlwState => ({
        kind: "rlw",
        version: 1,
        config: { numTasks: n, seed },
        step: 0,
        rng: Rng.seeded(seed).state(),
      }))(checkNumTasks(numTasks));
    },
    step: guardLosses((state, losses) => {
      const numTasks = state.config.numTasks;
      const problem = checkLosses(losses, numTasks);
      if (problem !== null) return E.left(problem);
      const rng = Rng.fromState(state.rng);
      const draws = Array.from({ length: numTasks }, () => rng.normal());
      const logits = draws.map((draw, k) => (losses[k] === null ? null : draw));
      return E.right({
        state: { ...state, step: state.step + 1, rng: rng.state() },
        weights: softmaxPresent(logits),
        diagnostics: { draw: logits },
      });
    }),
    stateCodec: RlwStateCodec,
    numTasks: (state) => state.config.numTasks,
  };
};
