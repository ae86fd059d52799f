import type * as tfCore from "@tensorflow/tfjs-core";

import type { Diagnostics, TaskLosses, Weighting } from "../core/weighting.js";
import { AdapterError } from "./errors.js";
import { checkHeadTargets } from "./head-targets.js";
import {
  resolveModel,
  type FunctionModel,
  type ModelContext,
  type ResolvedModel,
  type TrainableModel,
} from "./model.js";
import { countTasks, l1PerSample, taskMeanMatrix, type TaskCounts, type TaskIds } from "./per-task-loss.js";
import { weightedLossGradients } from "./step-passes.js";
import type { Optimizer, Tensor, Tf, Variable } from "./tf.js";
import { createWeightingDriver, type TrainerHostState } from "./weighting-driver.js";

export type { TrainerHostState } from "./weighting-driver.js";

/** Builds a step's `[K]` per-task mean losses (a forward pass; the caller decides whether to tape it). */
type LossVector = () => tfCore.Tensor1D;

/** A per-sample loss: predictions and targets `[B, ...]` → `[B]`. */
export type PerSampleLossFn = (tf: Tf, predictions: Tensor, targets: Tensor) => tfCore.Tensor1D;

/**
 * When a two-phase weighting (e.g. FAMO) observes the losses after the update:
 * - "same-batch": after the update the trainer runs one extra forward pass (no tape) on the
 *   same batch; its `[K]` losses stay on the device and travel with the next read-back, so a
 *   step still reads back once. Costs one forward pass (about a third of a step).
 * - "next-step": no extra pass; `observe` is given the next batch's losses (before that
 *   step's `step`), an approximation that is free.
 */
export type TwoPhaseObservation = "same-batch" | "next-step";

/** Options of `createTrainer`. Give `model`, or `fn` with `variables`. */
export interface TrainerOptions<S> {
  /** The tfjs namespace (any backend). */
  readonly tf: Tf;
  /** A `tf.LayersModel` or a `{ apply, variables }` function model. */
  readonly model?: TrainableModel;
  /** A forward function over `variables` (alternative to `model`). */
  readonly fn?: (inputs: Tensor) => Tensor;
  /** The variables `fn` trains. */
  readonly variables?: ReadonlyArray<Variable>;
  /** Any tfjs optimizer. */
  readonly optimizer: Optimizer;
  /** The loss weighting (Art or any `Weighting`). */
  readonly weighting: Weighting<S>;
  /** K, the number of tasks. */
  readonly numTasks: number;
  /** Per-sample loss `[B]`; default: L1 averaged over each sample's elements. */
  readonly perSampleLoss?: PerSampleLossFn;
  /** For `stepHeads`: one per-sample loss per head (e.g. cross-entropy); default `perSampleLoss` for every head. */
  readonly perTaskLoss?: ReadonlyArray<PerSampleLossFn>;
  /**
   * Lagged mode (the fast path): the step uses the weights the weighting produced from the
   * previous step's losses, so the forward and backward run in one pass with no host round
   * trip in the middle. Default false (exact weights, one extra forward pass).
   */
  readonly lagged?: boolean;
  /**
   * Exact mode on a backend that can read tensors synchronously: read the `[K]` losses inside
   * the taped forward pass, step the weighting there, and differentiate sum_k alpha_k L_k with
   * alpha held constant — one forward, one backward, one read-back. Default: true on cpu, wasm,
   * tensorflow (tfjs-node) and webgl; false elsewhere (WebGPU in Node cannot read synchronously),
   * where the exact step runs the forward twice (once without a tape to read the losses).
   */
  readonly syncRead?: boolean;
  /** How a two-phase weighting observes post-update losses (default "same-batch"). */
  readonly twoPhaseObservation?: TwoPhaseObservation;
  /** A starting weighting state (default `weighting.init(numTasks)`). */
  readonly initialState?: S;
}

/** What one training step returns (all host values). */
export interface TrainStepResult<S> {
  /** The weighted loss sum_k alpha_k L_k that was differentiated (with the weights applied). */
  readonly loss: number;
  /** This batch's per-task mean losses before the update (null: task absent). */
  readonly taskLosses: TaskLosses;
  /** The weights applied in this update (on the simplex over the present tasks). */
  readonly weights: ReadonlyArray<number>;
  /** The weights the weighting produced from this step's losses (equal to `weights` unless lagged). */
  readonly nextWeights: ReadonlyArray<number>;
  /** The weighting's diagnostics for this step (e.g. Art's s, r, z). */
  readonly diagnostics: Diagnostics;
  /** The weighting state after this step. */
  readonly state: S;
  /** Number of completed steps (1 after the first). */
  readonly step: number;
}

