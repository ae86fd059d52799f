import * as E from "fp-ts/Either";

import { invalidConfig, type ConfigError } from "../../core/errors.js";
import type { GradientWeighting } from "../../core/gradient-weighting.js";
import { buildFromFlags, type FlagSpec } from "../registry.js";
import { alignedMtl, alignedMtlFlags } from "./aligned-mtl.js";
import { cagrad, cagradFlags } from "./cagrad.js";
import { dbMtl, dbMtlFlags } from "./db-mtl.js";
import { dualProj, dualProjFlags } from "./dualproj.js";
import { graddrop, graddropFlags } from "./graddrop.js";
import { gradnorm, gradnormFlags } from "./gradnorm.js";
import { gradvac, gradvacFlags } from "./gradvac.js";
import { imtlG, imtlGFlags } from "./imtl-g.js";
import { mgda, mgdaFlags } from "./mgda.js";
import { nashMtl, nashMtlFlags } from "./nash-mtl.js";
import { pcgrad, pcgradFlags } from "./pcgrad.js";
import { stch, stchFlags } from "./stch.js";
import { upgrad, upgradFlags } from "./upgrad.js";

/**
 * Every built-in gradient-aware weighting by name, as `STRATEGIES` lists the loss weightings:
 * what it is, how to build it (options are checked when the weighting is built, by its `init`),
 * and its command-line flags. Every method also takes `--gramian-tolerance` (the relative
 * tolerance of the symmetric-PSD check, default 1e-4).
 */

/** A gradient-aware registry entry. */
export interface GradientStrategyEntry {
  readonly description: string;
  readonly create: (options: Record<string, unknown>) => GradientWeighting<unknown>;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Permuting the tasks permutes the coefficients (false for seeded task orders). */
  readonly permutationEquivariant: boolean;
}

const gramianToleranceFlag: Record<string, FlagSpec> = {
  "gramian-tolerance": { key: "gramianTolerance", kind: "number" },
};
const widen = <S>(w: GradientWeighting<S>): GradientWeighting<unknown> => w as unknown as GradientWeighting<unknown>;
const entry = (
  description: string,
  create: (options: Record<string, unknown>) => GradientWeighting<unknown>,
  flags: Readonly<Record<string, FlagSpec>>,
  permutationEquivariant = true,
): GradientStrategyEntry => ({
  description,
  create,
  flags: { ...flags, ...gramianToleranceFlag },
  permutationEquivariant,
});

/**
 * The built-in gradient-aware weightings.
 *
 * @example
 * Object.keys(GRADIENT_STRATEGIES) // ["mgda", "pcgrad", "gradvac", "cagrad", "imtl-g", "aligned-mtl", "nash-mtl", "gradnorm", "db-mtl", "upgrad", "dualproj", "graddrop", "stch"]
 */
export const GRADIENT_STRATEGIES = {
  mgda: entry(
    "MGDA (Sener & Koltun 2018): the min-norm point of the convex hull of the task gradients (LibMTL)",
    (o) => widen(mgda(o)),
    mgdaFlags,
  ),
  pcgrad: entry(
    "PCGrad (Yu et al. 2020): project away conflicting components, seeded task order (LibMTL)",
    (o) => widen(pcgrad(o)),
    pcgradFlags,
    false,
  ),
  gradvac: entry(
    "GradVac (Wang et al. 2021): align gradients to EMA cosine targets, seeded task order (LibMTL)",
    (o) => widen(gradvac(o)),
    gradvacFlags,
    false,
  ),
  cagrad: entry(
    "CAGrad (Liu et al. 2021): conflict-averse direction near the mean gradient (LibMTL)",
    (o) => widen(cagrad(o)),
    cagradFlags,
  ),
  "imtl-g": entry(
    "IMTL-G (Liu et al. 2021): equal projections on every unit task gradient (LibMTL)",
    (o) => widen(imtlG(o)),
    imtlGFlags,
  ),
  "aligned-mtl": entry(
    "Aligned-MTL (Senushkin et al. 2023): equal singular values of the rescaled gradients (LibMTL, TorchJD)",
    (o) => widen(alignedMtl(o)),
    alignedMtlFlags,
  ),
  "nash-mtl": entry(
    "Nash-MTL (Navon et al. 2022): the Nash bargaining solution Gα = 1/α (LibMTL)",
    (o) => widen(nashMtl(o)),
    nashMtlFlags,
  ),
  gradnorm: entry(
    "GradNorm (Chen et al. 2018): learned weights that balance the gradient norms (LibMTL)",
    (o) => widen(gradnorm(o)),
    gradnormFlags,
  ),
  "db-mtl": entry(
    "DB-MTL (Lin et al. 2023): log losses, EMA gradients rescaled to the largest norm (LibMTL); needs the gradients",
    (o) => widen(dbMtl(o)),
    dbMtlFlags,
  ),
  upgrad: entry(
    "UPGrad (Quinton & Rey 2024): mean of the projections onto the dual cone (TorchJD)",
    (o) => widen(upgrad(o)),
    upgradFlags,
  ),
  dualproj: entry(
    "DualProj (Quinton & Rey 2024): the mean projected onto the dual cone (TorchJD)",
    (o) => widen(dualProj(o)),
    dualProjFlags,
  ),
  graddrop: entry(
    "GradDrop (Chen et al. 2020): sign-purity masks per coordinate, seeded (LibMTL); needs the gradients",
    (o) => widen(graddrop(o)),
    graddropFlags,
    false,
  ),
  stch: entry(
    "STCH (Lin et al. 2024): smooth Tchebycheff scalarisation of the log losses (LibMTL); losses only",
    (o) => widen(stch(o)),
    stchFlags,
  ),
} as const satisfies Readonly<Record<string, GradientStrategyEntry>>;

