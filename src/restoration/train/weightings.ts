/**
 * Turns a config's `weighting: { name, options }` into a `Weighting`: any name of the strategy
 * registry (art, art-official, equal, dwa, rlw, ...), plus `mixed`, the name the all-in-one
 * restoration papers use for plain mixed training (equal weights over the tasks present); or
 * into a `GradientWeighting`: any name of the gradient-aware registry (mgda, pcgrad, upgrad, …).
 */
import * as E from "fp-ts/Either";

import type { GradientWeighting } from "../../core/gradient-weighting.js";
import type { Weighting } from "../../core/weighting.js";
import {
  createGradientWeighting,
  GRADIENT_STRATEGY_NAMES,
  isGradientStrategyName,
} from "../../strategies/gradient/registry.js";
import { createWeighting, STRATEGY_NAMES } from "../../strategies/registry.js";

/** Names accepted besides the registry's. */
export const WEIGHTING_ALIASES: Readonly<Record<string, string>> = { mixed: "equal" };

/** Every accepted weighting name. */
export const weightingNames = (): string[] => [
  ...Object.keys(WEIGHTING_ALIASES),
  ...STRATEGY_NAMES,
  ...GRADIENT_STRATEGY_NAMES,
];

/**
 * Builds the weighting a config names. Left: one line per problem, naming the field
 * (`weighting.name` or `weighting.options.KEY`) and the bad value.
 */
export function resolveWeighting(
  name: string,
  options: Record<string, unknown>,
): E.Either<string[], Weighting<unknown>> {
  const registryName = WEIGHTING_ALIASES[name] ?? name;
  if (!weightingNames().includes(name))
    return E.left([`weighting.name: expected one of ${weightingNames().join(", ")} (got ${JSON.stringify(name)})`]);
  if (isGradientStrategyName(name))
    return E.left([`weighting.name: ${name} is gradient-aware; resolveAnyWeighting builds it`]);
  const created = createWeighting(registryName, options);
  if (E.isLeft(created)) return E.left(created.left.errors.map((line) => `weighting.options.${line}`));
  return E.right(created.right);
}

/** A config's weighting: a loss weighting, or a gradient-aware one (which needs per-task gradients). */
export type ResolvedWeighting =
  | { readonly kind: "loss"; readonly weighting: Weighting<unknown> }
  | { readonly kind: "gradient"; readonly weighting: GradientWeighting<unknown> };

/**
 * Builds the weighting a config names, of either family. Left: one line per problem.
 *
 * @example
 * resolveAnyWeighting("upgrad", {}, 3) // Right({ kind: "gradient", weighting: upgrad() })
 */
export function resolveAnyWeighting(
  name: string,
  options: Record<string, unknown>,
  numTasks: number,
): E.Either<string[], ResolvedWeighting> {
  if (!isGradientStrategyName(name))
    return E.map((weighting: Weighting<unknown>): ResolvedWeighting => ({ kind: "loss", weighting }))(
      resolveWeighting(name, options),
    );
  const created = createGradientWeighting(name, options, numTasks);
  if (E.isLeft(created)) return E.left(created.left.errors.map((line) => `weighting.options.${line}`));
  return E.right({ kind: "gradient", weighting: created.right });
}
