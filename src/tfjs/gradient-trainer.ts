import type * as tfCore from "@tensorflow/tfjs-core";
import * as E from "fp-ts/Either";

import type { GradientWeighting } from "../core/gradient-weighting.js";
import type { Diagnostics, TaskLosses } from "../core/weighting.js";
import { AdapterError } from "./errors.js";
import { checkHeadTargets } from "./head-targets.js";
import type { ModelContext } from "./model.js";
import { countTasks, l1PerSample, taskMeanMatrix, type TaskIds } from "./per-task-loss.js";
import { subBatchLoss, taskGradients, weightedLossGradients, type TaskGradient } from "./step-passes.js";
import type { Optimizer, Tensor, Tf, Variable } from "./tf.js";
import type { PerSampleLossFn, Trainer } from "./trainer.js";
import { createGradientWeightingDriver } from "./weighting-driver.js";

/**
 * Training with a gradient-aware weighting (MGDA, PCGrad, CAGrad, UPGrad, …): each step forms
 * the per-task gradients g_k over the shared variables, their K×K Gramian on the device, reads
 * back the losses and the Gramian once, asks the weighting for coefficients c, and applies
 * Σ_k c_k g_k.
 *
 * Two kinds of batch:
 * - **one task per sample** (all-in-one restoration): `step(inputs, targets, taskIds)`. Task k's
 *   gradient comes from a forward and backward pass over its own sub-batch, so the K passes
 *   together cost about one pass over the whole batch.
 * - **several labels per sample** (a shared encoder with K heads): `stepHeads(inputs, targets,
 *   mask)`, with one target tensor per head and a `[B][K]` 0/1 mask of the labels that exist.
 *   Task k's loss is the mean of head k's per-sample loss over the samples that have its label
 *   (absent when none has); its gradient needs a forward and backward pass of its own, so a step
 *   costs about K passes — or, with `representation` (LibMTL's `rep_grad`), K passes through the
 *   heads and one more through the encoder, the Gramian being over the representation gradients.
 *
 * Memory: the K gradient copies of the trainable variables live on the device during the step
 * (K × the model's parameter count, in float32). Methods that need the gradients themselves
 * (GradDrop, DB-MTL) also read them back: K × the shared parameter count floats per step.
 *
 * Variables: the Gramian is formed over `sharedVariables` (default: every trainable variable).
 * A trainable variable outside it (a task's own head) receives the plain sum Σ_k g_k of the task
 * gradients, as in LibMTL, where each decoder gets its own task's unweighted gradient.
 */

/** A model whose forward pass returns one output per task (a LayersModel with K outputs, or a function). */
export interface MultiOutputModel {
  readonly apply: (inputs: Tensor, context?: ModelContext) => Tensor | Tensor[];
  readonly variables: ReadonlyArray<Variable>;
}

/** The part of a K-output `tf.LayersModel` the trainer uses. */
export interface MultiOutputLayersModelLike {
  apply(inputs: Tensor, kwargs?: { training?: boolean }): unknown;
  readonly trainableWeights: ReadonlyArray<{ read(): Tensor }>;
}

/**
 * A K-head model seen as an encoder and its heads, for `representation` (LibMTL's `rep_grad`):
 * `decode(encode(x))` must be the model's forward pass.
 */
export interface RepresentationSplit {
  /** x → z, the shared representation (any shape `[B, …]`). */
  readonly encode: (inputs: Tensor) => Tensor;
  /** z → one output per task. */
  readonly decode: (representation: Tensor) => Tensor[];
}

