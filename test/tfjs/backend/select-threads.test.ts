/**
 * selectBackend with wasmThreads > 1 (its own process, so wasm is not yet initialised): tfjs'
 * threaded wasm binary cannot start its workers in Node, so wasm must come up single-threaded
 * with a note saying so, instead of being skipped.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";

import { selectBackend } from "../../../src/tfjs/backend/index.js";

it("wasmThreads: 2 falls back to a working single-threaded wasm backend", async () => {
  const selection = await selectBackend(tf, "wasm", { wasmThreads: 2 });
  assert.equal(selection.backendName, "wasm");
  assert.ok(
    selection.notes.some((n) => n.includes("2 threads failed") && n.includes("using 1 thread")),
    selection.notes.join("\n"),
  );
  assert.ok(selection.notes.includes("wasm: 1 thread(s)"));
  const y = tf.conv2d(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, "same");
  assert.equal((await y.data())[0], 8, "corner of a 3x3 all-ones conv over 2 channels");
  y.dispose();
});
