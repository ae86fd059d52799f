import * as E from "fp-ts/Either";
import type * as t from "io-ts";

import { invalidGramian, type StepError } from "../../core/errors.js";
import { strictPartial } from "../../core/strict.js";
import type { FlagSpec } from "../registry.js";
import {
  gradientWeighting,
  NoMemory,
  type GradientMethod,
  type GradientMethodState,
  type GradientProblem,
  type GradientSolution,
} from "./method.js";
import {
  checkKktResiduals,
  DUAL_CONE_CONFIG_PROPS,
  DUAL_CONE_OPTION_PROPS,
  dualConeConfigOf,
  dualConeConfigProblems,
  dualConeGramian,
  dualConeProjector,
  preferenceWeights,
  taskAlignment,
  upgradFlags,
  type DualConeConfig,
  type DualConeProject,
} from "./upgrad.js";

/**
 * DualProj, as TorchJD's `DualProj` / `DualProjWeighting` computes it
 * (src/torchjd/aggregation/_dualproj.py): the preference-weighted combination Jᵀu of the present
 * task gradients (default the mean) is projected onto the dual cone of those gradients — the
 * projection of Equation 11 of Lopez-Paz & Ranzato 2017 (GEM), in Quinton & Rey 2024's framing.
 * In weight space: c = argmin vᵀ H v subject to v >= u, H the trace-normalised, regularised
 * Gramian (`dualConeGramian`), solved by the QP solver UPGrad uses (`dualConeProjector`).
 */

/**
 * The options of `dualProj` (all optional), the same as UPGrad's: `prefVector` (default the mean,
 * 1/m over the m present tasks), `normEps` (1e-4), `regEps` (1e-4).
 *
 * @example
 * DualProjOptions.decode({ prefVector: [1, 1, 2] }) // Right
 */
export const DualProjOptions = strictPartial(DUAL_CONE_OPTION_PROPS, "DualProjOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type DualProjOptions = t.OutputOf<typeof DualProjOptions>;

/**
 * DualProj's coefficients on the present tasks: the dual-cone QP's solution v(u) for
 * H = `dualConeGramian(G)`, with its KKT residual. `Left` when H is not positive definite.
 *
 * @example
 * dualProjCoefficients([[1, 0], [0, 1]], [0.5, 0.5], 1e-4, 1e-4) // Right({ coefficients: [0.5, 0.5], … }): no conflict, u itself
 */
export const dualProjCoefficients = (
  gramian: ReadonlyArray<ReadonlyArray<number>>,
  preference: ReadonlyArray<number>,
  normEps: number,
  regEps: number,
): E.Either<string, { coefficients: number[]; kktResidual: number }> =>
  E.map((project: DualConeProject) => {
    const projection = project(preference);
    return { coefficients: projection.weights, kktResidual: projection.kktResidual };
  })(dualConeProjector(dualConeGramian(gramian, normEps, regEps)));

/**
 * DualProj as a `GradientMethod` (stateless: `NoMemory`). Each coefficient is >= its preference
 * weight u_k (so they sum to at least Σ u_i, 1 with the mean); c = u when no two present
 * gradients conflict (every G_ij >= 0). Diagnostics: `alignment`, g_k · d (in the Gramian's
 * units), and `kktResidual` (the one QP's, repeated per task).
 *
 * @example
 * gradientWeighting(DUALPROJ_METHOD, {}).name // "dualproj"
 */
export const DUALPROJ_METHOD: GradientMethod<t.TypeOf<typeof DualProjOptions>, DualConeConfig, null> = {
  name: "dualproj",
  needs: "gramian",
  coefficientsOnSimplex: false,
  optionsCodec: DualProjOptions,
  configOf: dualConeConfigOf,
  configProblems: dualConeConfigProblems,
  configProps: DUAL_CONE_CONFIG_PROPS,
  initMemory: () => null,
  memoryCodec: NoMemory,
  solve: (config, memory, problem: GradientProblem): E.Either<StepError, GradientSolution<null>> => {
    const preference = preferenceWeights(config, problem.present, problem.numTasks);
    if (E.isLeft(preference)) return preference;
    const solved = dualProjCoefficients(problem.gramian, preference.right, config.normEps, config.regEps);
    if (E.isLeft(solved)) return E.left(invalidGramian(solved.left));
    const { coefficients, kktResidual } = solved.right;
    const converged = checkKktResiduals([kktResidual]);
    if (E.isLeft(converged)) return converged;
    return E.right({
      coefficients,
      memory,
      diagnostics: {
        alignment: taskAlignment(problem.gramian, coefficients),
        kktResidual: coefficients.map(() => kktResidual),
      },
    });
  },
};

/**
 * DualProj with TorchJD's defaults (mean preference, normEps = regEps = 1e-4).
 *
 * @example
 * const w = dualProj();
 * const s = unwrap(w.init(2));
 * unwrap(w.step(s, { losses: [1, 1], gramian: [[1, -0.75], [-0.75, 1]] })).coefficients // [0.5, 0.5]: the mean does not conflict
 */
export const dualProj = (options: DualProjOptions = {}) => gradientWeighting(DUALPROJ_METHOD, options);

/** The state of `dualProj()` (the common envelope, no memory). */
export type DualProjState = GradientMethodState<DualConeConfig, null>;

/**
 * DualProj's command-line flags, the same as UPGrad's (`--pref-vector`, `--norm-eps`, `--reg-eps`).
 *
 * @example
 * dualProjFlags["pref-vector"] // { key: "prefVector", kind: "numbers" }
 */
export const dualProjFlags: Record<string, FlagSpec> = { ...upgradFlags };