/** Options of `createGradientTrainer`. */
export interface GradientTrainerOptions<S> {
  readonly tf: Tf;
  /** A one-output model (one task per sample) or a K-output one (`stepHeads`). */
  readonly model: MultiOutputModel | MultiOutputLayersModelLike;
  readonly optimizer: Optimizer;
  readonly weighting: GradientWeighting<S>;
  readonly numTasks: number;
  /** Per-sample loss `[B]` (default L1 averaged over each sample's elements); per head with `perTaskLoss`. */
  readonly perSampleLoss?: PerSampleLossFn;
  /** A per-sample loss per head (K of them), for `stepHeads` (e.g. cross-entropy for classification heads). */
  readonly perTaskLoss?: ReadonlyArray<PerSampleLossFn>;
  /** The variables whose gradients form the Gramian (default: every trainable variable). */
  readonly sharedVariables?: ReadonlyArray<Variable>;
  /** A starting weighting state (default `weighting.init(numTasks)`). */
  readonly initialState?: S;
  /**
   * `stepHeads` takes the task gradients at the shared representation instead of over the shared
   * variables (LibMTL's `rep_grad`): the Gramian, the coefficients and a method's direction are
   * over z = encode(x). Needs `sharedVariables` (the encoder's variables; every other trainable
   * variable is a head's). Cheaper with many heads: K backward passes through the heads, one
   * through the encoder.
   */
  readonly representation?: RepresentationSplit;
}

/** What one step returns (host values); a superset of `createTrainer`'s `TrainStepResult`. */
export interface GradientStepResult<S> {
  /** Σ_k c_k L_k over the present tasks (the objective whose gradient is Σ c_k g_k, where the method's direction is one). */
  readonly loss: number;
  /** Each task's mean loss on this batch (null: absent). */
  readonly taskLosses: TaskLosses;
  /** The coefficients c of Σ c_k g_k (0 for absent tasks). */
  readonly coefficients: ReadonlyArray<number>;
  /** The coefficients again, under the names a loss trainer's logs and reports read (not on the simplex in general). */
  readonly weights: ReadonlyArray<number>;
  readonly nextWeights: ReadonlyArray<number>;
  /** The Gramian of the present tasks' gradients as read back (K×K, rows of absent tasks 0). */
  readonly gramian: ReadonlyArray<ReadonlyArray<number>>;
  readonly diagnostics: Diagnostics;
  readonly state: S;
  readonly step: number;
}

/**
 * A trainer for a gradient-aware weighting: `createTrainer`'s trainer (the members a training
 * loop and a checkpoint use: state, step count, variables, optimizer, host state, flush,
 * endEpoch, dispose) with gradient-aware steps. flush and endEpoch are no-ops here: nothing is
 * ever pending, and no gradient-aware method has epochs; `hostState().laggedWeights` hold the
 * last coefficients; a checkpoint holds the trainable variables.
 */
export interface GradientTrainer<S> extends Omit<
  Trainer<S>,
  "step" | "stepHeads" | "weighting" | "lagged" | "syncRead"
> {
  /**
   * One task per sample: inputs and targets `[B, …]`, one task id per sample. A task-conditioned
   * model is told its sub-batch's ids, or those of `modelContext` (e.g. some hidden as -1, to
   * train a blind path), restricted to the sub-batch.
   */
  step(inputs: Tensor, targets: Tensor, taskIds: TaskIds, modelContext?: ModelContext): Promise<GradientStepResult<S>>;
  /** Several labels per sample: one target tensor per head, and `mask[b][k]` = 1 where sample b has task k's label. */
  stepHeads(
    inputs: Tensor,
    targets: ReadonlyArray<Tensor>,
    mask?: ReadonlyArray<ReadonlyArray<number>>,
  ): Promise<GradientStepResult<S>>;
  /** The variables whose gradients form the Gramian. */
  readonly sharedVariables: ReadonlyArray<Variable>;
  readonly weighting: GradientWeighting<S>;
  /** Always false: the coefficients need this step's gradients. */
  readonly lagged: false;
  readonly syncRead: false;
}

const asVariable = (tensor: Tensor, what: string): Variable => {
  if (typeof (tensor as Partial<Variable>).assign !== "function")
    throw new AdapterError("option", `${what} is not a tf.Variable`);
  return tensor as Variable;
};

const resolve = (
  model: MultiOutputModel | MultiOutputLayersModelLike,
): { forward: (x: Tensor, context?: ModelContext) => Tensor | Tensor[]; trainable: Variable[] } => {
  if (Array.isArray((model as Partial<MultiOutputLayersModelLike>).trainableWeights)) {
    const layers = model as MultiOutputLayersModelLike;
    return {
      forward: (x) => layers.apply(x, { training: true }) as Tensor | Tensor[],
      trainable: layers.trainableWeights.map((w, i) => asVariable(w.read(), `trainable weight ${i}`)),
    };
  }
  const fn = model as MultiOutputModel;
  if (typeof fn.apply !== "function" || !Array.isArray(fn.variables))
    throw new AdapterError("option", "model must be a tf.LayersModel or { apply(inputs), variables }");
  return { forward: fn.apply, trainable: [...fn.variables] };
};

