import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, Finite, NonNegativeInt, PositiveFinite } from "../core/codecs.js";
import { invalidConfig, invalidLoss, invalidState, type StepError } from "../core/errors.js";
import { checkLosses, guardLosses } from "../core/losses.js";
import { softmaxPresent } from "../core/softmax.js";
import { strictPartial } from "../core/strict.js";
import type { TaskLosses, TwoPhaseWeighting } from "../core/weighting.js";
import { ADAM_START, AdamMomentsCodec, adamMomentsProblems, adamUpdate, type AdamMoments } from "./adam.js";
import { checkNumTasks, decodeOptions, stateCodec, vectorProblems } from "./common.js";

/**
 * FAMO (Liu, Liu, Stone & Liu 2023, "FAMO: Fast Adaptive Multitask Optimization").
 * Task logits xi give z = softmax(xi). With D_k = L_k - b_k + eps (b_k a known lower bound of
 * the loss, default 0; eps = 1e-8 as in the reference code), the trainer minimises
 * sum_k z_k log D_k / c with c = sum_i z_i / D_i held constant, whose gradient is
 * sum_k (z_k / D_k) / c * grad L_k: so the weights on the simplex are
 * alpha_k = (z_k / D_k) / sum_i (z_i / D_i).
 *
 * It is a `TwoPhaseWeighting`: `step` (weigh) remembers the losses; after the model update the
 * trainer calls `observe(state, lossesAfterUpdate)`, which computes the log-loss decrease
 * delta_k = log D_k(before) - log D_k(after), the gradient of xi as the softmax's Jacobian
 * applied to delta, g = z * (delta - <z, delta>), and takes one Adam step on xi (lr 0.025,
 * L2 weight decay gamma, as PyTorch's Adam does in the reference code).
 *
 * Absent tasks: z and alpha are over the present tasks; `observe` updates only the logits of
 * tasks present both in the weighed step and after the update (softmax over that set), and the
 * others keep their logits and moments. A `step` without an `observe` in between simply replaces
 * the remembered losses (FAMO learns nothing from that step).
 */

const Beta = t.refinement(t.number, (n) => n >= 0 && n < 1, "number in [0, 1)");
const NonNegativeFinite = t.refinement(Finite, (n) => n >= 0, "number >= 0");

const optionProps = {
  lr: PositiveFinite,
  gamma: NonNegativeFinite,
  beta1: Beta,
  beta2: Beta,
  epsilon: PositiveFinite,
  logEpsilon: NonNegativeFinite,
  minLosses: t.array(Finite),
};

/**
 * Options of `famo` (all optional): logits' lr (0.025), weight decay gamma (0.01), Adam betas
 * (0.9, 0.999) and epsilon (1e-8), the epsilon inside the log (1e-8) and `minLosses` b_k (zeros).
 *
 * @example
 * FamoOptions.decode({ gamma: 1e-3, minLosses: [0, 0.1] }) // Right
 */
