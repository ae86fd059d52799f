/**
 * selectBackend: "auto" lands on wasm here (the native packages are not installed; the WebGPU
 * packages are devDependencies, but this process has no Vulkan driver, so Dawn finds no adapter;
 * with only a software adapter "auto" would skip it too) and explains every skip; explicit choices
 * that cannot load fail with the reason; nothing crashes. WebGPU on SwiftShader: ../webgpu.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";

import { AUTO_BACKEND_ORDER, selectBackend } from "../../../src/tfjs/backend/index.js";

/** Why "auto" skips WebGPU in a process without a (hardware) Vulkan driver. */
const WEBGPU_SKIP =
  /^(webgpu: no WebGPU adapter \(no GPU or no driver\)|webgpu \(Dawn for Node\): package not installed|webgpu: only a software adapter .*)$/;

describe("selectBackend", () => {
  it("auto picks wasm, logs why node-gpu, node and webgpu were skipped, and registers the training kernels", async () => {
    const lines: string[] = [];
    const selection = await selectBackend(tf, "auto", { log: (line) => lines.push(line) });
    assert.equal(selection.choice, "wasm");
    assert.equal(selection.backendName, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.deepEqual(AUTO_BACKEND_ORDER, ["node-gpu", "node", "webgpu", "wasm", "cpu"]);
    assert.deepEqual(selection.skipped.slice(0, 2), [
      { choice: "node-gpu", reason: "@tensorflow/tfjs-node-gpu: package not installed" },
      { choice: "node", reason: "@tensorflow/tfjs-node: package not installed" },
    ]);
    assert.equal(selection.skipped.length, 3);
    assert.equal(selection.skipped[2]?.choice, "webgpu");
    assert.match(selection.skipped[2]?.reason ?? "", WEBGPU_SKIP);
    assert.ok(
      lines.some((l) => l.includes("using wasm")),
      lines.join("\n"),
    );
    assert.ok(lines.some((l) => l.includes("skipping node-gpu: @tensorflow/tfjs-node-gpu: package not installed")));
    assert.ok(tf.getKernel("Conv2DBackpropFilter", "wasm") !== undefined, "training kernels registered");
    assert.ok(tf.getGradient("Mean") !== undefined, "tfjs-core gradients registered");
    assert.ok(
      selection.notes.some((n) => n.includes("binaries from") && n.includes("tfjs-backend-wasm")),
      selection.notes.join("\n"),
    );
    // The WebGPU attempt must not leave a half-initialised navigator.gpu behind.
    assert.equal((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu, undefined);
  });

  it("uses a backend module handed in (backendModules) instead of importing the package by name, and reports the registration", async () => {
    const real = await import("@tensorflow/tfjs-backend-wasm");
    const calls: unknown[] = [];
    const handedIn = {
      ...real,
      setWasmPaths: (paths: unknown) => (calls.push(paths), real.setWasmPaths(paths as string)),
    };
    const selection = await selectBackend(tf, "wasm", { backendModules: { wasm: handedIn } });
    assert.equal(tf.getBackend(), "wasm");
    assert.equal(calls.length, 1, "the handed-in module set the binaries' folder");
    assert.match(String(calls[0]), /tfjs-backend-wasm/);
    assert.equal(selection.registration?.backendName, "wasm");
    assert.ok(
      selection.registration !== undefined &&
        [...selection.registration.addedKernels, ...selection.registration.keptKernels].includes(
          "Conv2DBackpropFilter",
        ),
    );
  });

  it("an explicit choice that cannot load throws the skip reason instead of crashing later", async () => {
    await assert.rejects(selectBackend(tf, "node"), /@tensorflow\/tfjs-node: package not installed/);
    await assert.rejects(selectBackend(tf, "node-gpu"), /@tensorflow\/tfjs-node-gpu: package not installed/);
    await assert.rejects(
      selectBackend(tf, "webgpu"),
      /webgpu: no WebGPU adapter|webgpu \(Dawn for Node\): package not installed/,
    );
    assert.equal(
      (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu,
      undefined,
      "a failed WebGPU start leaves no navigator.gpu",
    );
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
