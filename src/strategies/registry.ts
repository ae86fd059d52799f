import * as E from "fp-ts/Either";
import type * as t from "io-ts";

import { ArtOptions } from "../core/art/config.js";
import { art } from "../core/art/index.js";
import type { ArtState } from "../core/art/state.js";
import { invalidConfig, type ConfigError } from "../core/errors.js";
import type { AnyWeighting, Weighting } from "../core/weighting.js";
import { decodeOptions } from "./common.js";
import { dwa, DwaOptions, type DwaState } from "./dwa.js";
import { equal, EqualOptions, type EqualState } from "./equal.js";
import { famo, FamoOptions, type FamoState } from "./famo.js";
import { gls, GlsOptions, type GlsState } from "./gls.js";
import { imtlL, ImtlLOptions, type ImtlLState } from "./imtl-l.js";
import { rlw, RlwOptions, type RlwState } from "./rlw.js";
import { si, SiOptions, type SiState } from "./si.js";
import { uw, UwOptions, type UwState } from "./uw.js";

/**
 * Every built-in strategy by name: what it is, its options codec, how to build it, and how its
 * options are spelled as command-line flags (`--temperature 2` for DWA's `temperature`).
 */

/**
 * How a flag's value becomes an option value. A "boolean" flag is a switch: given (without a
 * value) it sets its option to true; parsers built from the registry accept it without a value.
 */
export type FlagKind = "number" | "string" | "numbers" | "boolean";

/** One command-line flag of a strategy. */
export interface FlagSpec {
  /** The option key it sets. */
  readonly key: string;
  readonly kind: FlagKind;
}

/** A registry entry. `create` expects options that `optionsCodec` accepts. */
export interface StrategyEntry {
  readonly description: string;
  readonly optionsCodec: t.Type<unknown, unknown, unknown>;
  readonly create: (options: unknown) => AnyWeighting;
  /** Flags by name (without the leading dashes). */
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /**
   * Keys the options codec knows but this entry must refuse (the strategy fixes them itself),
   * each with the reason; `createWeighting` rejects them rather than silently ignore them.
   */
  readonly refusedKeys?: Readonly<Record<string, string>>;
}

const adamFlags: Record<string, FlagSpec> = {
  lr: { key: "lr", kind: "number" },
  beta1: { key: "beta1", kind: "number" },
  beta2: { key: "beta2", kind: "number" },
  epsilon: { key: "epsilon", kind: "number" },
};

const artFlags: Record<string, FlagSpec> = {
  tau: { key: "tau", kind: "number" },
  rate: { key: "rate", kind: "number" },
  lcr: { key: "lcr", kind: "string" },
  gcw: { key: "gcw", kind: "string" },
  "loss-scale": { key: "lossScale", kind: "number" },
  "released-ema-bug": { key: "releasedEmaBug", kind: "boolean" },
};

// UW and IMTL-L only: FAMO calls its own L2 weight decay gamma (the reference code's name).
const weightDecayFlag: Record<string, FlagSpec> = { "weight-decay": { key: "weightDecay", kind: "number" } };

const entry = (e: StrategyEntry): StrategyEntry => e;

/**
 * The built-in strategies.
 *
 * @example
 * STRATEGIES.dwa.create({ temperature: 2 }).name // "dwa"
 * Object.keys(STRATEGIES) // ["art", "art-official", "equal", "dwa", "rlw", "gls", "uw", "imtl-l", "famo", "si"]
 */
