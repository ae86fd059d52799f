/**
 * The training loop of the restoration kit: config in, run directory out.
 *
 *     runs/NAME/config.json    the resolved config
 *     runs/NAME/log.jsonl      one line per step: step, loss, taskLosses, weights, lr, time
 *     runs/NAME/checkpoint/    model, optimizer, weighting state, step (atomic, every checkpointEvery steps)
 *     runs/NAME/eval.json      per-task PSNR/SSIM at the end (and every evalEvery steps)
 *     runs/NAME/eval-history.jsonl  every one of those evaluations, one line each (the learning curve)
 *
 * Batches are a pure function of (seed, step), the model's initialisation of the seed, so two
 * runs that differ only in the weighting see the same init and the same batches, and a resumed
 * run continues exactly where the checkpoint left off.
 */
import { existsSync, mkdirSync, nodeOnly, rmSync, statSync } from "../../platform/node.js";
import { AdapterError, loadCheckpoint, saveCheckpoint } from "../../tfjs/index.js";
import type { FrozenPair } from "../data/frozen.js";
import { streamBatches } from "../data/prefetch.js";
import { warmStartModel } from "../models/index.js";
import { blindTaskIds } from "./blind-ids.js";
import { readCheckpointConfig, type CheckpointMetadata } from "./config-file.js";
import type { TrainConfig } from "./config.js";
import { sequentialCurriculum } from "./curriculum.js";
import { NoCheckpointError, TrainSetupError } from "./errors.js";
import { evaluateSession } from "./evaluate-session.js";
import { loadEvalPairs } from "./evaluate.js";
import { setLearningRate } from "./optimizer.js";
import { startParallelTraining, type ParallelTraining } from "./parallel/coordinator.js";
import type { ReplicaFault } from "./parallel/protocol.js";
import { resolveWorkerCount } from "./parallel/shards.js";
import { ProgressBar, type ProgressOptions } from "./progress.js";
import type { EvalResult, StepRecord } from "./records.js";
import {
  appendEvalHistory,
  JsonlWriter,
  runPaths,
  truncateEvalHistory,
  truncateLog,
  writeJsonAtomic,
} from "./run-dir.js";
import { acquireRunLock, RunDirectoryBusyError } from "./run-lock.js";
import { learningRateAt } from "./schedule.js";
import { buildSession } from "./session.js";

/** Options of `trainRun`. */
export interface TrainRunOptions {
  readonly config: TrainConfig;
  /** Continue from the run directory's checkpoint. */
  readonly resume?: boolean;
  /** Start over in a directory that already holds a run (its log, checkpoint and eval are removed). */
  readonly force?: boolean;
  /** Progress bar target (default: none). */
  readonly progress?: ProgressOptions;
  /** Informational lines (backend, resume point, checkpoints). */
  readonly log?: (line: string) => void;
  /** Aborting stops after the current step, writes a checkpoint, and returns (SIGINT). */
  readonly signal?: AbortSignal;
  /** Evaluate at the end and write eval.json (default true). */
  readonly evaluateAtEnd?: boolean;
  /** With workers >= 2: how long a replica may take for one step before it counts as hung (default 10 minutes); `fault` is for tests only. */
  readonly parallel?: { readonly timeoutMs?: number; readonly fault?: ReplicaFault };
}

/** The outcome of `trainRun`. */
export interface TrainOutcome {
  readonly runDir: string;
  /** Steps completed (including those before a resume). */
  readonly step: number;
  /** True when stopped by the signal before `steps`. */
  readonly interrupted: boolean;
  readonly evaluation?: EvalResult;
  /** Wall time of this call in seconds. */
  readonly seconds: number;
  readonly lastRecord?: StepRecord;
  /** How batches were prefetched (worker, thread, none). */
  readonly prefetch: string;
  readonly backend: string;
  /** Data-parallel replicas the run trained on (1: the calling thread). */
  readonly workers: number;
}

const short = (v: number | null): string => (v === null ? "-" : v < 0.01 ? v.toExponential(1) : v.toFixed(3));

/**
 * Checks that a resumed run's config matches the checkpoint's in what the checkpoint and the
 * batches depend on: tasks, model, weighting, seed, batch and every `data` field except
 * `prefetch` (which only says how batches are made, not which).
 */
