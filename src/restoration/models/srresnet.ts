import type * as tfCore from "@tensorflow/tfjs-core";
import type { Tf, WeightMapping } from "../../tfjs/index.js";
import { AdapterError } from "../../tfjs/index.js";
import type { ConvParams, ParameterFactory, TaskFilm } from "./params.js";
import { conv, convParameterCount, filmByTask, taskFilmParameterCount } from "./params.js";
import type { ContextPin, GlobalContextParams } from "./global-context.js";
import { contextFilm, globalContextParameterCount, globalContextParams, toneCurve } from "./global-context.js";

/**
 * SRResNet as MiOIR uses it for all-in-one restoration (BasicSR's MSRResNet without upsampling):
 * conv 3→w + LeakyReLU(0.1); `blocks` residual blocks x + conv(ReLU(conv(x))) (no batch norm);
 * conv w→w + LeakyReLU(0.1); conv w→3; output = input + that residual. With `globalContext`
 * (see global-context.ts) the input first goes through a per-image tone curve (the residual is
 * added to the curved input) and every stage's features through FiLM from their global mean.
 */

/** SRResNet's layers. */
export interface SrResNetParams {
  readonly head: ConvParams;
  readonly blocks: ReadonlyArray<readonly [ConvParams, ConvParams]>;
  readonly tail: ConvParams;
  readonly last: ConvParams;
  /** Task prompts (taskPrompt models): after the head, after each block, after the tail. */
  readonly prompts?: ReadonlyArray<TaskFilm>;
  /** Global context (globalContext models): the input's tone curve and one FiLM per stage (head, blocks, tail). */
  readonly context?: GlobalContextParams;
}

/**
 * Creates SRResNet's variables (the last conv zero-initialised, so the model starts as the
 * identity). `init: "he"` draws every other conv He-normal; `"basicsr"` scales those draws by
 * 0.1, as BasicSR's MSRResNet (`default_init_weights(..., 0.1)`) does: without that, each of the
 * unnormalised residual blocks roughly doubles the features' variance, and at 16 blocks the
 * first Adam step (every weight moved by about lr) multiplies features of magnitude ~100s by the
 * last conv, so the loss jumps from 0.1 to ~400 (measured at 64x16, lr 2e-4).
 */
export const srResNetParams = (factory: ParameterFactory, width: number, blocks: number, promptRows = 0, init: "he" | "basicsr" = "he", globalContext = false): SrResNetParams => {
  const scale = init === "basicsr" ? 0.1 : 1;
  const head = factory.conv("head", 3, 3, width, "he", scale);
  const blockParams = Array.from({ length: blocks }, (_, i) => [factory.conv(`block${i}/conv1`, 3, width, width, "he", scale), factory.conv(`block${i}/conv2`, 3, width, width, "he", scale)] as const);
  const tail = factory.conv("tail", 3, width, width, "he", scale);
  const last = factory.conv("last", 3, width, 3, "zero");
  const prompts = promptRows === 0 ? undefined : Array.from({ length: blocks + 2 }, (_, i) => factory.taskFilm(`prompt${i}`, promptRows, width));
  // Created last, so the variables before them (and their seeds) are those of the model without it.
  const context = globalContext ? globalContextParams(factory, width, blocks + 2, promptRows) : undefined;
  return { head, blocks: blockParams, tail, last, ...(prompts === undefined ? {} : { prompts }), ...(context === undefined ? {} : { context }) };
};

/**
 * SRResNet's forward pass: [B,H,W,3] → [B,H,W,3]; `selector` ([B, rows] one-hot) picks each
 * sample's task prompt; `pin` records or supplies the global context (globalContext models).
 */
export const srResNetForward = (tf: Tf, params: SrResNetParams, input: tfCore.Tensor4D, selector?: tfCore.Tensor2D, pin?: ContextPin): tfCore.Tensor4D => {
  const { context } = params;
  const prompted = (x: tfCore.Tensor4D, i: number): tfCore.Tensor4D =>
    params.prompts === undefined || selector === undefined ? x : filmByTask(tf, x, params.prompts[i] as TaskFilm, selector);
  const prompt = (x: tfCore.Tensor4D, i: number): tfCore.Tensor4D => (context === undefined ? prompted(x, i) : contextFilm(tf, context, i, prompted(x, i), pin));
  const base = context === undefined ? input : toneCurve(tf, context, input, params.prompts === undefined ? undefined : selector, pin);
  let features = prompt(tf.leakyRelu(conv(tf, base, params.head), 0.1), 0);
  for (const [i, [first, second]] of params.blocks.entries()) {
    features = prompt(tf.add(features, conv(tf, tf.relu(conv(tf, features, first)), second)), i + 1);
  }
  const residual = conv(tf, prompt(tf.leakyRelu(conv(tf, features, params.tail), 0.1), params.blocks.length + 1), params.last);
  return tf.add(base, residual);
};

/** SRResNet's parameter count: head + 2 convs per block + tail + last (+ the task prompts over `promptRows` rows). */
export const srResNetParameterCount = (width: number, blocks: number, promptRows = 0, globalContext = false): number =>
  (globalContext ? globalContextParameterCount(width, blocks + 2, promptRows) : 0) +
  convParameterCount(3, 3, width) +
  blocks * 2 * convParameterCount(3, width, width) +
  convParameterCount(3, width, width) +
  convParameterCount(3, width, 3) +
  (promptRows === 0 ? 0 : (blocks + 2) * taskFilmParameterCount(promptRows, width));

/** Multiply-accumulates of one forward pass per output pixel (all convs are stride 1, same size). */
export const srResNetMacsPerPixel = (width: number, blocks: number): number =>
  9 * (3 * width + blocks * 2 * width * width + width * width + width * 3);

/**
 * The warm start of an SRResNet of `blocks` blocks from a checkpoint of a shallower one (the
 * `srresnet` kind's `warmStart`): the checkpoint's blocks fill the first blocks, and the stage
 * after the last block (the tail's task prompt and context FiLM, `prompt{k+1}`, `context/film{k+1}`
 * for k blocks) moves to this model's last stage. The appended blocks' second convs start at zero
 * and their stages' FiLMs at their zero initialisation, so each appended block is the identity and
 * the grown model computes what the checkpoint's did; training then grows them. Equal depths map
 * by name; a deeper checkpoint is refused (its tail would land mid-network).
 */
export const srResNetWarmStart = (blocks: number, checkpointNames: readonly string[]): WeightMapping => {
  const indices = checkpointNames.map((name) => /^block(\d+)\/conv1\/filter$/.exec(name)).filter((m) => m !== null);
  // A checkpoint without blocks is another architecture; the name match reports it.
  if (indices.length === 0) return {};
  const from = Math.max(...indices.map((m) => Number(m[1]))) + 1;
  if (from === blocks) return {};
  if (from > blocks) {
    throw new AdapterError(
      "checkpoint",
      `the checkpoint's SRResNet has ${from} blocks and this model ${blocks}: a warm start can append blocks (they start as the identity), not remove them`,
    );
  }
  const lastStage = new RegExp(`^(prompt|context/film)${from + 1}/`);
  const rename = new Map(
    checkpointNames.filter((name) => lastStage.test(name)).map((name) => [name, name.replace(lastStage, (_, layer: string) => `${layer}${blocks + 1}/`)] as const),
  );
  const zero = Array.from({ length: blocks - from }, (_, i) => [`block${from + i}/conv2/filter`, `block${from + i}/conv2/bias`]).flat();
  return { rename, zero };
};
