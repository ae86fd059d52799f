import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Finite, NonNegativeInt } from "../../core/codecs.js";
import type { GradientWeighting } from "../../core/gradient-weighting.js";
import { Rng, type RngState } from "../../core/random.js";
import { strictPartial } from "../../core/strict.js";
import type { FlagSpec } from "../registry.js";
import { gradientWeighting, type GradientMethod, type GradientMethodState } from "./method.js";
import { RngStateCodec, rngStateProblems } from "./pcgrad.js";

/**
 * GradDrop, gradient sign dropout (Chen, Ngiam, Huang, Luong, Kretzschmar, Chai & Anguelov,
 * "Just Pick a Sign: Optimizing Deep Multitask Models with Gradient Sign Dropout", NeurIPS 2020),
 * as LibMTL (`LibMTL/weighting/GradDrop.py`, `GradDrop.backward`) and TorchJD
 * (`src/torchjd/aggregation/_graddrop.py`, `GradDrop.forward`) compute it, on the given vectors.
 *
 * Per coordinate p: the positive sign purity P_p = ½ (1 + Σ_k g_kp / (Σ_k |g_kp| + ε)), a draw
 * U_p uniform in [0, 1), the mask M_kp = [P_p > U_p][g_kp > 0] + [P_p < U_p][g_kp < 0] (only the
 * gradients of the chosen sign survive; nothing does when P_p = U_p), and the direction
 * d_p = Σ_k (ℓ + (1 − ℓ) M_kp) g_kp with the leak ℓ. It is not a combination of the g_k, so the
 * method returns `direction`; `coefficients` report, per task, the fraction of its squared norm
 * kept, c_k = Σ_p (ℓ + (1 − ℓ) M_kp) g_kp² / Σ_p g_kp² (in [ℓ, 1]; 1 for a zero gradient), which
 * is also the least-squares coefficient of task k's masked gradient on g_k.
 *
 * LibMTL applies GradDrop to the gradients at the shared representation (`rep_grad`), summing
 * sign(representation) ⊙ gradient over the batch to form the purity and masking every sample's
 * gradient alike; here the vectors passed are masked as they are (TorchJD's view, with one
 * scalar leak): pass the representation gradients to work at that level.
 *
 * One draw per coordinate per step (`Rng.uniform`, 53 bits, in coordinate order) from the state's
 * generator; absent tasks draw nothing, so a step with absent tasks equals the step on the
 * present ones from the same generator state.
 */

const UnitInterval = t.refinement(Finite, (n) => n >= 0 && n <= 1, "number in [0, 1]");
const NonNegativeFinite = t.refinement(Finite, (n) => n >= 0, "number >= 0");

const optionProps = {
  leak: UnitInterval,
  seed: NonNegativeInt,
  epsilon: NonNegativeFinite,
};

/**
 * Options of `graddrop` (all optional): the `leak` ℓ (0, LibMTL's `--leak`), the generator's
 * `seed` (0) and the purity's `epsilon` (1e-7, LibMTL's; TorchJD has none: 0).
 *
 * @example
 * GraddropOptions.decode({ leak: 0.2, seed: 1 }) // Right
 */
