import { parseArgs } from "node:util";

/**
 * Small helpers shared by the CLI commands: parse flags with node's `parseArgs`, turn its
 * exceptions into one-line user errors, and read numbers that name the flag when they are bad.
 */

/** A mistake of the user's: printed as one line, no stack trace, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

/** Parses `argv` strictly; unknown flags and missing values become a `UsageError`. */
export const parseFlags = <O extends Options>(argv: readonly string[], options: O, allowPositionals = false) => {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
};

/** Reads a numeric flag value; `check` says what is allowed. */
export const numberFlag = (
  name: string,
  value: string | undefined,
  check: (n: number) => boolean = Number.isFinite,
  expected = "a finite number",
): number | undefined => {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === "" || !check(parsed))
    throw new UsageError(`--${name}: expected ${expected} (got ${JSON.stringify(value)})`);
  return parsed;
};

/** Reads an enumerated flag value. */
export const choiceFlag = <C extends string>(
  name: string,
  value: string | undefined,
  choices: readonly C[],
): C | undefined => {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name}: expected one of ${choices.join("|")} (got ${JSON.stringify(value)})`);
  }
  return value as C;
};

/** Where a command writes: injected so tests can capture output. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdin?: NodeJS.ReadableStream;
}

/** The process's own streams. */
export const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: process.stdin,
};
