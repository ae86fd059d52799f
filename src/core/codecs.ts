import * as t from "io-ts";

/**
 * Shared io-ts building blocks for configs and states: numbers that are finite (JSON-safe),
 * positive, in (0, 1], and integers >= 1. Each is a branded type, so a value of it has been
 * checked once and needs no check again.
 */

/** A finite number (rejects NaN and ±Infinity, which JSON cannot hold). */
export interface FiniteBrand {
  readonly Finite: unique symbol;
}
export const Finite = t.brand(t.number, (n): n is t.Branded<number, FiniteBrand> => Number.isFinite(n), "Finite");
export type Finite = t.TypeOf<typeof Finite>;

/** A finite number > 0. */
export interface PositiveFiniteBrand {
  readonly PositiveFinite: unique symbol;
}
export const PositiveFinite = t.brand(
  t.number,
  (n): n is t.Branded<number, PositiveFiniteBrand> => Number.isFinite(n) && n > 0,
  "PositiveFinite",
);
export type PositiveFinite = t.TypeOf<typeof PositiveFinite>;

/** A number in (0, 1]. */
export interface UnitRateBrand {
  readonly UnitRate: unique symbol;
}
export const UnitRate = t.brand(t.number, (n): n is t.Branded<number, UnitRateBrand> => n > 0 && n <= 1, "UnitRate");
export type UnitRate = t.TypeOf<typeof UnitRate>;

/** An integer >= 1. */
export interface CountBrand {
  readonly Count: unique symbol;
}
export const Count = t.brand(
  t.number,
  (n): n is t.Branded<number, CountBrand> => Number.isInteger(n) && n >= 1,
  "Count",
);
export type Count = t.TypeOf<typeof Count>;

/** An integer >= 0. */
export interface NonNegativeIntBrand {
  readonly NonNegativeInt: unique symbol;
}
export const NonNegativeInt = t.brand(
  t.number,
  (n): n is t.Branded<number, NonNegativeIntBrand> => Number.isSafeInteger(n) && n >= 0,
  "NonNegativeInt",
);
export type NonNegativeInt = t.TypeOf<typeof NonNegativeInt>;

/** A non-empty list of unique, non-empty task names. */
export interface TaskNamesBrand {
  readonly TaskNames: unique symbol;
}
export const TaskNames = t.brand(
  t.array(t.string),
  (names): names is t.Branded<string[], TaskNamesBrand> =>
    names.length >= 1 && names.every((name) => name.length > 0) && new Set(names).size === names.length,
  "TaskNames",
);
export type TaskNames = t.TypeOf<typeof TaskNames>;

/** A finite number or null (for "not observed yet"). */
export const NullableFinite = t.union([Finite, t.null]);