function checkResumable(saved: TrainConfig, config: TrainConfig, dir: string): void {
  const dataOf = (c: TrainConfig): Record<string, unknown> => {
    const { prefetch: _prefetch, ...rest } = c.data;
    return rest;
  };
  const pairs: [string, unknown, unknown][] = (
    ["tasks", "model", "weighting", "seed", "batch", "blindRate"] as const
  ).map((field) => [field, saved[field], config[field]]);
  const savedData = dataOf(saved);
  const data = dataOf(config);
  for (const key of [...new Set([...Object.keys(savedData), ...Object.keys(data)])])
    pairs.push([`data.${key}`, savedData[key], data[key]]);
  for (const [field, before, now] of pairs) {
    if (JSON.stringify(before) !== JSON.stringify(now)) {
      throw new TrainSetupError(
        `${dir}: cannot resume: ${field} differs from the checkpoint's (checkpoint ${JSON.stringify(before) ?? "none"}, config ${JSON.stringify(now) ?? "none"})`,
      );
    }
  }
}

/**
 * Creates the run directory and takes its lock (the lock is its first write), or says in one
 * line why it cannot be a run directory: a file in the way, no permission, a read-only disk.
 */
const lockRunDirectory = (runDir: string): (() => void) => {
  try {
    if (statSync(runDir, { throwIfNoEntry: false })?.isFile() === true)
      throw new TrainSetupError(`output ${runDir}: is a file, not a directory; choose another output`);
    mkdirSync(runDir, { recursive: true });
    return acquireRunLock(runDir);
  } catch (error) {
    if (error instanceof TrainSetupError || error instanceof RunDirectoryBusyError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOTDIR"
        ? "a part of the path is a file"
        : code === "EACCES" || code === "EPERM"
          ? "no permission to write there"
          : code === "EROFS"
            ? "a read-only file system"
            : (error as Error).message;
    throw new TrainSetupError(
      `output ${runDir}: cannot create or write the run directory (${why}); choose another output`,
    );
  }
};

/**
 * Trains as the config says, writing the run directory; see the module comment.
 *
 * @example
 * const outcome = await trainRun({ config, progress: { write: (t) => process.stderr.write(t), isTTY: true } });
 */
export async function trainRun(options: TrainRunOptions): Promise<TrainOutcome> {
  nodeOnly(
    "trainRun (a run directory)",
    "drive createTrainer with BatchSynthesizer batches and save through a CheckpointStore",
  );
  const started = performance.now();
  const config = options.config;
  const runDir = config.output;
  const paths = runPaths(runDir);
  // One writer per run directory: take its lock before reading or removing anything in it.
  const releaseLock = lockRunDirectory(runDir);
  try {
    return await trainLocked(options, config, runDir, paths, started);
  } finally {
    releaseLock();
  }
}

/** `trainRun`'s work once the run directory's lock is held. */
async function trainLocked(
  options: TrainRunOptions,
  config: TrainConfig,
  runDir: string,
  paths: ReturnType<typeof runPaths>,
  started: number,
): Promise<TrainOutcome> {
  const log = options.log ?? (() => undefined);
  const hasRun = existsSync(paths.log) || existsSync(paths.checkpoint);
  if (options.resume === true) {
    const { config: saved } = await readCheckpointConfig(paths.checkpoint).catch((error: unknown) => {
      // Only a missing checkpoint is said so; other problems (e.g. its config is not a training config) pass through.
      throw error instanceof NoCheckpointError
        ? new TrainSetupError(`--resume: ${runDir} has no checkpoint to resume from`)
        : error;
    });
    checkResumable(saved, config, runDir);
  } else if (hasRun) {
    if (options.force !== true)
      throw new TrainSetupError(
        `${runDir} already holds a run (log.jsonl or checkpoint/); use --resume to continue it, --force to start over, or another output`,
      );
    for (const path of [paths.log, paths.checkpoint, paths.eval, `${paths.checkpoint}.previous`])
      rmSync(path, { recursive: true, force: true });
  }
  // A new run starts a new learning curve (a stale file is no run: it needs no --force).
  if (options.resume !== true) rmSync(paths.evalHistory, { force: true });
  mkdirSync(runDir, { recursive: true });
  writeJsonAtomic(paths.config, config);

  const session = await buildSession(config, log);
  const { tf, trainer, optimizer } = session;
  let startStep = 0;
  let timeOffset = 0;
  if (options.resume === true) {
    // The step comes from the verified checkpoint only (format v2: under the manifest's checksum,
    // equal to the trainer state's step), never from an unchecked field.
    const loaded = await loadCheckpoint(trainer, paths.checkpoint);
    startStep = loaded.step;
    if (trainer.stepCount !== startStep)
      throw new TrainSetupError(
        `${paths.checkpoint}: the checkpoint's step ${startStep} differs from its trainer state's ${trainer.stepCount}`,
      );
    if (startStep > config.steps) {
      throw new TrainSetupError(
        `${runDir}: cannot resume: the checkpoint is at step ${startStep}, past this config's steps ${config.steps} (raise steps to at least ${startStep})`,
      );
    }
    // The log keeps the lines of steps <= the checkpoint's (the steps after it are redone), so it stays contiguous.
    const last = truncateLog(paths.log, startStep);
    // Evaluations after the checkpoint are redone; at the last step so is the final one.
    truncateEvalHistory(paths.evalHistory, startStep === config.steps ? startStep - 1 : startStep);
    timeOffset = last?.time ?? 0;
    if (last !== undefined && last.step !== startStep)
      log(
        `warning: ${paths.log} ends at step ${last.step}, the checkpoint is at step ${startStep}: steps ${last.step + 1}..${startStep} have no log lines`,
      );
    log(`resuming ${runDir} at step ${startStep} of ${config.steps}`);
  } else if (config.initFrom !== undefined) {
    const warm = await warmStartModel(tf, session.model, config.initFrom);
    log(
      `initialised ${warm.loaded.length} of ${session.model.variables.length} variables from ${config.initFrom} (step ${warm.step})` +
        (warm.fresh.length > 0 ? `; new: ${warm.fresh.join(", ")}` : "") +
        (warm.zeroed.length > 0 ? `; starting at zero: ${warm.zeroed.join(", ")}` : "") +
        (warm.unused.length > 0 ? `; not used: ${warm.unused.join(", ")}` : ""),
    );
  }
  const bar =
    options.progress === undefined
      ? undefined
      : new ProgressBar(config.name, config.steps, startStep, options.progress);
  const logWriter = new JsonlWriter(paths.log);
  const activeTasks =
    config.data.curriculum === undefined
      ? undefined
      : sequentialCurriculum(config.tasks.length, config.data.curriculum.stepsPerTask);
  const stream = streamBatches(
    {
      tasks: config.tasks,
      batchSize: config.batch,
      patchSize: config.data.patchSize,
      seed: config.seed,
      source: config.data.source,
      augment: config.data.augment,
      ...(config.data.proportions === undefined ? {} : { proportions: config.data.proportions }),
    },
    { ...(activeTasks === undefined ? {} : { activeTasks }), onWarning: (m) => bar?.message(m) ?? log(m) },
    { from: startStep, to: config.steps, depth: 2, mode: config.data.prefetch },
  );
  const say = (line: string) => (bar === undefined ? log(line) : bar.message(line));
  const workers = resolveWorkerCount(config.workers, config.batch);
  say(
    `training ${config.name}: ${config.weighting.name} on ${config.tasks.join(", ")}; ${session.model.parameterCount} parameters; backend ${session.backend}; batches prefetched by ${stream.mode}${workers > 1 ? `; ${workers} data-parallel workers` : ""}`,
  );
  // The step of the checkpoint on disk (a resumed run starts from one), for messages.
  let savedStep: number | undefined = startStep > 0 ? startStep : undefined;
  const save = async (step: number) => {
    await saveCheckpoint(trainer, paths.checkpoint, { config } satisfies CheckpointMetadata);
    savedStep = step;
    say(`checkpoint at step ${step} → ${paths.checkpoint}`);
  };
  // With workers, the session's model and optimizer are a copy the replicas are synced into first.
  let parallel: ParallelTraining | undefined;
  const checkpoint = async (step: number) => {
    await parallel?.syncSession();
    await save(step);
  };
  let evalPairs: FrozenPair[] | undefined;
  const evaluate = async (step: number): Promise<EvalResult> => {
    evalPairs ??= await loadEvalPairs({
      data: config.eval.data,
      tasks: config.tasks,
      images: config.eval.images,
      size: config.eval.size,
    });
    const result = await evaluateSession(session, {
      ...config.eval,
      checkpoint: paths.checkpoint,
      step,
      pairs: evalPairs,
    });
    writeJsonAtomic(paths.eval, result);
    appendEvalHistory(paths.evalHistory, result);
    say(`eval at step ${step}: mean PSNR ${result.mean.psnr.toFixed(2)} dB, SSIM ${result.mean.ssim.toFixed(4)}`);
    return result;
  };

  let step = startStep;
  let lastRecord: StepRecord | undefined;
  let interrupted = false;
  const loopStarted = performance.now();
  try {
    if (workers > 1)
      parallel = await startParallelTraining({ session, replicas: workers, onRecovered: save, ...options.parallel });
    for (; step < config.steps;) {
      if (options.signal?.aborted === true) {
        interrupted = true;
        break;
      }
      const batch = await stream.next();
      if (batch === undefined) break;
      const lr = learningRateAt(config.schedule, config.lr, step, config.steps);
      const modelTaskIds =
        config.blindRate === undefined ? undefined : blindTaskIds(batch.taskIds, config.blindRate, config.seed, step);
      let result;
      try {
        if (parallel !== undefined) result = await parallel.step(batch, lr, modelTaskIds);
        else {
          setLearningRate(optimizer, lr);
          const x = tf.tensor4d(batch.inputs, [...batch.shape]);
          const y = tf.tensor4d(batch.targets, [...batch.shape]);
          try {
            result = await trainer.step(
              x,
              y,
              batch.taskIds,
              modelTaskIds === undefined ? undefined : { taskIds: modelTaskIds },
            );
          } finally {
            x.dispose();
            y.dispose();
          }
        }
      } catch (error) {
        // A weighting rejects a non-finite loss: the model diverged, which the config (lr) can fix.
        if (error instanceof AdapterError && error.kind === "weighting") {
          // The adapter's message already names the step and the losses (NaN as NaN).
          const kept =
            savedStep === undefined ? "no checkpoint was written yet" : `the checkpoint of step ${savedStep} is kept`;
          throw new TrainSetupError(`${error.message} (training diverged; try a lower lr; ${kept})`);
        }
        throw error;
      }
      step++;
      lastRecord = {
        step,
        loss: result.loss,
        taskLosses: result.taskLosses,
        weights: result.weights,
        lr,
        time: timeOffset + (performance.now() - loopStarted) / 1000,
      };
      logWriter.append(lastRecord);
      bar?.update(
        step,
        `loss ${short(result.loss)} | ${config.tasks.map((task, k) => `${task} ${short(result.taskLosses[k] ?? null)}/${(result.weights[k] ?? 0).toFixed(2)}`).join(" ")}`,
      );
      if (config.weighting.epochSteps > 0 && step % config.weighting.epochSteps === 0) {
        if (parallel !== undefined) parallel.endEpoch();
        else await trainer.endEpoch();
      }
      // Evaluate before checkpointing: a run killed in between resumes from the earlier
      // checkpoint and evaluates this step again, so eval-history.jsonl never misses a point.
      if (config.evalEvery > 0 && step % config.evalEvery === 0 && step < config.steps) {
        await parallel?.syncSession();
        await evaluate(step);
      }
      if (step % config.checkpointEvery === 0 && step < config.steps) await checkpoint(step);
    }
    if (step > startStep || interrupted) await checkpoint(step);
  } finally {
    bar?.finish();
    logWriter.close();
    await stream.close();
    await parallel?.close();
  }
  let evaluation: EvalResult | undefined;
  if (!interrupted && (options.evaluateAtEnd ?? true)) evaluation = await evaluate(step);
  session.model.dispose();
  trainer.dispose();
  optimizer.dispose();
  return {
    runDir,
    step,
    interrupted,
    ...(evaluation === undefined ? {} : { evaluation }),
    seconds: (performance.now() - started) / 1000,
    ...(lastRecord === undefined ? {} : { lastRecord }),
    prefetch: stream.mode,
    backend: session.backend,
    workers,
  };
}