export const STRATEGIES = {
  art: entry({
    description: "Art (active reweighting), paper preset by default",
    optionsCodec: ArtOptions as t.Type<unknown, unknown, unknown>,
    create: (options) => art(options as ArtOptions),
    flags: { preset: { key: "preset", kind: "string" }, ...artFlags },
    refusedKeys: { numTasks: "the task count comes from init" },
  }),
  "art-official": entry({
    description:
      "Art with the official preset (the authors' released rule; --released-ema-bug for their code exactly as released)",
    optionsCodec: ArtOptions as t.Type<unknown, unknown, unknown>,
    create: (options) => art({ ...(options as ArtOptions), preset: "official" }),
    flags: artFlags,
    refusedKeys: { numTasks: "the task count comes from init", preset: "its preset is official; use art for another" },
  }),
  equal: entry({
    description: "uniform weights over the present tasks (mixed training)",
    optionsCodec: EqualOptions as t.Type<unknown, unknown, unknown>,
    create: (options) => equal(options as EqualOptions),
    flags: {},
  }),
  dwa: entry({
    description: "dynamic weight average (Liu et al. 2019), epoch-aware",
    optionsCodec: DwaOptions as t.Type<unknown, unknown, unknown>,
    create: (options) => dwa(options as DwaOptions),
    flags: { temperature: { key: "temperature", kind: "number" } },
  }),
  rlw: entry({
    description: "random loss weighting (Lin et al. 2022), seeded",
    optionsCodec: RlwOptions as t.Type<unknown, unknown, unknown>,
    create: (options) => rlw(options as RlwOptions),
    flags: { seed: { key: "seed", kind: "number" } },
  }),
  gls: entry({
    description: "geometric loss strategy: weights ∝ 1/L, geometric mean in diagnostics",
    optionsCodec: GlsOptions as t.Type<unknown, unknown, unknown>,
    create: (options) => gls(options as GlsOptions),
    flags: {},
  }),
  uw: entry({
    description: "uncertainty weighting (Kendall et al. 2018), log-variances learned with Adam",
    optionsCodec: UwOptions as t.Type<unknown, unknown, unknown>,
    create: (options) => uw(options as UwOptions),
    flags: { ...adamFlags, ...weightDecayFlag, "initial-log-variance": { key: "initialLogVariance", kind: "number" } },
  }),
  "imtl-l": entry({
    description: "IMTL-L (Liu et al. 2021), loss scales learned with Adam",
    optionsCodec: ImtlLOptions as t.Type<unknown, unknown, unknown>,
    create: (options) => imtlL(options as ImtlLOptions),
    flags: { ...adamFlags, ...weightDecayFlag, "initial-log-scale": { key: "initialLogScale", kind: "number" } },
  }),
  famo: entry({
    description: "FAMO (Liu et al. 2023), two-phase: step then observe",
    optionsCodec: FamoOptions as t.Type<unknown, unknown, unknown>,
    create: (options) => famo(options as FamoOptions),
    flags: {
      ...adamFlags,
      gamma: { key: "gamma", kind: "number" },
      "log-epsilon": { key: "logEpsilon", kind: "number" },
      "min-losses": { key: "minLosses", kind: "numbers" },
    },
  }),
  si: entry({
    description: "scale-invariant weights ∝ 1/L",
    optionsCodec: SiOptions as t.Type<unknown, unknown, unknown>,
    create: (options) => si(options as SiOptions),
    flags: {},
  }),
} as const satisfies Readonly<Record<string, StrategyEntry>>;

/** A built-in strategy's name. */
export type StrategyName = keyof typeof STRATEGIES;

/**
 * The built-in strategies' names.
 *
 * @example
 * STRATEGY_NAMES.includes("famo") // true
 */
export const STRATEGY_NAMES = Object.keys(STRATEGIES) as StrategyName[];

/**
 * True when `name` is a built-in strategy.
 *
 * @example
 * isStrategyName("dwa") // true; isStrategyName("gradnorm") // false
 */
export const isStrategyName = (name: string): name is StrategyName =>
  Object.prototype.hasOwnProperty.call(STRATEGIES, name);

/** The state type of each registered strategy, so that `createWeighting("dwa")` is a `Weighting<DwaState>`. */
export interface StrategyStates {
  readonly art: ArtState;
  readonly "art-official": ArtState;
  readonly equal: EqualState;
  readonly dwa: DwaState;
  readonly rlw: RlwState;
  readonly gls: GlsState;
  readonly uw: UwState;
  readonly "imtl-l": ImtlLState;
  readonly famo: FamoState;
  readonly si: SiState;
}

/** True for a union of names (a name only known to be one of several): its state is then `unknown`. */
type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never;

/**
 * Builds a built-in strategy from its name and options, checking the options eagerly.
 *
 * The result's state type follows the name: `createWeighting("dwa")` is an
 * `Either<ConfigError, Weighting<DwaState>>`; a name only known to be some `StrategyName` (a
 * union) gives `Weighting<unknown>`, and a plain `string` the second overload.
 *
 * @example
 * createWeighting("dwa", { temperature: 2 })  // Right(weighting)
 * createWeighting("dwa", { temprature: 2 })   // Left(InvalidConfig "temprature: unknown key (known: temperature) ...")
 * createWeighting("nope", {})                 // Left(InvalidConfig "strategy: unknown ...")
 * createWeighting("art", { numTasks: 5 })     // Left(InvalidConfig "numTasks: not an option of strategy art ...")
 */
export function createWeighting<N extends StrategyName>(
  name: N,
  options?: unknown,
): E.Either<ConfigError, Weighting<IsUnion<N> extends true ? unknown : StrategyStates[N]>>;
export function createWeighting(name: string, options?: unknown): E.Either<ConfigError, Weighting<unknown>>;
export function createWeighting(name: string, options: unknown = {}): E.Either<ConfigError, Weighting<unknown>> {
  if (!isStrategyName(name))
    return E.left(
      invalidConfig([`strategy: unknown strategy ${JSON.stringify(name)} (known: ${STRATEGY_NAMES.join(", ")})`]),
    );
  const e: StrategyEntry = STRATEGIES[name];
  const refused = e.refusedKeys ?? {};
  // Read the caller's options once (a throwing getter or Proxy is the caller's input: a Left).
  try {
    options = typeof options === "object" && options !== null && !Array.isArray(options) ? { ...options } : options;
  } catch (error) {
    return E.left(
      invalidConfig([
        `options: cannot be read (reading them threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`,
      ]),
    );
  }
  const problems =
    typeof options === "object" && options !== null
      ? Object.entries(options)
          .filter(([key]) => Object.prototype.hasOwnProperty.call(refused, key))
          .map(
            ([key, value]) =>
              `${key}: not an option of strategy ${name} (${refused[key]}) (got ${JSON.stringify(value)})`,
          )
      : [];
  if (problems.length > 0) return E.left(invalidConfig(problems));
  return E.map((checked: unknown) => e.create(checked))(decodeOptions(e.optionsCodec, options));
}

