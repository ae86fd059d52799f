/**
 * The model registry: an architecture's name (a spec's `kind`) → how to decode its options
 * (an io-ts codec), fill their defaults, build it and count its parameters. `createModel`, the
 * `ModelSpec` codec (and through it training configs, checkpoints and `art-mtl train`),
 * `resolveModelSpec`, `expectedParameterCount` and `multipleOfFor` look kinds up here. The
 * built-ins (srresnet, unet, prompt-unet) are registered at the end of this file through
 * `registerModel`, as any other architecture is; see docs/models.md, "Adding an architecture".
 */
import type * as tfCore from "@tensorflow/tfjs-core";
import * as t from "io-ts";
import type { Tf, WeightMapping } from "../../tfjs/index.js";
import { AdapterError } from "../../tfjs/index.js";
import type { ContextPin } from "./global-context.js";
import type { ParameterFactory } from "./params.js";
import type { PromptUNetSpec, RegisteredModelSpec, ResolvedModelSpec, SrResNetSpec, UNetSpec } from "./spec.js";
import { MODEL_DEFAULTS, PromptUNetSpec as PromptUNetCodec, SrResNetSpec as SrResNetCodec, UNetSpec as UNetCodec } from "./spec.js";
import { srResNetForward, srResNetParameterCount, srResNetParams, srResNetWarmStart } from "./srresnet.js";
import { uNetForward, uNetParameterCount, uNetParams } from "./unet.js";

/**
 * A model's forward pass over the variables its builder made: [B,H,W,3] → [B,H,W,3]. `selector`
 * ([B, promptRows] one-hot) is given only for a task-prompted spec; it picks each sample's prompt.
 * `pin` is given only to a model with global context (an SRResNet with `globalContext`): it
 * records or supplies that context (see global-context.ts); other kinds never receive it.
 */
export type ModelForward = (inputs: tfCore.Tensor4D, selector?: tfCore.Tensor2D, pin?: ContextPin) => tfCore.Tensor4D;

/**
 * One architecture of the registry. `S` is its spec as written (what `codec` decodes), `R` its
 * spec with every default filled in (what `resolve` returns; config.json and checkpoints keep it).
 */
export interface ModelEntry<S extends { readonly kind: string } = ModelSpec, R extends { readonly kind: string } = ResolvedModelSpec> {
  /**
   * The options codec: decodes `{ kind: NAME, ...options }` and refuses unknown keys, so a typo
   * is an error (e.g. `modelSpecCodec(NAME, { width: Count })`). It should accept
   * `taskPrompt: boolean` if the architecture reads the task prompt selector.
   */
  readonly codec: t.Type<S, unknown, unknown>;
  /** Fills the defaults of a decoded spec (default: the spec as decoded). `taskPrompt` is the registry's: leave it out. */
  readonly resolve?: (spec: S) => R;
  /**
   * Creates the model's variables through `factory` (named, seeded: the same seed gives the same
   * weights) and returns its forward pass. `promptRows` is 0, or K + 1 for a task-prompted spec.
   */
  readonly build: (tf: Tf, factory: ParameterFactory, spec: R, promptRows: number) => ModelForward;
  /** The parameter count a resolved spec implies, from a formula (the tests compare it with the variables). */
  readonly parameterCount: (spec: R, promptRows: number) => number;
  /** What the input's sides must be divisible by (default 1); tiled restoration rounds tiles to it. */
  readonly multipleOf?: (spec: R) => number;
  /**
   * A warm start (`initFrom`, `warmStartModel`) from a checkpoint of another size of this kind:
   * how its tensors, named in `checkpointNames`, map onto a model of `spec` (see `WeightMapping`).
   * It may throw `AdapterError("checkpoint")` to refuse. Default: each tensor fills its namesake.
   */
  readonly warmStart?: (spec: R, checkpointNames: readonly string[]) => WeightMapping;
}

/** A spec as written, of any registered kind. */
export type ModelSpec = SrResNetSpec | UNetSpec | PromptUNetSpec | RegisteredModelSpec;

const entries = new Map<string, ModelEntry>();
/** The codecs of the registered kinds, in registration order (the union's branches). */
const codecs: t.Mixed[] = [];
let union: t.Mixed | undefined;
const currentUnion = (): t.Mixed => (union ??= t.union(codecs as unknown as [t.Mixed, t.Mixed, ...t.Mixed[]], "ModelSpec"));

/**
 * The codec of a model spec (for configs): the union of the registered kinds' codecs, so a kind
 * registered later decodes too.
 *
 * @example
 * ModelSpec.decode({ kind: "srresnet", width: 16, blocks: 4 }) // Right
 * ModelSpec.decode({ kind: "unet", widht: 16 })                // Left: "widht: unknown key"
 */
export const ModelSpec: t.Type<ModelSpec, unknown, unknown> = new t.UnionType<t.Mixed[], ModelSpec, unknown, unknown>(
  "ModelSpec",
  (u): u is ModelSpec => currentUnion().is(u),
  (u, c) => currentUnion().validate(u, c),
  (a) => currentUnion().encode(a),
  codecs,
);

/**
 * Adds an architecture under `name` (the `kind` its specs carry). Throws `AdapterError("option")`
 * when the name is taken (the built-ins' names included) or the entry lacks a codec, a builder or
 * a parameter count.
 *
 * @example
 * registerModel("one-conv", {
 *   codec: modelSpecCodec("one-conv", { width: Count }),
 *   build: (tf, factory, spec) => {
 *     const c = factory.conv("conv", 3, 3, 3, "zero");
 *     return (x) => tf.add(x, tf.add(tf.conv2d(x, c.filter, 1, "same"), c.bias));
 *   },
 *   parameterCount: () => convParameterCount(3, 3, 3),
 * });
 * createModel(tf, { kind: "one-conv" });
 */