/** A training loop step for one model, optimizer and weighting. */
export interface Trainer<S> {
  /**
   * One training step on a batch: inputs, targets (same batch size) and each sample's task id.
   * One forward+backward pass, one optimizer update, exactly one read-back (`await t.data()`).
   * The model is given `{ taskIds }` as its context unless `modelContext` says otherwise (e.g.
   * task ids with some hidden as -1, to train a task-conditioned model's blind path).
   */
  step(inputs: Tensor, targets: Tensor, taskIds: TaskIds, modelContext?: ModelContext): Promise<TrainStepResult<S>>;
  /**
   * Several labels per sample (a shared encoder with K heads: a K-output model): one target
   * tensor per head, and `mask[b][k]` = 1 where sample b has task k's label (default: all do).
   * Task k's loss is head k's per-sample loss (`perTaskLoss[k]`, else `perSampleLoss`) averaged
   * over the samples that have its label; a task without any is absent (null loss, weight 0).
   * The same modes (exact, lagged, two-phase), read-backs and host state as `step`.
   */
  stepHeads(
    inputs: Tensor,
    targets: ReadonlyArray<Tensor>,
    mask?: ReadonlyArray<ReadonlyArray<number>>,
  ): Promise<TrainStepResult<S>>;
  /** Applies an observation still on the device (two-phase, non-lagged, "same-batch"); a no-op otherwise. */
  flush(): Promise<void>;
  /** The end-of-epoch event of an epoch-aware weighting (DWA), after a flush; a no-op for others. */
  endEpoch(): Promise<void>;
  /** The weighting state now. */
  readonly weightingState: S;
  /** Completed steps. */
  readonly stepCount: number;
  /** The variables a checkpoint holds (trainable first). */
  readonly checkpointVariables: ReadonlyArray<Variable>;
  /** The variables that receive gradients. */
  readonly trainableVariables: ReadonlyArray<Variable>;
  /** The injected tfjs namespace. */
  readonly tf: Tf;
  readonly optimizer: Optimizer;
  readonly weighting: Weighting<S>;
  readonly numTasks: number;
  readonly lagged: boolean;
  /** Whether exact mode reads the losses synchronously inside the taped pass (one forward). */
  readonly syncRead: boolean;
  /** The host state for a checkpoint (flush first). */
  hostState(): TrainerHostState;
  /** Restores a host state written by `hostState` (checks it fits this trainer). */
  restoreHostState(saved: TrainerHostState): void;
  /** Releases what the trainer holds on the device (a pending observation). */
  dispose(): void;
}

/** Backends whose `dataSync()` works and keeps the step's order (one forward pass in exact mode). */
const SYNC_READ_BACKENDS: ReadonlySet<string> = new Set(["cpu", "wasm", "tensorflow", "webgl"]);

const resolveTrainerModel = <S>(options: TrainerOptions<S>): ResolvedModel => {
  if (options.model !== undefined) {
    if (options.fn !== undefined) throw new AdapterError("option", "give either model or fn + variables, not both");
    return resolveModel(options.model);
  }
  if (options.fn === undefined || options.variables === undefined) {
    throw new AdapterError("option", "give model (a tf.LayersModel or { apply, variables }) or fn + variables");
  }
  const fnModel: FunctionModel = { apply: options.fn, variables: options.variables };
  return resolveModel(fnModel);
};

const checkBatch = (inputs: Tensor, targets: Tensor, taskIds: TaskIds, numTasks: number): TaskCounts => {
  if (inputs.rank < 1 || targets.rank < 1) throw new AdapterError("shape", "inputs and targets need a batch dimension");
  const batchSize = inputs.shape[0] as number;
  if (targets.shape[0] !== batchSize) {
    throw new AdapterError(
      "shape",
      `inputs and targets must have the same batch size (got ${batchSize} and ${targets.shape[0]})`,
    );
  }
  if (batchSize < 1) throw new AdapterError("shape", "the batch is empty");
  return countTasks(taskIds, numTasks, batchSize);
};

/**
 * Creates a trainer: `await trainer.step(inputs, targets, taskIds)` runs one weighted
 * multi-task step. See docs/tfjs-adapter.md for the one-read-back design.
 *
 * @example
 * const trainer = createTrainer({ tf, model, optimizer: tf.train.adam(1e-4), weighting: art(), numTasks: 7 });
 * const { loss, taskLosses, weights } = await trainer.step(x, y, [0, 0, 1, 1, 2, 2, ...]);
 */