/** A built-in gradient-aware weighting's name. */
export type GradientStrategyName = keyof typeof GRADIENT_STRATEGIES;

/**
 * The built-in gradient-aware weightings' names.
 *
 * @example
 * GRADIENT_STRATEGY_NAMES.includes("upgrad") // true
 */
export const GRADIENT_STRATEGY_NAMES = Object.keys(GRADIENT_STRATEGIES) as GradientStrategyName[];

/**
 * True when `name` is a built-in gradient-aware weighting.
 *
 * @example
 * isGradientStrategyName("mgda") // true; isGradientStrategyName("art") // false
 */
export const isGradientStrategyName = (name: string): name is GradientStrategyName =>
  Object.prototype.hasOwnProperty.call(GRADIENT_STRATEGIES, name);

/**
 * Builds a gradient-aware weighting from its name and options; the options are checked at once
 * (by an `init` for 2 tasks, or `numTasks` when given, so per-task options such as a preference
 * vector are checked against it).
 *
 * @example
 * createGradientWeighting("mgda", { gradientNormalization: "l2" }) // Right(weighting)
 * createGradientWeighting("mgda", { normalization: "l2" })         // Left(InvalidConfig "normalization: unknown key …")
 */
export const createGradientWeighting = (
  name: string,
  options: Record<string, unknown> = {},
  numTasks?: number,
): E.Either<ConfigError, GradientWeighting<unknown>> => {
  if (!isGradientStrategyName(name)) {
    return E.left(
      invalidConfig([
        `strategy: unknown gradient-aware strategy ${JSON.stringify(name)} (known: ${GRADIENT_STRATEGY_NAMES.join(", ")})`,
      ]),
    );
  }
  const weighting = GRADIENT_STRATEGIES[name].create(options);
  const checked = weighting.init(numTasks ?? 2);
  // Without a task count, a problem that only concerns the count (a preference vector's length) waits for the real init.
  if (
    E.isLeft(checked) &&
    (numTasks !== undefined || !checked.left.errors.every((line) => /entries|length|numTasks/.test(line)))
  )
    return checked;
  return E.right(weighting);
};

/**
 * Builds a gradient-aware weighting from command-line flags; every problem names its flag.
 *
 * @example
 * gradientStrategyFromFlags("pcgrad", { seed: "3" }) // Right(pcgrad({ seed: 3 }))
 */
export const gradientStrategyFromFlags = (
  name: string,
  flags: Readonly<Record<string, string | boolean | undefined>>,
  ignore: readonly string[] = [],
  numTasks?: number,
): E.Either<ConfigError, GradientWeighting<unknown>> => {
  if (!isGradientStrategyName(name)) {
    return E.left(
      invalidConfig([
        `--strategy: unknown gradient-aware strategy ${JSON.stringify(name)} (known: ${GRADIENT_STRATEGY_NAMES.join(", ")})`,
      ]),
    );
  }
  return buildFromFlags(name, GRADIENT_STRATEGIES[name].flags, flags, ignore, (options) =>
    createGradientWeighting(name, options, numTasks),
  );
};
