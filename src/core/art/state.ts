import * as E from "fp-ts/Either";
import { pipe } from "fp-ts/function";
import * as t from "io-ts";

import { NonNegativeInt, NullableFinite } from "../codecs.js";
import { ArtConfig, releasedEmaBugProblems } from "./config.js";

/**
 * Art's state: the config it was made with, a step counter, and per task the EMA of its loss
 * (E), its smallest loss (M), its previous loss (P) and whether it has been observed. It is a
 * plain readonly object, JSON-safe: an unseen task is written explicitly as
 * `{ seen: false, ema: null, min: null, prev: null }` (paper preset), never with Infinity.
 */

/** One task's running statistics (losses after `lossScale`). */
export const ArtTaskState = t.type(
  { seen: t.boolean, ema: NullableFinite, min: NullableFinite, prev: NullableFinite },
  "ArtTaskState",
);
export interface ArtTaskState {
  readonly seen: boolean;
  readonly ema: number | null;
  readonly min: number | null;
  readonly prev: number | null;
}

const ArtStateShape = t.type(
  {
    kind: t.literal("art"),
    version: t.literal(1),
    config: ArtConfig,
    step: NonNegativeInt,
    tasks: t.array(ArtTaskState),
  },
  "ArtState",
);

/** Art's whole state. */
export interface ArtState {
  readonly kind: "art";
  readonly version: 1;
  readonly config: ArtConfig;
  readonly step: number;
  readonly tasks: ReadonlyArray<ArtTaskState>;
}

/** Problems that make a structurally valid state unusable (one line each, naming the path). */
export const artStateProblems = (state: ArtState): string[] => {
  const problems: string[] = [];
  if (state.tasks.length !== state.config.numTasks) {
    problems.push(`tasks: expected ${state.config.numTasks} entries (got ${state.tasks.length})`);
  }
  problems.push(...releasedEmaBugProblems(state.config).map((line) => `config.${line}`));
  const official = state.config.preset === "official";
  state.tasks.forEach((task, k) => {
    const values = { ema: task.ema, min: task.min, prev: task.prev };
    const mustHaveValues = task.seen || official;
    for (const [field, value] of Object.entries(values)) {
      if (mustHaveValues && (value === null || value <= 0)) {
        problems.push(
          `tasks.${k}.${field}: expected a number > 0 for a ${task.seen ? "seen" : "official-preset"} task (got ${value})`,
        );
      }
      if (!mustHaveValues && value !== null) {
        problems.push(`tasks.${k}.${field}: expected null for an unseen task (got ${value})`);
      }
    }
  });
  return problems;
};

/**
 * The io-ts codec of `ArtState`: checks the structure and the consistency between the fields
 * (decoding a checkpoint cannot yield a state that `step` would choke on). Encoding is the
 * identity on this JSON-safe object, so `decode(JSON.parse(JSON.stringify(encode(s))))` equals `s`.
 *
 * @example
 * const json = JSON.stringify(ArtStateCodec.encode(state));
 * ArtStateCodec.decode(JSON.parse(json)) // Right(state), deep-equal to the original
 */
export const ArtStateCodec: t.Type<ArtState, unknown, unknown> = new t.Type<ArtState, unknown, unknown>(
  "ArtState",
  (u): u is ArtState => ArtStateShape.is(u) && artStateProblems(u).length === 0,
  (u, context) =>
    pipe(
      ArtStateShape.validate(u, context),
      E.chain((state) => {
        const problems = artStateProblems(state);
        return problems.length === 0
          ? t.success<ArtState>(state)
          : t.failures(problems.map((message) => ({ value: u, context, message })));
      }),
    ),
  (state) => ArtStateShape.encode(state as t.TypeOf<typeof ArtStateShape>),
);
