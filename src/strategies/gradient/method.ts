import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, NonNegativeInt } from "../../core/codecs.js";
import {
  invalidConfig,
  invalidGramian,
  unreadableLosses,
  type ConfigError,
  type StepError,
} from "../../core/errors.js";
import {
  checkGradientInput,
  GRAMIAN_TOLERANCE,
  MAX_GRADIENT_TASKS,
  scatterPresent,
  type GradientNeeds,
  type GradientStepInput,
  type GradientWeighting,
  type GradientWeightingStep,
} from "../../core/gradient-weighting.js";
import { readLosses } from "../../core/losses.js";
import type { Diagnostics } from "../../core/weighting.js";
import { decodeOptions, stateCodec } from "../common.js";

/**
 * One builder for every gradient-aware method, so that each method's file holds only its
 * mathematics: options decoding, the state's envelope `{ kind, version, config, step, memory }`
 * and its codec, the input checks (losses, Gramian, gradients), and spreading the present
 * tasks' coefficients back over all K tasks.
 *
 * A method sees only the present tasks: `losses` and `gramian` (symmetrised) restricted to them,
 * in task order, and `gradients` (when it needs them) likewise. Its `memory` is whatever it
 * carries from step to step (JSON-safe), indexed by the full task index where per-task.
 */

/** What a method's solve sees. `present[i]` is the task index of row i. */
export interface GradientProblem {
  readonly numTasks: number;
  readonly present: ReadonlyArray<number>;
  /** The present tasks' losses, in the order of `present`. */
  readonly losses: ReadonlyArray<number>;
  /** The present tasks' Gramian (empty when the method needs only losses). */
  readonly gramian: ReadonlyArray<ReadonlyArray<number>>;
  /** The present tasks' gradients (only for methods that need them). */
  readonly gradients: ReadonlyArray<ArrayLike<number>>;
  /** Steps taken before this one. */
  readonly step: number;
}

/** What a method's solve returns: coefficients for the present tasks (same order), its new memory. */
export interface GradientSolution<M> {
  readonly coefficients: ReadonlyArray<number>;
  readonly memory: M;
  readonly direction?: ReadonlyArray<number>;
  /** Per present task (same order as `present`); spread to K entries with null for absent tasks. */
  readonly diagnostics?: Readonly<Record<string, ReadonlyArray<number>>>;
}

/** The envelope every gradient-aware state has. */
export interface GradientMethodState<C, M> {
  readonly kind: string;
  readonly version: 1;
  readonly config: C & { readonly numTasks: number; readonly gramianTolerance: number };
  readonly step: number;
  readonly memory: M;
}

/** A method's definition. `O` the user's options, `C` the checked config (without numTasks), `M` the memory. */
export interface GradientMethod<O, C, M> {
  readonly name: string;
  readonly needs: GradientNeeds;
  readonly coefficientsOnSimplex: boolean;
  /** The options codec (strictPartial; `gramianTolerance` is added by the builder). */
  readonly optionsCodec: t.Type<O, unknown, unknown>;
  /** The checked config from decoded options (defaults filled in), or problem lines. */
  readonly configOf: (options: O, numTasks: number) => E.Either<ReadonlyArray<string>, C>;
  /** The codec of the config's own fields (numTasks and gramianTolerance are added). */
  readonly configProps: t.Props;
  /** The memory of a fresh state. */
  readonly initMemory: (config: C, numTasks: number) => M;
  /** The memory's codec, and the problems of a decoded memory against its config. */
  readonly memoryCodec: t.Mixed;
  readonly memoryProblems?: (memory: M, config: C, numTasks: number) => string[];
  /** The problems of a decoded config against its task count (e.g. a per-task vector's length). */
  readonly configProblems?: (config: C, numTasks: number) => string[];
  /** One step on the present tasks. */
  readonly solve: (config: C, memory: M, problem: GradientProblem) => E.Either<StepError, GradientSolution<M>>;
}

/** Options every gradient-aware method takes besides its own. */
export const GramianToleranceOption = { gramianTolerance: t.number } as const;

const positiveFinite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && x > 0;

/**
 * Builds a `GradientWeighting` from a method's definition.
 *
 * @example
 * const mgda = (options = {}) => gradientWeighting(MGDA_METHOD, options);
 */
