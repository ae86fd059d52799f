import type * as tfCore from "@tensorflow/tfjs-core";
import type { Tf } from "../../tfjs/index.js";
import { AdapterError } from "../../tfjs/index.js";
import type { ConvParams, ParameterFactory, TaskFilm } from "./params.js";
import { conv, convParameterCount, filmByTask, taskFilmParameterCount } from "./params.js";

/**
 * A small U-Net standing in for Uformer (same encoder-decoder-with-skips layout, convolutions
 * instead of window attention), optionally with PromptIR-style prompt blocks in the decoder.
 *
 * Level i has c_i = width * 2^i channels. In: conv 3→c_0. Encoder level i: two 3x3 convs
 * (LeakyReLU 0.2), then a 2x2 stride-2 conv c_i→c_{i+1} (Uformer downsamples with a strided
 * conv). Bottleneck: two 3x3 convs at c_depth. Decoder level i: a 2x2 stride-2 transposed conv
 * c_{i+1}→c_i (as Uformer), concat with the skip, conv 2c_i→c_i, conv c_i→c_i, then (prompt
 * model) a prompt block. Out: conv c_0→3, output = input + residual.
 *
 * Prompt block (PromptIR's idea, small): N learnable prompt components [s, s, c]; weights =
 * softmax(dense(global average of the features)); the prompt = weighted sum, bilinearly resized
 * to the feature size and passed through a 3x3 conv; then features = conv(concat(features,
 * prompt)) (PromptIR uses a transformer block there; a conv keeps it small).
 */

interface PromptParams {
  readonly components: tfCore.Variable;
  readonly selector: { kernel: tfCore.Variable; bias: tfCore.Variable };
  readonly promptConv: ConvParams;
  readonly fuse: ConvParams;
}

/** The U-Net's layers. */
export interface UNetParams {
  readonly width: number;
  readonly depth: number;
  readonly input: ConvParams;
  readonly encoder: ReadonlyArray<{ readonly convs: readonly [ConvParams, ConvParams]; readonly down: ConvParams }>;
  readonly bottleneck: readonly [ConvParams, ConvParams];
  readonly decoder: ReadonlyArray<{ readonly up: ConvParams; readonly convs: readonly [ConvParams, ConvParams]; readonly prompt?: PromptParams }>;
  readonly output: ConvParams;
  /** Task prompts (taskPrompt models): after the input conv, each encoder level, the bottleneck and each decoder level. */
  readonly taskPrompts?: ReadonlyArray<TaskFilm>;
}

/** Prompt options; absent for the plain U-Net. */
export interface PromptOptions {
  readonly prompts: number;
  readonly promptSize: number;
}

const levelChannels = (width: number, level: number): number => width * 2 ** level;

/** Creates the U-Net's variables (output conv zero-initialised: the model starts as the identity). */
export const uNetParams = (factory: ParameterFactory, width: number, depth: number, prompt?: PromptOptions, promptRows = 0): UNetParams => {
  const input = factory.conv("in", 3, 3, width);
  const encoder = Array.from({ length: depth }, (_, i) => {
    const c = levelChannels(width, i);
    return {
      convs: [factory.conv(`enc${i}/conv1`, 3, c, c), factory.conv(`enc${i}/conv2`, 3, c, c)] as const,
      down: factory.conv(`enc${i}/down`, 2, c, 2 * c),
    };
  });
  const cb = levelChannels(width, depth);
  const bottleneck = [factory.conv("bottleneck/conv1", 3, cb, cb), factory.conv("bottleneck/conv2", 3, cb, cb)] as const;
  // Decoder levels from the deepest (depth-1) up to 0.
  const decoder = Array.from({ length: depth }, (_, j) => {
    const i = depth - 1 - j;
    const c = levelChannels(width, i);
    const level = {
      up: factory.convTranspose(`dec${i}/up`, 2, 2 * c, c),
      convs: [factory.conv(`dec${i}/conv1`, 3, 2 * c, c), factory.conv(`dec${i}/conv2`, 3, c, c)] as const,
    };
    if (prompt === undefined) return level;
    return {
      ...level,
      prompt: {
        components: factory.normal(`dec${i}/prompt/components`, [prompt.prompts, prompt.promptSize, prompt.promptSize, c], 1),
        selector: factory.dense(`dec${i}/prompt/selector`, c, prompt.prompts),
        promptConv: factory.conv(`dec${i}/prompt/conv`, 3, c, c),
        fuse: factory.conv(`dec${i}/prompt/fuse`, 3, 2 * c, c),
      },
    };
  });
  const output = factory.conv("out", 3, width, 3, "zero");
  if (promptRows === 0) return { width, depth, input, encoder, bottleneck, decoder, output };
  const taskPrompts = taskPromptChannels(width, depth).map((c, i) => factory.taskFilm(`taskPrompt${i}`, promptRows, c));
  return { width, depth, input, encoder, bottleneck, decoder, output, taskPrompts };
};