export const FamoOptions = strictPartial(optionProps, "FamoOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type FamoOptions = t.OutputOf<typeof FamoOptions>;

/**
 * The checked configuration stored in the state.
 *
 * @example
 * unwrap(famo().init(2)).config.gamma // 0.01
 */
export const FamoConfig = t.type({ numTasks: Count, ...optionProps }, "FamoConfig");
export type FamoConfig = t.TypeOf<typeof FamoConfig>;

/**
 * FAMO's defaults (gamma = 0.01 as in the reference `famo.py`; see docs/strategies/famo.md).
 *
 * @example
 * FAMO_DEFAULTS.gamma // 0.01
 */
export const FAMO_DEFAULTS = {
  lr: 0.025,
  gamma: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  logEpsilon: 1e-8,
} as const;

/** FAMO's state. */
export interface FamoState {
  readonly kind: "famo";
  readonly version: 1;
  readonly config: FamoConfig;
  readonly step: number;
  /** The task logits xi. */
  readonly logits: ReadonlyArray<number>;
  /** Adam's moments for each logit. */
  readonly moments: ReadonlyArray<AdamMoments>;
  /** The losses of the last `step`, waiting for `observe` (null when none is pending). */
  readonly pending: ReadonlyArray<number | null> | null;
}

/**
 * The codec of `FamoState`.
 *
 * @example
 * FamoStateCodec.decode(JSON.parse(JSON.stringify(FamoStateCodec.encode(state)))) // Right(state)
 */
export const FamoStateCodec = stateCodec<FamoState>(
  "FamoState",
  t.type({
    kind: t.literal("famo"),
    version: t.literal(1),
    config: FamoConfig,
    step: NonNegativeInt,
    logits: t.array(Finite),
    moments: t.array(AdamMomentsCodec),
    pending: t.union([t.array(t.union([Finite, t.null])), t.null]),
  }),
  (state) => {
    const k = state.config.numTasks;
    return [
      ...vectorProblems("config.minLosses", state.config.minLosses, k, () => true, ""),
      ...vectorProblems("logits", state.logits, k, () => true, ""),
      ...vectorProblems("moments", state.moments, k, () => true, ""),
      ...state.moments.flatMap((m, i) => adamMomentsProblems(`moments.${i}`, m)),
      ...(state.pending === null ? [] : vectorProblems("pending", state.pending, k, () => true, "")),
      ...(state.pending === null || state.pending.length !== k || state.config.minLosses.length !== k
        ? []
        : state.pending.flatMap((v, i) => {
            const bound = state.config.minLosses[i] as number;
            return v === null || v - bound + state.config.logEpsilon > 0
              ? []
              : [
                  `pending.${i}: expected loss - minLosses.${i} + logEpsilon > 0 (got ${JSON.stringify(v)}; minLoss ${bound}, logEpsilon ${state.config.logEpsilon})`,
                ];
          })),
    ];
  },
);

/** Checks the losses and that each present D_k = L_k - b_k + eps is > 0. */
const checkFamoLosses = (config: FamoConfig, losses: TaskLosses): StepError | null => {
  const problem = checkLosses(losses, config.numTasks);
  if (problem !== null) return problem;
  for (let k = 0; k < config.numTasks; k++) {
    const loss = losses[k] as number | null;
    if (loss === null) continue;
    const bound = config.minLosses[k] as number;
    if (!(loss - bound + config.logEpsilon > 0)) {
      return invalidLoss(
        k,
        loss,
        "out-of-domain",
        undefined,
        `FAMO needs loss - minLoss + logEpsilon > 0 (minLoss = ${bound})`,
      );
    }
  }
  return null;
};

/** `famoCoefficients` from z = softmax of the present logits (so `step` computes z once). */
const coefficientsOf = (
  z: ReadonlyArray<number>,
  losses: TaskLosses,
  minLosses: ReadonlyArray<number>,
  logEpsilon: number,
): number[] => {
  const d = losses.map((loss, k) => (loss === null ? null : loss - (minLosses[k] as number) + logEpsilon));
  const ratios = (scale: number): number[] => z.map((zk, k) => (d[k] === null ? 0 : zk / ((d[k] as number) / scale)));
  const total = (ratio: ReadonlyArray<number>): number => ratio.reduce((a, b) => a + b, 0);
  let ratio = ratios(1);
  let sum = total(ratio);
  if (!(sum > 0 && sum < Infinity)) {
    let smallest = Infinity;
    for (const dk of d) if (dk !== null && dk < smallest) smallest = dk;
    ratio = ratios(smallest);
    sum = total(ratio);
  }
  // Like softmaxPresent: a present task whose coefficient underflows keeps 5e-324.
  return ratio.map((r, k) => (d[k] !== null && r / sum === 0 ? Number.MIN_VALUE : r / sum));
};

/**
 * FAMO's loss coefficients alpha_k = (z_k / D_k) / sum_i (z_i / D_i) over the present tasks.
 * When z_k / D_k overflows (a tiny D, e.g. a subnormal loss with logEpsilon 0) or every ratio
 * underflows, every D is first divided by the smallest present D (as `inverseLossWeights`
 * does), which leaves alpha unchanged mathematically and keeps it finite; otherwise the plain
 * formula is used, so normal results are bit-for-bit the same. A present task's coefficient is
 * floored at 5e-324, as in `softmaxPresent`.
 *
 * @example
 * famoCoefficients([0, 0], [1, 3], [0, 0], 0) // [0.75, 0.25]
 */
export const famoCoefficients = (
  logits: ReadonlyArray<number>,
  losses: TaskLosses,
  minLosses: ReadonlyArray<number>,
  logEpsilon: number,
): number[] =>
  coefficientsOf(softmaxPresent(logits.map((x, k) => (losses[k] === null ? null : x))), losses, minLosses, logEpsilon);

/**
 * FAMO as a `TwoPhaseWeighting`: `step` before the update, `observe` after it.
 *
 * @example
 * const w = famo();
 * let s = unwrap(w.init(2));
 * const r = unwrap(w.step(s, [1, 3]));   // weights [0.75, 0.25] (z uniform at first)
 * s = unwrap(w.observe(r.state, [0.9, 2.9])); // logits move against the faster-improving task
 */
export const famo = (options: FamoOptions = {}): TwoPhaseWeighting<FamoState> => {
  const decoded = decodeOptions(FamoOptions, options);
  return {
    name: "famo",
    init: (numTasks) => {
      if (E.isLeft(decoded)) return decoded;
      return E.chain((n: Count): E.Either<ReturnType<typeof invalidConfig>, FamoState> => {
        const o = decoded.right;
        const minLosses = o.minLosses ?? Array.from({ length: n }, () => 0 as Finite);
        if (minLosses.length !== n) {
          return E.left(invalidConfig([`minLosses: expected ${n} entries, one per task (got ${minLosses.length})`]));
        }
        return E.right({
          kind: "famo",
          version: 1,
          config: { ...FAMO_DEFAULTS, ...o, numTasks: n, minLosses } as FamoConfig,
          step: 0,
          logits: Array.from({ length: n }, () => 0),
          moments: Array.from({ length: n }, () => ADAM_START),
          pending: null,
        });
      })(checkNumTasks(numTasks));
    },
    step: guardLosses((state, losses) => {
      const c = state.config;
      const problem = checkFamoLosses(c, losses);
      if (problem !== null) return E.left(problem);
      const z = softmaxPresent(state.logits.map((x, k) => (losses[k] === null ? null : x)));
      return E.right({
        state: { ...state, step: state.step + 1, pending: [...losses] },
        weights: coefficientsOf(z, losses, c.minLosses, c.logEpsilon),
        diagnostics: { z: z.map((zk, k) => (losses[k] === null ? null : zk)) },
      });
    }),
    observe: guardLosses((state, after) => {
      const c = state.config;
      const before = state.pending;
      if (before === null)
        return E.left(invalidState(["pending: observe needs a step before it (no losses are pending)"]));
      const problem = checkFamoLosses(c, after);
      if (problem !== null) return E.left(problem);
      const both = before.map((loss, k) => loss !== null && after[k] !== null);
      const z = softmaxPresent(state.logits.map((x, k) => (both[k] ? x : null)));
      const logD = (loss: number, k: number) => Math.log(loss - (c.minLosses[k] as number) + c.logEpsilon);
      const delta = both.map((ok, k) => (ok ? logD(before[k] as number, k) - logD(after[k] as number, k) : 0));
      let mean = 0;
      for (let k = 0; k < delta.length; k++) if (both[k]) mean += (z[k] as number) * (delta[k] as number);
      const hyper = { lr: c.lr, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, weightDecay: c.gamma };
      const logits = [...state.logits];
      const moments = [...state.moments];
      for (let k = 0; k < logits.length; k++) {
        if (!both[k]) continue;
        const grad = (z[k] as number) * ((delta[k] as number) - mean);
        const updated = adamUpdate(hyper, logits[k] as number, moments[k] as AdamMoments, grad);
        logits[k] = updated.x;
        moments[k] = updated.moments;
      }
      return E.right({ ...state, logits, moments, pending: null });
    }),
    stateCodec: FamoStateCodec,
    numTasks: (state) => state.config.numTasks,
  };
};
