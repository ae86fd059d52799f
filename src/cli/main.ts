#!/usr/bin/env node
import { readFileSync } from "node:fs";

import { processIo, UsageError, type CommandIo } from "./args.js";

/**
 * The `art-mtl` command line. Each command is loaded on demand, so `replay` never loads tfjs.
 * User mistakes print one line and exit 2; no stack traces for them.
 */

type Command = (argv: readonly string[], io: CommandIo) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  replay: {
    summary: "run a weighting over JSON Lines of losses (the conformance runner)",
    load: async () => (await import("./commands/replay.js")).replayCommand,
  },
  train: {
    summary: "train a restoration model from a JSON config (run directory with log, checkpoint, eval)",
    load: async () => (await import("./commands/train.js")).trainCommand,
  },
  report: {
    summary: "one self-contained HTML report (loss curves, weights, PSNR/SSIM) of run directories",
    load: async () => (await import("./commands/report.js")).reportCommand,
  },
  eval: {
    summary: "per-task PSNR/SSIM of a checkpoint (markdown + JSON); --freeze saves a frozen eval set",
    load: async () => (await import("./commands/eval.js")).evalCommand,
  },
  restore: {
    summary: "restore an image or folder with a checkpoint (tiled, bounded memory)",
    load: async () => (await import("./commands/restore.js")).restoreCommand,
  },
  export: {
    summary: "write a checkpoint's model in tfjs's format (model.json + weights.bin, no optimizer state)",
    load: async () => (await import("./commands/export.js")).exportCommand,
  },
  metrics: {
    summary: "PSNR/SSIM of two images (BasicSR or scikit-image convention)",
    load: async () => (await import("./commands/metrics.js")).metricsCommand,
  },
  demo: {
    summary: "train a tiny model with mixed training and with Art, print the table, write the report",
    load: async () => (await import("./commands/demo.js")).demoCommand,
  },
};

const usage = () =>
  `usage: art-mtl <command> [options]\n\ncommands:\n${Object.entries(commands)
    .map(([name, { summary }]) => `  ${name.padEnd(9)} ${summary}`)
    .join("\n")}\n\nRun art-mtl <command> --help for a command's options; art-mtl --version prints the version.\n`;

/** The installed package's version (package.json two folders up: from src/cli in the repository, from dist/cli in the package). */
export const packageVersion = (): string => {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
  };
  return typeof manifest.version === "string" ? manifest.version : "unknown";
};

/** The TensorFlow.js packages the kit and the CLI train and restore with (dependencies of art-mtl; this line is for an install that lost them). */
export const TFJS_INSTALL =
  "npm i @tensorflow/tfjs-core @tensorflow/tfjs-backend-cpu @tensorflow/tfjs-backend-wasm @tensorflow/tfjs-layers";

/** The package a failed import could not find, when it is one of TensorFlow.js's (Node's ERR_MODULE_NOT_FOUND). */
const missingTfjsPackage = (error: unknown): string | undefined => {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e === null || typeof e !== "object" || (e.code !== "ERR_MODULE_NOT_FOUND" && e.code !== "MODULE_NOT_FOUND"))
    return undefined;
  return /Cannot find (?:package|module) '(@tensorflow\/[a-z0-9-]+)/.exec(String(e.message))?.[1];
};

/** The install line for the packages a backend error says are not installed (none: no hint). */
const installHint = (message: string): string => {
  const names = [...message.matchAll(/(@tensorflow\/[a-z0-9-]+): package not installed/g)].map((m) => m[1] as string);
  return names.length === 0 ? "" : `\n  install: npm i ${[...new Set(names)].join(" ")}`;
};

/** Runs the CLI with explicit arguments and streams; returns the exit code. */
export const runCli = async (argv: readonly string[], io: CommandIo = processIo): Promise<number> => {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    io.stdout(`art-mtl ${packageVersion()}\n`);
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    io.stderr(`art-mtl: unknown command ${JSON.stringify(name)}\n${usage()}`);
    return 2;
  }
  try {
    return await (
      await command.load()
    )(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`art-mtl ${name}: ${error.message}${installHint(error.message)}\n`);
      return 2;
    }
    // tfjs comes with art-mtl; where it is missing anyway (removed, or a partial install), a command that needs it says how to install it.
    const missing = missingTfjsPackage(error);
    if (missing !== undefined) {
      io.stderr(
        `art-mtl ${name}: needs TensorFlow.js (${missing} is not installed); install it beside art-mtl:\n  ${TFJS_INSTALL}\n`,
      );
      return 2;
    }
    throw error;
  }
};

const isMain = (() => {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  return /(^|[\\/])(main\.(ts|js|mjs|cjs)|art-mtl)$/.test(entry);
})();

/**
 * What a failed write to standard output means, as Unix filters treat it: EPIPE (the reader,
 * e.g. `head -1`, has gone) ends quietly with exit 0; ENOSPC (`> /dev/full`, a full disk) is
 * one line and exit 1. Anything else stays an internal error.
 */
export const onStdoutError = (
  error: NodeJS.ErrnoException,
  stderr: (text: string) => void,
  exit: (code: number) => void,
): void => {
  if (error.code === "EPIPE") return exit(0);
  if (error.code === "ENOSPC") {
    stderr("art-mtl: cannot write the output: no space left on the device (ENOSPC)\n");
    return exit(1);
  }
  stderr(`art-mtl: cannot write the output: ${error.message}\n`);
  exit(70);
};

if (isMain) {
  process.stdout.on("error", (error: NodeJS.ErrnoException) =>
    onStdoutError(
      error,
      (text) => process.stderr.write(text),
      (code) => process.exit(code),
    ),
  );
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`art-mtl: internal error: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 70;
    },
  );
}
