import type * as tfCore from "@tensorflow/tfjs-core";
import * as E from "fp-ts/Either";
import { formatDecodeErrors } from "../../core/report.js";
import type { FunctionModel, Tf } from "../../tfjs/index.js";
import { AdapterError } from "../../tfjs/index.js";
import { parameterFactory } from "./params.js";
import type { ModelSpec, ResolvedModelSpec } from "./spec.js";
import { ModelSpec as ModelSpecCodec, resolveModelSpec } from "./spec.js";
import { srResNetForward, srResNetParameterCount, srResNetParams } from "./srresnet.js";
import { uNetForward, uNetParameterCount, uNetParams } from "./unet.js";

export * from "./spec.js";
export { srResNetParameterCount, srResNetMacsPerPixel } from "./srresnet.js";
export { uNetParameterCount } from "./unet.js";
export { convParameterCount } from "./params.js";

/**
 * Restoration models over plain tfjs variables: `createModel(tf, spec)` gives a function model
 * the `art-mtl/tfjs` trainer accepts as `model`. Input and output are [B,H,W,3] in [0,1]; the
 * output is the input plus a predicted residual, and the last conv starts at zero so an
 * untrained model is the identity (a sensible start for restoration; see docs/models.md).
 */

/** A restoration model: `apply` and `variables` for the trainer, plus facts about it. */
export interface RestorationModel extends FunctionModel {
  readonly apply: (inputs: tfCore.Tensor) => tfCore.Tensor4D;
  readonly spec: ResolvedModelSpec;
  /** Number of scalar parameters (sum of the variables' sizes). */
  readonly parameterCount: number;
  /** Frees the variables. */
  dispose(): void;
}

/** Options of `createModel`. */
export interface CreateModelOptions {
  /** Seed of the initialisation (the same seed gives the same weights). Default 0. */
  readonly seed?: number;
}

/** The parameter count a spec implies, from the hand-written formulas. */
export const expectedParameterCount = (spec: ResolvedModelSpec): number => {
  switch (spec.kind) {
    case "srresnet":
      return srResNetParameterCount(spec.width, spec.blocks);
    case "unet":
      return uNetParameterCount(spec.width, spec.depth);
    case "prompt-unet":
      return uNetParameterCount(spec.width, spec.depth, { prompts: spec.prompts, promptSize: spec.promptSize });
  }
};

/**
 * Builds a model from a spec (a decoded `ModelSpec`, or any value, which is decoded first).
 *
 * @example
 * const model = createModel(tf, { kind: "srresnet", width: 16, blocks: 4 });
 * const trainer = createTrainer({ tf, model, optimizer, weighting: art(), numTasks: 7 });
 */
export const createModel = (tf: Tf, spec: ModelSpec | unknown, options: CreateModelOptions = {}): RestorationModel => {
  const decoded = ModelSpecCodec.decode(spec);
  if (E.isLeft(decoded)) throw new AdapterError("option", `invalid model spec:\n  ${formatDecodeErrors(decoded.left).join("\n  ")}`);
  const resolved = resolveModelSpec(decoded.right);
  const factory = parameterFactory(tf, resolved.kind, options.seed ?? 0);
  const check = (inputs: tfCore.Tensor): tfCore.Tensor4D => {
    if (inputs.rank !== 4 || inputs.shape[3] !== 3) {
      throw new AdapterError("shape", `a restoration model takes [B,H,W,3] images (got [${inputs.shape.join(",")}])`);
    }
    return inputs as tfCore.Tensor4D;
  };
  let forward: (inputs: tfCore.Tensor4D) => tfCore.Tensor4D;
  switch (resolved.kind) {
    case "srresnet": {
      const params = srResNetParams(factory, resolved.width, resolved.blocks);
      forward = (x) => srResNetForward(tf, params, x);
      break;
    }
    case "unet": {
      const params = uNetParams(factory, resolved.width, resolved.depth);
      forward = (x) => uNetForward(tf, params, x);
      break;
    }
    case "prompt-unet": {
      const params = uNetParams(factory, resolved.width, resolved.depth, { prompts: resolved.prompts, promptSize: resolved.promptSize });
      forward = (x) => uNetForward(tf, params, x);
      break;
    }
  }
  const variables = [...factory.variables];
  return {
    apply: (inputs) => forward(check(inputs)),
    variables,
    spec: resolved,
    parameterCount: variables.reduce((total, v) => total + v.size, 0),
    dispose: () => variables.forEach((v) => v.dispose()),
  };
};
