/**
 * The page of vite.test.ts, written as a vite user writes it: the package's public subpaths
 * (`art-mtl/tfjs`, `art-mtl/restoration`, resolved by vite to the builds of the `browser` export
 * condition), tfjs-backend-wasm imported statically and handed to `selectBackend`, and its `.wasm`
 * binaries imported with `?url`, so that vite emits them as assets and the page names their
 * hashed URLs. docs/browser.md's "Vite" section shows the first part of this file unchanged.
 *
 * It trains 2 steps of a small SRResNet on wasm (`buildSession`, procedural batches), saves a
 * checkpoint into memory, loads it back with `loadTrainedSession(store, "wasm")`, runs both models
 * on the same batch and restores an image with the loaded one. What it saw goes to
 * `window.viteResult` as JSON (`failure` when something threw); it asserts nothing itself.
 */
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-core/dist/register_all_gradients";

import * as wasm from "@tensorflow/tfjs-backend-wasm";
import wasmSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import wasmThreadedSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url";
import wasmPlain from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import {
  BatchSynthesizer,
  buildSession,
  forwardFor,
  loadTrainedSession,
  proceduralImageAt,
  resolveTrainConfig,
  restoreImage,
} from "art-mtl/restoration";
import { memoryCheckpointStore, saveCheckpoint, selectBackend } from "art-mtl/tfjs";

const selection = await selectBackend(tf, "wasm", {
  backendModules: { wasm },
  wasmPaths: {
    "tfjs-backend-wasm.wasm": wasmPlain,
    "tfjs-backend-wasm-simd.wasm": wasmSimd,
    "tfjs-backend-wasm-threaded-simd.wasm": wasmThreadedSimd,
  },
});

// ---- the test's part (docs/browser.md shows the file down to here) -------------------------

/** What the page reports (plain JSON). */
export interface VitePageResult {
  readonly failure?: string;
  /** `tf.getBackend()` after selecting, after training, after loading. */
  readonly backends?: { readonly selected: string; readonly trained: string; readonly loaded: string };
  /** The choices `buildSession` and `loadTrainedSession` report (`session.backend`). */
  readonly sessionBackends?: readonly string[];
  readonly selectionNotes?: readonly string[];
  readonly wasmPaths?: Readonly<Record<string, string>>;
  /** Per step: the weighted loss and the task losses. */
  readonly steps?: ReadonlyArray<{ readonly loss: number; readonly taskLosses: ReadonlyArray<number | null> }>;
  readonly checkpointFiles?: number;
  readonly loadedStep?: number;
  /** The trained and the loaded model on the same batch: output shape and largest difference. */
  readonly forward?: { readonly shape: readonly number[]; readonly maxAbsDiff: number; readonly finite: boolean };
  /** `restoreImage` with the loaded model. */
  readonly restored?: { readonly width: number; readonly height: number; readonly values: number };
  readonly leakedTensors?: number;
  readonly seconds?: number;
}

const run = async (): Promise<VitePageResult> => {
  const started = performance.now();
  try {
    const selected = tf.getBackend();
    const resolved = resolveTrainConfig({
      name: "vite-page",
      tasks: ["noise", "rain"],
      data: { source: "procedural", patchSize: 16, augment: false, prefetch: "none" },
      model: { kind: "srresnet", width: 8, blocks: 1 },
      weighting: { name: "art" },
      steps: 2,
      batch: 4,
      lr: 1e-3,
      seed: 7,
      backend: "wasm",
    });
    if (resolved._tag === "Left") throw new Error(resolved.left.join("\n"));
    const config = resolved.right;
    const session = await buildSession(config);
    const batches = new BatchSynthesizer({
      tasks: config.tasks,
      batchSize: config.batch,
      patchSize: config.data.patchSize,
      seed: config.seed,
      augment: false,
    });
    const steps: { loss: number; taskLosses: (number | null)[] }[] = [];
    for (let step = 0; step < config.steps; step++) {
      const batch = await batches.batch(step);
      const x = tf.tensor4d(batch.inputs, [...batch.shape]);
      const y = tf.tensor4d(batch.targets, [...batch.shape]);
      const result = await session.trainer.step(x, y, batch.taskIds);
      x.dispose();
      y.dispose();
      steps.push({ loss: result.loss, taskLosses: [...result.taskLosses] });
    }
    const trained = tf.getBackend();

    const store = memoryCheckpointStore();
    await saveCheckpoint(session.trainer, store, { config });
    const loaded = await loadTrainedSession(store, "wasm");

    const probe = await batches.batch(config.steps);
    const tensorsBefore = tf.memory().numTensors;
    const forward = tf.tidy(() => {
      const x = tf.tensor4d(probe.inputs, [...probe.shape]);
      const a = session.model.apply(x);
      const b = loaded.model.apply(x);
      return {
        shape: [...a.shape],
        maxAbsDiff: tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number,
        finite: tf.all(tf.isFinite(a)).dataSync()[0] === 1,
      };
    });
    const restored = await restoreImage(tf, forwardFor(loaded, "noise"), proceduralImageAt(11, 0, 40, 24), {
      tile: 32,
      overlap: 8,
    });
    return {
      backends: { selected, trained, loaded: tf.getBackend() },
      sessionBackends: [session.backend, loaded.backend],
      selectionNotes: selection.notes,
      wasmPaths: { "tfjs-backend-wasm.wasm": wasmPlain, "tfjs-backend-wasm-simd.wasm": wasmSimd },
      steps,
      checkpointFiles: store.files().size,
      loadedStep: loaded.step,
      forward,
      restored: {
        width: restored.width,
        height: restored.height,
        values: restored.data.filter((v) => Number.isFinite(v) && v >= 0 && v <= 1).length,
      },
      leakedTensors: tf.memory().numTensors - tensorsBefore,
      seconds: Math.round(performance.now() - started) / 1000,
    };
  } catch (error) {
    return { failure: error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error) };
  }
};

void run().then((result) => {
  (globalThis as unknown as { viteResult: VitePageResult }).viteResult = result;
  const out = document.getElementById("out");
  if (out !== null) out.textContent = JSON.stringify(result, null, 2);
});
