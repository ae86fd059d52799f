/**
 * Data-parallel training on worker threads: N replicas of the model, each with its own tfjs
 * instance (on WASM, one thread each), train on shards of the same global batch; the weighting
 * steps once, here, from the reduced per-task losses of all shards, so every task's weight is
 * what one worker would compute from the whole batch; the replicas sum their gradients and all
 * apply the same update. See `protocol.ts` for one step and docs/training.md#workers.
 *
 * The main thread keeps its own copy of the model and optimizer (the `TrainingSession` the loop
 * built): it does not train, but `syncSession` copies a replica's variables and optimizer state
 * and the weighting state into it, so checkpoints (one replica + optimizer + weighting state,
 * today's format) and evaluation work as with one worker, and `--resume` works with any number.
 */
import * as E from "fp-ts/Either";

import { isGradientWeighting, type GradientWeighting } from "../../../core/gradient-weighting.js";
import { reduceTaskLosses } from "../../../core/reduce.js";
import type { Diagnostics, TaskLosses } from "../../../core/weighting.js";
import { nodeOnly, type Worker } from "../../../platform/node.js";
import {
  AdapterError,
  createGradientWeightingDriver,
  createWeightingDriver,
  restoreAdamAccumulators,
  type GradientWeightingDriver,
  type Tensor,
  type TrainerHostState,
  type Variable,
  type WeightingDriver,
} from "../../../tfjs/index.js";
import type { Batch } from "../../data/batches.js";
import { findModuleNextTo, startModuleWorker } from "../../data/module-worker.js";
import { KitError } from "../../errors.js";
import type { TrainingSession } from "../session.js";
import {
  abortAll,
  allocateShared,
  CTRL,
  type CoordinatorMessage,
  type ReplicaFault,
  type ReplicaInit,
  type ReplicaMessage,
  type ReplicaMode,
  type ReplicaSnapshot,
  type SharedBuffers,
  type TensorValues,
} from "./protocol.js";
import { splitBatch } from "./shards.js";

/** A replica failed (crashed, threw, or stopped answering); the message says which, where, and what was saved. */
export class ParallelTrainingError extends KitError {
  override readonly name = "ParallelTrainingError";
}

/** Options of `startParallelTraining`. */
export interface ParallelOptions {
  /** The main thread's session: its model, optimizer and trainer state (fresh or resumed) are what the replicas start from. */
  readonly session: TrainingSession;
  /** N >= 2. */
  readonly replicas: number;
  /** How long to wait for a replica (a step, a snapshot) before calling it hung (default 10 minutes). */
  readonly timeoutMs?: number;
  /**
   * After a replica fails, the session is given the state of the last step every surviving
   * replica completed, and this is called with that step (to write a checkpoint).
   */
  readonly onRecovered?: (step: number) => Promise<void>;
  /** Testing only: make one replica fail at one step. */
  readonly fault?: ReplicaFault;
}

/** One step's outcome (host values), as the trainer's `TrainStepResult` reports it. */
export interface ParallelStepResult {
  /** sum_k alpha_k L_k over the present tasks. */
  readonly loss: number;
  /** The global batch's per-task mean losses (null: task absent). */
  readonly taskLosses: TaskLosses;
  readonly weights: ReadonlyArray<number>;
  readonly diagnostics: Diagnostics;
  /** Completed steps. */
  readonly step: number;
}

