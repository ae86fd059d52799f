import fc from "fast-check";

import type { GradientLawName } from "./gradient.js";
import type { LawName } from "./weighting.js";

/** What both law suites share: a law's result, the report, the error, the default loss and the runner of one law. */

/** The outcome of one law. */
export interface LawResult {
  readonly law: LawName | GradientLawName;
  readonly numRuns: number;
  readonly ok: boolean;
  /** On failure: how to replay it (`seed` and `path` go back into the options) and what failed. */
  readonly failure?: {
    readonly seed: number;
    readonly path: string;
    readonly counterexample: string;
    readonly message: string;
  };
}

/** The outcome of the suite. */
export interface LawReport {
  readonly weighting: string;
  readonly ok: boolean;
  readonly results: readonly LawResult[];
}

/** Thrown by `checkWeightingLaws` when a law fails; carries the report. */
export class LawViolation extends Error {
  override readonly name = "LawViolation";
  constructor(readonly report: LawReport) {
    super(
      report.results
        .filter((r) => !r.ok)
        .map(
          (r) =>
            `${report.weighting}: law ${r.law} failed (seed ${r.failure?.seed}, path "${r.failure?.path}"):\n  ${r.failure?.message}\n  counterexample: ${r.failure?.counterexample}`,
        )
        .join("\n"),
    );
  }
}

/**
 * Default valid loss: bounded, finite, > 0.
 *
 * @example
 * fc.sample(defaultLossArb, 3) // e.g. [0.25, 731.5, 0.001]
 */
export const defaultLossArb: fc.Arbitrary<number> = fc.double({
  min: 1e-3,
  max: 1e3,
  noNaN: true,
  noDefaultInfinity: true,
});

/**
 * Runs one law's property and reports it; a failure carries the seed and path to replay it and
 * the counterexample (cut at 2,000 characters: a gradient law's is long). Shared by both suites.
 *
 * @example
 * checkLaw("simplex", fc.property(fc.nat(), () => true), 100, {}) // { law: "simplex", numRuns: 100, ok: true }
 */
export const checkLaw = (
  law: LawName | GradientLawName,
  property: fc.IProperty<never>,
  numRuns: number,
  options: { readonly seed?: number; readonly path?: string },
): LawResult => {
  const details = fc.check(property, {
    numRuns,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.path === undefined ? {} : { path: options.path }),
  });
  if (!details.failed) return { law, numRuns: details.numRuns, ok: true };
  const error = details.errorInstance;
  return {
    law,
    numRuns: details.numRuns,
    ok: false,
    failure: {
      seed: details.seed,
      path: details.counterexamplePath ?? "",
      counterexample: fc.stringify(details.counterexample).slice(0, 2000),
      message: error instanceof Error ? error.message : String(error),
    },
  };
};