const parseFlagValue = (flag: string, spec: FlagSpec, value: string | boolean): E.Either<string, unknown> => {
  if (spec.kind === "boolean") {
    // A switch from parseArgs arrives as true; a caller with string values may spell it out.
    if (value === true || value === "true") return E.right(true);
    if (value === "false") return E.right(false);
    return E.left(`--${flag}: a switch, expected no value (got ${JSON.stringify(value)})`);
  }
  if (typeof value !== "string") return E.left(`--${flag}: expected a value`);
  if (spec.kind === "string") return E.right(value);
  const toNumber = (text: string): number | null => {
    const n = Number(text);
    return text.trim() === "" || Number.isNaN(n) ? null : n;
  };
  if (spec.kind === "number") {
    const n = toNumber(value);
    return n === null ? E.left(`--${flag}: expected a number (got ${JSON.stringify(value)})`) : E.right(n);
  }
  const parts = value.split(",").map(toNumber);
  return parts.some((n) => n === null)
    ? E.left(`--${flag}: expected comma-separated numbers (got ${JSON.stringify(value)})`)
    : E.right(parts);
};

/**
 * Builds a built-in strategy from command-line flags (string values, e.g. from
 * `--seed 3 --temperature 2`). Flags whose value is undefined are ignored; `ignore` lists flags
 * that belong to the caller (e.g. replay's `input`). Every problem names its flag.
 *
 * @example
 * strategyFromFlags("rlw", { seed: "3" })          // Right(rlw({ seed: 3 }))
 * strategyFromFlags("rlw", { seed: "x" })          // Left("--seed: expected a number (got \"x\")")
 * strategyFromFlags("dwa", { tau: "2" })           // Left("--tau: not an option of strategy dwa (its flags: --temperature)")
 * strategyFromFlags("art-official", { "released-ema-bug": true }) // Right(art official, the released code's EMA bug)
 */
export const strategyFromFlags = (
  name: string,
  flags: Readonly<Record<string, string | boolean | undefined>>,
  ignore: readonly string[] = [],
): E.Either<ConfigError, Weighting<unknown>> => {
  if (!isStrategyName(name))
    return E.left(
      invalidConfig([`--strategy: unknown strategy ${JSON.stringify(name)} (known: ${STRATEGY_NAMES.join(", ")})`]),
    );
  return buildFromFlags(name, STRATEGIES[name].flags, flags, ignore, (options) => createWeighting(name, options));
};

/**
 * Turns command-line flags into options with a strategy's flag table, then builds it with
 * `create`; every problem names its flag (decode errors of an option name the flag that set it).
 * Shared by the loss registry and the gradient-aware one.
 *
 * @example
 * buildFromFlags("dwa", STRATEGIES.dwa.flags, { temperature: "2" }, [], (o) => createWeighting("dwa", o)) // Right(dwa({ temperature: 2 }))
 */
export const buildFromFlags = <W>(
  name: string,
  table: Readonly<Record<string, FlagSpec>>,
  flags: Readonly<Record<string, string | boolean | undefined>>,
  ignore: readonly string[],
  create: (options: Record<string, unknown>) => E.Either<ConfigError, W>,
): E.Either<ConfigError, W> => {
  const known = Object.keys(table);
  const problems: string[] = [];
  const options: Record<string, unknown> = {};
  const flagOfKey: Record<string, string> = {};
  for (const [flag, value] of Object.entries(flags)) {
    if (value === undefined || ignore.includes(flag)) continue;
    // Own keys only: "constructor" or "toString" must not find Object.prototype's members.
    const spec = Object.prototype.hasOwnProperty.call(table, flag) ? table[flag] : undefined;
    if (spec === undefined) {
      problems.push(
        `--${flag}: not an option of strategy ${name} (${known.length === 0 ? "it takes no flags" : `its flags: ${known.map((f) => `--${f}`).join(", ")}`})`,
      );
      continue;
    }
    const parsed = parseFlagValue(flag, spec, value);
    if (E.isLeft(parsed)) problems.push(parsed.left);
    else {
      options[spec.key] = parsed.right;
      flagOfKey[spec.key] = flag;
    }
  }
  if (problems.length > 0) return E.left(invalidConfig(problems));
  // Name the flag, not the option key, in decode errors ("--temperature: expected ...").
  return E.mapLeft((error: ConfigError) =>
    invalidConfig(
      error.errors.map((line) => {
        const key = line.split(/[.:]/, 1)[0] ?? "";
        const flag = flagOfKey[key];
        return flag === undefined ? line : `--${flag}${line.slice(key.length)}`;
      }),
    ),
  )(create(options));
};
