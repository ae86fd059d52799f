import type * as tfCore from "@tensorflow/tfjs-core";

import type { ModelContext } from "./model.js";
import type { TaskIds } from "./per-task-loss.js";
import type { Scalar, Tensor, Tf, Variable } from "./tf.js";
import type { PerSampleLossFn } from "./trainer.js";

/**
 * The taped passes of a training step, in one place: `createTrainer`'s exact one-pass step and a
 * data-parallel replica's loss step both differentiate Σ_k w_k L_k with w chosen from L inside
 * the tape (`weightedLossGradients`); `createGradientTrainer` and a replica in gradient mode both
 * form per-task gradients from per-task sub-batches (`subBatchLoss` + `taskGradients`). The
 * callers differ only in where the weights come from (the weighting, or the coordinator) and in
 * what happens to the gradients (applied, or summed across replicas first).
 */

/**
 * The gradients of Σ_k w_k L_k over `variables`, where `weightsOf` reads the loss vector L
 * inside the taped forward pass (one synchronous read-back) and returns w. w enters as a
 * constant: the gradient is Σ_k w_k ∇L_k. A variable the losses do not reach has no entry.
 * Call inside `tf.tidy`.
 *
 * @example
 * const grads = weightedLossGradients(tf, variables, () => lossVector(), (l) => weighting.step(state, Array.from(l.dataSync())));
 */
export const weightedLossGradients = (
  tf: Tf,
  variables: ReadonlyArray<Variable>,
  lossVector: () => tfCore.Tensor1D,
  weightsOf: (losses: tfCore.Tensor1D) => ArrayLike<number>,
): Record<string, Tensor> =>
  tf.variableGrads(() => {
    const losses = lossVector();
    const weights = weightsOf(losses);
    return tf.sum(tf.mul(losses, tf.tensor1d(Float32Array.from(weights), "float32"))) as Scalar;
  }, variables as Variable[]).grads;

/**
 * Task k's loss on its own samples of a one-task-per-sample batch: the forward pass over the
 * sub-batch of samples whose id is k, reduced by "mean" (one worker: the task's mean loss) or
 * "sum" (a replica's shard: summed over replicas, then divided by the global count). A
 * task-conditioned model is told `told` ids (default the task ids), restricted to the sub-batch.
 */
export const subBatchLoss = (
  tf: Tf,
  forward: (inputs: Tensor, context?: ModelContext) => Tensor,
  perSampleLoss: PerSampleLossFn,
  batch: { readonly inputs: Tensor; readonly targets: Tensor; readonly taskIds: TaskIds; readonly told?: TaskIds },
  k: number,
  reduce: "mean" | "sum",
): Scalar => {
  const members = Int32Array.from({ length: batch.taskIds.length }, (_, b) => b).filter((b) => batch.taskIds[b] === k);
  const idx = tf.tensor1d(members, "int32");
  const told = batch.told;
  const prediction = forward(tf.gather(batch.inputs, idx), {
    taskIds: Array.from(members, (b) => (told === undefined ? k : (told[b] as number))),
  });
  const perSample = perSampleLoss(tf, prediction, tf.gather(batch.targets, idx));
  return (reduce === "mean" ? tf.mean(perSample) : tf.sum(perSample)) as Scalar;
};

/** One task's loss and its gradient for each variable (zeros where the task does not reach it). */
export interface TaskGradient {
  readonly loss: Scalar;
  readonly grads: Tensor[];
}

/**
 * The gradient of each present task's loss over `variables`: one forward and backward pass per
 * task (`taskLoss(k)` builds the loss). The caller owns the tensors (dispose them, or call inside
 * `tf.tidy`).
 */
export const taskGradients = (
  tf: Tf,
  variables: ReadonlyArray<Variable>,
  present: ReadonlyArray<number>,
  taskLoss: (k: number) => Scalar,
): TaskGradient[] => {
  const out: TaskGradient[] = [];
  try {
    for (const k of present) {
      const { value, grads } = tf.variableGrads(() => taskLoss(k), variables as Variable[]);
      // A variable task k does not reach (another task's head, an unused embedding row's table) has no gradient: zeros.
      out.push({ loss: value, grads: variables.map((v) => grads[v.name] ?? tf.zerosLike(v)) });
    }
    return out;
  } catch (error) {
    for (const t of out) tf.dispose([t.loss, ...t.grads]);
    throw error;
  }
};