/** A running set of replicas. */
export interface ParallelTraining {
  readonly replicas: number;
  /** The replicas' tfjs backend. */
  readonly backend: string;
  /** One step on a global batch: `lr` for this update, `modelTaskIds` what the model is told about each sample (blind training). */
  step(batch: Batch, lr: number, modelTaskIds?: ArrayLike<number>): Promise<ParallelStepResult>;
  /** The end-of-epoch event of an epoch-aware weighting (DWA); a no-op for others. */
  endEpoch(): void;
  /** Copies replica 0's variables and optimizer state and the weighting state into the session, after checking every replica holds the same values. */
  syncSession(): Promise<void>;
  /** Every replica's variables and optimizer state. */
  snapshots(): Promise<ReplicaSnapshot[]>;
  /** Stops the replicas. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

/** The replica worker module next to this one (.ts under tsx, .js in the build). */
export const findReplicaWorker = (): URL | undefined =>
  findModuleNextTo(import.meta.url, ["./replica-worker.ts", "./replica-worker.js"]);

const tensorValues = (name: string, tensor: Tensor): TensorValues => ({
  name,
  shape: [...tensor.shape],
  dtype: tensor.dtype === "int32" ? "int32" : "float32",
  values: tensor.dtype === "int32" ? Int32Array.from(tensor.dataSync()) : Float32Array.from(tensor.dataSync()),
});

/** Whether two snapshots hold bitwise the same variables and optimizer state. */
export const sameReplicaState = (a: ReplicaSnapshot, b: ReplicaSnapshot): boolean => {
  const same = (x: readonly TensorValues[], y: readonly TensorValues[]) =>
    x.length === y.length &&
    x.every((t, i) => {
      const u = y[i] as TensorValues;
      if (t.values.length !== u.values.length) return false;
      const p = new Uint32Array(t.values.buffer, t.values.byteOffset, t.values.length);
      const q = new Uint32Array(u.values.buffer, u.values.byteOffset, u.values.length);
      return p.every((v, j) => v === q[j]);
    });
  return a.appliedStep === b.appliedStep && same(a.variables, b.variables) && same(a.optimizer, b.optimizer);
};

interface Pending<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** What the coordinator knows about a step in flight. */
interface StepInFlight {
  readonly step: number;
  readonly counts: readonly (readonly number[])[];
  readonly globalCounts: readonly number[];
  readonly losses: (readonly number[] | undefined)[];
  readonly done: (readonly number[] | null | undefined)[];
  result?: { taskLosses: TaskLosses; weights: ReadonlyArray<number>; diagnostics: Diagnostics };
  readonly pending: Pending<ParallelStepResult>;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Starts `replicas` replica threads, gives them the session's model and optimizer state, and
 * returns the stepper. The session's trainer must hold the starting point (a resumed checkpoint
 * is loaded into it first).
 */
export async function startParallelTraining(options: ParallelOptions): Promise<ParallelTraining> {
  nodeOnly("startParallelTraining (worker threads)", "train with workers: 1");
  const { session, replicas } = options;
  const { tf, config, trainer } = session;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(Number.isInteger(replicas) && replicas >= 2))
    throw new RangeError(`replicas: expected an integer >= 2 (got ${replicas})`);
  const url = findReplicaWorker();
  if (url === undefined)
    throw new Error("the replica worker module was not found next to coordinator; train with workers: 1");
  const numTasks = config.tasks.length;
  const trainable = trainer.trainableVariables as Variable[];
  const parameters = trainable.reduce((n, v) => n + v.size, 0);

  // The weighting side of the trainer, here: the same driver createTrainer (or createGradientTrainer) uses, from the session's host state.
  await trainer.flush();
  const host0 = trainer.hostState();
  if (host0.lagged)
    throw new Error("data-parallel training computes exact weights; the session's trainer is in lagged mode");
  const mode: ReplicaMode = isGradientWeighting(trainer.weighting) ? "gradient" : "loss";
  const lossDriver = mode === "loss" ? createWeightingDriver(trainer.weighting, numTasks, false) : undefined;
  const gradientDriver =
    mode === "gradient"
      ? createGradientWeightingDriver(trainer.weighting as unknown as GradientWeighting<unknown>, numTasks)
      : undefined;
  const driver = (lossDriver ?? gradientDriver) as Pick<
    GradientWeightingDriver<unknown>,
    "stepCount" | "completeStep" | "hostState" | "restore"
  >;
  const twoPhase = lossDriver?.twoPhase ?? false;
  driver.restore(host0);
  const hostState = (): TrainerHostState => driver.hostState();
  /** Final host states by step (the last complete step and the one in flight), for recovery. */
  const finalStates = new Map<number, TrainerHostState>([[driver.stepCount, hostState()]]);

  const shared: SharedBuffers = allocateShared(replicas, numTasks, parameters, trainable.length, mode);
  const ctrl = new Int32Array(shared.ctrl);
  const coefficients = new Float64Array(shared.coefficients);
  const taskMeans = new Float32Array(shared.taskMeans);
  const gramParts = new Float64Array(shared.gramParts);
  const direction = new Float32Array(shared.direction);
  Atomics.store(ctrl, CTRL.ALPHA, driver.stepCount);

