import type * as tfCore from "@tensorflow/tfjs-core";
import * as E from "fp-ts/Either";
import { formatDecodeErrors } from "../../core/report.js";
import type { CheckpointLocation, FunctionModel, LoadedWeights, ModelContext, TaskIds, Tf } from "../../tfjs/index.js";
import { AdapterError, loadCheckpointWeights } from "../../tfjs/index.js";
import type { ContextPin } from "./global-context.js";
import { parameterFactory } from "./params.js";
import type { ModelForward, ModelSpec } from "./registry.js";
import { modelEntry, ModelSpec as ModelSpecCodec, resolveModelSpec } from "./registry.js";
import type { ResolvedModelSpec } from "./spec.js";

export * from "./spec.js";
export * from "./registry.js";
export { srResNetParameterCount, srResNetMacsPerPixel } from "./srresnet.js";
export { uNetParameterCount, type PromptOptions } from "./unet.js";
export { convParameterCount } from "./params.js";
export type { ConvParams, ParameterFactory, TaskFilm } from "./params.js";

/**
 * Restoration models over plain tfjs variables: `createModel(tf, spec)` gives a function model
 * the `art-mtl/tfjs` trainer accepts as `model`. Input and output are [B,H,W,3] in [0,1]; the
 * output is the input plus a predicted residual, and the last conv starts at zero so an
 * untrained model is the identity (a sensible start for restoration; see docs/models.md).
 */

/** A restoration model: `apply` and `variables` for the trainer, plus facts about it. */
export interface RestorationModel extends FunctionModel {
  /**
   * The forward pass. A task-prompted model (`spec.taskPrompt`) reads `context.taskIds`, one id
   * per sample in [0, numTasks) or -1 for "unknown" (the blind path); without it every sample is
   * blind. Other models ignore the context.
   */
  readonly apply: (inputs: tfCore.Tensor, context?: ModelContext) => tfCore.Tensor4D;
  /** Tasks a task-prompted model knows (0 for a model without task prompts). */
  readonly numTasks: number;
  readonly spec: ResolvedModelSpec;
  /** Number of scalar parameters (sum of the variables' sizes). */
  readonly parameterCount: number;
  /** Frees the variables. */
  dispose(): void;
  /**
   * Models with global context only (`globalContext: true`): measures the context on `sample`
   * ([1,H,W,3], e.g. a mosaic of patches from a whole image) and returns the forward pass that
   * uses it for every input instead of measuring each one's own, so the tiles of a large image
   * share one tone curve and one set of FiLMs. Dispose the result when done.
   */
  readonly pinContext?: (sample: tfCore.Tensor, context?: ModelContext) => PinnedContextModel;
}

/** A model's forward pass with its global context fixed (see `RestorationModel.pinContext`). */
export interface PinnedContextModel {
  readonly apply: (inputs: tfCore.Tensor, context?: ModelContext) => tfCore.Tensor4D;
  /** Frees the measured context (not the model's variables). */
  dispose(): void;
}

/** Options of `createModel`. */
export interface CreateModelOptions {
  /** Seed of the initialisation (the same seed gives the same weights). Default 0. */
  readonly seed?: number;
  /** Number of tasks; required by a task-prompted spec (`taskPrompt: true`), which learns one prompt per task plus a blind one. */
  readonly numTasks?: number;
}

/** The parameter count a spec implies, from its kind's formula in the registry (`numTasks` for a task-prompted spec). */
export const expectedParameterCount = (spec: ResolvedModelSpec, numTasks = 0): number => {
  const rows = spec.taskPrompt === true ? numTasks + 1 : 0;
  return modelEntry(spec.kind).parameterCount(spec, rows);
};

/**
 * The `[B, numTasks + 1]` one-hot rows that pick each sample's task prompt: row `id` for a known
 * task, the last row (the blind prompt) for -1 or when no ids are given. Throws on an id out of range.
 */
export const taskPromptSelector = (batchSize: number, numTasks: number, taskIds?: TaskIds): Float32Array => {
  if (taskIds !== undefined && taskIds.length !== batchSize) {
    throw new AdapterError("shape", `expected ${batchSize} task ids, one per sample (got ${taskIds.length})`);
  }
  const rows = numTasks + 1;
  const selector = new Float32Array(batchSize * rows);
  for (let b = 0; b < batchSize; b++) {
    const id = taskIds === undefined ? -1 : (taskIds[b] as number);
    if (!Number.isInteger(id) || id < -1 || id >= numTasks) {
      throw new AdapterError("task-id", `task id of sample ${b} must be -1 (unknown) or an integer in [0, ${numTasks}) (got ${id})`);
    }
    selector[b * rows + (id === -1 ? numTasks : id)] = 1;
  }
  return selector;
};

