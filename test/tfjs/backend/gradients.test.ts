/**
 * The DepthToSpace gradient and the trainable dilated conv, checked against independent references.
 */
import { before, describe, it } from "node:test";

import { dilateFilter, spaceToDepth, trainableDilatedConv2d } from "../../../src/tfjs/backend/index.js";
import { assertAllClose, tf, useWasm } from "./helpers.js";

before(useWasm);

/** depthToSpace written with reshape/transpose only, whose gradient tfjs-core already knows. */
function depthToSpaceByReshape(x: tf.Tensor4D, block: number, dataFormat: "NHWC" | "NCHW"): tf.Tensor {
  if (dataFormat === "NHWC") {
    const [n, h, w, c] = x.shape;
    const out = c / (block * block);
    return tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, block, block, out]), [0, 1, 3, 2, 4, 5]), [
      n,
      h * block,
      w * block,
      out,
    ]);
  }
  const [n, c, h, w] = x.shape;
  const out = c / (block * block);
  return tf.reshape(tf.transpose(tf.reshape(x, [n, block, block, out, h, w]), [0, 3, 4, 1, 5, 2]), [
    n,
    out,
    h * block,
    w * block,
  ]);
}

describe("DepthToSpace gradient", () => {
  it("NCHW (no backend runs depthToSpace on NCHW): spaceToDepth inverts the NCHW layout", async () => {
    const x = tf.randomUniform([2, 8, 3, 4], -1, 1, "float32", 9) as tf.Tensor4D;
    const up = depthToSpaceByReshape(x, 2, "NCHW");
    const back = spaceToDepth(tf, up, 2, "NCHW");
    assertAllClose(await back.data(), await x.data(), { label: "NCHW round trip" });
    tf.dispose([x, up, back]);
  });
  for (const [backend, dataFormat] of [
    ["wasm", "NHWC"],
    ["cpu", "NHWC"],
  ] as const) {
    for (const block of [2, 3]) {
      it(`${backend}, ${dataFormat}, block ${block}: equals the gradient of a reshape/transpose formulation`, async () => {
        await tf.setBackend(backend);
        try {
          const channels = 2 * block * block;
          const shape: [number, number, number, number] =
            dataFormat === "NHWC" ? [2, 3, 4, channels] : [2, channels, 3, 4];
          const x = tf.randomUniform(shape, -1, 1, "float32", 1) as tf.Tensor4D;
          const forward = tf.depthToSpace(x, block, dataFormat);
          const reference = depthToSpaceByReshape(x, block, dataFormat);
          assertAllClose(await forward.data(), await reference.data(), { label: "forward" });
          const weights = tf.randomUniform(forward.shape, -1, 1, "float32", 2);
          const grad = tf.grad((t: tf.Tensor) =>
            tf.sum(tf.mul(tf.depthToSpace(t as tf.Tensor4D, block, dataFormat), weights)),
          )(x);
          const referenceGrad = tf.grad((t: tf.Tensor) =>
            tf.sum(tf.mul(depthToSpaceByReshape(t as tf.Tensor4D, block, dataFormat), weights)),
          )(x);
          assertAllClose(await grad.data(), await referenceGrad.data(), { label: "gradient" });
          const roundTrip = spaceToDepth(tf, forward, block, dataFormat);
          assertAllClose(await roundTrip.data(), await x.data(), { label: "spaceToDepth inverts depthToSpace" });
          tf.dispose([x, forward, reference, weights, grad, referenceGrad, roundTrip]);
        } finally {
          await tf.setBackend("wasm");
        }
      });
    }
  }
});

describe("trainableDilatedConv2d", () => {
  const cases = [
    { strides: 1, pad: "same", dilations: 2, kernel: [3, 3] },
    { strides: 1, pad: "valid", dilations: [2, 3], kernel: [3, 2] },
    { strides: 1, pad: "same", dilations: [3, 1], kernel: [2, 3] },
  ] as const;
  for (const { strides, pad, dilations, kernel } of cases) {
    it(`strides ${strides}, pad ${pad}, dilations ${String(dilations)}, kernel ${kernel.join("x")}: forward equals tf.conv2d, filter gradient exact`, async () => {
      const [kh, kw] = kernel;
      const x = tf.randomUniform([2, 11, 10, 3], -1, 1, "float32", 3) as tf.Tensor4D;
      const filter = tf.randomUniform([kh, kw, 3, 2], -1, 1, "float32", 4) as tf.Tensor4D;
      const dil = dilations as number | [number, number];
      const expected = tf.conv2d(x, filter, strides, pad, "NHWC", dil);
      const actual = trainableDilatedConv2d(tf, x, filter, strides, pad, dil);
      assertAllClose(await actual.data(), await expected.data(), { label: "forward" });
      // The loss is linear in the filter, so its gradient entry k is the loss at the k-th basis filter.
      const weights = tf.randomUniform(expected.shape, -1, 1, "float32", 5);
      const grad = tf.grad((f: tf.Tensor) =>
        tf.sum(tf.mul(trainableDilatedConv2d(tf, x, f as tf.Tensor4D, strides, pad, dil), weights)),
      )(filter);
      const size = filter.size;
      const basisLoss: number[] = [];
      for (let k = 0; k < size; k++) {
        const loss = tf.tidy(() => {
          const basis = tf.reshape(tf.oneHot(tf.tensor1d([k], "int32"), size), filter.shape) as tf.Tensor4D;
          return tf.sum(tf.mul(tf.conv2d(x, tf.cast(basis, "float32"), strides, pad, "NHWC", dil), weights));
        });
        basisLoss.push((await loss.data())[0] as number);
        loss.dispose();
      }
      assertAllClose(await grad.data(), basisLoss, { rtol: 1e-4, atol: 1e-4, label: "filter gradient" });
      const spread = dilateFilter(tf, filter, ...(typeof dil === "number" ? ([dil, dil] as const) : dil));
      tf.dispose([x, filter, expected, actual, weights, grad, spread]);
    });
  }
});
