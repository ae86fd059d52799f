import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, PositiveFinite, TaskNames, UnitRate } from "../codecs.js";
import { invalidConfig, MAX_TASKS, type ConfigError } from "../errors.js";
import { formatDecodeErrors } from "../report.js";
import { strictPartial } from "../strict.js";

/**
 * Art's configuration: the two presets of the spec and every ablation switch.
 * A user writes an `ArtOptions` (everything optional, JSON-friendly); `resolveArtConfig`
 * checks it and fills the rest from the preset, giving a complete `ArtConfig`.
 */

/**
 * Which rule variant: "paper" (the default) or "official" (the authors' released rule, with the
 * EMA update they intended; `releasedEmaBug` adds their code's one bug back).
 */
export const ArtPreset = t.keyof({ paper: null, official: null }, "ArtPreset");
export type ArtPreset = t.TypeOf<typeof ArtPreset>;

/** Local convergence rate: none (s = 1), raw (L / previous L) or ema (L / EMA of L). */
export const LcrMode = t.keyof({ none: null, raw: null, ema: null }, "LcrMode");
export type LcrMode = t.TypeOf<typeof LcrMode>;

/**
 * Global convergence weight: none (r = 1), raw (L / min L), log (ln min L / ln L; needs
 * 0 < L < 1), or relative-log (1 + ln(L / min L), min including this step), a scale-free
 * variant of our own for losses >= 1 (r >= 1 in both presets).
 */
export const GcwMode = t.keyof({ none: null, raw: null, log: null, "relative-log": null }, "GcwMode");
export type GcwMode = t.TypeOf<typeof GcwMode>;

const optionProps = {
  preset: ArtPreset,
  numTasks: Count,
  taskNames: TaskNames,
  tau: PositiveFinite,
  rate: UnitRate,
  lcr: LcrMode,
  gcw: GcwMode,
  lossScale: PositiveFinite,
  releasedEmaBug: t.boolean,
};

/**
 * What a user may write (all optional; unknown keys are rejected so a typo is not silently
 * ignored). `numTasks` or `taskNames` must give K.
 *
 * @example
 * ArtOptions.decode({ preset: "paper", numTasks: 7, tau: 2 }) // Right
 */
export const ArtOptions = strictPartial(optionProps, "ArtOptions");
/** Options as a user writes them in TypeScript (plain numbers; checked at `init`). */
export type ArtOptions = t.OutputOf<typeof ArtOptions>;

/** A complete, checked configuration (stored inside every `ArtState`). */
export const ArtConfig = t.intersection(
  [
    t.type({
      preset: ArtPreset,
      numTasks: Count,
      tau: PositiveFinite,
      rate: UnitRate,
      lcr: LcrMode,
      gcw: GcwMode,
      lossScale: PositiveFinite,
    }),
    // releasedEmaBug came later and is optional: every state written before it existed still
    // decodes; resolveArtConfig stores it only when true, so states without the bug (and their
    // JSON) are exactly what they were.
    t.partial({ taskNames: TaskNames, releasedEmaBug: t.boolean }),
  ],
  "ArtConfig",
);
export type ArtConfig = t.TypeOf<typeof ArtConfig>;

/** The hyper-parameters each preset implies (the spec's two presets). */
export const PRESET_DEFAULTS: Readonly<Record<ArtPreset, { tau: number; rate: number; lcr: LcrMode; gcw: GcwMode }>> = {
  paper: { tau: 3, rate: 0.01, lcr: "ema", gcw: "log" },
  official: { tau: 0.1, rate: 0.01, lcr: "ema", gcw: "log" },
};

/** The official preset's starting EMA and minimum (the released code starts them at 0.1). */
export const OFFICIAL_INITIAL_VALUE = 0.1;

/**
 * The task whose EMA the released code never updates (0-based; its third of three tasks, snow
 * in `Transweather_rebalance_model.py`, whose branch assigns the EMA to an unused attribute).
 * With `releasedEmaBug: true` that task's E stays at its starting value, 0.1; its minimum and
 * previous loss are updated as usual.
 *
 * @example
 * RELEASED_EMA_BUG_TASK // 2
 */