export const gradientWeighting = <O, C, M>(
  method: GradientMethod<O, C, M>,
  options: unknown,
): GradientWeighting<GradientMethodState<C, M>> => {
  const tolerance: unknown =
    typeof options === "object" && options !== null
      ? (options as Record<string, unknown>)["gramianTolerance"]
      : undefined;
  const ownOptions =
    typeof options === "object" && options !== null
      ? Object.fromEntries(Object.entries(options).filter(([key]) => key !== "gramianTolerance"))
      : options;
  const decoded = decodeOptions(method.optionsCodec, ownOptions);
  const configCodec = t.type(
    { ...method.configProps, numTasks: Count, gramianTolerance: t.number },
    `${method.name}Config`,
  );
  const codec = stateCodec<GradientMethodState<C, M>>(
    `${method.name}State`,
    t.type({
      kind: t.literal(method.name),
      version: t.literal(1),
      config: configCodec,
      step: NonNegativeInt,
      memory: method.memoryCodec,
    }),
    (state) => {
      const problems: string[] = [];
      if (!positiveFinite(state.config.gramianTolerance))
        problems.push(
          `config.gramianTolerance: expected a finite number > 0 (got ${String(state.config.gramianTolerance)})`,
        );
      if (state.config.numTasks > MAX_GRADIENT_TASKS)
        problems.push(`config.numTasks: at most ${MAX_GRADIENT_TASKS} (got ${state.config.numTasks})`);
      problems.push(
        ...(method.configProblems?.(state.config, state.config.numTasks) ?? []).map((line) => `config.${line}`),
      );
      if (problems.length > 0) return problems;
      return (method.memoryProblems?.(state.memory, state.config, state.config.numTasks) ?? []).map(
        (line) => `memory.${line}`,
      );
    },
  );
  return {
    name: method.name,
    needs: method.needs,
    coefficientsOnSimplex: method.coefficientsOnSimplex,
    init: (numTasks): E.Either<ConfigError, GradientMethodState<C, M>> => {
      if (E.isLeft(decoded)) return decoded;
      const problems: string[] = [];
      if (!Count.is(numTasks)) problems.push(`numTasks: expected Count (got ${String(numTasks)})`);
      else if (numTasks > MAX_GRADIENT_TASKS)
        problems.push(`numTasks: at most ${MAX_GRADIENT_TASKS} for a gradient-aware weighting (got ${numTasks})`);
      if (tolerance !== undefined && !positiveFinite(tolerance))
        problems.push(`gramianTolerance: expected a finite number > 0 (got ${String(tolerance)})`);
      if (problems.length > 0) return E.left(invalidConfig(problems));
      const config = method.configOf(decoded.right, numTasks);
      if (E.isLeft(config)) return E.left(invalidConfig(config.left));
      return E.right({
        kind: method.name,
        version: 1,
        config: { ...config.right, numTasks, gramianTolerance: (tolerance as number | undefined) ?? GRAMIAN_TOLERANCE },
        step: 0,
        memory: method.initMemory(config.right, numTasks),
      });
    },
    step: (state, rawInput): E.Either<StepError, GradientWeightingStep<GradientMethodState<C, M>>> => {
      const numTasks = state.config.numTasks;
      // The caller's input is read once (a throwing getter or Proxy is a Left, a typed array of losses is an array).
      let input: GradientStepInput;
      try {
        if (typeof rawInput !== "object" || rawInput === null)
          return E.left(unreadableLosses(`expected a step input { losses, gramian } (got ${String(rawInput)})`));
        const losses = readLosses(rawInput.losses);
        if (E.isLeft(losses)) return losses;
        input = {
          losses: losses.right,
          ...(rawInput.gramian === undefined ? {} : { gramian: rawInput.gramian }),
          ...(rawInput.gradients === undefined ? {} : { gradients: rawInput.gradients }),
        };
      } catch (error) {
        return E.left(
          unreadableLosses(
            `reading the step input threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
          ),
        );
      }
      let checked: ReturnType<typeof checkGradientInput>;
      try {
        checked = checkGradientInput(input, numTasks, method.needs, state.config.gramianTolerance);
      } catch (error) {
        return E.left(
          invalidGramian(
            `reading the Gramian or the gradients threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
          ),
        );
      }
      if (E.isLeft(checked)) return checked;
      const { present, gramian } = checked.right;
      const losses = input.losses;
      const problem: GradientProblem = {
        numTasks,
        present,
        losses: present.map((k) => losses[k] as number),
        gramian,
        gradients:
          method.needs === "gradients"
            ? present.map((k) => (input.gradients as ReadonlyArray<ArrayLike<number>>)[k] as ArrayLike<number>)
            : [],
        step: state.step,
      };
      return E.map((solution: GradientSolution<M>): GradientWeightingStep<GradientMethodState<C, M>> => {
        const diagnostics: Record<string, Array<number | null>> = {};
        for (const [name, values] of Object.entries(solution.diagnostics ?? {})) {
          const spread = new Array<number | null>(numTasks).fill(null);
          present.forEach((k, i) => (spread[k] = values[i] ?? null));
          diagnostics[name] = spread;
        }
        return {
          state: { ...state, step: state.step + 1, memory: solution.memory },
          coefficients: scatterPresent(solution.coefficients, present, numTasks),
          ...(solution.direction === undefined ? {} : { direction: solution.direction }),
          diagnostics: diagnostics as Diagnostics,
        };
      })(method.solve(state.config, state.memory, problem));
    },
    stateCodec: codec,
    numTasks: (state) => state.config.numTasks,
  };
};

/** A memory for methods that carry nothing between steps. */
export const NoMemory = t.null;
