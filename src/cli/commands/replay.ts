import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import * as E from "fp-ts/Either";

import type { AnyWeighting, GradientStepInput, GradientWeighting, TaskLosses } from "../../core/index.js";
import { isGradientStrategyName } from "../../strategies/index.js";
import { parseFlags, UsageError, type CommandIo } from "../args.js";
import {
  REPLAY_STRATEGY_FLAG_SPEC,
  resolveGradientReplayStrategy,
  resolveReplayStrategy,
} from "./replay-strategies.js";

/**
 * `art-mtl replay`: the conformance runner of the spec. Reads JSON Lines of
 * `{"losses":[0.12,null,0.3]}`, writes one `{"step":N,"weights":[...]}` line per step in full
 * double precision (JSON's shortest round-trip form). N counts the steps (blank lines are
 * skipped); error messages name the input line. Ports of Art are checked against it.
 */

export const REPLAY_USAGE = `usage: art-mtl replay [--strategy NAME] [strategy flags] [--diagnostics] [--input FILE]
  Art (default):  [--preset paper|official] [--tau T] [--rate A] [--lcr none|raw|ema]
                  [--gcw none|raw|log|relative-log] [--loss-scale S]
                  [--released-ema-bug] (official preset, 3 tasks: the third task's EMA is
                  never updated, as in the authors' code as released)
  Others:         --strategy equal|dwa|rlw|gls|uw|imtl-l|famo|si|art-official and their flags
                  (dwa needs --epoch-length N; famo observes each line before stepping it;
                  uw and imtl-l take --weight-decay X)
  Gradient-aware: --strategy mgda|pcgrad|gradvac|cagrad|imtl-g|aligned-mtl|nash-mtl|gradnorm|
                  db-mtl|upgrad|dualproj|graddrop|stch and their flags (docs/strategies)
Reads JSON Lines {"losses":[...]} (null = absent task) from --input or stdin and writes
{"step":N,"weights":[...]} per line in full double precision. Flags override the preset.
Gradient-aware strategies read {"losses":[...],"gramian":[[...],...]} or
{"losses":[...],"gradients":[[...],null,...]} (the Gramian is then formed from them) and write
{"step":N,"coefficients":[...]} (plus "direction" for graddrop and db-mtl).
Each output line is written as soon as its input line is read (replay can be a co-process).`;

// The runner's own flags; every strategy's flags (--tau, --seed, ...) come from the registry.
const ownFlagSpec = {
  strategy: { type: "string" },
  input: { type: "string" },
  diagnostics: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * node's `parseArgs` refuses `--flag -0.5` (a value starting with a dash is "ambiguous") and
 * only takes `--flag=-0.5`. For flags that take a value, a following negative number is joined
 * to its flag, so command lines such as `--initial-log-variance -0.5` work as written. No flag
 * of replay looks like a negative number, so nothing else changes meaning.
 */
const joinNegativeValues = (
  argv: readonly string[],
  spec: Readonly<Record<string, { readonly type: string }>>,
): string[] => {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    const takesValue = arg.startsWith("--") && !arg.includes("=") && spec[arg.slice(2)]?.type === "string";
    if (takesValue && next !== undefined && /^-(?:\d|\.\d|Infinity$|NaN$)/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
};

/** Parses one input line into a loss vector, or a message saying what is wrong with it. */
export const parseReplayLine = (line: string): E.Either<string, TaskLosses> => {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return E.left(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || !Array.isArray((value as { losses?: unknown }).losses)) {
    return E.left('expected an object {"losses":[...]} with an array of numbers or null');
  }
  const losses = (value as { losses: unknown[] }).losses;
  const bad = losses.findIndex((x) => x !== null && typeof x !== "number");
  if (bad >= 0) return E.left(`losses[${bad}]: expected a number or null (got ${JSON.stringify(losses[bad])})`);
  return E.right(losses as TaskLosses);
};

/**
 * Runs replay over an async sequence of lines with any weighting; returns the exit code.
 * Exit codes: 0 success, 1 a bad input line (message names the line), 2 bad flags.
 */
export const replayLines = async (
  lines: AsyncIterable<string>,
  weighting: AnyWeighting,
  io: CommandIo,
  withDiagnostics = false,
): Promise<number> => {
  let state: unknown = undefined;
  let lineNumber = 0;
  let step = 0; // successful steps (the output's `step`; blank lines do not count)
  let buffer = "";
  const flush = () => {
    if (buffer.length > 0) io.stdout(buffer);
    buffer = "";
  };
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === "") continue;
    const parsed = parseReplayLine(line);
    if (E.isLeft(parsed)) {
      flush();
      io.stderr(`line ${lineNumber}: ${parsed.left}\n`);
      return 1;
    }
    if (state === undefined) {
      const initial = weighting.init(parsed.right.length);
      if (E.isLeft(initial)) {
        flush();
        io.stderr(`line ${lineNumber}: ${initial.left.message}\n`);
        return parsed.right.length === 0 ? 1 : 2;
      }
      state = initial.right;
    }
    const result = weighting.step(state, parsed.right);
    if (E.isLeft(result)) {
      flush();
      io.stderr(`line ${lineNumber}: ${result.left.message}\n`);
      return 1;
    }
    state = result.right.state;
    step++;
    const record: Record<string, unknown> = { step, weights: result.right.weights };
    if (withDiagnostics) record.diagnostics = result.right.diagnostics;
    buffer += JSON.stringify(record) + "\n";
    flush(); // one line out per line in: a port driving replay as a co-process waits for it
  }
  flush();
  return 0;
};

