/**
 * Turns a config's `weighting: { name, options }` into a `Weighting`: any name of the strategy
 * registry (art, art-official, equal, dwa, rlw, ...), plus `mixed`, the name the all-in-one
 * restoration papers use for plain mixed training (equal weights over the tasks present).
 */
import * as E from "fp-ts/Either";
import type { Weighting } from "../../core/weighting.js";
import { createWeighting, STRATEGY_NAMES } from "../../strategies/registry.js";

/** Names accepted besides the registry's. */
export const WEIGHTING_ALIASES: Readonly<Record<string, string>> = { mixed: "equal" };

/** Every accepted weighting name. */
export const weightingNames = (): string[] => [...Object.keys(WEIGHTING_ALIASES), ...STRATEGY_NAMES];

/**
 * Builds the weighting a config names. Left: one line per problem, naming the field
 * (`weighting.name` or `weighting.options.KEY`) and the bad value.
 */
export function resolveWeighting(name: string, options: Record<string, unknown>): E.Either<string[], Weighting<unknown>> {
  const registryName = WEIGHTING_ALIASES[name] ?? name;
  if (!weightingNames().includes(name)) return E.left([`weighting.name: expected one of ${weightingNames().join(", ")} (got ${JSON.stringify(name)})`]);
  const created = createWeighting(registryName, options);
  if (E.isLeft(created)) return E.left(created.left.errors.map((line) => `weighting.options.${line}`));
  return E.right(created.right);
}
