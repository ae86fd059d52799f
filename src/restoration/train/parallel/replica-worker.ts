/**
 * One data-parallel replica (a worker thread with its own tfjs instance): a copy of the model
 * and the optimizer that trains on its shard of every global batch. The protocol is described
 * in `protocol.ts`; the coordinator is `coordinator.ts`.
 */
import { parentPort, workerData } from "node:worker_threads";
import type * as tfCore from "@tensorflow/tfjs-core";

import { restoreAdamAccumulators, type Tensor, type Variable } from "../../../tfjs/index.js";
import { resolveModel, subBatchLoss, taskGradients, weightedLossGradients } from "../../../tfjs/internal.js";
import { createModel } from "../../models/index.js";
import { loadTf } from "../backend.js";
import { perSampleLossFor } from "../loss.js";
import { optimizerFor, setLearningRate } from "../optimizer.js";
import {
  abortAll,
  barrier,
  CTRL,
  reduceRange,
  ReplicaAborted,
  waitFor,
  type CoordinatorMessage,
  type ReplicaInit,
  type ReplicaMessage,
  type ReplicaSnapshot,
  type TensorValues,
} from "./protocol.js";

/** Backends whose `dataSync()` works: the replica reads its loss sums inside the taped pass. */
const SYNC_READ_BACKENDS: ReadonlySet<string> = new Set(["cpu", "wasm", "tensorflow", "webgl"]);

const copyValues = (values: ArrayLike<number>, dtype: string): Float32Array | Int32Array =>
  dtype === "int32" ? Int32Array.from(values) : Float32Array.from(values);