export const createTrainer = <S>(options: TrainerOptions<S>): Trainer<S> => {
  const { tf, optimizer, weighting, numTasks } = options;
  if (!Number.isInteger(numTasks) || numTasks < 1) {
    throw new AdapterError("option", `numTasks must be an integer >= 1 (got ${numTasks})`);
  }
  if (tf.getGradient("Reshape") === undefined || tf.getGradient("BatchMatMul") === undefined) {
    // tfjs-core alone registers no gradients; @tensorflow/tfjs, tfjs-node and tfjs-layers do.
    throw new AdapterError(
      "option",
      'tfjs gradients are not registered: import "@tensorflow/tfjs" or "@tensorflow/tfjs-layers" (they register them), or call ensureGradientsRegistered/selectBackend from art-mtl/tfjs',
    );
  }
  const model = resolveTrainerModel(options);
  if (options.perTaskLoss !== undefined && options.perTaskLoss.length !== numTasks) {
    throw new AdapterError(
      "option",
      `perTaskLoss must have one loss per task (got ${options.perTaskLoss.length} for ${numTasks} tasks)`,
    );
  }
  if (model.trainable.length === 0) throw new AdapterError("option", "the model has no trainable variables");
  const perSampleLoss = options.perSampleLoss ?? l1PerSample;
  const lagged = options.lagged ?? false;
  const syncRead = options.syncRead ?? SYNC_READ_BACKENDS.has(tf.getBackend());
  const observation: TwoPhaseObservation = options.twoPhaseObservation ?? "same-batch";
  // The weighting's state, step count, lagged weights and host state: the same driver the data-parallel coordinator uses.
  const driver = createWeightingDriver(weighting, numTasks, lagged, options.initialState);
  const twoPhase = driver.twoPhase;
  // Two-phase, non-lagged, "same-batch": post-update losses [K] of the previous step, read back
  // together with the next step's losses so that every step reads back once.
  let pendingObservation: { losses: tfCore.Tensor1D; present: ReadonlyArray<boolean> } | null = null;

  const variableList = model.trainable as Variable[];

  /** Per-task mean losses [K] of a batch (forward pass; the caller decides whether to tape it). */
  let context: ModelContext = {};
  const taskLossVector = (
    inputs: Tensor,
    targets: Tensor,
    matrix: Float32Array,
    batchSize: number,
  ): tfCore.Tensor1D => {
    const predictions = model.forward(inputs, context);
    const perSample = perSampleLoss(tf, predictions, targets);
    if (perSample.rank !== 1 || perSample.shape[0] !== batchSize) {
      throw new AdapterError("shape", `perSampleLoss must return [${batchSize}] (got [${perSample.shape.join(",")}])`);
    }
    const averaging = tf.tensor2d(matrix, [numTasks, batchSize]);
    return tf.reshape(tf.matMul(averaging, tf.reshape(perSample, [batchSize, 1])), [numTasks]);
  };

  /** One forward+backward with the cotangent `weights` on the [K] loss vector, then the update. Returns the [K] losses. */
  const update = (lossVector: LossVector, weights: ReadonlyArray<number>): tfCore.Tensor1D =>
    tf.tidy(() => {
      // The vjp of the loss vector with cotangent alpha is the gradient of sum_k alpha_k L_k;
      // alpha is a constant here, so no gradient flows through the weights.
      const { value, grads } = tf.valueAndGrads(lossVector)(variableList, tf.tensor1d(weights as number[], "float32"));
      optimizer.applyGradients(
        variableList.map((variable, i) => ({ name: variable.name, tensor: grads[i] as Tensor })),
      );
      return value;
    });

  const lossesFrom = (values: ArrayLike<number>, offset: number, present: ReadonlyArray<boolean>): (number | null)[] =>
    present.map((p, k) => (p ? (values[offset + k] as number) : null));

  const observe = (losses: TaskLosses): void => driver.observe(losses);
  const advance = (taskLosses: TaskLosses) => driver.advance(taskLosses);

  const weightedSum = (weights: ReadonlyArray<number>, losses: TaskLosses): number =>
    losses.reduce<number>((sum, loss, k) => sum + (loss === null ? 0 : (weights[k] as number) * loss), 0);

  /** The end of an exact step (either path): queue a same-batch observation, count the step, report. */
  const finishExact = (
    lossVector: LossVector,
    counts: TaskCounts,
    taskLosses: TaskLosses,
    weighted: { readonly weights: ReadonlyArray<number>; readonly diagnostics: Diagnostics },
  ): TrainStepResult<S> => {
    if (twoPhase && observation === "same-batch") {
      pendingObservation = {
        losses: tf.tidy(lossVector),
        present: counts.present,
      };
    }
    driver.completeStep();
    return {
      loss: weightedSum(weighted.weights, taskLosses),
      taskLosses,
      weights: weighted.weights,
      nextWeights: weighted.weights,
      diagnostics: weighted.diagnostics,
      state: driver.state,
      step: driver.stepCount,
    };
  };

  /** Exact weights in one pass: the losses are read (synchronously) inside the taped forward. */
  const stepExactOnePass = (lossVector: LossVector, counts: TaskCounts): TrainStepResult<S> => {
    const pending = pendingObservation;
    pendingObservation = null;
    let taskLosses: TaskLosses = [];
    let weighted: { weights: ReadonlyArray<number>; diagnostics: Diagnostics } | undefined;
    try {
      tf.tidy(() => {
        // The same taped pass as a data-parallel replica's: only where the weights come from differs.
        const grads = weightedLossGradients(tf, variableList, lossVector, (losses) => {
          const readBack = pending === null ? losses : tf.concat([pending.losses, losses]);
          const values = readBack.dataSync(); // the one read-back of this step
          const offset = pending === null ? 0 : numTasks;
          if (pending !== null) observe(lossesFrom(values, 0, pending.present));
          taskLosses = lossesFrom(values, offset, counts.present);
          if (twoPhase && observation === "next-step" && driver.stepCount > 0) observe(taskLosses);
          weighted = advance(taskLosses);
          return weighted.weights;
        });
        // A variable the loss does not reach has no gradient (valueAndGrads would have thrown); skip it.
        optimizer.applyGradients(
          variableList
            .filter((variable) => grads[variable.name] !== undefined)
            .map((variable) => ({ name: variable.name, tensor: grads[variable.name] as Tensor })),
        );
      });
    } finally {
      pending?.losses.dispose();
    }
    return finishExact(
      lossVector,
      counts,
      taskLosses,
      weighted as { weights: ReadonlyArray<number>; diagnostics: Diagnostics },
    );
  };

  const stepExact = async (lossVector: LossVector, counts: TaskCounts): Promise<TrainStepResult<S>> => {
    if (syncRead) return stepExactOnePass(lossVector, counts);
    // Forward without a tape: the weights depend on these losses, which live on the device.
    const pending = pendingObservation;
    pendingObservation = null;
    const readBack = tf.tidy(() => {
      const losses = lossVector();
      return pending === null ? losses : tf.concat([pending.losses, losses]);
    });
    pending?.losses.dispose();
    const values = await readBack.data(); // the one read-back of this step
    readBack.dispose();
    const offset = pending === null ? 0 : numTasks;
    if (pending !== null) observe(lossesFrom(values, 0, pending.present));
    const taskLosses = lossesFrom(values, offset, counts.present);
    if (twoPhase && observation === "next-step" && driver.stepCount > 0) observe(taskLosses);
    const weighted = advance(taskLosses);
    // The backward needs the upstream gradient (alpha) when it runs, and tfjs runs the forward
    // again inside valueAndGrads: one extra forward pass, the price of exact weights.
    update(lossVector, weighted.weights).dispose();
    return finishExact(lossVector, counts, taskLosses, weighted);
  };

  const stepLagged = async (lossVector: LossVector, counts: TaskCounts): Promise<TrainStepResult<S>> => {
    const applied = driver.laggedWeightsFor(counts.present);
    // Everything is launched before the host waits: forward+backward+update, then (two-phase,
    // same batch) the post-update forward, and one read-back of their losses at the end.
    const before = update(lossVector, applied);
    const withObservation = twoPhase && observation === "same-batch";
    const readBack = withObservation ? tf.tidy(() => tf.concat([before, lossVector()])) : before;
    const values = await readBack.data(); // the one read-back of this step
    readBack.dispose();
    before.dispose();
    const taskLosses = lossesFrom(values, 0, counts.present);
    if (twoPhase && observation === "next-step" && driver.stepCount > 0) observe(taskLosses);
    const weighted = advance(taskLosses);
    if (withObservation) observe(lossesFrom(values, numTasks, counts.present));
    driver.completeStep();
    return {
      loss: weightedSum(applied, taskLosses),
      taskLosses,
      weights: applied,
      nextWeights: weighted.weights,
      diagnostics: weighted.diagnostics,
      state: driver.state,
      step: driver.stepCount,
    };
  };

  const flushPending = async (): Promise<void> => {
    const pending = pendingObservation;
    if (pending === null) return;
    pendingObservation = null;
    const values = await pending.losses.data();
    pending.losses.dispose();
    observe(lossesFrom(values, 0, pending.present));
  };

  // Steps must not overlap: each one reads and replaces the weighting state after an await.
  let running = false;

  return {
    step: async (inputs, targets, taskIds, modelContext) => {
      if (running)
        throw new AdapterError("option", "trainer.step was called before the previous step finished (await each step)");
      const counts = checkBatch(inputs, targets, taskIds, numTasks);
      if (modelContext?.taskIds !== undefined && modelContext.taskIds.length !== taskIds.length) {
        throw new AdapterError(
          "shape",
          `modelContext.taskIds must have one id per sample (got ${modelContext.taskIds.length} for ${taskIds.length} samples)`,
        );
      }
      context = modelContext ?? { taskIds };
      const batchSize = inputs.shape[0] as number;
      const matrix = taskMeanMatrix(taskIds, counts.counts);
      running = true;
      try {
        const lossVector: LossVector = () => taskLossVector(inputs, targets, matrix, batchSize);
        return await (lagged ? stepLagged(lossVector, counts) : stepExact(lossVector, counts));
      } finally {
        running = false;
      }
    },
    stepHeads: async (inputs, targets, mask) => {
      if (running)
        throw new AdapterError(
          "option",
          "trainer.stepHeads was called before the previous step finished (await each step)",
        );
      if (inputs.rank < 1) throw new AdapterError("shape", "inputs need a batch dimension");
      const batchSize = inputs.shape[0] as number;
      const countsPerTask = checkHeadTargets(targets, mask, batchSize, numTasks);
      const counts: TaskCounts = { counts: countsPerTask, present: countsPerTask.map((n) => n > 0) };
      if (!counts.present.some(Boolean))
        throw new AdapterError("shape", "no sample of the batch has any task's label (every mask entry is 0)");
      // [K, B] averaging of each head's per-sample losses over the samples that have its label.
      const averaging = new Float32Array(numTasks * batchSize);
      for (let k = 0; k < numTasks; k++)
        for (let b = 0; b < batchSize; b++)
          if (mask === undefined || mask[b]?.[k] === 1) averaging[k * batchSize + b] = 1 / (countsPerTask[k] as number);
      const lossVector: LossVector = () => {
        const outputs = model.forwardAll(inputs, {});
        if (!Array.isArray(outputs) || outputs.length !== numTasks) {
          throw new AdapterError(
            "option",
            `stepHeads needs a model with one output per task (${numTasks}); got ${Array.isArray(outputs) ? outputs.length : 1}`,
          );
        }
        const perSample = tf.stack(
          outputs.map((out, k) => {
            const l = (options.perTaskLoss?.[k] ?? perSampleLoss)(tf, out, targets[k] as Tensor);
            if (l.rank !== 1 || l.shape[0] !== batchSize)
              throw new AdapterError(
                "shape",
                `the loss of task ${k} must return [${batchSize}] (got [${l.shape.join(",")}])`,
              );
            return l;
          }),
        ); // [K, B]
        return tf.sum(tf.mul(perSample, tf.tensor2d(averaging, [numTasks, batchSize])), 1) as tfCore.Tensor1D;
      };
      running = true;
      try {
        return await (lagged ? stepLagged(lossVector, counts) : stepExact(lossVector, counts));
      } finally {
        running = false;
      }
    },
    flush: flushPending,
    endEpoch: async () => {
      await flushPending();
      driver.endEpoch();
    },
    get weightingState() {
      return driver.state;
    },
    get stepCount() {
      return driver.stepCount;
    },
    tf,
    checkpointVariables: model.checkpointed,
    trainableVariables: model.trainable,
    optimizer,
    weighting,
    numTasks,
    lagged,
    syncRead,
    hostState: () => {
      if (pendingObservation !== null)
        throw new AdapterError("checkpoint", "call trainer.flush() before saving (an observation is pending)");
      return driver.hostState();
    },
    restoreHostState: (saved) => {
      driver.restore(saved);
      pendingObservation?.losses.dispose();
      pendingObservation = null;
    },
    dispose: () => {
      pendingObservation?.losses.dispose();
      pendingObservation = null;
    },
  };
};
