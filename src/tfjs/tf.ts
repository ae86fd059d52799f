/**
 * The injected tfjs namespace. Nothing in `art-mtl/tfjs` imports a tfjs package at run time:
 * the caller passes the namespace it set up (tfjs-node-gpu, tfjs-node, WebGPU, WASM or CPU),
 * so exactly one copy of `@tensorflow/tfjs-core` is used, the one the backend registered with.
 * `Tf` and `Tensor` are the backend helpers' own types, re-exported so that both agree.
 */
import type * as tfCore from "@tensorflow/tfjs-core";

export type { Tf, Tensor, Scalar } from "./backend/types.js";

/** A trainable (or not) variable of the injected namespace. */
export type Variable = tfCore.Variable;

/** A tfjs optimizer (`tf.train.adam(...)` and friends). */
export type Optimizer = tfCore.Optimizer;