export const GraddropOptions = strictPartial(optionProps, "GraddropOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type GraddropOptions = t.OutputOf<typeof GraddropOptions>;

/** GradDrop's checked configuration (in the state, with numTasks and gramianTolerance). */
export interface GraddropConfig {
  readonly leak: number;
  readonly seed: number;
  readonly epsilon: number;
}

/**
 * GradDrop's defaults: LibMTL's (leak 0, ε 1e-7).
 *
 * @example
 * GRADDROP_DEFAULTS.epsilon // 1e-7
 */
export const GRADDROP_DEFAULTS: GraddropConfig = { leak: 0, seed: 0, epsilon: 1e-7 };

/** What GradDrop carries between steps: the generator of the thresholds U. */
export interface GraddropMemory {
  readonly rng: RngState;
}

/** GradDrop's state. */
export type GraddropState = GradientMethodState<GraddropConfig, GraddropMemory>;

/**
 * GradDrop as a `GradientMethod` (`needs: "gradients"`; it returns the masked sum as `direction`).
 *
 * @example
 * const w = gradientWeighting(GRADDROP_METHOD, { leak: 0.1 });
 */
export const GRADDROP_METHOD: GradientMethod<t.TypeOf<typeof GraddropOptions>, GraddropConfig, GraddropMemory> = {
  name: "graddrop",
  needs: "gradients",
  coefficientsOnSimplex: false,
  optionsCodec: GraddropOptions,
  configOf: (options) =>
    E.right({
      leak: options.leak ?? GRADDROP_DEFAULTS.leak,
      seed: options.seed ?? GRADDROP_DEFAULTS.seed,
      epsilon: options.epsilon ?? GRADDROP_DEFAULTS.epsilon,
    }),
  configProps: optionProps,
  initMemory: (config) => ({ rng: Rng.seeded(config.seed).state() }),
  memoryCodec: t.type({ rng: RngStateCodec }),
  memoryProblems: (memory) => rngStateProblems("rng", memory.rng),
  solve: (config, memory, problem) => {
    const { gradients } = problem;
    const n = gradients.length;
    const length = n === 0 ? 0 : gradients[0]!.length;
    const { leak, epsilon } = config;
    const rng = Rng.fromState(memory.rng);
    const direction = new Array<number>(length).fill(0);
    const keptSquares = new Array<number>(n).fill(0);
    const squares = new Array<number>(n).fill(0);
    for (let p = 0; p < length; p++) {
      let sum = 0;
      let absoluteSum = 0;
      for (let k = 0; k < n; k++) {
        const g = gradients[k]![p]!;
        sum += g;
        absoluteSum += Math.abs(g);
      }
      // A zero column with ε = 0 (TorchJD's 0/0): every g_kp is 0, so d_p is 0 whatever P is.
      const denominator = absoluteSum + epsilon;
      const purity = denominator > 0 ? 0.5 * (1 + sum / denominator) : 0.5;
      const threshold = rng.uniform();
      const keepPositive = purity > threshold;
      const keepNegative = purity < threshold;
      let d = 0;
      for (let k = 0; k < n; k++) {
        const g = gradients[k]![p]!;
        const kept = (keepPositive && g > 0) || (keepNegative && g < 0);
        const factor = leak + (1 - leak) * (kept ? 1 : 0); // as the references write it (ℓ + (1 − ℓ) may round off 1)
        d += factor * g;
        keptSquares[k] = keptSquares[k]! + factor * g * g;
        squares[k] = squares[k]! + g * g;
      }
      direction[p] = d;
    }
    const coefficients = squares.map((s, k) => (s > 0 ? keptSquares[k]! / s : 1));
    return E.right({ coefficients, direction, memory: { rng: rng.state() } });
  },
};

/**
 * GradDrop as a gradient-aware weighting: `direction` is the masked sum; `coefficients` the
 * kept fraction of each task's squared norm (in [leak, 1], not on the simplex).
 *
 * @example
 * const w = graddrop();
 * const s = unwrap(w.init(2));
 * const r = unwrap(w.step(s, { losses: [1, 1], gradients: [[1, 2], [1, -2]] }));
 * r.direction // [2, 2] or [2, -2]: coordinate 0 agrees, coordinate 1 keeps one sign
 */
export const graddrop = (options: GraddropOptions = {}): GradientWeighting<GraddropState> =>
  gradientWeighting(GRADDROP_METHOD, options);

/**
 * GradDrop's command-line flags (`--leak 0.2` is LibMTL's `--leak 0.2`).
 *
 * @example
 * graddropFlags.leak // { key: "leak", kind: "number" }
 */
export const graddropFlags: Record<string, FlagSpec> = {
  leak: { key: "leak", kind: "number" },
  seed: { key: "seed", kind: "number" },
  epsilon: { key: "epsilon", kind: "number" },
};
