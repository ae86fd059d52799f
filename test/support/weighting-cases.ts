import fc from "fast-check";

import { art, artOfficial, type AnyWeighting, type TaskLosses } from "../../src/core/index.js";
import type { LawOptions } from "../../src/laws/index.js";
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
import { dwaClosedForm, equalClosedForm, inverseLossClosedForm } from "../strategies/reference/closed-forms.js";

/**
 * The one table of loss-weighting cases that the conformance suite
 * (test/strategies/conformance.test.ts) and the law suite (test/strategies/laws.test.ts) read.
 * Each case says which registry entry (a key of `STRATEGIES`) or combinator it stands for, builds
 * its weighting, and carries what each suite needs: `laws` (the law options, less `numRuns`) for
 * the law suite, `conformance` (the expected names, the task count and the losses that reach a
 * state) for the conformance suite. A case without one of them is not run by that suite.
 * test/strategies/weighting-cases.test.ts fails when a registry entry or a combinator has no case.
 */

/** What the conformance suite checks of a case. */
export interface ConformanceCase {
  /** The weighting's expected name, written by hand. */
  readonly name: string;
  /** Its state codec's expected name. */
  readonly codecName: string;
  readonly numTasks: number;
  /** The steps that reach the state whose codec is checked. */
  readonly losses: TaskLosses[];
  /** Keys that may be absent (paths joined with "."): uw's and imtl-l's weightDecay came after their first checkpoints. */
  readonly optional?: ReadonlyArray<string>;
}

export interface WeightingCase {
  /** The registry key (`STRATEGIES`) or the combinator (its exported function's name) this case stands for. */
  readonly covers: string;
  /** A fresh weighting (each suite builds its own). */
  readonly build: () => AnyWeighting;
  /** The law suite's options (it adds `numRuns`). */
  readonly laws?: Omit<LawOptions, "numRuns">;
  readonly conformance?: ConformanceCase;
}

/** Art's paper preset (gcw = log) needs losses in (0, 1). */
export const artLoss = fc.double({ min: 1e-4, max: 0.999, noNaN: true, noDefaultInfinity: true });

/** Five steps of three tasks, with an absent task in two of them. */
const three: TaskLosses[] = [
  [0.5, 0.25, 0.75],
  [0.4, null, 0.7],
  [0.3, 0.2, 0.6],
  [0.35, 0.15, null],
  [0.25, 0.1, 0.5],
];

/** The conformance fields every case here shares but the names. */
const conform = (name: string, codecName: string, optional?: ReadonlyArray<string>): ConformanceCase => ({
  name,
  codecName,
  numTasks: 3,
  losses: three,
  ...(optional === undefined ? {} : { optional }),
});

