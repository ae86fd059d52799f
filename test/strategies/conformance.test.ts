import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import {
  art,
  formatDecodeErrors,
  unwrap,
  type AnyWeighting,
  type TaskLosses,
  type Weighting,
} from "../../src/core/index.js";
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

/**
 * One conformance suite over every built-in strategy and combinator (optax-style: the same
 * checks for all). The expected names are written here by hand. For each, a state reached
 * after a few steps (with an absent task where there are several tasks) is encoded, and then:
 * every leaf replaced by a value of the wrong type, and every key removed, must be refused by
 * the state codec with a line that names that leaf's path. This is what makes a checkpoint
 * safe to load: no field of the state goes unchecked.
 */

interface Case {
  readonly weighting: Weighting<unknown>;
  readonly name: string;
  readonly codecName: string;
  readonly numTasks: number;
  readonly losses: TaskLosses[];
  /** Keys that may be absent (paths joined with "."): uw's and imtl-l's weightDecay came after their first checkpoints. */
  readonly optional?: ReadonlyArray<string>;
}

const three: TaskLosses[] = [
  [0.5, 0.25, 0.75],
  [0.4, null, 0.7],
  [0.3, 0.2, 0.6],
  [0.35, 0.15, null],
  [0.25, 0.1, 0.5],
];

const as = (w: AnyWeighting): AnyWeighting => w;

const cases: Case[] = [
  { weighting: as(art()), name: "art", codecName: "ArtState", numTasks: 3, losses: three },
  { weighting: as(equal()), name: "equal", codecName: "EqualState", numTasks: 3, losses: three },
  { weighting: as(dwa()), name: "dwa", codecName: "DwaState", numTasks: 3, losses: three },
  { weighting: as(rlw({ seed: 3 })), name: "rlw", codecName: "RlwState", numTasks: 3, losses: three },
  { weighting: as(gls()), name: "gls", codecName: "GlsState", numTasks: 3, losses: three },
  { weighting: as(si()), name: "si", codecName: "SiState", numTasks: 3, losses: three },
  {
    weighting: as(uw()),
    name: "uw",
    codecName: "UwState",
    numTasks: 3,
    losses: three,
    optional: ["config.weightDecay"],
  },
  {
    weighting: as(imtlL()),
    name: "imtl-l",
    codecName: "ImtlLState",
    numTasks: 3,
    losses: three,
    optional: ["config.weightDecay"],
  },
  { weighting: as(famo()), name: "famo", codecName: "FamoState", numTasks: 3, losses: three },
  {
    weighting: as(observeOnNextStep(famo())),
    name: "observeOnNextStep(famo)",
    codecName: "ObserveOnNextStepState",
    numTasks: 3,
    losses: three,
  },
  {
    weighting: as(endEpochEvery(2, dwa())),
    name: "endEpochEvery(dwa)",
    codecName: "EndEpochEveryState",
    numTasks: 3,
    losses: three,
  },
  { weighting: as(warmup(2, si())), name: "warmup(si)", codecName: "WarmupState", numTasks: 3, losses: three },
  {
    weighting: as(clampWeights({ floor: 0.1, ceiling: 0.6 }, si())),
    name: "clampWeights(si)",
    codecName: "ClampWeightsState",
    numTasks: 3,
    losses: three,
  },
  {
    weighting: as(skipNonFinite({ maxConsecutive: 2 }, si())),
    name: "skipNonFinite(si)",
    codecName: "SkipNonFiniteState",
    numTasks: 3,
    losses: three,
  },
  {
    weighting: as(maskTasks([false, true, false], si())),
    name: "maskTasks(si)",
    codecName: "MaskTasksState",
    numTasks: 3,
    losses: three,
  },
  {
    weighting: as(scheduleHyperparams(art(), (step) => ({ tau: 1 + step }))),
    name: "scheduleHyperparams(art)",
    codecName: "ScheduleState",
    numTasks: 3,
    losses: three,
  },
  {
    weighting: as(sequential({ stages: [2, 4] }, si())),
    name: "sequential(si)",
    codecName: "SequentialState",
    numTasks: 3,
    losses: three,
  },
];