/** Channels of each task-prompted stage, in forward order: input, encoder levels, bottleneck, decoder levels. */
const taskPromptChannels = (width: number, depth: number): number[] => [
  width,
  ...Array.from({ length: depth }, (_, i) => levelChannels(width, i)),
  levelChannels(width, depth),
  ...Array.from({ length: depth }, (_, j) => levelChannels(width, depth - 1 - j)),
];

const lrelu = (tf: Tf, x: tfCore.Tensor4D): tfCore.Tensor4D => tf.leakyRelu(x, 0.2);

const promptBlock = (tf: Tf, params: PromptParams, features: tfCore.Tensor4D): tfCore.Tensor4D => {
  const [batch, height, width, channels] = features.shape;
  const [count, size] = params.components.shape as [number, number, number, number];
  const pooled = tf.mean(features, [1, 2]) as tfCore.Tensor2D; // [B, c]
  const weights = tf.softmax(tf.add(tf.matMul(pooled, params.selector.kernel as tfCore.Tensor2D), params.selector.bias)); // [B, N]
  const mixed = tf.matMul(weights, tf.reshape(params.components, [count, size * size * channels])); // [B, s*s*c]
  const prompt = tf.image.resizeBilinear(tf.reshape(mixed, [batch, size, size, channels]) as tfCore.Tensor4D, [height, width]);
  return lrelu(tf, conv(tf, tf.concat([features, conv(tf, prompt, params.promptConv)], 3), params.fuse));
};

/** The U-Net's forward pass: [B,H,W,3] → [B,H,W,3]; H and W must be divisible by 2^depth. */
export const uNetForward = (tf: Tf, params: UNetParams, input: tfCore.Tensor4D, selector?: tfCore.Tensor2D): tfCore.Tensor4D => {
  let stage = 0;
  const prompt = (x: tfCore.Tensor4D): tfCore.Tensor4D =>
    params.taskPrompts === undefined || selector === undefined ? x : filmByTask(tf, x, params.taskPrompts[stage++] as TaskFilm, selector);
  const factor = 2 ** params.depth;
  const [, height, width] = input.shape;
  if (height % factor !== 0 || width % factor !== 0) {
    throw new AdapterError("shape", `a U-Net of depth ${params.depth} needs H and W divisible by ${factor} (got ${height}x${width})`);
  }
  let features = prompt(lrelu(tf, conv(tf, input, params.input)));
  const skips: tfCore.Tensor4D[] = [];
  for (const level of params.encoder) {
    features = prompt(lrelu(tf, conv(tf, lrelu(tf, conv(tf, features, level.convs[0])), level.convs[1])));
    skips.push(features);
    features = tf.add(tf.conv2d(features, level.down.filter, 2, "valid"), level.down.bias);
  }
  features = prompt(lrelu(tf, conv(tf, lrelu(tf, conv(tf, features, params.bottleneck[0])), params.bottleneck[1])));
  for (const level of params.decoder) {
    const skip = skips.pop() as tfCore.Tensor4D;
    const [batch, h, w, c] = skip.shape;
    const up = tf.add(tf.conv2dTranspose(features, level.up.filter, [batch, h, w, c], 2, "valid"), level.up.bias);
    features = lrelu(tf, conv(tf, lrelu(tf, conv(tf, tf.concat([up, skip], 3) as tfCore.Tensor4D, level.convs[0])), level.convs[1]));
    if (level.prompt !== undefined) features = promptBlock(tf, level.prompt, features);
    features = prompt(features);
  }
  return tf.add(input, conv(tf, features, params.output));
};

/** The U-Net's parameter count (hand formula; the tests compare it with the variables). */
export const uNetParameterCount = (width: number, depth: number, prompt?: PromptOptions, promptRows = 0): number => {
  let total = convParameterCount(3, 3, width) + convParameterCount(3, width, 3);
  if (promptRows > 0) total += taskPromptChannels(width, depth).reduce((sum, c) => sum + taskFilmParameterCount(promptRows, c), 0);
  for (let i = 0; i < depth; i++) {
    const c = levelChannels(width, i);
    total += 2 * convParameterCount(3, c, c) + convParameterCount(2, c, 2 * c); // encoder level + down
    total += convParameterCount(2, 2 * c, c) + convParameterCount(3, 2 * c, c) + convParameterCount(3, c, c); // up + decoder convs
    if (prompt !== undefined) {
      total += prompt.prompts * prompt.promptSize ** 2 * c + (c * prompt.prompts + prompt.prompts) + convParameterCount(3, c, c) + convParameterCount(3, 2 * c, c);
    }
  }
  const cb = levelChannels(width, depth);
  return total + 2 * convParameterCount(3, cb, cb);
};
