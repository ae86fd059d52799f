import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import * as E from "fp-ts/Either";
import type { TaskLosses, Weighting } from "../../core/weighting.js";
import { art } from "../../core/art/index.js";
import type { ArtOptions } from "../../core/art/config.js";
import type { CommandIo } from "../args.js";
import { UsageError, choiceFlag, numberFlag, parseFlags } from "../args.js";

/**
 * `art-mtl replay`: the conformance runner of the spec. Reads JSON Lines of
 * `{"losses":[0.12,null,0.3]}`, writes one `{"step":N,"weights":[...]}` line per step in full
 * double precision (JSON's shortest round-trip form). Ports of Art are checked against it.
 */

export const REPLAY_USAGE = `usage: art-mtl replay [--preset paper|official] [--tau T] [--rate A] [--lcr none|raw|ema]
                      [--gcw none|raw|log|relative-log] [--loss-scale S] [--diagnostics] [--input FILE]
Reads JSON Lines {"losses":[...]} (null = absent task) from --input or stdin and writes
{"step":N,"weights":[...]} per line. Flags override the preset.`;

/** A strategy for replay: the weighting plus a name for messages. Other strategies plug in here. */
export type ReplayStrategyFactory = (flags: Record<string, string | boolean | undefined>) => Weighting<unknown>;

const flagSpec = {
  preset: { type: "string" },
  tau: { type: "string" },
  rate: { type: "string" },
  lcr: { type: "string" },
  gcw: { type: "string" },
  "loss-scale": { type: "string" },
  input: { type: "string" },
  diagnostics: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Builds Art's options from the flags (each flag checked and named on error). */
export const artOptionsFromFlags = (values: Record<string, string | boolean | undefined>): Omit<ArtOptions, "numTasks"> => {
  const str = (key: string) => values[key] as string | undefined;
  const options: Record<string, unknown> = {};
  const preset = choiceFlag("preset", str("preset"), ["paper", "official"] as const);
  if (preset !== undefined) options.preset = preset;
  const tau = numberFlag("tau", str("tau"), (n) => Number.isFinite(n) && n > 0, "a finite number > 0");
  if (tau !== undefined) options.tau = tau;
  const rate = numberFlag("rate", str("rate"), (n) => n > 0 && n <= 1, "a number in (0, 1]");
  if (rate !== undefined) options.rate = rate;
  const lcr = choiceFlag("lcr", str("lcr"), ["none", "raw", "ema"] as const);
  if (lcr !== undefined) options.lcr = lcr;
  const gcw = choiceFlag("gcw", str("gcw"), ["none", "raw", "log", "relative-log"] as const);
  if (gcw !== undefined) options.gcw = gcw;
  const lossScale = numberFlag("loss-scale", str("loss-scale"), (n) => Number.isFinite(n) && n > 0, "a finite number > 0");
  if (lossScale !== undefined) options.lossScale = lossScale;
  return options as Omit<ArtOptions, "numTasks">;
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
  weighting: Weighting<unknown>,
  io: CommandIo,
  withDiagnostics = false,
): Promise<number> => {
  let state: unknown = undefined;
  let lineNumber = 0;
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
    const record: Record<string, unknown> = { step: lineNumber, weights: result.right.weights };
    if (withDiagnostics) record.diagnostics = result.right.diagnostics;
    buffer += JSON.stringify(record) + "\n";
    if (buffer.length > 1 << 16) flush();
  }
  flush();
  return 0;
};

/** The `replay` command. `strategies` maps --strategy names to weightings (Art by default). */
export const replayCommand = async (
  argv: readonly string[],
  io: CommandIo,
  resolveStrategy?: (name: string, flags: Record<string, string | boolean | undefined>) => Weighting<unknown>,
): Promise<number> => {
  const spec = resolveStrategy === undefined ? flagSpec : { ...flagSpec, strategy: { type: "string" } as const };
  const { values } = parseFlags(argv, spec);
  if (values.help === true) {
    io.stdout(REPLAY_USAGE + "\n");
    return 0;
  }
  const flags = values as Record<string, string | boolean | undefined>;
  const strategyName = (flags.strategy as string | undefined) ?? "art";
  const weighting =
    strategyName === "art" || resolveStrategy === undefined
      ? (art(artOptionsFromFlags(flags)) as Weighting<unknown>)
      : resolveStrategy(strategyName, flags);
  const inputPath = flags.input as string | undefined;
  const stream = inputPath !== undefined ? createReadStream(inputPath, "utf8") : io.stdin;
  if (stream === undefined) throw new UsageError("no --input given and no standard input available");
  if (inputPath !== undefined) {
    await new Promise<void>((resolve, reject) => {
      (stream as ReturnType<typeof createReadStream>).once("open", () => resolve());
      (stream as ReturnType<typeof createReadStream>).once("error", (error: Error) => reject(new UsageError(`--input: cannot read ${inputPath} (${error.message})`)));
    });
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  return replayLines(lines, weighting, io, flags.diagnostics === true);
};
