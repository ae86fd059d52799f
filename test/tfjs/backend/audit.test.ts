/**
 * auditKernels finds missing kernels and gradients; after registerWasmTrainingKernels every
 * restoration piece trains on wasm, without leaks, with the same gradients as on cpu.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import {
  auditKernels,
  auditPieces,
  registerWasmTrainingKernels,
  restorationAuditPieces,
  unsortedSegmentSumKernel,
  type AuditPiece,
} from "../../../src/tfjs/backend/index.js";
import { assertAllClose, tf, useWasm } from "./helpers.js";

before(useWasm);

const pieceNamed = (prefix: string): AuditPiece => {
  const found = restorationAuditPieces(tf).find((p) => p.name.startsWith(prefix));
  assert.ok(found, `no audit piece '${prefix}'`);
  return found;
};

describe("auditKernels", () => {
  it("reports a deliberately unregistered kernel as missing (without running it, so without leaks)", async () => {
    tf.unregisterKernel("UnsortedSegmentSum", "wasm");
    try {
      const [row] = await auditPieces([pieceNamed("gather")], (loss) => auditKernels(tf, loss));
      assert.ok(row);
      assert.equal(row.audit.backend, "wasm");
      assert.equal(row.audit.ok, false);
      assert.deepEqual(row.audit.missingKernels, ["UnsortedSegmentSum"]);
      assert.ok(row.audit.usedKernels.includes("GatherV2"));
      assert.equal(row.audit.leakedTensors, 0);
      assert.equal(tf.getBackend(), "wasm", "the audited backend is active again");
    } finally {
      tf.registerKernel(unsortedSegmentSumKernel(tf, "wasm"));
    }
    const [again] = await auditPieces([pieceNamed("gather")], (loss) => auditKernels(tf, loss));
    assert.equal(again?.audit.ok, true);
  });

  it("catches the missing-kernel error itself when no reference backend is used", async () => {
    tf.unregisterKernel("UnsortedSegmentSum", "wasm");
    try {
      const [row] = await auditPieces([pieceNamed("gather")], (loss) =>
        auditKernels(tf, loss, { referenceBackend: null }),
      );
      assert.deepEqual(row?.audit.missingKernels, ["UnsortedSegmentSum"]);
      assert.match(row?.audit.error ?? "", /not registered for backend 'wasm'/);
    } finally {
      registerWasmTrainingKernels(tf);
    }
  });

  it("reports a missing gradient, and registration restores it (idempotently)", async () => {
    tf.unregisterGradient("DepthToSpace");
    const [row] = await auditPieces([pieceNamed("depthToSpace")], (loss) => auditKernels(tf, loss));
    assert.deepEqual(row?.audit.missingGradients, ["DepthToSpace"]);
    const first = registerWasmTrainingKernels(tf);
    assert.deepEqual(first.addedGradients, ["DepthToSpace"]);
    assert.deepEqual(first.addedKernels, [], "kernels were already registered");
    const second = registerWasmTrainingKernels(tf);
    assert.deepEqual(second.addedGradients, []);
    assert.equal(second.keptKernels.length, 4);
    assert.deepEqual(second.replacedKernels, [], "shipped kernels are replaced only once");
  });
});

describe("restoration pieces on wasm", () => {
  it("every piece expected to train does, and the others fail for the documented reason", async () => {
    const rows = await auditPieces(restorationAuditPieces(tf), (loss) => auditKernels(tf, loss));
    for (const row of rows) {
      assert.equal(row.audit.ok, row.expectedToTrain, `${row.name}: ${row.audit.error ?? "ok"}`);
      if (row.expectedToTrain) {
        assert.equal(row.audit.leakedTensors, 0, `${row.name} leaked`);
        assert.deepEqual(row.audit.missingKernels, [], row.name);
      }
    }
    const fft = rows.find((r) => r.name.startsWith("FFT"));
    assert.ok(fft?.audit.missingKernels.includes("FFT"), "FFT is reported missing on wasm");
  });

  it("gradients of every trainable piece match the cpu backend", async () => {
    // tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad is wrong for batch > 1 (it offsets dy by
    // the image's batch stride); that piece is checked against a plain-JS adjoint below instead.
    const comparable = restorationAuditPieces(tf).filter(
      (p) => p.expectedToTrain && !p.name.startsWith("resizeNearestNeighbor"),
    );
    for (const piece of comparable) {
      const { loss, dispose } = piece.build();
      try {
        const gradsOn = async (backend: string): Promise<Map<string, Float32Array>> => {
          await tf.setBackend(backend);
          const { value, grads } = tf.variableGrads(loss);
          const out = new Map<string, Float32Array>();
          for (const [name, g] of Object.entries(grads)) out.set(name, (await g.data()) as Float32Array);
          tf.dispose([value, ...Object.values(grads)]);
          return out;
        };
        const onCpu = await gradsOn("cpu");
        const onWasm = await gradsOn("wasm");
        assert.deepEqual([...onWasm.keys()].sort(), [...onCpu.keys()].sort(), piece.name);
        for (const [name, expected] of onCpu) {
          assertAllClose(onWasm.get(name) ?? [], expected, {
            rtol: 1e-3,
            atol: 1e-5,
            label: `${piece.name} / ${name}`,
          });
        }
      } finally {
        await tf.setBackend("wasm");
        dispose();
      }
    }
  });
});

describe("nearest-neighbour upsampling gradient", () => {
  it("wasm matches a plain-JS adjoint for batch 2 (integer and fractional scales, alignCorners)", async () => {
    const [batch, channels] = [2, 3];
    for (const [inSize, outSize] of [
      [4, 8],
      [3, 7],
    ] as const) {
      for (const alignCorners of [false, true]) {
        const source = (d: number): number =>
          alignCorners
            ? Math.min(inSize - 1, Math.round((d * (inSize - 1)) / (outSize - 1)))
            : Math.min(inSize - 1, Math.floor((d * inSize) / outSize));
        const dy = tf.randomUniform([batch, outSize, outSize, channels], -1, 1, "float32", 11);
        const dyValues = await dy.data();
        const expected = new Float32Array(batch * inSize * inSize * channels);
        for (let b = 0; b < batch; b++)
          for (let y = 0; y < outSize; y++)
            for (let x = 0; x < outSize; x++)
              for (let c = 0; c < channels; c++) {
                const at = ((b * inSize + source(y)) * inSize + source(x)) * channels + c;
                expected[at] =
                  (expected[at] as number) + (dyValues[((b * outSize + y) * outSize + x) * channels + c] as number);
              }
        const images = tf.zeros([batch, inSize, inSize, channels]);
        const grad = tf.grad((t: tf.Tensor) =>
          tf.sum(tf.mul(tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [outSize, outSize], alignCorners), dy)),
        )(images);
        assertAllClose(await grad.data(), expected, {
          rtol: 1e-5,
          atol: 1e-5,
          label: `${inSize}->${outSize} alignCorners ${alignCorners}`,
        });
        tf.dispose([dy, images, grad]);
      }
    }
  });
});
