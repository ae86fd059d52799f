import { resolve } from "node:path";

import { ParallelTrainingError, readTrainConfigFile, trainRun } from "../../restoration/index.js";
import { numberFlag, parseFlags, UsageError, type CommandIo } from "../args.js";
import { asUsageError, stderrIsTTY } from "./shared.js";

/**
 * `art-mtl train --config FILE`: trains as the JSON config says and writes the run directory
 * (config.json, log.jsonl, checkpoint/, eval.json). Ctrl-C writes a checkpoint and exits 130;
 * `--resume` continues from it.
 */

/** The help text of `art-mtl train`. */
export const TRAIN_USAGE = `usage: art-mtl train --config FILE [--resume] [--force] [--out DIR] [--steps N] [--workers N|auto] [--quiet]
Trains a restoration model with a multi-task weighting, as FILE (JSON) says; see
docs/restoration.md for every field. The run directory (config "output", default runs/NAME)
gets config.json, log.jsonl (one line per step), checkpoint/ and eval.json.
  --resume   continue the run in the output directory from its checkpoint
  --force    start over in an output directory that already holds a run
  --out DIR  override the config's output directory
  --steps N  override the config's step count (e.g. to extend a resumed run)
  --workers N|auto
             data-parallel replicas on worker threads, each with its own tfjs (WASM)
             instance: every batch is split over N (default: the config's "workers", 1);
             auto = one per core. Same weights and updates as one worker; a checkpoint
             resumes with any number. See docs/training.md#workers
  --quiet    no progress bar
Ctrl-C stops after the current step and writes a checkpoint (resume with --resume).`;

/** The signals that stop training cleanly. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];
/** 128 + the signal's number, as a shell reports a process killed by it. */
const STOP_EXIT_CODES: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** The `train` command. */
export const trainCommand = async (argv: readonly string[], io: CommandIo): Promise<number> => {
  const { values } = parseFlags(argv, {
    config: { type: "string", short: "c" },
    resume: { type: "boolean" },
    force: { type: "boolean" },
    out: { type: "string" },
    steps: { type: "string" },
    workers: { type: "string" },
    quiet: { type: "boolean", short: "q" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.stdout(TRAIN_USAGE + "\n");
    return 0;
  }
  if (values.config === undefined) throw new UsageError(`--config FILE is required\n${TRAIN_USAGE}`);
  if (values.resume === true && values.force === true)
    throw new UsageError("--resume and --force contradict each other");
  const steps = numberFlag("steps", values.steps, (n) => Number.isInteger(n) && n >= 1, "an integer >= 1");
  const workers =
    values.workers === "auto"
      ? "auto"
      : numberFlag("workers", values.workers, (n) => Number.isInteger(n) && n >= 1, '"auto" or an integer >= 1');
  let config;
  try {
    // --steps goes in before the defaults are filled in (the step schedule's default `every` depends on it).
    config = readTrainConfigFile(values.config, {
      ...(steps === undefined ? {} : { steps }),
      ...(workers === undefined ? {} : { workers }),
    });
  } catch (error) {
    return asUsageError(error);
  }
  config = { ...config, ...(values.out === undefined ? {} : { output: values.out }) };
  // SIGINT (Ctrl-C), SIGTERM (docker stop, systemd, timeout) and SIGHUP (a closed terminal) all
  // ask for a clean stop: the current step finishes, a checkpoint of it is written, the lock is
  // released, and the exit code says which signal (128 + its number). After the first, the
  // handlers are removed, so a second signal kills as usual; the checkpoint is written atomically
  // (a staging folder renamed into place), so a kill during the save leaves the previous one.
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const onSignal = (signal: StopSignal) => {
    received = signal;
    io.stderr(
      `\n${signal}: finishing the current step and writing a checkpoint (${signal === "SIGINT" ? "Ctrl-C" : "the signal"} again to kill)\n`,
    );
    controller.abort();
    removeHandlers();
  };
  const handlers = STOP_SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const);
  const removeHandlers = () => handlers.forEach(([signal, handler]) => process.removeListener(signal, handler));
  handlers.forEach(([signal, handler]) => process.on(signal, handler));
  try {
    let outcome;
    try {
      outcome = await trainRun({
        config,
        resume: values.resume === true,
        force: values.force === true,
        signal: controller.signal,
        log: (line) => io.stderr(line + "\n"),
        ...(values.quiet === true
          ? {}
          : { progress: { write: io.stderr, isTTY: stderrIsTTY(io), columns: process.stderr.columns ?? 120 } }),
      });
    } catch (error) {
      if (!(error instanceof ParallelTrainingError)) return asUsageError(error);
      // A replica that crashed or hung: one line saying which, where, and what was saved; exit 1.
      io.stderr(`art-mtl train: ${error.message}\n`);
      return 1;
    }
    if (outcome.interrupted) {
      io.stderr(
        `stopped at step ${outcome.step}; checkpoint in ${resolve(outcome.runDir, "checkpoint")}; continue with --resume\n`,
      );
      return STOP_EXIT_CODES[received ?? "SIGINT"];
    }
    io.stdout(
      `trained ${config.name} to step ${outcome.step} in ${outcome.seconds.toFixed(1)} s; run directory ${outcome.runDir}\n`,
    );
    if (outcome.evaluation !== undefined)
      io.stdout(
        `mean PSNR ${outcome.evaluation.mean.psnr.toFixed(2)} dB, SSIM ${outcome.evaluation.mean.ssim.toFixed(4)} (eval.json)\n`,
      );
    return 0;
  } finally {
    removeHandlers();
  }
};
