/**
 * selectBackend: "auto" lands on wasm here (the native and WebGPU packages are not installed) and
 * explains every skip; explicit choices that cannot load fail with the reason; nothing crashes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { AUTO_BACKEND_ORDER, selectBackend } from "../../../src/tfjs/backend/index.js";

describe("selectBackend", () => {
  it("auto picks wasm, logs why node-gpu, node and webgpu were skipped, and registers the training kernels", async () => {
    const lines: string[] = [];
    const selection = await selectBackend(tf, "auto", { log: (line) => lines.push(line) });
    assert.equal(selection.choice, "wasm");
    assert.equal(selection.backendName, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.deepEqual(AUTO_BACKEND_ORDER, ["node-gpu", "node", "webgpu", "wasm", "cpu"]);
    assert.deepEqual(selection.skipped, [
      { choice: "node-gpu", reason: "@tensorflow/tfjs-node-gpu: package not installed" },
      { choice: "node", reason: "@tensorflow/tfjs-node: package not installed" },
      { choice: "webgpu", reason: "webgpu (Dawn for Node): package not installed" },
    ]);
    assert.ok(lines.some((l) => l.includes("using wasm")), lines.join("\n"));
    assert.ok(lines.some((l) => l.includes("skipping node-gpu: @tensorflow/tfjs-node-gpu: package not installed")));
    assert.ok(tf.getKernel("Conv2DBackpropFilter", "wasm") !== undefined, "training kernels registered");
    assert.ok(tf.getGradient("Mean") !== undefined, "tfjs-core gradients registered");
    assert.ok(selection.notes.some((n) => n.includes("binaries from") && n.includes("tfjs-backend-wasm")), selection.notes.join("\n"));
    // The WebGPU attempt must not leave a half-initialised navigator.gpu behind.
    assert.equal((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu, undefined);
  });

  it("an explicit choice that cannot load throws the skip reason instead of crashing later", async () => {
    await assert.rejects(selectBackend(tf, "node"), /@tensorflow\/tfjs-node: package not installed/);
    await assert.rejects(selectBackend(tf, "node-gpu"), /@tensorflow\/tfjs-node-gpu: package not installed/);
    await assert.rejects(selectBackend(tf, "webgpu"), /webgpu \(Dawn for Node\): package not installed/);
    assert.equal(tf.getBackend(), "wasm", "a failed choice leaves the active backend alone");
  });

  it("cpu and wasm can be selected explicitly and switched between (training kernels stay registered)", async () => {
    const cpu = await selectBackend(tf, "cpu");
    assert.equal(cpu.backendName, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    const wasm = await selectBackend(tf, "wasm");
    assert.equal(wasm.backendName, "wasm");
    assert.ok(wasm.notes.some((n) => n.includes("Conv2DBackpropFilter")));
  });
});