export const RELEASED_EMA_BUG_TASK = 2;

/**
 * Why a config cannot carry `releasedEmaBug` (empty when it can): the bug belongs to the
 * released code, which runs the official preset on exactly three tasks. One line per problem,
 * naming the field and the value.
 *
 * @example
 * releasedEmaBugProblems({ preset: "paper", numTasks: 3, releasedEmaBug: true })
 * // ["releasedEmaBug: needs preset official, the released code's rule (got preset paper)"]
 */
export const releasedEmaBugProblems = (config: {
  readonly preset: ArtPreset;
  readonly numTasks: number;
  readonly releasedEmaBug?: boolean;
}): string[] => {
  if (config.releasedEmaBug !== true) return [];
  const problems: string[] = [];
  if (config.preset !== "official")
    problems.push(`releasedEmaBug: needs preset official, the released code's rule (got preset ${config.preset})`);
  if (config.numTasks !== RELEASED_EMA_BUG_TASK + 1) {
    problems.push(
      `releasedEmaBug: needs numTasks ${RELEASED_EMA_BUG_TASK + 1}, the released code's task count (got numTasks ${config.numTasks})`,
    );
  }
  return problems;
};

/**
 * Checks user options and fills defaults from the preset.
 *
 * @example
 * resolveArtConfig({ numTasks: 3 }) // Right({ preset: "paper", numTasks: 3, tau: 3, rate: 0.01, lcr: "ema", gcw: "log", lossScale: 1 })
 * resolveArtConfig({ numTasks: 3, tau: -1 }) // Left(InvalidConfig: "tau: expected PositiveFinite (got -1)")
 * resolveArtConfig({ preset: "official", numTasks: 3, releasedEmaBug: true }) // Right({ ..., releasedEmaBug: true })
 */
export const resolveArtConfig = (options: unknown): E.Either<ConfigError, ArtConfig> => {
  let decoded: ReturnType<typeof ArtOptions.decode>;
  try {
    decoded = ArtOptions.decode(options);
  } catch (error) {
    // A getter or a Proxy that throws: the options cannot be read, which is the caller's input.
    return E.left(
      invalidConfig([
        `options: cannot be read (reading them threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`,
      ]),
    );
  }
  if (E.isLeft(decoded)) return E.left(invalidConfig(formatDecodeErrors(decoded.left)));
  const o = decoded.right;
  const numTasks = o.numTasks ?? o.taskNames?.length;
  if (numTasks === undefined)
    return E.left(invalidConfig(["numTasks: required when taskNames is not given (got undefined)"]));
  if (numTasks > MAX_TASKS) return E.left(invalidConfig([`numTasks: at most ${MAX_TASKS} (got ${numTasks})`]));
  if (o.taskNames !== undefined && o.taskNames.length !== numTasks) {
    return E.left(
      invalidConfig([`taskNames: expected ${numTasks} names to match numTasks (got ${o.taskNames.length})`]),
    );
  }
  const preset = o.preset ?? "paper";
  const defaults = PRESET_DEFAULTS[preset];
  const config = {
    preset,
    numTasks,
    tau: o.tau ?? defaults.tau,
    rate: o.rate ?? defaults.rate,
    lcr: o.lcr ?? defaults.lcr,
    gcw: o.gcw ?? defaults.gcw,
    lossScale: o.lossScale ?? 1,
    ...(o.taskNames === undefined ? {} : { taskNames: o.taskNames }),
    ...(o.releasedEmaBug === true ? { releasedEmaBug: true as const } : {}),
  };
  const bug = releasedEmaBugProblems(config);
  if (bug.length > 0) return E.left(invalidConfig(bug));
  // Re-decode so every field carries its brand (the defaults are plain numbers).
  const checked = ArtConfig.decode(config);
  return E.isLeft(checked) ? E.left(invalidConfig(formatDecodeErrors(checked.left))) : E.right(checked.right);
};
