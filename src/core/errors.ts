/**
 * Typed errors of the pure core. Every error is a plain, JSON-safe value with a `_tag` and a
 * human-readable `message`; a step that fails returns one of these in `Left` and leaves the
 * caller's state untouched.
 */

/** Why a loss value was rejected. */
export type InvalidLossReason = "nan" | "infinite" | "negative" | "zero" | "not-a-number" | "out-of-domain";

/** A loss entry that the rule cannot use. */
export interface InvalidLoss {
  readonly _tag: "InvalidLoss";
  readonly taskIndex: number;
  readonly taskName?: string;
  readonly value: unknown;
  readonly reason: InvalidLossReason;
  readonly message: string;
}

/** The loss vector has the wrong number of entries. */
export interface WrongLength {
  readonly _tag: "WrongLength";
  readonly expected: number;
  readonly got: number;
  readonly message: string;
}

/** Every task was absent in this step. */
export interface NoPresentTask {
  readonly _tag: "NoPresentTask";
  readonly message: string;
}

/** A configuration failed validation; `errors` holds one line per problem. */
export interface InvalidConfig {
  readonly _tag: "InvalidConfig";
  readonly errors: readonly string[];
  readonly message: string;
}

/** A state (e.g. a decoded checkpoint) is inconsistent; `errors` holds one line per problem. */
export interface InvalidState {
  readonly _tag: "InvalidState";
  readonly errors: readonly string[];
  readonly message: string;
}

/** A gradient-aware step's Gramian is malformed, holds NaN or ±Infinity, or is not symmetric PSD within tolerance. */
export interface InvalidGramian {
  readonly _tag: "InvalidGramian";
  readonly message: string;
}

/** A gradient-aware step's per-task gradients are malformed or hold NaN or ±Infinity. */
export interface InvalidGradients {
  readonly _tag: "InvalidGradients";
  readonly message: string;
}

/** The losses could not be read: not an array, or reading them threw (a getter, a Proxy). */
export interface UnreadableLosses {
  readonly _tag: "UnreadableLosses";
  readonly message: string;
}

/** Errors of `init`. */
export type ConfigError = InvalidConfig;

/** Errors of `step`. */
export type StepError =
  InvalidLoss | WrongLength | NoPresentTask | InvalidState | InvalidGramian | InvalidGradients | UnreadableLosses;

/** Any error of a weighting. */
export type WeightingError = ConfigError | StepError;

/** Prints a number the way a person expects to read it: NaN, Infinity, -Infinity, or JSON. */
export const showValue = (value: unknown): string => {
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (value === Infinity) return "Infinity";
    if (value === -Infinity) return "-Infinity";
    return String(value);
  }
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

const taskLabel = (taskIndex: number, taskName: string | undefined): string =>
  taskName === undefined ? `task ${taskIndex}` : `task ${taskIndex} (${taskName})`;

const reasonText: Record<InvalidLossReason, string> = {
  nan: "a loss must not be NaN",
  infinite: "a loss must be finite",
  negative: "a loss must be > 0",
  zero: "a loss must be > 0",
  "not-a-number": "a loss must be a number or null (absent)",
  "out-of-domain": "outside the domain of the rule",
};

/** Builds an `InvalidLoss` with a message naming the task and the value. */
export const invalidLoss = (
  taskIndex: number,
  value: unknown,
  reason: InvalidLossReason,
  taskName?: string,
  detail?: string,
): InvalidLoss => ({
  _tag: "InvalidLoss",
  taskIndex,
  ...(taskName === undefined ? {} : { taskName }),
  value,
  reason,
  message: `${taskLabel(taskIndex, taskName)}: invalid loss ${showValue(value)}: ${detail ?? reasonText[reason]}`,
});

/** Builds a `WrongLength`. */
export const wrongLength = (expected: number, got: number): WrongLength => ({
  _tag: "WrongLength",
  expected,
  got,
  message: `expected ${expected} task losses, got ${got}`,
});

/** Builds a `NoPresentTask`. */
export const noPresentTask = (): NoPresentTask => ({
  _tag: "NoPresentTask",
  message: "no task is present in this step (every loss is null); at least one is required",
});

/** Builds an `InvalidConfig` from problem lines. */
export const invalidConfig = (errors: readonly string[]): InvalidConfig => ({
  _tag: "InvalidConfig",
  errors,
  message: `invalid config:\n  ${errors.join("\n  ")}`,
});

/** Builds an `InvalidState` from problem lines. */
export const invalidState = (errors: readonly string[]): InvalidState => ({
  _tag: "InvalidState",
  errors,
  message: `invalid state:\n  ${errors.join("\n  ")}`,
});

/** Builds an `InvalidGramian` from one problem line. */
export const invalidGramian = (problem: string): InvalidGramian => ({
  _tag: "InvalidGramian",
  message: `invalid Gramian: ${problem}`,
});

/** Builds an `InvalidGradients` from one problem line. */
export const invalidGradients = (problem: string): InvalidGradients => ({
  _tag: "InvalidGradients",
  message: `invalid gradients: ${problem}`,
});

/** Builds an `UnreadableLosses` from what was wrong. */
export const unreadableLosses = (problem: string): UnreadableLosses => ({
  _tag: "UnreadableLosses",
  message: `the losses cannot be read: ${problem}`,
});

/**
 * The largest number of tasks a weighting accepts: its state holds a few numbers per task, and
 * a typo such as 1e9 must be a clear `Left`, not an out-of-memory abort.
 *
 * @example
 * art().init(MAX_TASKS + 1) // Left(InvalidConfig "numTasks: at most 1000000 …")
 */
export const MAX_TASKS = 1_000_000;
