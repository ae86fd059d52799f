/**
 * The network of the Multi-MNIST benchmark (issue 20, item 7): Sener & Koltun's MultiLeNet
 * (`multi_task/models/multi_lenet.py` in isl-org/MultiObjectiveOptimization, read, not copied), a
 * LeNet-size shared encoder with one classification head per task, as a function model over
 * tf.Variables (`{ apply, variables }`, what `createGradientTrainer` takes), plus the list of
 * shared (encoder) variables the Gramian is formed over.
 *
 *   encoder: conv 5×5, 1→10 → maxpool 2 → relu → conv 5×5, 10→20 → maxpool 2 → relu
 *            → flatten (320) → dense 320→50 → relu
 *   head k:  dense 50→50 → relu → dense 50→10 (logits)
 *
 * Differences from the reference, all deliberate and stated in docs/benchmarks.md: no dropout (the
 * reference has Dropout2d after conv 2 and dropout in each head; without it a step is a pure
 * function of the weights and the batch, so paired runs differ only by the weighting), NHWC
 * layout (tfjs), and the initialisation is PyTorch's default for Conv2d/Linear written out here:
 * weights and biases uniform in ±1/√fan_in, drawn from the seeded host Rng (so every backend
 * starts from the same bits). Inputs are 28×28 images in [0, 1], normalised inside `apply` with
 * the reference's (0.1307, 0.3081).
 *
 * Parameters: 260 + 5,020 + 16,050 (encoder, 21,330) and 2 × (2,550 + 510) (heads, 6,120).
 */
import type * as tfCore from "@tensorflow/tfjs-core";

import { Rng } from "../../../src/core/random.js";
import type { Tensor, Tf, Variable } from "../../../src/tfjs/tf.js";
import type { PerSampleLossFn } from "../../../src/tfjs/trainer.js";

/** MNIST's mean and standard deviation, as the reference normalises its inputs. */
export const INPUT_MEAN = 0.1307;
export const INPUT_STD = 0.3081;
export const NUM_CLASSES = 10;

export interface MultiLeNetOptions {
  /** Seed of the initial weights. */
  readonly seed: number;
  /** Number of heads (tasks); default 2. */
  readonly numTasks?: number;
  /** Input side (square, one channel); default 28. */
  readonly inputSize?: number;
}

/** The model: a function of the inputs returning one logits tensor `[B, 10]` per task. */
export interface MultiLeNet {
  readonly apply: (inputs: Tensor) => Tensor[];
  /** The encoder's output `[B, 50]` (the shared representation). */
  readonly encode: (inputs: Tensor) => Tensor;
  /** Every trainable variable: the encoder's, then each head's. */
  readonly variables: Variable[];
  /** The encoder's variables (the Gramian is formed over these). */
  readonly sharedVariables: Variable[];
  readonly headVariables: Variable[][];
  /** Parameter counts of the encoder and of all heads together. */
  readonly parameterCount: { readonly shared: number; readonly heads: number };
  dispose(): void;
}

let instances = 0;

/**
 * Builds a MultiLeNet with seeded initial weights. Two models built with the same seed start from
 * the same weights; variable names are unique per instance (tfjs keys gradients by name).
 *
 * @example
 * const net = createMultiLeNet(tf, { seed: 1 });
 * const [left, right] = net.apply(tf.zeros([8, 28, 28, 1])); // two [8, 10] logits tensors
 */
