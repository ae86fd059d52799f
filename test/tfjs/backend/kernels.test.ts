/**
 * Every kernel that registerWasmTrainingKernels adds, run by name on wasm and compared with the
 * reference implementation of the cpu backend on seeded random inputs and shapes.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import type { Rng } from "../../../src/core/random.js";
import { assertAllClose, randomInput, rngFor, runKernelOn, tf, useWasm, type KernelInput } from "./helpers.js";

type Pair = [number, number];
type Pad = "same" | "valid" | number;

const pairOf = (v: number | Pair): Pair => (typeof v === "number" ? [v, v] : v);

/** Picks an input extent so even "valid" padding leaves at least one output. */
const extent = (rng: Rng, kernel: number, dilation: number): number => (kernel - 1) * dilation + 1 + rng.int(7);

async function compareOnBackends(
  kernelName: string,
  inputs: Record<string, KernelInput>,
  attrs: Record<string, unknown>,
  label: string,
): Promise<void> {
  const expected = await runKernelOn("cpu", kernelName, inputs, attrs);
  const actual = await runKernelOn("wasm", kernelName, inputs, attrs);
  assert.deepEqual(actual.shape, expected.shape, `${label}: shape`);
  assertAllClose(actual.values, expected.values, { rtol: 1e-4, atol: 1e-4, label });
}

before(useWasm);

describe("Conv2DBackpropFilter on wasm matches cpu", () => {
  const rng = rngFor(101);
  const cases: Array<{ batch: number; kernel: Pair; strides: number | Pair; pad: Pad }> = [];
  for (const batch of [1, 3]) {
    for (const strides of [1, 2, [1, 2] as Pair]) {
      for (const pad of ["same", "valid"] as const) {
        for (const kernel of [
          [3, 3],
          [1, 1],
          [2, 5],
        ] as Pair[])
          cases.push({ batch, kernel, strides, pad });
      }
    }
  }
  cases.push({ batch: 2, kernel: [3, 3], strides: 2, pad: 1 }, { batch: 2, kernel: [4, 2], strides: [2, 1], pad: 2 });
  for (const { batch, kernel, strides, pad } of cases) {
    const label = `batch ${batch}, kernel ${kernel.join("x")}, strides ${String(strides)}, pad ${String(pad)}`;
    it(label, async () => {
      const [kh, kw] = kernel;
      const inH = extent(rng, kh, 1);
      const inW = extent(rng, kw, 1);
      const inC = 1 + rng.int(4);
      const outC = 1 + rng.int(4);
      const filterShape: [number, number, number, number] = [kh, kw, inC, outC];
      const info = tf.backend_util.computeConv2DInfo(
        [batch, inH, inW, inC],
        filterShape,
        pairOf(strides),
        1,
        pad,
        "floor",
      );
      const attrs = { strides: pairOf(strides), pad, dataFormat: "NHWC", dimRoundingMode: "floor", filterShape };
      const inputs = {
        x: randomInput(rng, [batch, inH, inW, inC]),
        dy: randomInput(rng, [batch, info.outHeight, info.outWidth, outC]),
      };
      await compareOnBackends("Conv2DBackpropFilter", inputs, attrs, label);
    });
  }
  it("explicit padding and NCHW layout", async () => {
    const filterShape: [number, number, number, number] = [3, 2, 2, 3];
    const explicit = [
      [0, 0],
      [1, 0],
      [2, 1],
      [0, 0],
    ];
    const info = tf.backend_util.computeConv2DInfo([2, 7, 6, 2], filterShape, [2, 2], 1, explicit as never);
    await compareOnBackends(
      "Conv2DBackpropFilter",
      {
        x: randomInput(rng, [2, 7, 6, 2]),
        dy: randomInput(rng, [2, info.outHeight, info.outWidth, 3]),
      },
      { strides: [2, 2], pad: explicit, dataFormat: "NHWC", filterShape },
      "explicit padding",
    );
    // NCHW: the cpu kernel works on channels-first data directly; ours transposes.
    const infoNchw = tf.backend_util.computeConv2DInfo(
      [2, 2, 7, 6],
      filterShape,
      [1, 1],
      1,
      "same",
      undefined,
      false,
      "channelsFirst",
    );
    await compareOnBackends(
      "Conv2DBackpropFilter",
      {
        x: randomInput(rng, [2, 2, 7, 6]),
        dy: randomInput(rng, [2, 3, infoNchw.outHeight, infoNchw.outWidth]),
      },
      { strides: [1, 1], pad: "same", dataFormat: "NCHW", filterShape },
      "NCHW",
    );
  });
});