  const workers: Worker[] = [];
  const exited: boolean[] = new Array<boolean>(replicas).fill(false);
  const ready: Pending<string>[] = [];
  const loaded: (Pending<void> | undefined)[] = new Array(replicas).fill(undefined);
  const snapshotRequests = new Map<number, { replica: number; pending: Pending<ReplicaSnapshot> }>();
  let nextRequestId = 0;
  let current: StepInFlight | undefined;
  let failure: ParallelTrainingError | undefined;
  let closing = false;
  /** The saving of the survivors' state after a failure (once), and the error to report. */
  let recovery: Promise<ParallelTrainingError> | undefined;
  /** Replicas that did not answer in time (not asked for their state after a failure). */
  const hung = new Set<number>();

  /** Stops the run: releases every blocked replica and fails the step in flight (with recovery). */
  const fail = (message: string): void => {
    if (failure !== undefined || closing) return;
    failure = new ParallelTrainingError(message);
    abortAll(ctrl);
    const inFlight = current;
    current = undefined;
    if (inFlight !== undefined) {
      clearTimeout(inFlight.timer);
      void recover(failure).then((reported) => inFlight.pending.reject(reported));
    }
  };

  const failRequestsOf = (replica: number, error: Error): void => {
    loaded[replica]?.reject(error);
    loaded[replica] = undefined;
    for (const [id, request] of snapshotRequests) {
      if (request.replica !== replica) continue;
      snapshotRequests.delete(id);
      request.pending.reject(error);
    }
  };

  const finishStep = (inFlight: StepInFlight): void => {
    const result = inFlight.result as NonNullable<StepInFlight["result"]>;
    if (twoPhase) {
      const observed = reduceTaskLosses(
        inFlight.done.map((sums, r) => ({
          sums: sums as readonly number[],
          counts: inFlight.counts[r] as readonly number[],
        })),
      );
      if (E.isLeft(observed))
        return fail(`step ${inFlight.step}: the post-update losses do not reduce: ${observed.left.message}`);
      const next = (lossDriver as WeightingDriver<unknown>).tryObserve(observed.right);
      if (E.isLeft(next)) {
        failWeighting(inFlight, `step ${inFlight.step}: ${next.left.message}`, next.left.cause);
        return;
      }
    }
    driver.completeStep(inFlight.step);
    const stepCount = driver.stepCount;
    finalStates.set(stepCount, hostState());
    finalStates.delete(stepCount - 2);
    clearTimeout(inFlight.timer);
    current = undefined;
    const loss = result.taskLosses.reduce<number>(
      (sum, l, k) => sum + (l === null ? 0 : (result.weights[k] as number) * l),
      0,
    );
    inFlight.pending.resolve({
      loss,
      taskLosses: result.taskLosses,
      weights: result.weights,
      diagnostics: result.diagnostics,
      step: stepCount,
    });
  };

  /** The weighting rejected the losses (a diverged model): abort without recovery, as one worker does (the last checkpoint is kept). */
  const failWeighting = (inFlight: StepInFlight, message: string, cause: unknown): void => {
    clearTimeout(inFlight.timer);
    current = undefined;
    failure = new ParallelTrainingError(message);
    abortAll(ctrl);
    inFlight.pending.reject(new AdapterError("weighting", message, cause));
  };

  const onLosses = (inFlight: StepInFlight): void => {
    const shards = inFlight.losses.map((sums, r) => ({
      sums: sums as readonly number[],
      counts: inFlight.counts[r] as readonly number[],
    }));
    const reduced = reduceTaskLosses(shards);
    if (E.isLeft(reduced)) {
      // A non-finite sum is a diverged model, as the weighting would say with one worker.
      failWeighting(
        inFlight,
        `step ${inFlight.step}: the shards' losses do not reduce: ${reduced.left.message}`,
        reduced.left,
      );
      return;
    }
    const taskLosses = reduced.right;
    if (gradientDriver !== undefined) return onGradientLosses(inFlight, taskLosses, gradientDriver);
    const stepped = (lossDriver as WeightingDriver<unknown>).tryAdvance(taskLosses);
    if (E.isLeft(stepped)) {
      failWeighting(inFlight, stepped.left.message, stepped.left.cause);
      return;
    }
    inFlight.result = { taskLosses, weights: stepped.right.weights, diagnostics: stepped.right.diagnostics };
    if (!twoPhase) finalStates.set(inFlight.step, { ...hostState(), step: inFlight.step });
    stepped.right.weights.forEach((w, k) => {
      const n = inFlight.globalCounts[k] as number;
      coefficients[k] = n === 0 ? 0 : w / n;
    });
    Atomics.store(ctrl, CTRL.ALPHA, inFlight.step);
    Atomics.notify(ctrl, CTRL.ALPHA);
  };

