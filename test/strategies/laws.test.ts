import { describe, it } from "node:test";
import fc from "fast-check";

import { art, artOfficial, type AnyWeighting } from "../../src/core/index.js";
import { checkWeightingLaws, type LawOptions } from "../../src/laws/index.js";
import {
  clampWeights,
  dwa,
  endEpochEvery,
  equal,
  famo,
  gls,
  imtlL,
  maskTasks,
  observeOnNextStep,
  rlw,
  scheduleHyperparams,
  sequential,
  si,
  skipNonFinite,
  uw,
  warmup,
} from "../../src/strategies/index.js";
import { dwaClosedForm, equalClosedForm, inverseLossClosedForm } from "./reference/closed-forms.js";

/**
 * The law suite over every built-in strategy and combinator. In CI (process.env.CI set) every
 * law runs 1000 times (the long-run law a tenth of that, each run up to 40 steps); locally
 * LAWS_NUM_RUNS (default 100) sets the count. Strategies with a closed form (equal, SI, GLS,
 * DWA) also run the `values` law against test/strategies/reference/closed-forms.ts.
 */
const NUM_RUNS =
  process.env.CI !== undefined
    ? Math.max(1000, Number(process.env.LAWS_NUM_RUNS ?? 1000))
    : Number(process.env.LAWS_NUM_RUNS ?? 100);

/** Art's paper preset (gcw = log) needs losses in (0, 1). */
const artLoss = fc.double({ min: 1e-4, max: 0.999, noNaN: true, noDefaultInfinity: true });

const cases: Array<[AnyWeighting, Omit<LawOptions, "numRuns">]> = [
  [art(), { numTasks: [1, 4], lossArb: artLoss }],
  [artOfficial(), { numTasks: [1, 4], lossArb: artLoss }],
  [equal(), { numTasks: [1, 5], expected: equalClosedForm }],
  [dwa(), { numTasks: [1, 5], expected: dwaClosedForm(2, 2) }],
  [dwa({ temperature: 0.5 }), { numTasks: [1, 5], epochLength: 1, expected: dwaClosedForm(0.5, 1) }],
  [rlw({ seed: 7 }), { numTasks: [1, 5], permutationEquivariant: false }],
  [gls(), { numTasks: [1, 5], expected: inverseLossClosedForm }],
  [si(), { numTasks: [1, 5], expected: inverseLossClosedForm }],
  [uw(), { numTasks: [1, 5] }],
  [imtlL(), { numTasks: [1, 5] }],
  [famo(), { numTasks: [1, 5] }],
  [famo({ gamma: 1e-5, minLosses: [1e-4, 0, 0] }), { numTasks: 3, permutationEquivariant: false }],
  [observeOnNextStep(famo()), { numTasks: [1, 5] }],
  [endEpochEvery(2, dwa()), { numTasks: [1, 5] }],
  [warmup(2, art()), { numTasks: [1, 4], lossArb: artLoss }],
  [warmup(3, famo()), { numTasks: [1, 4] }],
  [clampWeights({ floor: 0.1, ceiling: 0.6 }, art()), { numTasks: [2, 4], lossArb: artLoss }],
  [clampWeights({ floor: 0, ceiling: 0.4 }, rlw({ seed: 1 })), { numTasks: [3, 5], permutationEquivariant: false }],
  [
    skipNonFinite({ maxConsecutive: 2 }, art()),
    { numTasks: [1, 4], lossArb: artLoss, accepts: ["nan", "infinity", "negative-infinity"] },
  ],
  [
    skipNonFinite({ maxConsecutive: 2 }, dwa()),
    { numTasks: [1, 4], accepts: ["nan", "infinity", "negative-infinity"] },
  ],
  [
    maskTasks([false, true, false], uw()),
    { numTasks: 3, alwaysPresent: [0], strictlyPositive: false, permutationEquivariant: false },
  ],
  [
    sequential({ stages: [2, 4] }, art()),
    { numTasks: 3, lossArb: artLoss, alwaysPresent: [0], strictlyPositive: false, permutationEquivariant: false },
  ],
  [
    sequential({ stages: [1], order: [1, 0] }, famo()),
    { numTasks: 2, alwaysPresent: [1], strictlyPositive: false, permutationEquivariant: false },
  ],
  [scheduleHyperparams(art(), (step) => ({ tau: 3 / (1 + step) })), { numTasks: [1, 4], lossArb: artLoss }],
];

describe(`weighting laws (${NUM_RUNS} runs per law)`, () => {
  for (const [weighting, options] of cases) {
    it(weighting.name, () => {
      checkWeightingLaws(weighting, { ...options, numRuns: NUM_RUNS });
    });
  }
});
