import type * as tfCore from "@tensorflow/tfjs-core";
import type { Tf } from "../../tfjs/index.js";
import { mixSeed } from "../data/sources.js";

/**
 * Variable creation shared by the models: named, seeded (a model built twice with the same
 * seed is identical, which checkpoint tests and benchmarks rely on), He-initialised convs.
 */

/** Creates the variables of one model, in creation order, with distinct seeds. */
export interface ParameterFactory {
  /** A 3-D conv filter [k, k, cin, cout] (He normal times `scale`, default 1; or zeros) and its bias [cout] (zeros). */
  conv(name: string, kernel: number, inChannels: number, outChannels: number, init?: "he" | "zero", scale?: number): ConvParams;
  /** A transposed-conv filter [k, k, cout, cin] (tfjs' layout) and its bias [cout]. */
  convTranspose(name: string, kernel: number, inChannels: number, outChannels: number): ConvParams;
  /** A dense layer [in, out] (He normal, or zeros) with bias [out] (zeros). */
  dense(name: string, inUnits: number, outUnits: number, init?: "he" | "zero"): DenseParams;
  /** Per-task FiLM tables `[rows, channels]` (scale and shift), both starting at zero. */
  taskFilm(name: string, rows: number, channels: number): TaskFilm;
  /** A variable from a custom normal initialiser. */
  normal(name: string, shape: number[], std: number): tfCore.Variable;
  /** Every variable made so far, in creation order. */
  readonly variables: tfCore.Variable[];
}

/** A dense layer's kernel [in, out] and bias [out]. */
export interface DenseParams {
  readonly kernel: tfCore.Variable;
  readonly bias: tfCore.Variable;
}

/** A conv's filter and bias. */
export interface ConvParams {
  readonly filter: tfCore.Variable<tfCore.Rank.R4>;
  readonly bias: tfCore.Variable<tfCore.Rank.R1>;
}

let modelCounter = 0;

/** A factory whose seeds start at `seed`. Variable names are prefixed so several models can coexist. */
export const parameterFactory = (tf: Tf, prefix: string, seed: number): ParameterFactory => {
  const variables: tfCore.Variable[] = [];
  const unique = `${prefix}_${modelCounter++}`;
  let variableIndex = 0;
  const make = <R extends tfCore.Rank>(name: string, init: () => tfCore.Tensor): tfCore.Variable<R> => {
    const variable = tf.tidy(() => tf.variable(init(), true, `${unique}/${name}`)) as tfCore.Variable<R>;
    variables.push(variable);
    return variable;
  };
  // Each variable draws from a hash of (seed, its index): consecutive seeds must not share
  // draws (seed + index would give seed s + 1 the weights of seed s shifted by one layer).
  // tfjs treats a seed of 0 as "no seed" (fresh randomness), hence `|| 1`.
  const normal = (shape: number[], std: number) => () => tf.randomNormal(shape, 0, std, "float32", mixSeed(seed, variableIndex++) || 1);
  return {
    conv: (name, kernel, inChannels, outChannels, init = "he", scale = 1) => ({
      filter: make(`${name}/filter`, init === "zero" ? () => tf.zeros([kernel, kernel, inChannels, outChannels]) : normal([kernel, kernel, inChannels, outChannels], scale * Math.sqrt(2 / (kernel * kernel * inChannels)))),
      bias: make(`${name}/bias`, () => tf.zeros([outChannels])),
    }),
    convTranspose: (name, kernel, inChannels, outChannels) => ({
      filter: make(`${name}/filter`, normal([kernel, kernel, outChannels, inChannels], Math.sqrt(2 / (kernel * kernel * inChannels)))),
      bias: make(`${name}/bias`, () => tf.zeros([outChannels])),
    }),
    dense: (name, inUnits, outUnits, init = "he") => ({
      kernel: make(`${name}/kernel`, init === "zero" ? () => tf.zeros([inUnits, outUnits]) : normal([inUnits, outUnits], Math.sqrt(2 / inUnits))),
      bias: make(`${name}/bias`, () => tf.zeros([outUnits])),
    }),
    taskFilm: (name, rows, channels) => ({
      scale: make(`${name}/scale`, () => tf.zeros([rows, channels])),
      shift: make(`${name}/shift`, () => tf.zeros([rows, channels])),
    }),
    normal: (name, shape, std) => make(name, normal(shape, std)),
    variables,
  };
};

/** One stage's task prompt: per-row (task) scale and shift of its channels (see `filmByTask`). */
export interface TaskFilm {
  readonly scale: tfCore.Variable;
  readonly shift: tfCore.Variable;
}

/**
 * Features scaled and shifted by each sample's task prompt: x (1 + S[t]) + B[t], where the rows
 * t come from `selector`, a one-hot `[batch, rows]` (a matmul, rather than a gather, has a
 * gradient on every backend). With both tables at zero this is the identity.
 */
export const filmByTask = (tf: Tf, x: tfCore.Tensor4D, film: TaskFilm, selector: tfCore.Tensor2D): tfCore.Tensor4D => {
  const [batch, , , channels] = x.shape;
  const scale = tf.reshape(tf.matMul(selector, film.scale as tfCore.Tensor2D), [batch, 1, 1, channels]);
  const shift = tf.reshape(tf.matMul(selector, film.shift as tfCore.Tensor2D), [batch, 1, 1, channels]);
  return tf.add(tf.add(x, tf.mul(x, scale)), shift);
};

/** Parameters of a task-prompt table pair over `rows` tasks and `channels` channels. */
export const taskFilmParameterCount = (rows: number, channels: number): number => 2 * rows * channels;

/** A dense layer: x W + b. */
export const dense = (tf: Tf, x: tfCore.Tensor2D, params: DenseParams): tfCore.Tensor2D =>
  tf.add(tf.matMul(x, params.kernel as tfCore.Tensor2D), params.bias);

/** Parameters of a dense layer from `inUnits` to `outUnits`, with bias. */
export const denseParameterCount = (inUnits: number, outUnits: number): number => inUnits * outUnits + outUnits;

/** A same-padded stride-1 conv with bias. */
export const conv = (tf: Tf, x: tfCore.Tensor4D, params: ConvParams): tfCore.Tensor4D =>
  tf.add(tf.conv2d(x, params.filter, 1, "same"), params.bias);

/** Parameters of a k x k conv from cin to cout channels, with bias. */
export const convParameterCount = (kernel: number, inChannels: number, outChannels: number): number =>
  kernel * kernel * inChannels * outChannels + outChannels;