/**
 * Creates a trainer for a gradient-aware weighting.
 *
 * @example
 * const trainer = createGradientTrainer({ tf, model, optimizer: tf.train.adam(1e-3), weighting: mgda(), numTasks: 2, perTaskLoss: [ce, ce] });
 * const { taskLosses, coefficients } = await trainer.stepHeads(x, [yLeft, yRight], mask);
 */
export const createGradientTrainer = <S>(options: GradientTrainerOptions<S>): GradientTrainer<S> => {
  const { tf, optimizer, weighting, numTasks } = options;
  if (!Number.isInteger(numTasks) || numTasks < 1)
    throw new AdapterError("option", `numTasks must be an integer >= 1 (got ${numTasks})`);
  if (tf.getGradient("Reshape") === undefined || tf.getGradient("BatchMatMul") === undefined) {
    throw new AdapterError(
      "option",
      'tfjs gradients are not registered: import "@tensorflow/tfjs" or "@tensorflow/tfjs-layers", or call ensureGradientsRegistered/selectBackend from art-mtl/tfjs',
    );
  }
  const model = resolve(options.model);
  if (model.trainable.length === 0) throw new AdapterError("option", "the model has no trainable variables");
  const trainableIds = new Set(model.trainable.map((v) => v.id));
  const shared = options.sharedVariables === undefined ? model.trainable : [...options.sharedVariables];
  for (const v of shared)
    if (!trainableIds.has(v.id))
      throw new AdapterError("option", `shared variable ${v.name} is not a trainable variable of the model`);
  if (shared.length === 0)
    throw new AdapterError("option", "sharedVariables is empty: the Gramian needs at least one shared variable");
  const sharedIds = new Set(shared.map((v) => v.id));
  const representation = options.representation;
  if (representation !== undefined) {
    if (typeof representation.encode !== "function" || typeof representation.decode !== "function")
      throw new AdapterError("option", "representation must be { encode(x) → z, decode(z) → one output per task }");
    if (options.sharedVariables === undefined)
      throw new AdapterError(
        "option",
        "representation needs sharedVariables: the encoder's variables (every other trainable variable is a head's)",
      );
  }
  if (options.perTaskLoss !== undefined && options.perTaskLoss.length !== numTasks) {
    throw new AdapterError(
      "option",
      `perTaskLoss must have one loss per task (got ${options.perTaskLoss.length} for ${numTasks} tasks)`,
    );
  }
  const perSampleLoss = options.perSampleLoss ?? l1PerSample;
  const lossOfTask = (k: number): PerSampleLossFn => options.perTaskLoss?.[k] ?? perSampleLoss;

  // The weighting state, step count and last coefficients: the same driver the data-parallel coordinator uses.
  const driver = createGradientWeightingDriver(weighting, numTasks, options.initialState);
  let running = false;

  /**
   * The host side of a step, from the per-task losses and the `[Kp, N]` matrix A of the present
   * tasks' gradients (over the shared variables, or over the representation): G = A Aᵀ on the
   * device (one matmul: measured 2x faster on wasm than a matmul per variable summed), one
   * read-back of the losses and G (and A, for a method that needs the gradients), the weighting.
   * Nothing is applied on a Left: the variables stay as they were before this step.
   */
  const weigh = async (present: ReadonlyArray<number>, perTask: ReadonlyArray<TaskGradient>, a: Tensor) => {
    const needsGradients = weighting.needs === "gradients";
    const readBack = tf.tidy(() => {
      const parts: Tensor[] = [tf.stack(perTask.map((p) => p.loss)), tf.reshape(tf.matMul(a, a, false, true), [-1])];
      if (needsGradients) parts.push(tf.reshape(a, [-1]));
      return tf.concat(parts);
    });
    const values = await readBack.data(); // the one read-back of this step
    readBack.dispose();
    const kp = present.length;
    const taskLosses: (number | null)[] = new Array<number | null>(numTasks).fill(null);
    present.forEach((k, i) => (taskLosses[k] = values[i] as number));
    const gramian = Array.from({ length: numTasks }, () => new Array<number>(numTasks).fill(0));
    present.forEach((row, i) =>
      present.forEach((column, j) => ((gramian[row] as number[])[column] = values[kp + i * kp + j] as number)),
    );
    let gradients: Array<Float32Array | null> | undefined;
    if (needsGradients) {
      const length = (values.length - kp - kp * kp) / kp;
      gradients = new Array<Float32Array | null>(numTasks).fill(null);
      present.forEach(
        (k, i) =>
          ((gradients as Array<Float32Array | null>)[k] = Float32Array.from(
            values.subarray(kp + kp * kp + i * length, kp + kp * kp + (i + 1) * length) as Float32Array,
          )),
      );
    }
    const result = driver.tryStep({ losses: taskLosses, gramian, ...(gradients === undefined ? {} : { gradients }) });
    if (E.isLeft(result)) throw new AdapterError("weighting", result.left.message, result.left.cause);
    return { taskLosses, gramian, step: result.right };
  };

  /** The update along A's rows: Σ_k c_k A_k in one matmul, or the method's own direction. */
  const combined = (
    a: Tensor,
    present: ReadonlyArray<number>,
    step: { readonly coefficients: ReadonlyArray<number>; readonly direction?: ReadonlyArray<number> },
  ): Tensor =>
    step.direction !== undefined
      ? tf.tensor1d(Float32Array.from(step.direction))
      : tf.reshape(
          tf.matMul(
            tf.tensor2d(
              Float32Array.from(present, (k) => step.coefficients[k] as number),
              [1, present.length],
            ),
            a,
          ),
          [-1],
        );

  const finish = (
    taskLosses: TaskLosses,
    gramian: number[][],
    step: { readonly coefficients: ReadonlyArray<number>; readonly diagnostics: Diagnostics },
  ): GradientStepResult<S> => {
    driver.completeStep();
    const { coefficients } = step;
    return {
      loss: weightedSum(coefficients, taskLosses),
      taskLosses,
      coefficients,
      weights: coefficients,
      nextWeights: coefficients,
      gramian,
      diagnostics: step.diagnostics,
      state: driver.state,
      step: driver.stepCount,
    };
  };

  /**
   * The core of a step: `taskLoss(k)` builds task k's scalar loss (a forward pass) for each
   * present task; gradients per task, the Gramian and one read-back; the weighting; the update.
   */
  const run = async (
    present: ReadonlyArray<number>,
    taskLoss: (k: number) => tfCore.Scalar,
    lossVector: () => tfCore.Tensor1D,
  ): Promise<GradientStepResult<S>> => {
    if (weighting.needs === "losses") return runOnLosses(present, lossVector);
    const variables = model.trainable;
    // One forward and backward pass per present task: the same passes as a data-parallel replica's in gradient mode.
    const perTask: TaskGradient[] = taskGradients(tf, variables, present, taskLoss);
    const sharedIndex = variables.map((v, i) => (sharedIds.has(v.id) ? i : -1)).filter((i) => i >= 0);
    let a: Tensor | undefined;
    try {
      a = tf.tidy(() =>
        tf.stack(perTask.map((p) => tf.concat(sharedIndex.map((i) => tf.reshape(p.grads[i] as Tensor, [-1]))))),
      );
      const rows = a;
      const { taskLosses, gramian, step } = await weigh(present, perTask, rows);
      tf.tidy(() => {
        const flat = combined(rows, present, step);
        let offset = 0;
        const update = variables.map((v, i) => {
          if (!sharedIds.has(v.id)) return { name: v.name, tensor: tf.addN(perTask.map((p) => p.grads[i] as Tensor)) };
          const g = tf.reshape(tf.slice(flat, offset, v.size), v.shape);
          offset += v.size;
          return { name: v.name, tensor: g };
        });
        optimizer.applyGradients(update);
      });
      return finish(taskLosses, gramian, step);
    } finally {
      a?.dispose();
      for (const p of perTask) {
        p.loss.dispose();
        p.grads.forEach((g) => g.dispose());
      }
    }
  };

  /**
   * LibMTL's `rep_grad`: the task gradients are taken at the shared representation z = encode(x)
   * (`[B, …]`, per task), not over the encoder's variables. K backward passes through the heads
   * only, the Gramian of the representation gradients, then one backward pass through the
   * encoder with the cotangent Σ_k c_k ∂L_k/∂z (or the method's direction over z). Each head
   * gets its own task's gradient. Costs 2 encoder forwards + 1 encoder backward + K head passes,
   * instead of K encoder forwards and backwards.
   */
  const runOnRepresentation = async (
    split: RepresentationSplit,
    inputs: Tensor,
    present: ReadonlyArray<number>,
    headLoss: (outputs: Tensor[], k: number) => tfCore.Scalar,
  ): Promise<GradientStepResult<S>> => {
    const heads = model.trainable.filter((v) => !sharedIds.has(v.id));
    const encoded = tf.tidy(() => split.encode(inputs));
    // z as a variable, so that one taped pass per task gives ∂L_k/∂z and the heads' gradients together.
    const z = tf.variable(encoded, true);
    encoded.dispose();
    let perTask: TaskGradient[] = [];
    let a: Tensor | undefined;
    try {
      perTask = taskGradients(tf, [z, ...heads], present, (k) => headLoss(split.decode(z), k));
      a = tf.tidy(() => tf.stack(perTask.map((p) => tf.reshape(p.grads[0] as Tensor, [-1]))));
      const { taskLosses, gramian, step } = await weigh(present, perTask, a);
      const rows = a;
      tf.tidy(() => {
        const cotangent = tf.reshape(combined(rows, present, step), z.shape);
        const { grads } = tf.variableGrads(
          () => tf.sum(tf.mul(split.encode(inputs), cotangent)) as tfCore.Scalar,
          shared as Variable[],
        );
        optimizer.applyGradients([
          ...shared.map((v) => ({ name: v.name, tensor: grads[v.name] ?? tf.zerosLike(v) })),
          ...heads.map((v, j) => ({ name: v.name, tensor: tf.addN(perTask.map((p) => p.grads[j + 1] as Tensor)) })),
        ]);
      });
      return finish(taskLosses, gramian, step);
    } finally {
      z.dispose();
      a?.dispose();
      for (const p of perTask) {
        p.loss.dispose();
        p.grads.forEach((g) => g.dispose());
      }
    }
  };

  /**
   * A weighting that needs only the losses (a loss weighting through `fromLossWeighting`, STCH):
   * no per-task gradients. A forward pass without a tape gives the [K] losses (the one
   * read-back), then one taped pass differentiates Σ_k c_k L_k: about 1.3 passes, not K.
   */
  const runOnLosses = async (
    present: ReadonlyArray<number>,
    lossVector: () => tfCore.Tensor1D,
  ): Promise<GradientStepResult<S>> => {
    const readBack = tf.tidy(lossVector);
    const values = await readBack.data(); // the one read-back of this step
    readBack.dispose();
    const taskLosses: (number | null)[] = new Array<number | null>(numTasks).fill(null);
    for (const k of present) taskLosses[k] = values[k] as number;
    const result = driver.tryStep({ losses: taskLosses });
    if (E.isLeft(result)) throw new AdapterError("weighting", result.left.message, result.left.cause);
    const { coefficients } = result.right;
    tf.tidy(() => {
      const grads = weightedLossGradients(tf, model.trainable, lossVector, () =>
        coefficients.map((c, k) => (taskLosses[k] === null ? 0 : c)),
      );
      optimizer.applyGradients(
        model.trainable
          .filter((v) => grads[v.name] !== undefined)
          .map((v) => ({ name: v.name, tensor: grads[v.name] as Tensor })),
      );
    });
    return finish(taskLosses, [], result.right);
  };

  const weightedSum = (c: ReadonlyArray<number>, losses: TaskLosses): number =>
    losses.reduce<number>((sum, l, k) => sum + (l === null ? 0 : (c[k] as number) * l), 0);

  const exclusive = async <T>(body: () => Promise<T>): Promise<T> => {
    if (running)
      throw new AdapterError("option", "a step was called before the previous step finished (await each step)");
    running = true;
    try {
      return await body();
    } finally {
      running = false;
    }
  };

  const single = (out: Tensor | Tensor[]): Tensor => {
    if (Array.isArray(out))
      throw new AdapterError(
        "option",
        `step() needs a one-output model (got ${out.length} outputs); use stepHeads for one output per task`,
      );
    return out;
  };

  return {
    step: (inputs, targets, taskIds, modelContext) =>
      exclusive(async () => {
        const batchSize = inputs.shape[0] as number;
        if (targets.shape[0] !== batchSize)
          throw new AdapterError(
            "shape",
            `inputs and targets must have the same batch size (got ${batchSize} and ${targets.shape[0]})`,
          );
        const counts = countTasks(taskIds, numTasks, batchSize);
        if (modelContext?.taskIds !== undefined && modelContext.taskIds.length !== taskIds.length) {
          throw new AdapterError(
            "shape",
            `modelContext.taskIds must have one id per sample (got ${modelContext.taskIds.length} for ${taskIds.length} samples)`,
          );
        }
        const present = counts.present.flatMap((p, k) => (p ? [k] : []));
        const lossVector = (): tfCore.Tensor1D => {
          const perSample = lossOfTask(0)(tf, single(model.forward(inputs, modelContext ?? { taskIds })), targets);
          const matrix = tf.tensor2d(taskMeanMatrix(taskIds, counts.counts), [numTasks, batchSize]);
          return tf.reshape(tf.matMul(matrix, tf.reshape(perSample, [batchSize, 1])), [numTasks]) as tfCore.Tensor1D;
        };
        const told = modelContext?.taskIds;
        const batch = { inputs, targets, taskIds, ...(told === undefined ? {} : { told }) };
        return run(
          present,
          (k) => subBatchLoss(tf, (x, context) => single(model.forward(x, context)), lossOfTask(k), batch, k, "mean"),
          lossVector,
        );
      }),
    stepHeads: (inputs, targets, mask) =>
      exclusive(async () => {
        const batchSize = inputs.shape[0] as number;
        const counts = checkHeadTargets(targets, mask, batchSize, numTasks);
        const present = counts.flatMap((n, k) => (n > 0 ? [k] : []));
        const headLoss = (outputs: Tensor | Tensor[], k: number): tfCore.Scalar => {
          if (!Array.isArray(outputs) || outputs.length !== numTasks) {
            throw new AdapterError(
              "option",
              `stepHeads needs a model with one output per task (${numTasks}); got ${Array.isArray(outputs) ? outputs.length : 1}`,
            );
          }
          const perSample = lossOfTask(k)(tf, outputs[k] as Tensor, targets[k] as Tensor);
          if (perSample.rank !== 1 || perSample.shape[0] !== batchSize)
            throw new AdapterError(
              "shape",
              `the loss of task ${k} must return [${batchSize}] (got [${perSample.shape.join(",")}])`,
            );
          // An absent task's loss is 0 (not 0/0): its coefficient is 0 anyway.
          if (mask === undefined) return tf.mean(perSample) as tfCore.Scalar;
          const m = tf.tensor1d(
            mask.map((row) => row[k] as number),
            "float32",
          );
          return tf.div(tf.sum(tf.mul(perSample, m)), Math.max(counts[k] as number, 1)) as tfCore.Scalar;
        };
        if (representation !== undefined && weighting.needs !== "losses")
          return runOnRepresentation(representation, inputs, present, headLoss);
        return run(
          present,
          (k) => headLoss(model.forward(inputs), k),
          () => {
            const outputs = model.forward(inputs);
            return tf.stack(Array.from({ length: numTasks }, (_, k) => headLoss(outputs, k))) as tfCore.Tensor1D;
          },
        );
      }),
    get weightingState() {
      return driver.state;
    },
    get stepCount() {
      return driver.stepCount;
    },
    trainableVariables: model.trainable,
    sharedVariables: shared,
    weighting,
    numTasks,
    tf,
    optimizer,
    checkpointVariables: model.trainable,
    lagged: false,
    syncRead: false,
    flush: async () => undefined,
    endEpoch: async () => undefined,
    dispose: () => undefined,
    hostState: () => driver.hostState(),
    restoreHostState: (saved) => driver.restore(saved),
  };
};
