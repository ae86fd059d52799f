/**
 * A prefetching stream of batches: while the model trains on batch t, batches t+1..t+depth are
 * being synthesised.
 *
 * Degradation synthesis is CPU work. With `mode: "worker"` it runs in a worker thread (the
 * second core does it while the first trains; see `bench/data.ts` for the measured effect);
 * with `"thread"` it runs on the training thread between awaits (a small queue advanced with
 * `setImmediate`; this only hides I/O, not CPU time); `"none"` synthesises on demand. `"auto"`
 * (the default) uses a worker when the worker module can be found next to this file (it can
 * under tsx and in the source tree; a single-file bundle falls back to `"thread"`). Worker threads
 * are Node's: in the browser build `"auto"` is `"thread"` (the next batch is made between the
 * training step's awaits) and `"worker"` throws `NodeOnlyError`.
 */
import { nodeOnly, type Worker } from "../../platform/node.js";
import type { BatchRequest, BatchWorkerMessage } from "./batch-worker.js";
import { BatchSynthesizer, type Batch, type BatchHooks, type BatchOptions } from "./batches.js";
import { DatasetError } from "./folder.js";
import { findModuleNextTo, startModuleWorker, tsxEsmApi } from "./module-worker.js";

/** Runs `task` after the current macrotask: `setImmediate` in Node, a zero timeout where there is none (browsers). */
const nextMacrotask = (task: () => void): void => {
  if (typeof setImmediate === "function") setImmediate(task);
  else setTimeout(task, 0);
};

/** How batches are produced ahead of use. */
export type PrefetchMode = "worker" | "thread" | "none" | "auto";

/** Options of `streamBatches`. */
export interface StreamOptions {
  /** First step (inclusive). */
  readonly from: number;
  /** Last step (exclusive). */
  readonly to: number;
  /** How many batches to keep ready (default 2). */
  readonly depth?: number;
  readonly mode?: PrefetchMode;
}

/** An ordered stream of batches for steps from..to-1. Call `close()` when done (it stops the worker). */
export interface BatchStream extends AsyncIterable<Batch> {
  /** The mode actually used. */
  readonly mode: Exclude<PrefetchMode, "auto">;
  /** The next batch, or undefined after the last step. */
  next(): Promise<Batch | undefined>;
  close(): Promise<void>;
}

/** The worker module next to this one (.ts under tsx, .js when compiled file by file), if present. */
export function findBatchWorker(): URL | undefined {
  return findModuleNextTo(import.meta.url, ["./batch-worker.ts", "./batch-worker.js"]);
}

/**
 * Streams the batches of `options` for steps `from..to-1`, prefetching `depth` ahead.
 *
 * @example
 * const stream = streamBatches({ tasks: [...MIOIR_TASKS], batchSize: 14, patchSize: 48, seed: 1 }, {}, { from: 0, to: 1000 });
 * for await (const batch of stream) trainStep(batch);
 */
export function streamBatches(options: BatchOptions, hooks: BatchHooks, stream: StreamOptions): BatchStream {
  const depth = Math.max(1, stream.depth ?? 2);
  const requested = stream.mode ?? "auto";
  if (requested === "worker") nodeOnly('streamBatches with mode "worker"', 'use mode "thread" or "none"');
  let workerUrl = requested === "worker" || requested === "auto" ? findBatchWorker() : undefined;
  if (workerUrl?.pathname.endsWith(".ts") === true && tsxEsmApi() === undefined) workerUrl = undefined;
  if (requested === "worker" && workerUrl === undefined)
    throw new Error('batch worker module not found next to prefetch.ts; use mode "thread"');
  const mode: BatchStream["mode"] = workerUrl !== undefined ? "worker" : requested === "none" ? "none" : "thread";
  // Built on the main thread in every mode: it checks the options (and the folder) up front and answers activeAt().
  const local = new BatchSynthesizer(options, hooks);
  let nextToRequest = stream.from;
  let nextToYield = stream.from;
  const pending = new Map<number, Promise<Batch>>();
  let worker: InstanceType<typeof Worker> | undefined;
  const waiting = new Map<number, { resolve: (b: Batch) => void; reject: (e: Error) => void }>();
  /** Why the worker answers no more (set once it failed or exited). */
  let stopped: Error | undefined;

  if (mode === "worker") {
    worker = startModuleWorker(workerUrl as URL, options);
    worker.unref();
    worker.on("message", (message: BatchWorkerMessage) => {
      if (message.kind === "warning") hooks.onWarning?.(message.message);
      else if (message.kind === "batch") {
        waiting.get(message.batch.step)?.resolve(message.batch);
        waiting.delete(message.batch.step);
      } else {
        const error =
          message.file !== undefined ? new DatasetError(message.file, message.message) : new Error(message.message);
        waiting.get(message.step)?.reject(error);
        waiting.delete(message.step);
      }
    });
    // A worker that fails or exits (process.exit, out of memory, close()) answers nothing more:
    // reject every step waiting for it, and every later request, instead of hanging.
    const fail = (error: Error) => {
      stopped ??= error;
      for (const entry of waiting.values()) entry.reject(error);
      waiting.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the batch worker exited (code ${code}); no more batches from it`)));
  }

  const produce = (step: number): Promise<Batch> => {
    if (mode === "worker") {
      if (stopped !== undefined) return Promise.reject(stopped);
      const promise = new Promise<Batch>((resolve, reject) => waiting.set(step, { resolve, reject }));
      worker?.postMessage({ step, active: local.activeAt(step) } satisfies BatchRequest);
      return promise;
    }
    // "thread": start after the current macrotask, so the training step that is running now goes first.
    return new Promise<Batch>((resolve, reject) => nextMacrotask(() => local.batch(step).then(resolve, reject)));
  };

  const fill = () => {
    if (mode === "none") return;
    while (nextToRequest < stream.to && nextToRequest < nextToYield + depth) {
      const promise = produce(nextToRequest);
      // A prefetched batch that fails is reported when it is asked for, not as an unhandled rejection.
      promise.catch(() => undefined);
      pending.set(nextToRequest, promise);
      nextToRequest++;
    }
  };

  const next = async (): Promise<Batch | undefined> => {
    if (nextToYield >= stream.to) return undefined;
    const step = nextToYield++;
    let promise = pending.get(step);
    pending.delete(step);
    if (promise === undefined) promise = mode === "worker" ? produce(step) : local.batch(step);
    nextToRequest = Math.max(nextToRequest, nextToYield);
    const batch = await promise;
    fill();
    return batch;
  };

  fill();
  return {
    mode,
    next,
    close: async () => {
      pending.clear();
      if (worker !== undefined) await worker.terminate();
    },
    [Symbol.asyncIterator]: async function* () {
      try {
        for (;;) {
          const batch = await next();
          if (batch === undefined) return;
          yield batch;
        }
      } finally {
        if (worker !== undefined) await worker.terminate();
      }
    },
  };
}
