import * as E from "fp-ts/Either";

import { isEpochAware, isTwoPhase, type AnyWeighting, type GradientWeighting } from "../../core/index.js";
import {
  endEpochEvery,
  GRADIENT_STRATEGIES,
  gradientStrategyFromFlags,
  observeOnNextStep,
  STRATEGIES,
  strategyFromFlags,
} from "../../strategies/index.js";
import { numberFlag, UsageError } from "../args.js";

/**
 * The `--strategy NAME` resolver for `art-mtl replay`: builds any built-in strategy from the
 * command-line flags (see docs/strategies/README.md). Replay only calls `step`, so:
 * - FAMO (two-phase) is driven by `observeOnNextStep`: before stepping line t+1, `observe` is
 *   called with line t+1's losses (the log has no "losses after the update" of line t).
 * - DWA (epoch-aware) needs `--epoch-length N`: `endEpoch` is called after every N lines. The
 *   replay parser has no epoch marker line, and without the flag DWA would stay uniform forever,
 *   so the flag is required for DWA.
 */

/**
 * Flags that belong to replay itself, never to a strategy.
 *
 * @example
 * strategyFromFlags(name, flags, REPLAY_OWN_FLAGS) // ignores --input, --diagnostics, ...
 */
export const REPLAY_OWN_FLAGS = ["input", "diagnostics", "help", "strategy", "epoch-length"] as const;

/**
 * Every strategy flag (and `--epoch-length`) as a `parseArgs` option spec, so that a caller
 * parsing strictly can accept them: `parseFlags(argv, { ...ownSpec, ...REPLAY_STRATEGY_FLAG_SPEC })`.
 * Flags take a value (`type: "string"`), except switches (kind "boolean" in the registry, e.g.
 * `--released-ema-bug`), which take none.
 *
 * @example
 * Object.keys(REPLAY_STRATEGY_FLAG_SPEC) // ["preset", "tau", ..., "seed", "temperature", ..., "epoch-length"]
 * REPLAY_STRATEGY_FLAG_SPEC["released-ema-bug"] // { type: "boolean" }
 */
export const REPLAY_STRATEGY_FLAG_SPEC: Readonly<Record<string, { readonly type: "string" | "boolean" }>> =
  Object.fromEntries([
    ...[...Object.values(STRATEGIES), ...Object.values(GRADIENT_STRATEGIES)].flatMap((entry) =>
      Object.entries(entry.flags).map(
        ([flag, spec]) =>
          [flag, { type: spec.kind === "boolean" ? ("boolean" as const) : ("string" as const) }] as const,
      ),
    ),
    ["epoch-length", { type: "string" as const }],
  ]);

/**
 * Resolves `--strategy NAME` and its flags to a plain `Weighting` for replay; throws a
 * `UsageError` (exit code 2) naming the flag on bad flags.
 *
 * @example
 * resolveReplayStrategy("rlw", { seed: "3" })                   // rlw({ seed: 3 })
 * resolveReplayStrategy("dwa", { "epoch-length": "100" })       // endEpochEvery(100, dwa())
 * resolveReplayStrategy("famo", {})                             // observeOnNextStep(famo())
 */
export const resolveReplayStrategy = (
  name: string,
  flags: Record<string, string | boolean | undefined>,
): AnyWeighting => {
  const built = strategyFromFlags(name, flags, REPLAY_OWN_FLAGS);
  if (E.isLeft(built)) throw new UsageError(built.left.errors.join("; "));
  const weighting = built.right;
  const epochLength = numberFlag(
    "epoch-length",
    flags["epoch-length"] as string | undefined,
    (n) => Number.isInteger(n) && n >= 1,
    "an integer >= 1",
  );
  if (isEpochAware(weighting)) {
    if (epochLength === undefined)
      throw new UsageError(
        `--epoch-length: required for strategy ${name} (replay has no epoch markers; endEpoch is called every N lines)`,
      );
    return endEpochEvery(epochLength, weighting);
  }
  if (epochLength !== undefined) throw new UsageError(`--epoch-length: strategy ${name} has no epochs`);
  if (isTwoPhase(weighting)) return observeOnNextStep(weighting);
  return weighting;
};

/**
 * Resolves a gradient-aware `--strategy NAME` and its flags; throws a `UsageError` (exit code 2)
 * naming the flag on bad flags.
 *
 * @example
 * resolveGradientReplayStrategy("pcgrad", { seed: "3" }) // pcgrad({ seed: 3 })
 */
export const resolveGradientReplayStrategy = (
  name: string,
  flags: Record<string, string | boolean | undefined>,
): GradientWeighting<unknown> => {
  if (flags["epoch-length"] !== undefined) throw new UsageError(`--epoch-length: strategy ${name} has no epochs`);
  const built = gradientStrategyFromFlags(name, flags, REPLAY_OWN_FLAGS);
  if (E.isLeft(built)) throw new UsageError(built.left.errors.join("; "));
  return built.right;
};