  /** Gradient mode: the Gramian of the global batch's task gradients (the replicas' parts summed in order), the weighting, the coefficients. */
  const onGradientLosses = (
    inFlight: StepInFlight,
    taskLosses: TaskLosses,
    gradients: GradientWeightingDriver<unknown>,
  ): void => {
    const gramian = Array.from({ length: numTasks }, () => new Array<number>(numTasks).fill(0));
    for (let r = 0; r < replicas; r++) {
      for (let a = 0; a < numTasks; a++) {
        for (let b = 0; b < numTasks; b++)
          (gramian[a] as number[])[b] =
            ((gramian[a] as number[])[b] as number) + (gramParts[(r * numTasks + a) * numTasks + b] as number);
      }
    }
    const needsGradients = gradients.weighting.needs === "gradients";
    const taskGradients = needsGradients
      ? taskLosses.map((l, k) => (l === null ? null : taskMeans.slice(k * parameters, (k + 1) * parameters)))
      : undefined;
    const stepped = gradients.tryStep({
      losses: taskLosses,
      gramian,
      ...(taskGradients === undefined ? {} : { gradients: taskGradients }),
    });
    if (E.isLeft(stepped)) {
      failWeighting(inFlight, stepped.left.message, stepped.left.cause);
      return;
    }
    const { coefficients: c, direction: d } = stepped.right;
    inFlight.result = { taskLosses, weights: c, diagnostics: stepped.right.diagnostics };
    finalStates.set(inFlight.step, { ...hostState(), step: inFlight.step });
    c.forEach((value, k) => (coefficients[k] = value));
    if (d !== undefined) direction.set(d);
    Atomics.store(ctrl, CTRL.DIRECTION, d === undefined ? 0 : inFlight.step);
    Atomics.store(ctrl, CTRL.ALPHA, inFlight.step);
    Atomics.notify(ctrl, CTRL.ALPHA);
  };

  const onMessage = (replica: number, message: ReplicaMessage): void => {
    switch (message.kind) {
      case "ready":
        ready[replica]?.resolve(message.backend);
        return;
      case "loaded":
        loaded[replica]?.resolve();
        loaded[replica] = undefined;
        return;
      case "snapshot": {
        const request = snapshotRequests.get(message.id);
        snapshotRequests.delete(message.id);
        request?.pending.resolve(message.snapshot);
        return;
      }
      case "aborted":
        // A survivor of a failure, released from its wait; recovery asks it for its state.
        return;
      case "failed":
        fail(`worker ${replica} failed at step ${message.step}: ${message.message}`);
        return;
      case "losses": {
        const inFlight = current;
        if (inFlight === undefined || inFlight.step !== message.step) return;
        inFlight.losses[replica] = message.sums;
        if (inFlight.losses.every((l) => l !== undefined)) onLosses(inFlight);
        return;
      }
      case "done": {
        const inFlight = current;
        if (inFlight === undefined || inFlight.step !== message.step) return;
        inFlight.done[replica] = message.observed ?? null;
        if (inFlight.done.every((d) => d !== undefined)) finishStep(inFlight);
        return;
      }
    }
  };

  const request = (replica: number, message: CoordinatorMessage, transfer: ArrayBuffer[] = []): void => {
    (workers[replica] as Worker).postMessage(message, transfer);
  };

  const snapshotOf = (replica: number, ms = timeoutMs): Promise<ReplicaSnapshot> => {
    if (exited[replica] === true) return Promise.reject(new Error(`worker ${replica} has exited`));
    const id = nextRequestId++;
    return new Promise<ReplicaSnapshot>((resolve, reject) => {
      const timer = setTimeout(() => {
        snapshotRequests.delete(id);
        hung.add(replica);
        reject(new Error(`worker ${replica} did not send its state within ${seconds(ms)}`));
      }, ms);
      const settle =
        <A extends unknown[]>(f: (...args: A) => void) =>
        (...args: A) => {
          clearTimeout(timer);
          f(...args);
        };
      snapshotRequests.set(id, { replica, pending: { resolve: settle(resolve), reject: settle(reject) } });
      request(replica, { kind: "snapshot", id });
    });
  };

