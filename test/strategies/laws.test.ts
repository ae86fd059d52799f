import { describe, it } from "node:test";

import { checkWeightingLaws } from "../../src/laws/index.js";
import { WEIGHTING_CASES } from "../support/weighting-cases.js";

/**
 * The law suite over every built-in strategy and combinator: the cases of
 * test/support/weighting-cases.ts that carry `laws`. In CI (process.env.CI set) every
 * law runs 1000 times (the long-run law a tenth of that, each run up to 40 steps); locally
 * LAWS_NUM_RUNS (default 100) sets the count. Strategies with a closed form (equal, SI, GLS,
 * DWA) also run the `values` law against test/strategies/reference/closed-forms.ts.
 */
const NUM_RUNS =
  process.env.CI !== undefined
    ? Math.max(1000, Number(process.env.LAWS_NUM_RUNS ?? 1000))
    : Number(process.env.LAWS_NUM_RUNS ?? 100);

const cases = WEIGHTING_CASES.flatMap((c) => (c.laws === undefined ? [] : [[c.build(), c.laws] as const]));

describe(`weighting laws (${NUM_RUNS} runs per law)`, () => {
  for (const [weighting, options] of cases) {
    it(weighting.name, () => {
      checkWeightingLaws(weighting, { ...options, numRuns: NUM_RUNS });
    });
  }
});
