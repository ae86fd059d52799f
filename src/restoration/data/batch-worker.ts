/**
 * The worker side of `BatchStream` in `"worker"` mode: synthesises the batches the main thread
 * asks for, on the second core, and transfers (not copies) their buffers back.
 */
import { parentPort, workerData } from "node:worker_threads";

import { BatchSynthesizer, type BatchOptions } from "./batches.js";

/** A request from the main thread: the step and the tasks active at it. */
export interface BatchRequest {
  readonly step: number;
  readonly active: readonly number[];
}

/** What the worker posts back. */
export type BatchWorkerMessage =
  | { readonly kind: "batch"; readonly batch: import("./batches.js").Batch }
  | { readonly kind: "warning"; readonly message: string }
  | {
      readonly kind: "error";
      readonly step: number;
      readonly name: string;
      readonly message: string;
      readonly file?: string;
    };

if (parentPort !== null) {
  const port = parentPort;
  const synth = new BatchSynthesizer(workerData as BatchOptions, {
    onWarning: (message) => port.postMessage({ kind: "warning", message } satisfies BatchWorkerMessage),
  });
  // Requests are served one at a time, in order, so the replies arrive in step order.
  let chain = Promise.resolve();
  port.on("message", (request: BatchRequest) => {
    chain = chain.then(async () => {
      try {
        const batch = await synth.batch(request.step, request.active);
        port.postMessage({ kind: "batch", batch } satisfies BatchWorkerMessage, [
          batch.inputs.buffer as ArrayBuffer,
          batch.targets.buffer as ArrayBuffer,
          batch.taskIds.buffer as ArrayBuffer,
        ]);
      } catch (error) {
        const e = error as Error & { file?: string };
        port.postMessage({
          kind: "error",
          step: request.step,
          name: e.name,
          message: e.message,
          ...(e.file === undefined ? {} : { file: e.file }),
        } satisfies BatchWorkerMessage);
      }
    });
  });
}
