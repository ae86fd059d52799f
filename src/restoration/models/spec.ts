import * as t from "io-ts";
import { Count, NonNegativeInt } from "../../core/codecs.js";
import { strictPartial } from "../../core/strict.js";

/**
 * Model specs for training configs: a `kind` plus that kind's sizes, every size optional
 * (defaults below) and unknown keys rejected, so `{ kind: "srresnet", widht: 16 }` fails
 * instead of silently training the default width.
 */

/**
 * The codec of a kind's spec: `kind` required, the given options and `taskPrompt` optional,
 * other keys refused (for the built-ins below, and for `registerModel`).
 *
 * @example
 * modelSpecCodec("one-conv", { width: Count }).decode({ kind: "one-conv", widht: 8 }) // Left: "widht: unknown key"
 */
export const modelSpecCodec = <K extends string, P extends t.Props>(kind: K, props: P) =>
  t.intersection([t.type({ kind: t.literal(kind) }), strictPartial({ kind: t.literal(kind), ...props, taskPrompt: t.boolean }, `${kind} options`)]);

/** SRResNet as used by MiOIR: conv, residual blocks (conv-ReLU-conv), conv, conv, global residual. */
export const SrResNetSpec = modelSpecCodec("srresnet", {
  /** Feature channels (MiOIR: 64). */
  width: Count,
  /** Residual blocks (MiOIR: 16). */
  blocks: NonNegativeInt,
  /** "he" (default): He-normal convs; "basicsr": those draws times 0.1, as BasicSR's MSRResNet (trains deep models; see srResNetParams). */
  init: t.union([t.literal("he"), t.literal("basicsr")]),
  /** A per-image tone curve on the input and FiLM from each stage's global mean (see global-context.ts); default false. */
  globalContext: t.boolean,
});
export type SrResNetSpec = t.TypeOf<typeof SrResNetSpec>;

/** A small U-Net (encoder-decoder with skips), standing in for Uformer. */
export const UNetSpec = modelSpecCodec("unet", {
  /** Channels at full resolution; level i has width * 2^i. */
  width: Count,
  /** Number of 2x downsamplings (H and W must be divisible by 2^depth). */
  depth: NonNegativeInt,
});
export type UNetSpec = t.TypeOf<typeof UNetSpec>;

/** The U-Net with PromptIR-style prompt blocks on every decoder level. */
export const PromptUNetSpec = modelSpecCodec("prompt-unet", {
  width: Count,
  depth: NonNegativeInt,
  /** Prompt components per level (PromptIR: 5). */
  prompts: Count,
  /** Spatial size of each prompt component before bilinear resizing. */
  promptSize: Count,
});
export type PromptUNetSpec = t.TypeOf<typeof PromptUNetSpec>;

/**
 * `taskPrompt: true` (any kind): MiOIR's explicit prompt learning, small. The model learns one
 * prompt per task plus one for "task unknown" (the blind path); the prompt scales and shifts the
 * features after every stage (FiLM), starting at scale 1, shift 0. The task id reaches the model
 * through the trainer's model context; present only when true.
 */
interface TaskPromptField {
  readonly taskPrompt?: true;
}

/** A spec of an architecture added with `registerModel` (see registry.ts): its `kind` and its own options. */
export interface RegisteredModelSpec {
  readonly kind: string;
  readonly taskPrompt?: boolean;
  readonly [option: string]: unknown;
}

/** Every field filled in (a registered kind's options as its `resolve` fills them). */
export type ResolvedModelSpec = TaskPromptField &
  (
    | { readonly kind: "srresnet"; readonly width: number; readonly blocks: number; readonly init?: "basicsr"; readonly globalContext?: true }
    | { readonly kind: "unet"; readonly width: number; readonly depth: number }
    | { readonly kind: "prompt-unet"; readonly width: number; readonly depth: number; readonly prompts: number; readonly promptSize: number }
    | RegisteredModelSpec
  );

/** Defaults: SRResNet as in MiOIR (64 x 16); U-Nets small enough for a laptop. */
export const MODEL_DEFAULTS = {
  srresnet: { width: 64, blocks: 16 },
  unet: { width: 32, depth: 2 },
  "prompt-unet": { width: 32, depth: 2, prompts: 5, promptSize: 8 },
} as const;
