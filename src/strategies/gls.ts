import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, NonNegativeInt } from "../core/codecs.js";
import { checkLosses, guardLosses } from "../core/losses.js";
import { strictPartial } from "../core/strict.js";
import type { TaskLosses, Weighting } from "../core/weighting.js";
import { checkNumTasks, decodeOptions, stateCodec } from "./common.js";
import { inverseLossWeights } from "./si.js";

/**
 * Geometric loss strategy (GLS, Chennupati et al. 2019): the total loss is the geometric mean
 * G = (prod_k L_k)^(1/P) over the P present tasks. Its gradient is sum_k G / (P L_k) grad L_k,
 * so as weights on the simplex alpha_k ∝ 1 / L_k: the same direction as SI. What GLS adds is
 * the global scale G (the un-normalised coefficients G / (P L_k) sum to G/P * sum 1/L_k, not 1);
 * a trainer that wants GLS's exact gradient magnitude multiplies by it, which is why G is
 * exposed as `diagnostics.geometricMean` and the raw coefficients as `diagnostics.coefficient`.
 */

/**
 * Options of `gls` (none; unknown keys are rejected).
 *
 * @example
 * GlsOptions.decode({}) // Right({})
 */
export const GlsOptions = strictPartial({}, "GlsOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type GlsOptions = t.OutputOf<typeof GlsOptions>;

/**
 * The checked configuration stored in the state.
 *
 * @example
 * GlsConfig.is({ numTasks: 3 }) // true
 */
export const GlsConfig = t.type({ numTasks: Count }, "GlsConfig");
export type GlsConfig = t.TypeOf<typeof GlsConfig>;

/** GLS's state: its config and a step counter (the rule itself is memoryless). */
export interface GlsState {
  readonly kind: "gls";
  readonly version: 1;
  readonly config: GlsConfig;
  readonly step: number;
}

/**
 * The codec of `GlsState`.
 *
 * @example
 * GlsStateCodec.decode(JSON.parse(JSON.stringify(GlsStateCodec.encode(state)))) // Right(state)
 */
export const GlsStateCodec = stateCodec<GlsState>(
  "GlsState",
  t.type({ kind: t.literal("gls"), version: t.literal(1), config: GlsConfig, step: NonNegativeInt }),
  () => [],
);

/**
 * The geometric mean of the present losses, computed in log space (no overflow of the product).
 *
 * @example
 * geometricMeanPresent([1, null, 4]) // 2
 */
export const geometricMeanPresent = (losses: TaskLosses): number => {
  let sumLog = 0;
  let present = 0;
  for (const loss of losses) {
    if (loss === null) continue;
    sumLog += Math.log(loss);
    present++;
  }
  return Math.exp(sumLog / present);
};

/**
 * GLS as a `Weighting`. `diagnostics.geometricMean` repeats G at every present task (null when
 * absent) so that it stays a per-task series like every other diagnostic.
 *
 * @example
 * const w = gls();
 * const r = unwrap(w.step(unwrap(w.init(2)), [1, 4]));
 * r.weights                      // [0.8, 0.2]
 * r.diagnostics.geometricMean    // [2, 2]
 */
export const gls = (options: GlsOptions = {}): Weighting<GlsState> => {
  const decoded = decodeOptions(GlsOptions, options);
  return {
    name: "gls",
    init: (numTasks) =>
      E.isLeft(decoded)
        ? decoded
        : E.map((n: Count): GlsState => ({ kind: "gls", version: 1, config: { numTasks: n }, step: 0 }))(
            checkNumTasks(numTasks),
          ),
    step: guardLosses((state, losses) => {
      const problem = checkLosses(losses, state.config.numTasks);
      if (problem !== null) return E.left(problem);
      const g = geometricMeanPresent(losses);
      const present = losses.filter((loss) => loss !== null).length;
      return E.right({
        state: { ...state, step: state.step + 1 },
        weights: inverseLossWeights(losses),
        diagnostics: {
          geometricMean: losses.map((loss) => (loss === null ? null : g)),
          coefficient: losses.map((loss) => (loss === null ? null : g / (present * loss))),
        },
      });
    }),
    stateCodec: GlsStateCodec,
    numTasks: (state) => state.config.numTasks,
  };
};