/** Parses one gradient-aware input line: losses, and a Gramian or gradients. */
export const parseGradientReplayLine = (line: string): E.Either<string, GradientStepInput> => {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return E.left(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null)
    return E.left('expected an object {"losses":[...],"gramian":[[...],...]}');
  const record = value as { losses?: unknown; gramian?: unknown; gradients?: unknown };
  const losses = parseReplayLine(JSON.stringify({ losses: record.losses }));
  if (E.isLeft(losses)) return losses;
  const isMatrix = (m: unknown, nullRows: boolean): boolean =>
    Array.isArray(m) &&
    m.every((row) => (nullRows && row === null) || (Array.isArray(row) && row.every((x) => typeof x === "number")));
  if (record.gramian !== undefined && !isMatrix(record.gramian, false))
    return E.left('"gramian": expected an array of rows of numbers');
  if (record.gradients !== undefined && !isMatrix(record.gradients, true))
    return E.left('"gradients": expected an array of rows of numbers (null for an absent task)');
  return E.right({
    losses: losses.right,
    ...(record.gramian === undefined ? {} : { gramian: record.gramian as number[][] }),
    ...(record.gradients === undefined ? {} : { gradients: record.gradients as Array<number[] | null> }),
  });
};

/**
 * Runs replay over an async sequence of lines with a gradient-aware weighting; returns the exit
 * code (0 success, 1 a bad input line naming the line, 2 bad flags).
 */
export const replayGradientLines = async (
  lines: AsyncIterable<string>,
  weighting: GradientWeighting<unknown>,
  io: CommandIo,
  withDiagnostics = false,
): Promise<number> => {
  let state: unknown = undefined;
  let lineNumber = 0;
  let step = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === "") continue;
    const parsed = parseGradientReplayLine(line);
    if (E.isLeft(parsed)) {
      io.stderr(`line ${lineNumber}: ${parsed.left}\n`);
      return 1;
    }
    if (state === undefined) {
      const initial = weighting.init(parsed.right.losses.length);
      if (E.isLeft(initial)) {
        io.stderr(`line ${lineNumber}: ${initial.left.message}\n`);
        return parsed.right.losses.length === 0 ? 1 : 2;
      }
      state = initial.right;
    }
    const result = weighting.step(state, parsed.right);
    if (E.isLeft(result)) {
      io.stderr(`line ${lineNumber}: ${result.left.message}\n`);
      return 1;
    }
    state = result.right.state;
    step++;
    const record: Record<string, unknown> = { step, coefficients: result.right.coefficients };
    if (result.right.direction !== undefined) record.direction = result.right.direction;
    if (withDiagnostics) record.diagnostics = result.right.diagnostics;
    io.stdout(JSON.stringify(record) + "\n");
  }
  return 0;
};

/**
 * The `replay` command. `--strategy NAME` (default art) picks any weighting of the registry;
 * its flags override its defaults (for Art: the preset's).
 */
export const replayCommand = async (argv: readonly string[], io: CommandIo): Promise<number> => {
  const spec = { ...REPLAY_STRATEGY_FLAG_SPEC, ...ownFlagSpec };
  const { values } = parseFlags(joinNegativeValues(argv, spec), spec);
  if (values.help === true) {
    io.stdout(REPLAY_USAGE + "\n");
    return 0;
  }
  const flags = values as Record<string, string | boolean | undefined>;
  const name = (flags.strategy as string | undefined) ?? "art";
  const gradient = isGradientStrategyName(name) ? resolveGradientReplayStrategy(name, flags) : undefined;
  const weighting = gradient === undefined ? resolveReplayStrategy(name, flags) : undefined;
  const inputPath = flags.input as string | undefined;
  // A directory opens fine and fails only at the first read (EISDIR): reject it up front.
  if (inputPath !== undefined && statSync(inputPath, { throwIfNoEntry: false })?.isDirectory() === true) {
    throw new UsageError(`--input: cannot read ${inputPath} (it is a directory)`);
  }
  const stream = inputPath !== undefined ? createReadStream(inputPath, "utf8") : io.stdin;
  if (stream === undefined) throw new UsageError("no --input given and no standard input available");
  if (inputPath !== undefined) {
    await new Promise<void>((resolve, reject) => {
      (stream as ReturnType<typeof createReadStream>).once("open", () => resolve());
      (stream as ReturnType<typeof createReadStream>).once("error", (error: Error) =>
        reject(new UsageError(`--input: cannot read ${inputPath} (${error.message})`)),
      );
    });
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  if (gradient !== undefined) return replayGradientLines(lines, gradient, io, flags.diagnostics === true);
  return replayLines(lines, weighting as AnyWeighting, io, flags.diagnostics === true); // defined: no gradient-aware name
};