export function createMultiLeNet(tf: Tf, options: MultiLeNetOptions): MultiLeNet {
  const numTasks = options.numTasks ?? 2;
  const size = options.inputSize ?? 28;
  if (!Number.isInteger(numTasks) || numTasks < 1)
    throw new RangeError(`numTasks must be an integer >= 1 (got ${numTasks})`);
  const afterConv1 = Math.floor((size - 4) / 2);
  const afterConv2 = Math.floor((afterConv1 - 4) / 2);
  if (afterConv2 < 1) throw new RangeError(`inputSize ${size} is too small for two 5×5 convolutions and two 2×2 pools`);
  const flat = afterConv2 * afterConv2 * 20;
  const rng = Rng.seeded(options.seed);
  const prefix = `multi-lenet-${++instances}`;
  // PyTorch's default Conv2d/Linear initialisation: kaiming_uniform(a=√5) = U(±1/√fan_in), and the bias U(±1/√fan_in).
  const uniform = (shape: number[], fanIn: number, name: string): Variable => {
    const n = shape.reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = rng.uniform(-bound, bound);
    return tf.variable(tf.tensor(values, shape, "float32"), true, `${prefix}/${name}`);
  };
  const conv1w = uniform([5, 5, 1, 10], 25, "conv1/kernel");
  const conv1b = uniform([10], 25, "conv1/bias");
  const conv2w = uniform([5, 5, 10, 20], 250, "conv2/kernel");
  const conv2b = uniform([20], 250, "conv2/bias");
  const fcw = uniform([flat, 50], flat, "fc/kernel");
  const fcb = uniform([50], flat, "fc/bias");
  const heads = Array.from({ length: numTasks }, (_, k) => ({
    w1: uniform([50, 50], 50, `head${k}/fc1/kernel`),
    b1: uniform([50], 50, `head${k}/fc1/bias`),
    w2: uniform([50, NUM_CLASSES], 50, `head${k}/fc2/kernel`),
    b2: uniform([NUM_CLASSES], 50, `head${k}/fc2/bias`),
  }));
  const sharedVariables = [conv1w, conv1b, conv2w, conv2b, fcw, fcb];
  const headVariables = heads.map((h) => [h.w1, h.b1, h.w2, h.b2]);

  const pool = (x: Tensor): Tensor => maxPool2x2(tf, x as tfCore.Tensor4D);
  const encode = (inputs: Tensor): Tensor => {
    const batch = inputs.shape[0] as number;
    const x = tf.div(tf.sub(tf.reshape(inputs, [batch, size, size, 1]), INPUT_MEAN), INPUT_STD) as tfCore.Tensor4D;
    const c1 = tf.relu(pool(tf.add(tf.conv2d(x, conv1w as tfCore.Tensor4D, 1, "valid"), conv1b)));
    const c2 = tf.relu(pool(tf.add(tf.conv2d(c1 as tfCore.Tensor4D, conv2w as tfCore.Tensor4D, 1, "valid"), conv2b)));
    return tf.relu(tf.add(tf.matMul(tf.reshape(c2, [batch, flat]) as tfCore.Tensor2D, fcw as tfCore.Tensor2D), fcb));
  };
  const head = (z: Tensor, k: number): Tensor => {
    const h = heads[k] as (typeof heads)[number];
    const hidden = tf.relu(tf.add(tf.matMul(z as tfCore.Tensor2D, h.w1 as tfCore.Tensor2D), h.b1));
    return tf.add(tf.matMul(hidden as tfCore.Tensor2D, h.w2 as tfCore.Tensor2D), h.b2);
  };
  const variables = [...sharedVariables, ...headVariables.flat()];
  return {
    apply: (inputs) => {
      const z = encode(inputs);
      return heads.map((_, k) => head(z, k));
    },
    encode,
    variables,
    sharedVariables,
    headVariables,
    parameterCount: {
      shared: sharedVariables.reduce((n, v) => n + v.size, 0),
      heads: headVariables.flat().reduce((n, v) => n + v.size, 0),
    },
    dispose: () => variables.forEach((v) => v.dispose()),
  };
}

/**
 * 2×2 max pooling with stride 2 (valid), `tf.maxPool`'s value and gradient, with a gradient
 * written for speed on wasm: the MaxPoolGrad kernel this repository registers there is exact but
 * composed of strided slices of a padded input, and took ~4× the time of everything else in a
 * MultiLeNet step (0.54 s of CPU for a [256, 24, 24, 10] input, against 0.15 s here). Same rule as
 * tfjs and TensorFlow: within each window the first position in row-major order that attains the
 * maximum receives dy (checked equal to tf.maxPool's gradient, ties included, in the test).
 * Odd sides fall back to tf.maxPool.
 */