/**
 * Builds a model from a spec (a decoded `ModelSpec`, or any value, which is decoded first), of
 * any kind in the registry (see `registerModel`).
 *
 * @example
 * const model = createModel(tf, { kind: "srresnet", width: 16, blocks: 4 });
 * const trainer = createTrainer({ tf, model, optimizer, weighting: art(), numTasks: 7 });
 */
export const createModel = (tf: Tf, spec: ModelSpec | unknown, options: CreateModelOptions = {}): RestorationModel => {
  const decoded = ModelSpecCodec.decode(spec);
  if (E.isLeft(decoded)) throw new AdapterError("option", `invalid model spec:\n  ${formatDecodeErrors(decoded.left).join("\n  ")}`);
  const resolved = resolveModelSpec(decoded.right);
  const prompted = resolved.taskPrompt === true;
  const numTasks = prompted ? (options.numTasks ?? 0) : 0;
  if (prompted && !(Number.isInteger(numTasks) && numTasks >= 1)) {
    throw new AdapterError("option", `a task-prompted model (taskPrompt: true) needs numTasks, an integer >= 1 (got ${String(options.numTasks)})`);
  }
  const rows = prompted ? numTasks + 1 : 0;
  const factory = parameterFactory(tf, resolved.kind, options.seed ?? 0);
  const check = (inputs: tfCore.Tensor): tfCore.Tensor4D => {
    if (inputs.rank !== 4 || inputs.shape[3] !== 3) {
      throw new AdapterError("shape", `a restoration model takes [B,H,W,3] images (got [${inputs.shape.join(",")}])`);
    }
    return inputs as tfCore.Tensor4D;
  };
  const forward: ModelForward = modelEntry(resolved.kind).build(tf, factory, resolved, rows);
  const variables = [...factory.variables];
  const run = (inputs: tfCore.Tensor, context: ModelContext | undefined, pin?: ContextPin): tfCore.Tensor4D => {
    const x = check(inputs);
    if (!prompted) return forward(x, undefined, pin);
    const batch = x.shape[0];
    const withSelector = () => forward(x, tf.tensor2d(taskPromptSelector(batch, numTasks, context?.taskIds), [batch, rows]), pin);
    // A recording pass runs inside the caller's tidy, which keeps what it recorded.
    return pin !== undefined && "record" in pin ? withSelector() : tf.tidy(withSelector);
  };
  const pinContext = (sample: tfCore.Tensor, context?: ModelContext): PinnedContextModel => {
    if (sample.rank !== 4 || sample.shape[0] !== 1) {
      throw new AdapterError("shape", `pinContext measures on one image, [1,H,W,3] (got [${sample.shape.join(",")}])`);
    }
    const kept = tf.tidy(() => {
      const record: { exponent?: tfCore.Tensor2D; pooled: tfCore.Tensor2D[] } = { pooled: [] };
      run(sample, context, { record });
      return [record.exponent as tfCore.Tensor2D, ...record.pooled];
    });
    const [exponent, ...pooled] = kept as [tfCore.Tensor2D, ...tfCore.Tensor2D[]];
    const use = { exponent, pooled };
    return { apply: (inputs, ctx) => run(inputs, ctx, { use }), dispose: () => kept.forEach((t) => t.dispose()) };
  };
  return {
    apply: (inputs, context) => run(inputs, context),
    numTasks,
    variables,
    spec: resolved,
    parameterCount: variables.reduce((total, v) => total + v.size, 0),
    dispose: () => variables.forEach((v) => v.dispose()),
    ...("globalContext" in resolved && resolved.globalContext === true ? { pinContext } : {}),
  };
};

/**
 * A warm start: fills `model`'s variables from the model weights of the checkpoint at `location`
 * (`loadCheckpointWeights`), mapped by the kind's `warmStart` (an SRResNet grows: a checkpoint with
 * fewer blocks fills the first ones and the appended blocks start as the identity, so the grown
 * model computes what the checkpoint's did). What training configs' `initFrom` does.
 *
 * @example
 * const deeper = createModel(tf, { kind: "srresnet", width: 16, blocks: 6, taskPrompt: true, globalContext: true }, { numTasks: 7 });
 * const { loaded, zeroed } = await warmStartModel(tf, deeper, "models/all-in-one/checkpoint"); // from 4 blocks
 */
export const warmStartModel = (tf: Tf, model: RestorationModel, location: CheckpointLocation): Promise<LoadedWeights> => {
  const { warmStart } = modelEntry(model.spec.kind);
  return loadCheckpointWeights(tf, model.variables as tfCore.Variable[], location, warmStart === undefined ? {} : { mapping: (names) => warmStart(model.spec, names) });
};