  /** The session's own state as a snapshot (what the replicas start from). */
  const sessionSnapshot = async (): Promise<ReplicaSnapshot> => {
    const weights = await session.optimizer.getWeights();
    const optimizer = weights.map((w) => tensorValues(w.name, w.tensor));
    for (const w of weights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
    return {
      variables: trainer.checkpointVariables.map((v) => tensorValues(v.name, v)),
      optimizer,
      appliedStep: driver.stepCount,
    };
  };

  /** Puts a replica's snapshot and the host state of its step into the session. */
  const loadIntoSession = async (snapshot: ReplicaSnapshot, host: TrainerHostState): Promise<void> => {
    const variables = trainer.checkpointVariables;
    snapshot.variables.forEach((entry, i) =>
      tf.tidy(() => (variables[i] as Variable).assign(tf.tensor(entry.values, [...entry.shape], entry.dtype))),
    );
    const named = snapshot.optimizer.map((entry) => ({
      name: entry.name,
      tensor: tf.tensor(entry.values, [...entry.shape], entry.dtype),
    }));
    // setWeights replaces the optimizer's slot variables without freeing the old ones.
    const previous = await session.optimizer.getWeights();
    try {
      await session.optimizer.setWeights(named);
      restoreAdamAccumulators(tf, session.optimizer);
    } finally {
      for (const entry of named) entry.tensor.dispose();
      for (const entry of previous) entry.tensor.dispose();
    }
    trainer.restoreHostState(host);
  };

  /**
   * After a failure (once): put the last step every surviving replica completed into the session
   * and let the caller checkpoint it; resolves to the error to report, saying what was saved.
   */
  const recover = (error: ParallelTrainingError): Promise<ParallelTrainingError> =>
    (recovery ??= (async () => {
      let note: string;
      try {
        const survivors = workers.map((_, r) => r).filter((r) => exited[r] !== true && !hung.has(r));
        const answers = await Promise.allSettled(survivors.map((r) => snapshotOf(r, Math.min(timeoutMs, 30_000))));
        const snapshots = answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
        const first = snapshots[0];
        const host = first === undefined ? undefined : finalStates.get(first.appliedStep);
        if (first === undefined || host === undefined || !snapshots.every((s) => sameReplicaState(s, first))) {
          note = "no consistent replica state to save; the last checkpoint is kept";
        } else {
          await loadIntoSession(first, host);
          if (options.onRecovered !== undefined) {
            await options.onRecovered(first.appliedStep);
            note = `checkpoint of step ${first.appliedStep} written (continue with --resume)`;
          } else note = `the session holds step ${first.appliedStep}`;
        }
      } catch (recoveryError) {
        note = `saving the last step failed (${(recoveryError as Error).message}); the last checkpoint is kept`;
      }
      return new ParallelTrainingError(`${error.message}; ${note}`);
    })());

  try {
    const started: Promise<string>[] = [];
    for (let r = 0; r < replicas; r++) {
      const init: ReplicaInit = {
        replica: r,
        replicas,
        config,
        shared,
        parameters,
        variables: trainable.length,
        observe: twoPhase,
        mode,
        timeoutMs,
        ...(options.fault === undefined ? {} : { fault: options.fault }),
      };
      started.push(
        new Promise<string>((resolve, reject) => {
          // Starting takes a tfjs and WASM start-up, whatever a step takes: at least 2 minutes.
          const startMs = Math.max(timeoutMs, 120_000);
          const timer = setTimeout(
            () => reject(new Error(`worker ${r} did not start within ${seconds(startMs)}`)),
            startMs,
          );
          ready[r] = {
            resolve: (backend) => (clearTimeout(timer), resolve(backend)),
            reject: (error) => (clearTimeout(timer), reject(error)),
          };
        }),
      );
      const worker = startModuleWorker(url, init);
      workers.push(worker);
      worker.on("message", (message: ReplicaMessage) => onMessage(r, message));
      worker.on("error", (error) => {
        const e = new Error(`worker ${r} crashed: ${error.message}`);
        ready[r]?.reject(e);
        failRequestsOf(r, e);
        fail(current === undefined ? e.message : `worker ${r} crashed at step ${current.step}: ${error.message}`);
      });
      worker.on("exit", (code) => {
        exited[r] = true;
        const e = new Error(`worker ${r} exited (code ${code})`);
        ready[r]?.reject(e);
        failRequestsOf(r, e);
        if (!closing)
          fail(
            current === undefined
              ? `${e.message} unexpectedly`
              : `worker ${r} exited unexpectedly (code ${code}) at step ${current.step}`,
          );
      });
    }
    const backends = await Promise.all(started);
    // Every replica starts from the session's variables (and optimizer state, when resumed).
    const start = await sessionSnapshot();
    const withOptimizer = start.optimizer.length > 1;
    await Promise.all(
      workers.map(
        (_, r) =>
          new Promise<void>((resolve, reject) => {
            loaded[r] = { resolve, reject };
            request(r, { kind: "load", snapshot: start, withOptimizer });
          }),
      ),
    );
    return {
      replicas,
      backend: backends[0] as string,
      step: (batch, lr, modelTaskIds) => {
        // A replica failed between steps: save what the survivors hold (once), then report it.
        if (failure !== undefined) return recover(failure).then((reported) => Promise.reject(reported));
        if (current !== undefined)
          return Promise.reject(new Error("parallel step called before the previous one finished"));
        const shards = splitBatch(batch, replicas, numTasks, modelTaskIds);
        const globalCounts = new Array<number>(numTasks).fill(0);
        for (const shard of shards) shard.counts.forEach((n, k) => (globalCounts[k] = (globalCounts[k] as number) + n));
        const step = driver.stepCount + 1;
        return new Promise<ParallelStepResult>((resolve, reject) => {
          const inFlight: StepInFlight = {
            step,
            counts: shards.map((s) => s.counts),
            globalCounts,
            losses: new Array(replicas).fill(undefined),
            done: new Array(replicas).fill(undefined),
            pending: { resolve, reject },
            timer: setTimeout(() => {
              const slow = (inFlight.result === undefined ? inFlight.losses : inFlight.done).flatMap((answer, r) =>
                answer === undefined ? [r] : [],
              );
              for (const r of slow) hung.add(r);
              fail(`worker ${slow.join(", ")} did not finish step ${step} within ${seconds(timeoutMs)} (hung?)`);
            }, timeoutMs),
          };
          current = inFlight;
          shards.forEach((shard, r) =>
            request(
              r,
              {
                kind: "step",
                step,
                lr,
                shape: shard.shape,
                inputs: shard.inputs,
                targets: shard.targets,
                taskIds: shard.taskIds,
                modelTaskIds: shard.modelTaskIds,
                globalCounts,
              },
              [
                shard.inputs.buffer as ArrayBuffer,
                shard.targets.buffer as ArrayBuffer,
                shard.taskIds.buffer as ArrayBuffer,
                shard.modelTaskIds.buffer as ArrayBuffer,
              ],
            ),
          );
        });
      },
      endEpoch: () => {
        lossDriver?.endEpoch();
        finalStates.set(driver.stepCount, hostState());
      },
      snapshots: () => Promise.all(workers.map((_, r) => snapshotOf(r))),
      syncSession: async () => {
        if (failure !== undefined) throw await recover(failure);
        let all: ReplicaSnapshot[];
        try {
          all = await Promise.all(workers.map((_, r) => snapshotOf(r)));
        } catch (error) {
          // A replica exited or did not answer: stop, and save what the others hold.
          fail((error as Error).message);
          throw await recover(failure ?? new ParallelTrainingError((error as Error).message));
        }
        const first = all[0] as ReplicaSnapshot;
        const odd = all.findIndex((s) => !sameReplicaState(s, first));
        if (odd >= 0)
          throw new ParallelTrainingError(
            `replica ${odd} differs from replica 0 at step ${driver.stepCount} (the replicas must stay identical)`,
          );
        await loadIntoSession(first, hostState());
      },
      close: async () => {
        closing = true;
        abortAll(ctrl);
        await Promise.all(workers.map((w) => w.terminate()));
      },
    };
  } catch (error) {
    closing = true;
    abortAll(ctrl);
    await Promise.all(workers.map((w) => w.terminate()));
    throw error;
  }
}
