/**
 * Training on wasm end to end: a small conv net with Adam, and a tfjs-layers model with Conv2D
 * layers trained through optimizer.minimize. Loss must fall and tensor counts stay flat.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tfl from "@tensorflow/tfjs-layers";

import { tf, useWasm } from "./helpers.js";

before(useWasm);

describe("training on wasm", () => {
  it("a 3-conv net (with a stride-2 conv, depthToSpace upsampling and a depthwise conv) learns to denoise, without leaks", async () => {
    assert.equal(tf.getBackend(), "wasm");
    const clean = tf.randomUniform([2, 16, 16, 3], 0, 1, "float32", 1);
    const noisy = tf.add(clean, tf.randomNormal([2, 16, 16, 3], 0, 0.1, "float32", 2));
    const init = (shape: number[], seed: number): tf.Variable =>
      tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 0.1, "float32", seed)));
    const weights = {
      down: init([3, 3, 3, 16], 3),
      depthwise: init([3, 3, 16, 1], 4),
      up: init([3, 3, 16, 12], 5),
      mix: init([1, 1, 3, 3], 6),
    };
    const optimizer = tf.train.adam(1e-2);
    const step = async (): Promise<number> => {
      const loss = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const down = tf.relu(tf.conv2d(noisy as tf.Tensor4D, weights.down as tf.Tensor4D, 2, "same"));
            const mixed = tf.leakyRelu(tf.depthwiseConv2d(down, weights.depthwise as tf.Tensor4D, 1, "same"), 0.1);
            const up = tf.depthToSpace(tf.conv2d(mixed, weights.up as tf.Tensor4D, 1, "same"), 2);
            const restored = tf.add(noisy, tf.conv2d(up, weights.mix as tf.Tensor4D, 1, "same"));
            return tf.mean(tf.abs(tf.sub(restored, clean))) as tf.Scalar;
          }),
        true,
      );
      assert.ok(loss);
      const value = (await loss.data())[0] as number;
      loss.dispose();
      return value;
    };
    const first = await step();
    await step(); // Adam allocates its moment slots on the first step
    const tensorsAfterWarmup = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 25; i++) last = await step();
    assert.equal(tf.memory().numTensors, tensorsAfterWarmup, "no tensor leak across steps");
    assert.ok(last < first * 0.8, `loss should fall: ${first} -> ${last}`);
    optimizer.dispose();
    tf.dispose([clean, noisy, ...Object.values(weights)]);
  });

  it("a tfjs-layers model with Conv2D layers trains through optimizer.minimize, without leaks", async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [12, 12, 3],
          filters: 8,
          kernelSize: 3,
          padding: "same",
          activation: "relu",
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        }),
        tfl.layers.conv2d({
          filters: 8,
          kernelSize: [1, 3],
          strides: 2,
          padding: "same",
          activation: "relu",
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
        }),
        tfl.layers.upSampling2d({ size: [2, 2], interpolation: "bilinear" }),
        tfl.layers.conv2d({
          filters: 3,
          kernelSize: 3,
          padding: "same",
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
        }),
      ],
    });
    const x = tf.randomUniform([4, 12, 12, 3], 0, 1, "float32", 7);
    const target = tf.tidy(() => tf.sub(1, x));
    const optimizer = tf.train.adam(1e-2);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const step = async (): Promise<number> => {
      const loss = optimizer.minimize(
        () =>
          tf.tidy(() => tf.mean(tf.abs(tf.sub(model.apply(x, { training: true }) as tf.Tensor, target))) as tf.Scalar),
        true,
        variables,
      );
      assert.ok(loss);
      const value = (await loss.data())[0] as number;
      loss.dispose();
      return value;
    };
    const first = await step();
    await step();
    const tensorsAfterWarmup = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 20; i++) last = await step();
    assert.equal(tf.memory().numTensors, tensorsAfterWarmup, "no tensor leak across steps");
    assert.ok(last < first * 0.8, `loss should fall: ${first} -> ${last}`);
    optimizer.dispose();
    model.dispose();
    tf.dispose([x, target]);
  });
});