/** Checks the depthwise backprop kernels on wasm against the dilated forward conv via the adjoint identity. */
async function assertAdjoint(
  rng: Rng,
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  dyInput: KernelInput,
  attrs: { strides: Pair; dilations: Pair; pad: Pad },
  label: string,
): Promise<void> {
  const x = randomInput(rng, inputShape);
  const w = randomInput(rng, filterShape);
  const [forwardDot, inputDot, filterDot] = tf.tidy(() => {
    const xt = tf.tensor4d(x.values, inputShape);
    const wt = tf.tensor4d(w.values, filterShape);
    const dy = tf.tensor4d(dyInput.values, dyInput.shape as [number, number, number, number]);
    const y = tf.depthwiseConv2d(xt, wt, attrs.strides, attrs.pad, "NHWC", attrs.dilations);
    const dx = tf
      .engine()
      .runKernel("DepthwiseConv2dNativeBackpropInput", { dy, filter: wt }, { ...attrs, inputShape }) as tf.Tensor;
    const dw = tf
      .engine()
      .runKernel("DepthwiseConv2dNativeBackpropFilter", { x: xt, dy }, { ...attrs, filterShape }) as tf.Tensor;
    return [tf.sum(tf.mul(dy, y)), tf.sum(tf.mul(xt, dx)), tf.sum(tf.mul(wt, dw))];
  });
  const [f, i, w2] = [await forwardDot.data(), await inputDot.data(), await filterDot.data()].map(
    (d) => d[0] as number,
  );
  tf.dispose([forwardDot, inputDot, filterDot]);
  assertAllClose([i as number, w2 as number], [f as number, f as number], {
    rtol: 1e-4,
    atol: 1e-3,
    label: `adjoint, ${label}`,
  });
}

describe("depthwise conv gradients on wasm match cpu", () => {
  const rng = rngFor(202);
  const strideDilations: Array<[number | Pair, number | Pair]> = [
    [1, 1],
    [2, 1],
    [1, 2],
    [[1, 2], 1],
    [1, [2, 1]],
  ];
  for (const [strides, dilations] of strideDilations) {
    for (const pad of ["same", "valid"] as const) {
      for (const [batch, multiplier, kernel] of [
        [1, 1, [3, 3]],
        [2, 2, [2, 3]],
      ] as Array<[number, number, Pair]>) {
        const label = `strides ${String(strides)}, dilations ${String(dilations)}, pad ${pad}, batch ${batch}, multiplier ${multiplier}, kernel ${kernel.join("x")}`;
        it(label, async () => {
          const [kh, kw] = kernel;
          const [dh, dw] = pairOf(dilations);
          const inH = extent(rng, kh, dh);
          const inW = extent(rng, kw, dw);
          const channels = 1 + rng.int(3);
          const filterShape: [number, number, number, number] = [kh, kw, channels, multiplier];
          const inputShape: [number, number, number, number] = [batch, inH, inW, channels];
          const info = tf.backend_util.computeConv2DInfo(
            inputShape,
            filterShape,
            pairOf(strides),
            pairOf(dilations),
            pad,
            undefined,
            true,
          );
          const dy = randomInput(rng, [batch, info.outHeight, info.outWidth, channels * multiplier]);
          const common = { strides: pairOf(strides), dilations: pairOf(dilations), pad };
          if (dh === 1 && dw === 1) {
            await compareOnBackends(
              "DepthwiseConv2dNativeBackpropInput",
              { dy, filter: randomInput(rng, filterShape) },
              { ...common, inputShape },
              `input grad, ${label}`,
            );
            await compareOnBackends(
              "DepthwiseConv2dNativeBackpropFilter",
              { x: randomInput(rng, inputShape), dy },
              { ...common, filterShape },
              `filter grad, ${label}`,
            );
          } else {
            // The cpu backprop kernels ignore dilation (tfjs' depthwise gradient refuses it anyway),
            // so dilated cases are checked against the forward conv instead: both kernels must be
            // its adjoints, <dy, conv(x, w)> = <x, dX(dy, w)> = <w, dW(x, dy)>.
            await assertAdjoint(rng, inputShape, filterShape, dy, common, label);
          }
        });
      }
    }
  }
});

describe("UnsortedSegmentSum on wasm matches cpu", () => {
  const rng = rngFor(303);
  const ids = (values: number[]): KernelInput => ({
    shape: [values.length],
    values: Int32Array.from(values),
    dtype: "int32",
  });
  it("1-D ids with repeats and out-of-range ids (dropped)", async () => {
    await compareOnBackends(
      "UnsortedSegmentSum",
      { x: randomInput(rng, [7, 3]), segmentIds: ids([0, 2, 2, -1, 3, 4, 0]) },
      { numSegments: 4 },
      "1-D ids",
    );
  });
  it("3-D data, segments over the first axis", async () => {
    await compareOnBackends(
      "UnsortedSegmentSum",
      { x: randomInput(rng, [5, 3, 4]), segmentIds: ids([1, 0, 1, 2, 2]) },
      { numSegments: 3 },
      "3-D data",
    );
  });
  it("int32 data", async () => {
    await compareOnBackends(
      "UnsortedSegmentSum",
      {
        x: { shape: [5, 2], values: Int32Array.from([1, -2, 3, 4, 5, 6, -7, 8, 9, 10]), dtype: "int32" },
        segmentIds: ids([1, 1, 0, 1, 0]),
      },
      { numSegments: 2 },
      "int32",
    );
  });
});

