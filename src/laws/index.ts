/**
 * `art-mtl/laws`: the laws every `Weighting` must obey, as a fast-check suite that anyone can
 * run on their own weighting (fast-check is an optional peer dependency, needed only here).
 *
 * Laws, each a fast-check property over random loss sequences (absent tasks included):
 * - `simplex`: weights are finite, >= 0, sum to 1, exactly 0 for absent tasks, > 0 for
 *   present ones (unless `strictlyPositive: false`);
 * - `determinism`: the same inputs give the same outputs twice, and deep-frozen inputs are
 *   never mutated (a mutation throws in strict-mode code or changes the input: both fail);
 * - `json-round-trip`: every state survives `stateCodec` encode → JSON → decode exactly;
 * - `resume`: decoding a checkpoint mid-run and continuing gives the same weights as never
 *   stopping;
 * - `permutation`: permuting the tasks permutes the weights (skip it for positional or
 *   random rules with `permutationEquivariant: false`);
 * - `bad-input`: NaN, ±Infinity, negative or zero losses, a wrong length and all tasks absent
 *   give `Left`, and the state given to `step` is unchanged;
 * - `long-run`: the `simplex` checks and `resume` at a random cut over long sequences (longer
 *   than `maxSteps`, up to `longRunSteps`), with fewer runs (`longRunNumRuns`), so that what
 *   only starts late (DWA's weights leave uniform at its third epoch) and late states'
 *   checkpoints are exercised too;
 * - `values` (only with `expected`): over the same long sequences, the weights of every step
 *   equal the closed form `expected(numTasks, sequence)` to `valueTolerance` (relative).
 * Epoch-aware weightings get `endEpoch` every `epochLength` steps; two-phase ones get
 * `observe` after every step with the next step's losses (or the same ones at the end).
 *
 * The entry only re-exports: the loss-weighting laws are in weighting.ts, the gradient-aware ones
 * in gradient.ts, what both share (results, `LawViolation`, `checkLaw`) in common.ts.
 *
 * The names are listed one by one (the public API, each documented in docs/api/laws.md and
 * checked by test/core/api-docs.test.ts).
 *
 * @example
 * import { checkWeightingLaws } from "art-mtl/laws";
 * checkWeightingLaws(myWeighting, { numTasks: 3, numRuns: 1000 }); // throws LawViolation on failure
 */
export { type LawResult, type LawReport, LawViolation, defaultLossArb, checkLaw } from "./common.js";
export {
  type BadInputKind,
  BAD_INPUT_KINDS,
  type LawName,
  type ExpectedWeights,
  type LawOptions,
  validLossesArb,
  badLossesArb,
  runWeightingLaws,
  checkWeightingLaws,
} from "./weighting.js";
export {
  type GradientLawName,
  type GradientLawOptions,
  gradientStepArb,
  runGradientWeightingLaws,
  checkGradientWeightingLaws,
  type GradientStep,
} from "./gradient.js";
