import type * as t from "io-ts";

import { showValue } from "./errors.js";

/**
 * Turns io-ts decode errors into one line per problem: `path: expected TYPE (got VALUE)`,
 * printing NaN and ±Infinity as such (JSON would print null).
 *
 * @example
 * import { ArtOptions } from "art-mtl";
 * const result = ArtOptions.decode({ tau: NaN });
 * // formatDecodeErrors(result.left) → ["tau: expected PositiveFinite (got NaN)"]
 */
export const formatDecodeErrors = (errors: t.Errors): string[] => {
  const lines = errors.map((error) => {
    // The path is the chain of keys; index 0 is the root context (key ""). Members of an
    // intersection or union also appear as keys ("0", "1"); they are not part of the data path.
    const keys = error.context
      .filter((entry, i) => {
        if (entry.key === "") return false;
        const parent = (error.context[i - 1]?.type as { _tag?: string } | undefined)?._tag;
        return parent !== "IntersectionType" && parent !== "UnionType";
      })
      .map((entry) => entry.key);
    const path = keys.length === 0 ? "(root)" : keys.join(".");
    const last = error.context[error.context.length - 1];
    // An enumeration reads better as its members than as its name ("one of none|raw|ema").
    const members =
      (last?.type as { _tag?: string } | undefined)?._tag === "KeyofType"
        ? Object.keys((last!.type as unknown as { keys: Record<string, unknown> }).keys)
        : undefined;
    const expected = members !== undefined ? `one of ${members.join("|")}` : (last?.type.name ?? "valid value");
    const problem = error.message === undefined ? `expected ${expected}` : error.message;
    return `${path}: ${problem} (got ${showValue(error.value)})`;
  });
  // Unions report each branch; keep each distinct line once.
  return [...new Set(lines)];
};
