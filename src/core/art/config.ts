import * as E from "fp-ts/Either";
import * as t from "io-ts";
import { Count, PositiveFinite, TaskNames, UnitRate } from "../codecs.js";
import type { ConfigError } from "../errors.js";
import { invalidConfig } from "../errors.js";
import { formatDecodeErrors } from "../report.js";
import { strictPartial } from "../strict.js";

/**
 * Art's configuration: the two presets of the spec and every ablation switch.
 * A user writes an `ArtOptions` (everything optional, JSON-friendly); `resolveArtConfig`
 * checks it and fills the rest from the preset, giving a complete `ArtConfig`.
 */

/** Which rule variant: "paper" (the default) or "official" (the authors' released code). */
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
    t.partial({ taskNames: TaskNames }),
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
 * Checks user options and fills defaults from the preset.
 *
 * @example
 * resolveArtConfig({ numTasks: 3 }) // Right({ preset: "paper", numTasks: 3, tau: 3, rate: 0.01, lcr: "ema", gcw: "log", lossScale: 1 })
 * resolveArtConfig({ numTasks: 3, tau: -1 }) // Left(InvalidConfig: "tau: expected PositiveFinite (got -1)")
 */
export const resolveArtConfig = (options: unknown): E.Either<ConfigError, ArtConfig> => {
  const decoded = ArtOptions.decode(options);
  if (E.isLeft(decoded)) return E.left(invalidConfig(formatDecodeErrors(decoded.left)));
  const o = decoded.right;
  const numTasks = o.numTasks ?? o.taskNames?.length;
  if (numTasks === undefined) return E.left(invalidConfig(["numTasks: required when taskNames is not given (got undefined)"]));
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
  };
  // Re-decode so every field carries its brand (the defaults are plain numbers).
  const checked = ArtConfig.decode(config);
  return E.isLeft(checked) ? E.left(invalidConfig(formatDecodeErrors(checked.left))) : E.right(checked.right);
};
