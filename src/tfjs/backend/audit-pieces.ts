/**
 * Representative building blocks of image-restoration models and multi-task losses, as
 * trainable pieces for `auditKernels`: each one builds a few `tf.variable`s and a scalar loss
 * that depends on all of them, so an audit runs its forward and backward pass.
 */
import { trainableDilatedConv2d } from "./dilated-conv.js";
import type { Scalar, Tensor, Tensor4D, Tf } from "./types.js";

/** A trainable piece: `build` creates its variables; `loss` must be called inside the audit. */
export interface AuditPiece {
  /** Short description, used as the row label of the audit table. */
  readonly name: string;
  /** False for pieces expected to fail on every backend (kept to document the limitation). */
  readonly expectedToTrain: boolean;
  /** Creates the piece's variables and returns its loss and a disposer for them. */
  readonly build: () => { readonly loss: () => Scalar; readonly dispose: () => void };
}

/**
 * The pieces audited in docs/backends.md. Inputs are small (batch 2, 8x8, 4 channels) so the
 * whole list runs in well under a second on wasm.
 */
export function restorationAuditPieces(tf: Tf): AuditPiece[] {
  let seed = 7;
  // Inside tidy so the initialiser tensor is released (the variable keeps its own reference).
  const variable = (shape: number[], scale = 0.3): Tensor =>
    tf.tidy(() => tf.variable(tf.randomUniform(shape, -scale, scale, "float32", seed++)));
  const input = (shape: number[]): Tensor => tf.randomUniform(shape, -1, 1, "float32", seed++);

  /** Helper for pieces that feed a constant image through trainable parts. */
  const piece = (
    name: string,
    makeVariables: () => Tensor[],
    forward: (x: Tensor4D, vars: Tensor[]) => Tensor,
    options: { expectedToTrain?: boolean; inputShape?: number[] } = {},
  ): AuditPiece => ({
    name,
    expectedToTrain: options.expectedToTrain ?? true,
    build: () => {
      const x = input(options.inputShape ?? [2, 8, 8, 4]) as Tensor4D;
      const vars = makeVariables();
      return {
        loss: () => tf.mean(tf.square(forward(x, vars))) as Scalar,
        dispose: () => tf.dispose([x, ...vars]),
      };
    },
  });
  const w = (vars: Tensor[], i: number): Tensor4D => vars[i] as Tensor4D;
  const first = (vars: Tensor[]): Tensor => vars[0] as Tensor;

  return [
    piece(
      "conv2d 3x3 stride 1 same",
      () => [variable([3, 3, 4, 5])],
      (x, v) => tf.conv2d(x, w(v, 0), 1, "same"),
    ),
    piece(
      "conv2d 3x3 stride 2 valid",
      () => [variable([3, 3, 4, 5])],
      (x, v) => tf.conv2d(x, w(v, 0), 2, "valid"),
    ),
    piece(
      "conv2d 1x5 + 5x1 (non-square) same",
      () => [variable([1, 5, 4, 4]), variable([5, 1, 4, 3])],
      (x, v) => tf.conv2d(tf.conv2d(x, w(v, 0), 1, "same"), w(v, 1), [2, 1], "same"),
    ),
    piece(
      "conv2d dilation 2 (tf.conv2d)",
      () => [variable([3, 3, 4, 4])],
      (x, v) => tf.conv2d(x, w(v, 0), 1, "same", "NHWC", 2),
      { expectedToTrain: false },
    ),
    piece(
      "conv2d dilation 2 (trainableDilatedConv2d)",
      () => [variable([3, 3, 4, 4])],
      (x, v) => trainableDilatedConv2d(tf, x, w(v, 0), 1, "same", 2),
    ),
    piece(
      "conv2dTranspose 4x4 stride 2",
      () => [variable([4, 4, 3, 4])],
      (x, v) => tf.conv2dTranspose(x, w(v, 0), [2, 16, 16, 3], 2, "same"),
    ),
    piece(
      "depthwise 3x3 + separable conv",
      () => [variable([3, 3, 4, 2]), variable([3, 3, 8, 1]), variable([1, 1, 8, 6])],
      (x, v) => tf.separableConv2d(tf.depthwiseConv2d(x, w(v, 0), 1, "same"), w(v, 1), w(v, 2), 2, "same"),
    ),
    piece(
      "depthToSpace x2 (sub-pixel upsampling)",
      () => [variable([1, 1, 4, 12])],
      (x, v) => tf.depthToSpace(tf.conv2d(x, w(v, 0), 1, "same"), 2),
    ),
    piece(
      "resizeBilinear x2 (+ alignCorners)",
      () => [variable([1, 1, 4, 4])],
      (x, v) => {
        const y = tf.conv2d(x, w(v, 0), 1, "same");
        return tf.add(tf.image.resizeBilinear(y, [16, 16]), tf.image.resizeBilinear(y, [16, 16], true));
      },
    ),
    piece(
      "resizeNearestNeighbor x2",
      () => [variable([1, 1, 4, 4])],
      (x, v) => tf.image.resizeNearestNeighbor(tf.conv2d(x, w(v, 0), 1, "same"), [16, 16]),
    ),
    piece(
      "avgPool 2x2 + maxPool 3x3 s2 same",
      () => [variable([1, 1, 4, 4])],
      (x, v) => {
        const y = tf.conv2d(x, w(v, 0), 1, "same");
        return tf.add(tf.avgPool(y, 2, 2, "valid"), tf.maxPool(y, 3, 2, "same"));
      },
    ),
    piece(
      "concat skip connection + mirrorPad",
      () => [variable([3, 3, 8, 4])],
      (x, v) => {
        const padded = tf.mirrorPad(
          tf.concat([x, tf.relu(x)], 3),
          [
            [0, 0],
            [1, 1],
            [1, 1],
            [0, 0],
          ],
          "reflect",
        );
        return tf.conv2d(padded as Tensor4D, w(v, 0), 1, "valid");
      },
    ),
    piece(
      "relu, relu6, leakyRelu, prelu, elu, sigmoid, swish",
      () => [variable([1, 1, 4, 4]), variable([4])],
      (x, v) => {
        const y = tf.conv2d(x, w(v, 0), 1, "same");
        return tf.addN([
          tf.relu(y),
          tf.relu6(y),
          tf.leakyRelu(y, 0.2),
          tf.prelu(y, v[1] as Tensor),
          tf.elu(y),
          tf.sigmoid(y),
          tf.mul(y, tf.sigmoid(y)),
        ]);
      },
    ),
    piece(
      "gelu (tanh and erf forms)",
      () => [variable([1, 1, 4, 4])],
      (x, v) => {
        const y = tf.conv2d(x, w(v, 0), 1, "same");
        const tanhForm = tf.mul(
          tf.mul(0.5, y),
          tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(y, tf.mul(0.044715, tf.pow(y, 3)))))),
        );
        const erfForm = tf.mul(tf.mul(0.5, y), tf.add(1, tf.erf(tf.div(y, Math.SQRT2))));
        return tf.add(tanhForm, erfForm);
      },
    ),
    piece(
      "layer norm (moments over channels) + batchNorm",
      () => [variable([4], 1), variable([4])],
      (x, v) => {
        const { mean, variance } = tf.moments(tf.mul(x, first(v)), [3], true);
        const normalized = tf.div(tf.sub(tf.mul(x, first(v)), mean), tf.sqrt(tf.add(variance, 1e-5)));
        const bn = tf.moments(normalized, [0, 1, 2]);
        return tf.batchNorm(normalized, bn.mean, bn.variance, v[1] as Tensor, first(v), 1e-3);
      },
    ),
    piece(
      "dense (matMul + bias) + softmax",
      () => [variable([4, 6]), variable([6])],
      (x, v) => {
        const flat = tf.reshape(x, [-1, 4]);
        return tf.softmax(tf.add(tf.matMul(flat, first(v)), v[1] as Tensor));
      },
    ),
    piece(
      "channel attention (global avg pool, dense, broadcast mul/add)",
      () => [variable([4, 4]), variable([1, 1, 1, 4])],
      (x, v) => {
        const pooled = tf.mean(x, [1, 2]);
        const gate = tf.sigmoid(tf.matMul(pooled, first(v)));
        return tf.add(tf.mul(x, tf.reshape(gate, [-1, 1, 1, 4])), v[1] as Tensor);
      },
    ),
    {
      name: "L1 + Charbonnier + MSE losses",
      expectedToTrain: true,
      build: () => {
        const target = input([2, 8, 8, 3]);
        const prediction = variable([2, 8, 8, 3]);
        return {
          loss: () =>
            tf.tidy(() => {
              const diff = tf.sub(prediction, target);
              return tf.addN([
                tf.mean(tf.abs(diff)),
                tf.mean(tf.sqrt(tf.add(tf.square(diff), 1e-6))),
                tf.mean(tf.square(diff)),
              ]) as Scalar;
            }),
          dispose: () => tf.dispose([target, prediction]),
        };
      },
    },
    {
      name: "per-task means (oneHot [B,K] x per-sample losses)",
      expectedToTrain: true,
      build: () => {
        const taskOfSample = tf.tensor1d([0, 2, 1, 2, 0, 2], "int32");
        const perSample = variable([6]);
        return {
          loss: () =>
            tf.tidy(() => {
              const oneHot = tf.cast(tf.oneHot(taskOfSample, 3), "float32"); // [B,K]
              const sums = tf.matMul(tf.reshape(tf.abs(perSample), [1, 6]), oneHot); // [1,K]
              const counts = tf.maximum(tf.sum(oneHot, 0), 1);
              return tf.sum(tf.mul(tf.div(sums, counts), tf.tensor1d([1, 2, 3]))) as Scalar;
            }),
          dispose: () => tf.dispose([taskOfSample, perSample]),
        };
      },
    },
    {
      name: "gather (task-indexed weights / embeddings)",
      expectedToTrain: true,
      build: () => {
        const table = variable([5, 4]);
        const indices = tf.tensor1d([4, 1, 1, 0], "int32");
        return {
          loss: () => tf.tidy(() => tf.sum(tf.square(tf.gather(table, indices))) as Scalar),
          dispose: () => tf.dispose([table, indices]),
        };
      },
    },
    piece(
      "FFT amplitude loss (rfft)",
      () => [variable([1, 1, 4, 1])],
      (x, v) => {
        const y = tf.reshape(tf.conv2d(x, w(v, 0), 1, "same"), [-1, 8]);
        return tf.abs(tf.spectral.rfft(y));
      },
      { expectedToTrain: false },
    ),
  ];
}

/** Audits every piece with `audit` (normally `auditKernels` bound to `tf`), disposing each piece's variables afterwards. */
export async function auditPieces<T>(
  pieces: readonly AuditPiece[],
  audit: (loss: () => Scalar) => Promise<T>,
): Promise<Array<{ name: string; expectedToTrain: boolean; audit: T }>> {
  const rows: Array<{ name: string; expectedToTrain: boolean; audit: T }> = [];
  for (const p of pieces) {
    const { loss, dispose } = p.build();
    try {
      rows.push({ name: p.name, expectedToTrain: p.expectedToTrain, audit: await audit(loss) });
    } finally {
      dispose();
    }
  }
  return rows;
}
