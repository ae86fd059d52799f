/**
 * The tfjs adapter tests' shared fixtures: the tiny conv net over plain variables, the same net in
 * tfjs-layers, seeded batches, and a loop over fixed batches. Everything takes its `tf` (the cpu
 * tests pass tfjs-core; test/tfjs/webgpu/scenarios.ts passes the backend's), so this module is
 * browser-safe: no Node built-in and no runtime tfjs import.
 */
import type * as tfCore from "@tensorflow/tfjs-core";
import type * as tfLayers from "@tensorflow/tfjs-layers";

import type { FunctionModel, Trainer } from "../../src/tfjs/index.js";

type Tf = typeof tfCore;

/** How `tinyModel` makes and lists its variables. */
export interface TinyModelOptions {
  /**
   * The order of the variables, which is also the order they are made in: "w1-b1-w2" (the
   * checkpoint tests), or "w1-w2-b1" (the trainer tests and the backend scenarios). The
   * variables list is the trainer's, and so the checkpoint's, order.
   */
  readonly order?: "w1-b1-w2" | "w1-w2-b1";
  /** Dispose each initial tensor once its variable holds it (`tf.variable` keeps its own reference). */
  readonly disposeInitial?: boolean;
}

/**
 * A tiny conv net over plain variables: 3 → 4 → 3 channels, with a global residual. The kernels are
 * drawn from N(0, 0.2) with seeds `seed` (3 → 4) and `seed + 1` (4 → 3); the bias starts at 0.
 */
export const tinyModel = (
  tf: Tf,
  seed = 1,
  { order = "w1-b1-w2", disposeInitial = false }: TinyModelOptions = {},
): FunctionModel => {
  const variable = (initial: tfCore.Tensor): tfCore.Variable => {
    const v = tf.variable(initial);
    if (disposeInitial) initial.dispose();
    return v;
  };
  const makeW1 = () => variable(tf.randomNormal([3, 3, 3, 4], 0, 0.2, "float32", seed));
  const makeW2 = () => variable(tf.randomNormal([3, 3, 4, 3], 0, 0.2, "float32", seed + 1));
  const makeB1 = () => variable(tf.zeros([4]));
  let w1: tfCore.Variable, w2: tfCore.Variable, b1: tfCore.Variable;
  if (order === "w1-b1-w2") {
    w1 = makeW1();
    b1 = makeB1();
    w2 = makeW2();
  } else {
    w1 = makeW1();
    w2 = makeW2();
    b1 = makeB1();
  }
  return {
    apply: (x) =>
      tf.add(
        x,
        tf.conv2d(
          tf.relu(tf.add(tf.conv2d(x as tfCore.Tensor4D, w1 as tfCore.Tensor4D, 1, "same"), b1)) as tfCore.Tensor4D,
          w2 as tfCore.Tensor4D,
          1,
          "same",
        ),
      ),
    variables: order === "w1-b1-w2" ? [w1, b1, w2] : [w1, w2, b1],
  };
};

/** The same shape of net in tfjs-layers (8x8 inputs, 3 → 4 → 3 channels, seeded Glorot kernels, no residual). */
export const tinyLayersModel = (tfl: typeof tfLayers): tfLayers.LayersModel =>
  tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [8, 8, 3],
        filters: 4,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        kernelInitializer: tfl.initializers.glorotNormal({ seed: 3 }),
      }),
      tfl.layers.conv2d({
        filters: 3,
        kernelSize: 3,
        padding: "same",
        kernelInitializer: tfl.initializers.glorotNormal({ seed: 4 }),
      }),
    ],
  });

/** A batch of `size` 8x8 (or `side` x `side`) RGB inputs and targets, uniform in [0, 1), from two seeds. */
export const randomBatch = (
  tf: Tf,
  inputSeed: number,
  targetSeed: number,
  size = 6,
  side = 8,
): { inputs: tfCore.Tensor; targets: tfCore.Tensor } => ({
  inputs: tf.randomUniform([size, side, side, 3], 0, 1, "float32", inputSeed),
  targets: tf.randomUniform([size, side, side, 3], 0, 1, "float32", targetSeed),
});

/** A batch with the task of each sample. */
export interface TaskBatch {
  readonly inputs: tfCore.Tensor;
  readonly targets: tfCore.Tensor;
  readonly taskIds: number[];
}

/**
 * `count` fixed 3-task batches of 6 samples: batch i from seeds `inputSeed + i` and
 * `targetSeed + i`, its tasks [0, 0, 1, 1, 2, 2] for even i and [0, 1, 0, 1, 0, 0] for odd i.
 */
export const fixedBatches = (tf: Tf, count: number, inputSeed: number, targetSeed: number): TaskBatch[] =>
  Array.from({ length: count }, (_, i) => ({
    ...randomBatch(tf, inputSeed + i, targetSeed + i),
    taskIds: i % 2 === 0 ? [0, 0, 1, 1, 2, 2] : [0, 1, 0, 1, 0, 0],
  }));

/** Steps `trainer` through batches `from`..`to - 1`. */
export const runSteps = async <S>(
  trainer: Trainer<S>,
  batches: ReadonlyArray<TaskBatch>,
  from: number,
  to: number,
): Promise<void> => {
  for (let i = from; i < to; i++) {
    const b = batches[i]!;
    await trainer.step(b.inputs, b.targets, b.taskIds);
  }
};