export const WEIGHTING_CASES: ReadonlyArray<WeightingCase> = [
  {
    covers: "art",
    build: () => art(),
    laws: { numTasks: [1, 4], lossArb: artLoss },
    conformance: conform("art", "ArtState"),
  },
  { covers: "art-official", build: () => artOfficial(), laws: { numTasks: [1, 4], lossArb: artLoss } },
  {
    covers: "equal",
    build: () => equal(),
    laws: { numTasks: [1, 5], expected: equalClosedForm },
    conformance: conform("equal", "EqualState"),
  },
  {
    covers: "dwa",
    build: () => dwa(),
    laws: { numTasks: [1, 5], expected: dwaClosedForm(2, 2) },
    conformance: conform("dwa", "DwaState"),
  },
  {
    covers: "dwa",
    build: () => dwa({ temperature: 0.5 }),
    laws: { numTasks: [1, 5], epochLength: 1, expected: dwaClosedForm(0.5, 1) },
  },
  { covers: "rlw", build: () => rlw({ seed: 3 }), conformance: conform("rlw", "RlwState") },
  { covers: "rlw", build: () => rlw({ seed: 7 }), laws: { numTasks: [1, 5], permutationEquivariant: false } },
  {
    covers: "gls",
    build: () => gls(),
    laws: { numTasks: [1, 5], expected: inverseLossClosedForm },
    conformance: conform("gls", "GlsState"),
  },
  {
    covers: "si",
    build: () => si(),
    laws: { numTasks: [1, 5], expected: inverseLossClosedForm },
    conformance: conform("si", "SiState"),
  },
  {
    covers: "uw",
    build: () => uw(),
    laws: { numTasks: [1, 5] },
    conformance: conform("uw", "UwState", ["config.weightDecay"]),
  },
  {
    covers: "imtl-l",
    build: () => imtlL(),
    laws: { numTasks: [1, 5] },
    conformance: conform("imtl-l", "ImtlLState", ["config.weightDecay"]),
  },
  { covers: "famo", build: () => famo(), laws: { numTasks: [1, 5] }, conformance: conform("famo", "FamoState") },
  {
    covers: "famo",
    build: () => famo({ gamma: 1e-5, minLosses: [1e-4, 0, 0] }),
    laws: { numTasks: 3, permutationEquivariant: false },
  },
  {
    covers: "observeOnNextStep",
    build: () => observeOnNextStep(famo()),
    laws: { numTasks: [1, 5] },
    conformance: conform("observeOnNextStep(famo)", "ObserveOnNextStepState"),
  },
  {
    covers: "endEpochEvery",
    build: () => endEpochEvery(2, dwa()),
    laws: { numTasks: [1, 5] },
    conformance: conform("endEpochEvery(dwa)", "EndEpochEveryState"),
  },
  { covers: "warmup", build: () => warmup(2, si()), conformance: conform("warmup(si)", "WarmupState") },
  { covers: "warmup", build: () => warmup(2, art()), laws: { numTasks: [1, 4], lossArb: artLoss } },
  { covers: "warmup", build: () => warmup(3, famo()), laws: { numTasks: [1, 4] } },
  {
    covers: "clampWeights",
    build: () => clampWeights({ floor: 0.1, ceiling: 0.6 }, si()),
    conformance: conform("clampWeights(si)", "ClampWeightsState"),
  },
  {
    covers: "clampWeights",
    build: () => clampWeights({ floor: 0.1, ceiling: 0.6 }, art()),
    laws: { numTasks: [2, 4], lossArb: artLoss },
  },
  {
    covers: "clampWeights",
    build: () => clampWeights({ floor: 0, ceiling: 0.4 }, rlw({ seed: 1 })),
    laws: { numTasks: [3, 5], permutationEquivariant: false },
  },
  {
    covers: "skipNonFinite",
    build: () => skipNonFinite({ maxConsecutive: 2 }, si()),
    conformance: conform("skipNonFinite(si)", "SkipNonFiniteState"),
  },
  {
    covers: "skipNonFinite",
    build: () => skipNonFinite({ maxConsecutive: 2 }, art()),
    laws: { numTasks: [1, 4], lossArb: artLoss, accepts: ["nan", "infinity", "negative-infinity"] },
  },
  {
    covers: "skipNonFinite",
    build: () => skipNonFinite({ maxConsecutive: 2 }, dwa()),
    laws: { numTasks: [1, 4], accepts: ["nan", "infinity", "negative-infinity"] },
  },
  {
    covers: "maskTasks",
    build: () => maskTasks([false, true, false], si()),
    conformance: conform("maskTasks(si)", "MaskTasksState"),
  },
  {
    covers: "maskTasks",
    build: () => maskTasks([false, true, false], uw()),
    laws: { numTasks: 3, alwaysPresent: [0], strictlyPositive: false, permutationEquivariant: false },
  },
  {
    covers: "scheduleHyperparams",
    build: () => scheduleHyperparams(art(), (step) => ({ tau: 1 + step })),
    conformance: conform("scheduleHyperparams(art)", "ScheduleState"),
  },
  {
    covers: "sequential",
    build: () => sequential({ stages: [2, 4] }, si()),
    conformance: conform("sequential(si)", "SequentialState"),
  },
  {
    covers: "sequential",
    build: () => sequential({ stages: [2, 4] }, art()),
    laws: {
      numTasks: 3,
      lossArb: artLoss,
      alwaysPresent: [0],
      strictlyPositive: false,
      permutationEquivariant: false,
    },
  },
  {
    covers: "sequential",
    build: () => sequential({ stages: [1], order: [1, 0] }, famo()),
    laws: { numTasks: 2, alwaysPresent: [1], strictlyPositive: false, permutationEquivariant: false },
  },
  {
    covers: "scheduleHyperparams",
    build: () => scheduleHyperparams(art(), (step) => ({ tau: 3 / (1 + step) })),
    laws: { numTasks: [1, 4], lossArb: artLoss },
  },
];