export function registerModel<S extends { readonly kind: string }, R extends { readonly kind: string } = S>(name: string, entry: ModelEntry<S, R>): void {
  if (typeof name !== "string" || name === "") throw new AdapterError("option", `registerModel: the name must be a non-empty string (got ${JSON.stringify(name)})`);
  if (entries.has(name)) {
    throw new AdapterError("option", `registerModel: a model named ${JSON.stringify(name)} is already registered (registered: ${[...entries.keys()].join(", ")}); choose another name`);
  }
  const missing = [
    typeof entry?.codec?.validate === "function" ? undefined : "codec (an io-ts codec)",
    typeof entry?.build === "function" ? undefined : "build (a function)",
    typeof entry?.parameterCount === "function" ? undefined : "parameterCount (a function)",
  ].filter((m) => m !== undefined);
  if (missing.length > 0) throw new AdapterError("option", `registerModel(${JSON.stringify(name)}): the entry needs ${missing.join(", ")}`);
  entries.set(name, entry as unknown as ModelEntry);
  codecs.push(entry.codec);
  union = undefined;
}

/** The registered architectures' names, in registration order (the built-ins first). */
export const modelKinds = (): string[] => [...entries.keys()];

/** The registry's entry of `kind`; throws `AdapterError("option")` naming the registered kinds when there is none. */
export const modelEntry = (kind: string): ModelEntry => {
  const entry = entries.get(kind);
  if (entry === undefined) throw new AdapterError("option", `unknown model kind ${JSON.stringify(kind)} (registered: ${[...entries.keys()].join(", ")})`);
  return entry;
};

/** Fills the defaults of a spec (through its kind's `resolve`); `taskPrompt` is kept only when true. */
export const resolveModelSpec = (spec: ModelSpec): ResolvedModelSpec => {
  const entry = modelEntry(spec.kind);
  const base = entry.resolve !== undefined ? entry.resolve(spec) : withoutTaskPrompt(spec);
  return spec.taskPrompt === true ? { ...base, taskPrompt: true } : base;
};

const withoutTaskPrompt = (spec: ModelSpec): ResolvedModelSpec => {
  const { taskPrompt: _taskPrompt, ...rest } = spec;
  return rest as ResolvedModelSpec;
};

// The built-ins.

type Resolved<K extends string> = Extract<ResolvedModelSpec, { readonly kind: K }>;

registerModel<SrResNetSpec, Resolved<"srresnet">>("srresnet", {
  codec: SrResNetCodec,
  // init and globalContext appear only when not the default, so the resolved spec of an existing config is unchanged.
  resolve: (spec) => ({
    kind: "srresnet",
    width: spec.width ?? MODEL_DEFAULTS.srresnet.width,
    blocks: spec.blocks ?? MODEL_DEFAULTS.srresnet.blocks,
    ...(spec.init === "basicsr" ? { init: "basicsr" as const } : {}),
    ...(spec.globalContext === true ? { globalContext: true as const } : {}),
  }),
  build: (tf, factory, spec, rows) => {
    const params = srResNetParams(factory, spec.width, spec.blocks, rows, spec.init ?? "he", spec.globalContext === true);
    return (x, selector, pin) => srResNetForward(tf, params, x, selector, pin);
  },
  parameterCount: (spec, rows) => srResNetParameterCount(spec.width, spec.blocks, rows, spec.globalContext === true),
  warmStart: (spec, names) => srResNetWarmStart(spec.blocks, names),
});

registerModel<UNetSpec, Resolved<"unet">>("unet", {
  codec: UNetCodec,
  resolve: (spec) => ({ kind: "unet", width: spec.width ?? MODEL_DEFAULTS.unet.width, depth: spec.depth ?? MODEL_DEFAULTS.unet.depth }),
  build: (tf, factory, spec, rows) => {
    const params = uNetParams(factory, spec.width, spec.depth, undefined, rows);
    return (x, selector) => uNetForward(tf, params, x, selector);
  },
  parameterCount: (spec, rows) => uNetParameterCount(spec.width, spec.depth, undefined, rows),
  multipleOf: (spec) => 2 ** (spec.depth ?? 0),
});

registerModel<PromptUNetSpec, Resolved<"prompt-unet">>("prompt-unet", {
  codec: PromptUNetCodec,
  resolve: (spec) => {
    const d = MODEL_DEFAULTS["prompt-unet"];
    return {
      kind: "prompt-unet",
      width: spec.width ?? d.width,
      depth: spec.depth ?? d.depth,
      prompts: spec.prompts ?? d.prompts,
      promptSize: spec.promptSize ?? d.promptSize,
    };
  },
  build: (tf, factory, spec, rows) => {
    const params = uNetParams(factory, spec.width, spec.depth, { prompts: spec.prompts, promptSize: spec.promptSize }, rows);
    return (x, selector) => uNetForward(tf, params, x, selector);
  },
  parameterCount: (spec, rows) => uNetParameterCount(spec.width, spec.depth, { prompts: spec.prompts, promptSize: spec.promptSize }, rows),
  multipleOf: (spec) => 2 ** (spec.depth ?? 0),
});
