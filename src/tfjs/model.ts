import { AdapterError } from "./errors.js";
import type { TaskIds } from "./per-task-loss.js";
import type { Tensor, Variable } from "./tf.js";

/**
 * The two kinds of model the trainer accepts, and the one shape it turns them into.
 * Both are structural types, so neither `@tensorflow/tfjs-layers` nor a backend is imported.
 */

/**
 * What the trainer tells a model about a batch besides its inputs: each sample's task id
 * (-1: unknown). A task-conditioned model (e.g. a learned per-task prompt) reads it; others
 * ignore it.
 */
export interface ModelContext {
  readonly taskIds?: TaskIds;
}

/** A model as a plain function over variables (e.g. `createModel` in the restoration kit). */
export interface FunctionModel {
  /**
   * The forward pass: inputs → predictions. Must use (only) tensors derived from `variables`.
   * The trainer passes the batch's task ids as `context` (models that do not use them ignore it).
   */
  readonly apply: (inputs: Tensor, context?: ModelContext) => Tensor;
  /** The trainable variables, in a fixed order (the order of checkpoints and optimizer slots). */
  readonly variables: ReadonlyArray<Variable>;
  /** Non-trainable state saved in checkpoints (e.g. running statistics); none by default. */
  readonly stateVariables?: ReadonlyArray<Variable>;
}

/** The part of a `tf.LayersModel` (`@tensorflow/tfjs-layers`) the trainer uses. */
export interface LayersModelLike {
  apply(inputs: Tensor, kwargs?: { training?: boolean }): unknown;
  /** tfjs-layers types `read()` as returning a Tensor; at run time it is the layer's tf.Variable. */
  readonly trainableWeights: ReadonlyArray<{ read(): Tensor }>;
  readonly weights: ReadonlyArray<{ read(): Tensor }>;
}

/** Anything `createTrainer` accepts as `model`. */
export type TrainableModel = FunctionModel | LayersModelLike;

/** The normalized view the trainer works with. */
export interface ResolvedModel {
  /** Forward pass in training mode (the context reaches function models only); one output required. */
  readonly forward: (inputs: Tensor, context?: ModelContext) => Tensor;
  /** The same, for a model with one output per task (a K-output LayersModel, or a function returning an array). */
  readonly forwardAll: (inputs: Tensor, context?: ModelContext) => Tensor | Tensor[];
  /** Variables that receive gradients, in a fixed order. */
  readonly trainable: ReadonlyArray<Variable>;
  /** Every variable a checkpoint holds (trainable first, in a fixed order). */
  readonly checkpointed: ReadonlyArray<Variable>;
}

const isLayersModel = (model: TrainableModel): model is LayersModelLike =>
  Array.isArray((model as Partial<LayersModelLike>).trainableWeights);

const asVariable = (tensor: Tensor, what: string): Variable => {
  if (typeof (tensor as Partial<Variable>).assign !== "function") {
    throw new AdapterError("option", `${what} is not a tf.Variable (LayerVariable.read() should return one)`);
  }
  return tensor as Variable;
};

/** Turns a LayersModel or a function model into the trainer's view of it. */
export const resolveModel = (model: TrainableModel): ResolvedModel => {
  if (isLayersModel(model)) {
    const trainable = model.trainableWeights.map((w, i) => asVariable(w.read(), `trainable weight ${i}`));
    const trainableIds = new Set(trainable.map((v) => v.id));
    // A LayersModel's `weights` lists trainable and non-trainable weights; keep trainable first.
    const others = model.weights
      .map((w, i) => asVariable(w.read(), `weight ${i}`))
      .filter((v) => !trainableIds.has(v.id));
    return {
      forward: (inputs) => {
        const out = model.apply(inputs, { training: true });
        if (Array.isArray(out)) {
          throw new AdapterError(
            "option",
            `the LayersModel must have one output for step() (got ${out.length}; use stepHeads for one output per task)`,
          );
        }
        return out as Tensor;
      },
      forwardAll: (inputs) => model.apply(inputs, { training: true }) as Tensor | Tensor[],
      trainable,
      checkpointed: [...trainable, ...others],
    };
  }
  if (typeof model.apply !== "function" || !Array.isArray(model.variables)) {
    throw new AdapterError("option", "model must be a tf.LayersModel or { apply(inputs), variables }");
  }
  return {
    forward: model.apply,
    forwardAll: (inputs, context) =>
      (model as { apply: (x: Tensor, c?: ModelContext) => Tensor | Tensor[] }).apply(inputs, context),
    trainable: [...model.variables],
    checkpointed: [...model.variables, ...(model.stateVariables ?? [])],
  };
};