/** Every leaf of a JSON value with its path (array indices included). */
const leaves = (value: unknown, path: string[] = []): Array<[string[], unknown]> => {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, String(i)]));
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [[path, value]];
};

/** Every object key (not array index) with its path. */
const keys = (value: unknown, path: string[] = []): string[][] => {
  if (Array.isArray(value)) return value.flatMap((v, i) => keys(v, [...path, String(i)]));
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([k, v]) => [[...path, k], ...keys(v, [...path, k])]);
  return [];
};

const setAt = (
  value: unknown,
  path: string[],
  replace: (parent: Record<string, unknown>, key: string) => void,
): unknown => {
  const copy = structuredClone(value) as Record<string, unknown>;
  let parent: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  replace(parent, last);
  return copy;
};

/** A value of a type no state field has: refused by every codec whatever the field holds. */
const WRONG = { wrong: "type" };

const stateAfter = (c: Case): unknown => {
  let state = unwrap(c.weighting.init(c.numTasks));
  for (const losses of c.losses) state = unwrap(c.weighting.step(state, losses)).state;
  return state;
};

describe("conformance: every strategy and combinator", () => {
  for (const c of cases) {
    describe(c.name, () => {
      it("is named as documented, and so is its state codec", () => {
        assert.equal(c.weighting.name, c.name);
        assert.equal(c.weighting.stateCodec.name, c.codecName);
      });

      it("its state round-trips through JSON and the codec, and the codec's `is` agrees", () => {
        const state = stateAfter(c);
        const json = JSON.parse(JSON.stringify(c.weighting.stateCodec.encode(state))) as unknown;
        const decoded = c.weighting.stateCodec.decode(json);
        assert.ok(E.isRight(decoded), E.isLeft(decoded) ? formatDecodeErrors(decoded.left).join("; ") : "");
        assert.deepEqual(decoded.right, state);
        assert.ok(c.weighting.stateCodec.is(state));
        assert.equal(c.weighting.numTasks(decoded.right), c.numTasks);
      });

      it("every leaf of its state is checked: a wrong-typed value is refused, naming its path", () => {
        const encoded = JSON.parse(JSON.stringify(c.weighting.stateCodec.encode(stateAfter(c)))) as unknown;
        const all = leaves(encoded);
        assert.ok(all.length >= 3, `${c.name}: a state with ${all.length} leaves`);
        for (const [path] of all) {
          const bad = setAt(encoded, path, (parent, key) => {
            parent[key] = WRONG;
          });
          const result = c.weighting.stateCodec.decode(bad);
          assert.ok(E.isLeft(result), `${c.name}: ${path.join(".")} = ${JSON.stringify(WRONG)} was accepted`);
          const lines = formatDecodeErrors(result.left);
          assert.ok(
            lines.some(
              (line) => line.startsWith(`${path.join(".")}: `) || line.startsWith(`${path.join(".")}.wrong: `),
            ),
            `${c.name}: ${path.join(".")}: no line names it in ${JSON.stringify(lines)}`,
          );
          assert.equal(c.weighting.stateCodec.is(bad), false, `${c.name}: is() accepted a wrong ${path.join(".")}`);
        }
      });

      it("every key of its state is required (or listed as optional)", () => {
        const encoded = JSON.parse(JSON.stringify(c.weighting.stateCodec.encode(stateAfter(c)))) as unknown;
        for (const path of keys(encoded)) {
          const joined = path.join(".");
          const bad = setAt(encoded, path, (parent, key) => {
            delete parent[key];
          });
          const result = c.weighting.stateCodec.decode(bad);
          if ((c.optional ?? []).includes(joined)) {
            assert.ok(E.isRight(result), `${c.name}: optional ${joined} was required`);
          } else {
            assert.ok(E.isLeft(result), `${c.name}: a state without ${joined} was accepted`);
          }
        }
      });
    });
  }
});