describe("MaxPoolGrad on wasm (replaced: the shipped kernel is wrong) matches cpu", () => {
  const rng = rngFor(404);
  const cases: Array<{ batch: number; filter: Pair; strides: Pair; pad: "same" | "valid"; ties: boolean }> = [];
  for (const batch of [1, 2]) {
    for (const [filter, strides] of [
      [
        [2, 2],
        [2, 2],
      ],
      [
        [3, 3],
        [2, 2],
      ],
      [
        [3, 3],
        [1, 1],
      ],
      [
        [2, 3],
        [1, 2],
      ],
    ] as Array<[Pair, Pair]>) {
      for (const pad of ["same", "valid"] as const) cases.push({ batch, filter, strides, pad, ties: batch === 2 });
    }
  }
  for (const { batch, filter, strides, pad, ties } of cases) {
    const label = `batch ${batch}, filter ${filter.join("x")}, strides ${strides.join(",")}, pad ${pad}${ties ? ", with ties" : ""}`;
    it(label, async () => {
      const inH = filter[0] + rng.int(6);
      const inW = filter[1] + rng.int(6);
      const channels = 1 + rng.int(3);
      const input = randomInput(rng, [batch, inH, inW, channels]);
      // ReLU-like inputs (many exact zeros) exercise the tie rule: the first maximum in row-major order wins.
      if (ties)
        input.values.forEach((v, i) => {
          input.values[i] = Math.max(0, Math.round(v * 2) / 2);
        });
      const pooled = await runKernelOn("cpu", "MaxPool", { x: input }, { filterSize: filter, strides, pad });
      const output: KernelInput = { shape: pooled.shape, values: Float32Array.from(pooled.values) };
      const dy = randomInput(rng, pooled.shape);
      await compareOnBackends("MaxPoolGrad", { dy, input, output }, { filterSize: filter, strides, pad }, label);
    });
  }
});

describe("Conv2DBackpropInput on wasm (replaced: the shipped kernel is slow) matches cpu", () => {
  const rng = rngFor(505);
  const cases: Array<{ batch: number; kernel: Pair; strides: number | Pair; pad: Pad }> = [];
  for (const batch of [1, 3]) {
    for (const strides of [1, 2, [2, 1] as Pair]) {
      for (const pad of ["same", "valid"] as const) {
        for (const kernel of [
          [3, 3],
          [4, 4],
          [1, 3],
        ] as Pair[])
          cases.push({ batch, kernel, strides, pad });
      }
    }
  }
  cases.push({ batch: 2, kernel: [3, 3], strides: 2, pad: 1 });
  for (const { batch, kernel, strides, pad } of cases) {
    const label = `batch ${batch}, kernel ${kernel.join("x")}, strides ${String(strides)}, pad ${String(pad)}`;
    it(label, async () => {
      const [kh, kw] = kernel;
      const inputShape: [number, number, number, number] = [
        batch,
        extent(rng, kh, 1),
        extent(rng, kw, 1),
        1 + rng.int(4),
      ];
      const filterShape: [number, number, number, number] = [kh, kw, inputShape[3], 1 + rng.int(4)];
      const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, pairOf(strides), 1, pad, "floor");
      await compareOnBackends(
        "Conv2DBackpropInput",
        {
          dy: randomInput(rng, [batch, info.outHeight, info.outWidth, filterShape[3]]),
          filter: randomInput(rng, filterShape),
        },
        { strides: pairOf(strides), pad, dataFormat: "NHWC", dimRoundingMode: "floor", inputShape },
        label,
      );
    });
  }
  it("NCHW layout", async () => {
    const inputShape: [number, number, number, number] = [2, 3, 7, 6];
    const filterShape: [number, number, number, number] = [3, 2, 3, 4];
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filterShape,
      [2, 2],
      1,
      "same",
      undefined,
      false,
      "channelsFirst",
    );
    await compareOnBackends(
      "Conv2DBackpropInput",
      {
        dy: randomInput(rng, [2, 4, info.outHeight, info.outWidth]),
        filter: randomInput(rng, filterShape),
      },
      { strides: [2, 2], pad: "same", dataFormat: "NCHW", inputShape },
      "NCHW",
    );
  });
});
