import * as E from "fp-ts/Either";
import { pipe } from "fp-ts/function";
import * as t from "io-ts";

import { Count } from "../core/codecs.js";
import { invalidConfig, MAX_TASKS, type ConfigError } from "../core/errors.js";
import { formatDecodeErrors } from "../core/report.js";

/**
 * Small building blocks shared by the strategies: decoding options into a checked config,
 * state codecs with consistency checks, and normalising scores over the present tasks.
 * Kept here (not in the core) because only the strategies layer needs them.
 */

/**
 * Decodes user options with `codec`, turning io-ts errors into an `InvalidConfig` with one
 * line per problem.
 *
 * @example
 * decodeOptions(DwaOptions, { temperature: -1 }) // Left(InvalidConfig "temperature: expected PositiveFinite (got -1)")
 */
export const decodeOptions = <A>(codec: t.Decoder<unknown, A>, options: unknown): E.Either<ConfigError, A> => {
  try {
    return pipe(
      codec.decode(options === undefined ? {} : options),
      E.mapLeft((errors) => invalidConfig(formatDecodeErrors(errors))),
    );
  } catch (error) {
    // A getter or a Proxy that throws: the options cannot be read, which is the caller's input.
    return E.left(
      invalidConfig([
        `options: cannot be read (reading them threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`,
      ]),
    );
  }
};

/**
 * Checks `numTasks` given to `init` (an integer >= 1).
 *
 * @example
 * checkNumTasks(0) // Left(InvalidConfig "numTasks: expected Count (got 0)")
 * checkNumTasks(1e9) // Left(InvalidConfig "numTasks: at most 1000000 (got 1000000000)")
 */
export const checkNumTasks = (numTasks: number): E.Either<ConfigError, Count> => {
  if (!Count.is(numTasks)) return E.left(invalidConfig([`numTasks: expected Count (got ${String(numTasks)})`]));
  if (numTasks > MAX_TASKS) return E.left(invalidConfig([`numTasks: at most ${MAX_TASKS} (got ${numTasks})`]));
  return E.right(numTasks);
};

/**
 * Builds a state codec from a structural codec and a consistency check: decoding fails with
 * one message per problem, so a decoded checkpoint is always one `step` can use. Encoding is
 * the structural codec's (the states here are JSON-safe, so it is the identity).
 *
 * @example
 * const codec = stateCodec<EqualState>("EqualState", EqualStateShape, () => []);
 */
export const stateCodec = <S>(
  name: string,
  shape: t.Mixed,
  problems: (state: S) => string[],
): t.Type<S, unknown, unknown> =>
  new t.Type<S, unknown, unknown>(
    name,
    (u): u is S => shape.is(u) && problems(u as S).length === 0,
    (u, context) =>
      pipe(
        shape.validate(u, context),
        E.chain((decoded) => {
          // The shape's branded numbers are plain numbers at run time: S is the unbranded view.
          const state = decoded as S;
          const found = problems(state);
          return found.length === 0
            ? t.success(state)
            : t.failures(found.map((message) => ({ value: u, context, message })));
        }),
      ),
    (state) => shape.encode(state),
  );

/**
 * A per-task vector of the given length, each entry checked by `ok` (problems name the path).
 *
 * @example
 * vectorProblems("logits", [1, 2], 3, () => true, "") // ["logits: expected 3 entries (got 2)"]
 */
export const vectorProblems = (
  path: string,
  values: ReadonlyArray<unknown>,
  length: number,
  ok: (value: unknown) => boolean,
  expected: string,
): string[] => {
  if (values.length !== length) return [`${path}: expected ${length} entries (got ${values.length})`];
  const problems: string[] = [];
  values.forEach((value, k) => {
    if (!ok(value)) problems.push(`${path}.${k}: expected ${expected} (got ${JSON.stringify(value)})`);
  });
  return problems;
};

/**
 * Divides positive scores by their sum over the present tasks; absent tasks (null) get 0.
 * Scores must be finite and > 0 for present tasks (the callers guarantee it).
 *
 * @example
 * normalisePresent([1, null, 3]) // [0.25, 0, 0.75]
 */
export const normalisePresent = (scores: ReadonlyArray<number | null>): number[] => {
  let sum = 0;
  for (const score of scores) if (score !== null) sum += score;
  return scores.map((score) => (score === null ? 0 : score / sum));
};