async function startReplica(port: NonNullable<typeof parentPort>, init: ReplicaInit): Promise<void> {
  const post = (message: ReplicaMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const { config, replica, replicas, timeoutMs } = init;
  const numTasks = config.tasks.length;
  const { tf } = await loadTf(config.backend);
  if (!SYNC_READ_BACKENDS.has(tf.getBackend())) {
    throw new Error(
      `replicas read their losses synchronously, which backend "${tf.getBackend()}" cannot do; train with one worker or on wasm, cpu or tfjs-node`,
    );
  }
  const model = resolveModel(createModel(tf, config.model, { seed: config.seed, numTasks }));
  const trainable = model.trainable as Variable[];
  const checkpointed = model.checkpointed as Variable[];
  const optimizer = optimizerFor(tf, config);
  const perSampleLoss = perSampleLossFor(config.loss);
  const offsets: number[] = [];
  let parameters = 0;
  for (const variable of trainable) {
    offsets.push(parameters);
    parameters += variable.size;
  }
  if (parameters !== init.parameters || trainable.length !== init.variables) {
    throw new Error(
      `replica ${replica}: the model has ${parameters} parameters in ${trainable.length} variables, the coordinator's ${init.parameters} in ${init.variables}`,
    );
  }
  const ctrl = new Int32Array(init.shared.ctrl);
  const coefficients = new Float64Array(init.shared.coefficients);
  const gradients = new Float32Array(init.shared.gradients);
  const summed = new Float32Array(init.shared.summed);
  const reached = new Int32Array(init.shared.reached);
  const taskGradientSlots = new Float32Array(init.shared.taskGradients);
  const taskMeans = new Float32Array(init.shared.taskMeans);
  const gramParts = new Float64Array(init.shared.gramParts);
  const direction = new Float32Array(init.shared.direction);
  const variableCount = trainable.length;
  let appliedStep = 0;

  const snapshot = async (): Promise<ReplicaSnapshot> => {
    const values = (name: string, tensor: Tensor): TensorValues => ({
      name,
      shape: [...tensor.shape],
      dtype: tensor.dtype === "int32" ? "int32" : "float32",
      values: copyValues(tensor.dataSync(), tensor.dtype),
    });
    const variables = checkpointed.map((v) => values(v.name, v));
    const weights = await optimizer.getWeights();
    const optimizerValues = weights.map((w) => values(w.name, w.tensor));
    for (const w of weights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
    return { variables, optimizer: optimizerValues, appliedStep, tensors: tf.memory().numTensors };
  };

  const load = async (saved: ReplicaSnapshot, withOptimizer: boolean): Promise<void> => {
    if (saved.variables.length !== checkpointed.length)
      throw new Error(
        `replica ${replica}: got ${saved.variables.length} variables, the model has ${checkpointed.length}`,
      );
    saved.variables.forEach((entry, i) => {
      const variable = checkpointed[i] as Variable;
      tf.tidy(() => variable.assign(tf.tensor(entry.values, [...entry.shape], entry.dtype)));
    });
    if (withOptimizer) {
      const named = saved.optimizer.map((entry) => ({
        name: entry.name,
        tensor: tf.tensor(entry.values, [...entry.shape], entry.dtype),
      }));
      try {
        await optimizer.setWeights(named);
        restoreAdamAccumulators(tf, optimizer);
      } finally {
        for (const entry of named) entry.tensor.dispose();
      }
    }
    appliedStep = saved.appliedStep;
  };

  const injectFault = (step: number): void => {
    const fault = init.fault;
    if (fault !== undefined && fault.replica === replica && fault.step === step) {
      if (fault.kind === "exit") process.exit(70);
      if (fault.kind === "hang") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      throw new Error(`injected fault in replica ${replica} at step ${step}`);
    }
  };

  /** Gradient mode (see protocol.ts): per-task gradient sums, the global mean gradients and their Gramian, then Σ c_k g_k. */
  const runGradientStep = (message: Extract<CoordinatorMessage, { kind: "step" }>): void => {
    const { step, globalCounts } = message;
    injectFault(step);
    setLearningRate(optimizer, message.lr);
    const present = Array.from({ length: numTasks }, (_, k) => k).filter((k) => message.taskIds.includes(k));
    const sums = new Array<number>(numTasks).fill(0);
    tf.tidy(() => {
      const x = tf.tensor4d(message.inputs, [...message.shape]);
      const y = tf.tensor4d(message.targets, [...message.shape]);
      // One forward and backward pass per task present in the shard, over its own samples: the
      // passes of createGradientTrainer, with the shard's SUMS (the global mean divides later).
      const batch = { inputs: x, targets: y, taskIds: message.taskIds, told: message.modelTaskIds };
      const perTask = taskGradients(tf, trainable, present, (k) =>
        subBatchLoss(tf, model.forward, perSampleLoss, batch, k, "sum"),
      ).map((t) => tf.concat([tf.reshape(t.loss, [1]), ...t.grads.map((g) => tf.reshape(g, [-1]))]));
      // The one read-back of this step: each present task's loss sum and gradient sum.
      const values = perTask.length === 0 ? new Float32Array(0) : (tf.concat(perTask).dataSync() as Float32Array);
      for (let k = 0; k < numTasks; k++) {
        const slot = (replica * numTasks + k) * parameters;
        const i = present.indexOf(k);
        if (i < 0) {
          taskGradientSlots.fill(0, slot, slot + parameters);
          continue;
        }
        const row = i * (parameters + 1);
        sums[k] = values[row] as number;
        taskGradientSlots.set(values.subarray(row + 1, row + 1 + parameters), slot);
      }
    });
    barrier(ctrl, replicas, `the other replicas' task gradients of step ${step}`, timeoutMs);
    // This replica's 1/N of the parameters: each task's mean gradient over the global batch, and that range's share of G.
    const [start, end] = reduceRange(replica, replicas, parameters);
    for (let k = 0; k < numTasks; k++) {
      const n = globalCounts[k] as number;
      const base = k * parameters;
      if (n === 0) {
        taskMeans.fill(0, base + start, base + end);
        continue;
      }
      for (let j = start; j < end; j++) {
        let total = 0;
        for (let r = 0; r < replicas; r++) total += taskGradientSlots[(r * numTasks + k) * parameters + j] as number;
        taskMeans[base + j] = total / n;
      }
    }
    const part = replica * numTasks * numTasks;
    for (let a = 0; a < numTasks; a++) {
      for (let b = a; b < numTasks; b++) {
        let dot = 0;
        for (let j = start; j < end; j++)
          dot += (taskMeans[a * parameters + j] as number) * (taskMeans[b * parameters + j] as number);
        gramParts[part + a * numTasks + b] = dot;
        gramParts[part + b * numTasks + a] = dot;
      }
    }
    barrier(ctrl, replicas, `the other replicas' mean gradients of step ${step}`, timeoutMs);
    post({ kind: "losses", step, sums });
    waitFor(ctrl, CTRL.ALPHA, (s) => s === step, `the coefficients of step ${step}`, timeoutMs);
    const update = new Float32Array(parameters);
    if (Atomics.load(ctrl, CTRL.DIRECTION) === step) update.set(direction);
    else {
      for (let j = 0; j < parameters; j++) {
        let total = 0;
        for (let k = 0; k < numTasks; k++)
          total += (coefficients[k] as number) * (taskMeans[k * parameters + j] as number);
        update[j] = total;
      }
    }
    tf.tidy(() => {
      // Every variable is updated (a zero gradient where no task reached it), as the one-worker gradient trainer does.
      optimizer.applyGradients(
        trainable.map((variable, i) => ({
          name: variable.name,
          tensor: tf.tensor(update.subarray(offsets[i] as number, (offsets[i] as number) + variable.size), [
            ...variable.shape,
          ]),
        })),
      );
    });
    appliedStep = step;
    post({ kind: "done", step });
  };

  const runStep = (message: Extract<CoordinatorMessage, { kind: "step" }>): void => {
    if (init.mode === "gradient") return runGradientStep(message);
    const { step } = message;
    injectFault(step);
    setLearningRate(optimizer, message.lr);
    const size = message.shape[0];
    // Row k of the [K, b] selector picks the shard's samples of task k: selector @ perSample = the per-task SUMS.
    const selector = new Float32Array(numTasks * size);
    message.taskIds.forEach((k, i) => (selector[k * size + i] = 1));
    const shardSums = (x: Tensor, y: Tensor) =>
      tf.reshape(
        tf.matMul(
          tf.tensor2d(selector, [numTasks, size]),
          tf.reshape(perSampleLoss(tf, model.forward(x, { taskIds: message.modelTaskIds }), y), [size, 1]),
        ),
        [numTasks],
      ) as tfCore.Tensor1D;
    tf.tidy(() => {
      const x = tf.tensor4d(message.inputs, [...message.shape]);
      const y = tf.tensor4d(message.targets, [...message.shape]);
      // createTrainer's taped pass; the weights come from the coordinator: c_k = alpha_k / n_k (global
      // count), a constant, so the gradient is this shard's share of grad sum_k alpha_k mean_k.
      const grads = weightedLossGradients(
        tf,
        trainable,
        () => shardSums(x, y),
        (sums) => {
          post({ kind: "losses", step, sums: Array.from(sums.dataSync()) });
          waitFor(ctrl, CTRL.ALPHA, (s) => s === step, `the weights of step ${step}`, timeoutMs);
          return coefficients;
        },
      );
      const base = replica * parameters;
      trainable.forEach((variable, i) => {
        const grad = grads[variable.name];
        reached[replica * variableCount + i] = grad === undefined ? 0 : 1;
        if (grad === undefined)
          gradients.fill(0, base + (offsets[i] as number), base + (offsets[i] as number) + variable.size);
        else gradients.set(grad.dataSync(), base + (offsets[i] as number));
      });
    });
    barrier(ctrl, replicas, `the other replicas' gradients of step ${step}`, timeoutMs);
    // This replica's 1/N of the parameters: the same order (replica 0, 1, ...) whoever sums.
    const [start, end] = reduceRange(replica, replicas, parameters);
    for (let j = start; j < end; j++) {
      let total = 0;
      for (let r = 0; r < replicas; r++) total += gradients[r * parameters + j] as number;
      summed[j] = total;
    }
    barrier(ctrl, replicas, `the summed gradient of step ${step}`, timeoutMs);
    tf.tidy(() => {
      const update: { name: string; tensor: Tensor }[] = [];
      trainable.forEach((variable, i) => {
        let anyReached = false;
        for (let r = 0; r < replicas; r++) anyReached ||= reached[r * variableCount + i] === 1;
        // A variable no shard's loss reached gets no update (as one worker would skip it).
        if (anyReached)
          update.push({
            name: variable.name,
            tensor: tf.tensor(summed.slice(offsets[i] as number, (offsets[i] as number) + variable.size), [
              ...variable.shape,
            ]),
          });
      });
      optimizer.applyGradients(update);
    });
    appliedStep = step;
    let observed: number[] | undefined;
    if (init.observe) {
      // A two-phase weighting observes the post-update losses of the same batch (its shard's sums).
      observed = tf.tidy(() =>
        Array.from(
          shardSums(
            tf.tensor4d(message.inputs, [...message.shape]),
            tf.tensor4d(message.targets, [...message.shape]),
          ).dataSync(),
        ),
      );
    }
    post({ kind: "done", step, ...(observed === undefined ? {} : { observed }) });
  };

  // One message at a time, in order (a load or snapshot waits for the step before it).
  let chain = Promise.resolve();
  port.on("message", (message: CoordinatorMessage) => {
    chain = chain.then(async () => {
      switch (message.kind) {
        case "step":
          try {
            runStep(message);
          } catch (error) {
            if (error instanceof ReplicaAborted) post({ kind: "aborted", step: message.step, appliedStep });
            else {
              // Release the others at once; the coordinator reports this replica's error.
              abortAll(ctrl);
              const e = error as Error;
              post({
                kind: "failed",
                step: message.step,
                message: e.message,
                ...(e.stack === undefined ? {} : { stack: e.stack }),
              });
            }
          }
          return;
        case "load":
          await load(message.snapshot, message.withOptimizer);
          post({ kind: "loaded" });
          return;
        case "snapshot": {
          const taken = await snapshot();
          post(
            { kind: "snapshot", id: message.id, snapshot: taken },
            [...taken.variables, ...taken.optimizer].map((t) => t.values.buffer as ArrayBuffer),
          );
          return;
        }
      }
    });
  });
  post({ kind: "ready", backend: tf.getBackend() });
}

if (parentPort !== null && (workerData as Partial<ReplicaInit> | null)?.shared !== undefined) {
  const port = parentPort;
  // A failure to start is thrown out of the thread: the coordinator sees it as the worker's "error" event.
  startReplica(port, workerData as ReplicaInit).catch((error: unknown) => {
    setImmediate(() => {
      throw error;
    });
  });
}