export function maxPool2x2(tf: Tf, x: tfCore.Tensor4D): Tensor {
  const [b, h, w, c] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) return tf.maxPool(x, 2, 2, "valid");
  const [h2, w2] = [h / 2, w / 2];
  const pooled = tf.customGrad((...args: Array<Tensor | tfCore.GradSaveFunc>) => {
    const [input, save] = args as [tfCore.Tensor4D, tfCore.GradSaveFunc];
    const out = tf.maxPool(input, 2, 2, "valid");
    save([input, out]);
    return {
      value: out,
      gradFunc: (dy: tfCore.Tensor4D, saved: Tensor[]) => {
        // [B·H/2, 2, W/2, 2C]: window row i and column j are slice [:, i, :, jC..(j+1)C].
        const view = tf.reshape(saved[0] as Tensor, [b * h2, 2, w2, 2 * c]);
        const max = tf.reshape(saved[1] as Tensor, [b * h2, 1, w2, c]);
        const d = tf.reshape(dy, [b * h2, 1, w2, c]);
        const zero = tf.zerosLike(d);
        let claimed: Tensor | undefined;
        const routed: Tensor[] = [];
        for (const [i, j] of [
          [0, 0],
          [0, 1],
          [1, 0],
          [1, 1],
        ] as const) {
          let wins = tf.equal(tf.slice(view, [0, i, 0, j * c], [-1, 1, -1, c]), max);
          if (claimed !== undefined) wins = tf.logicalAnd(wins, tf.logicalNot(claimed));
          claimed = claimed === undefined ? wins : tf.logicalOr(claimed, wins);
          routed.push(tf.where(wins, d, zero));
        }
        const [g00, g01, g10, g11] = routed as [Tensor, Tensor, Tensor, Tensor];
        return tf.reshape(tf.concat([tf.concat([g00, g01], 3), tf.concat([g10, g11], 3)], 1), [b, h, w, c]);
      },
    };
  });
  return pooled(x) as Tensor;
}

/**
 * Per-sample softmax cross-entropy `[B]` of logits `[B, C]` against one-hot targets `[B, C]`
 * (−Σ_c y_c log softmax(logits)_c), the reference's `nll_loss(log_softmax(·))` without the mean.
 */
export const softmaxCrossEntropy: PerSampleLossFn = (tf, logits, targets) =>
  tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits as tfCore.Tensor2D)), 1)) as tfCore.Tensor1D;

/** Test accuracy and mean cross-entropy of each head over a whole split, in batches. */
export interface Evaluation {
  readonly accuracy: number[];
  readonly loss: number[];
}

/**
 * Evaluates `model` on `images` (`count × size²` floats in [0, 1]) against one Int32 label array
 * per task, `batch` samples at a time; one read-back per batch.
 */
export async function evaluate(
  tf: Tf,
  model: Pick<MultiLeNet, "apply">,
  images: Float32Array,
  labels: ReadonlyArray<Int32Array>,
  size: number,
  batch = 1000,
): Promise<Evaluation> {
  const count = (labels[0] as Int32Array).length;
  const K = labels.length;
  const correct = new Array<number>(K).fill(0);
  const lossSum = new Array<number>(K).fill(0);
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const packed = tf.tidy(() => {
      const x = tf.tensor(
        images.subarray(start * size * size, (start + n) * size * size),
        [n, size, size, 1],
        "float32",
      );
      const outputs = model.apply(x);
      return tf.concat(
        outputs.map((logits, k) => {
          const y = tf.tensor1d((labels[k] as Int32Array).subarray(start, start + n), "int32");
          const hit = tf.cast(tf.equal(tf.argMax(logits, 1), y), "float32");
          const ce = softmaxCrossEntropy(tf, logits, tf.oneHot(y, NUM_CLASSES));
          return tf.stack([tf.sum(hit), tf.sum(ce)]);
        }),
      );
    });
    const values = await packed.data();
    packed.dispose();
    for (let k = 0; k < K; k++) {
      correct[k] = (correct[k] as number) + (values[2 * k] as number);
      lossSum[k] = (lossSum[k] as number) + (values[2 * k + 1] as number);
    }
  }
  return { accuracy: correct.map((c) => c / count), loss: lossSum.map((l) => l / count) };
}
