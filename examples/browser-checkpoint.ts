// Checkpoints without a file system: the same code runs in a browser and in Node.
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import { art } from "art-mtl";
import { createModel } from "art-mtl/restoration";
import { checkpointFromTar, createTrainer, loadCheckpoint, memoryCheckpointStore, saveCheckpoint } from "art-mtl/tfjs";

await tf.setBackend("cpu");
const make = () =>
  createTrainer({
    tf,
    model: createModel(tf, { kind: "srresnet", width: 4, blocks: 1 }, { seed: 1 }),
    optimizer: tf.train.adam(1e-3),
    weighting: art(),
    numTasks: 2,
  });
const noisy = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 1);
const clean = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 2);

const trainer = make();
for (let i = 0; i < 2; i++) await trainer.step(noisy, clean, [0, 1]);
const store = memoryCheckpointStore(); // in a browser, indexedDbCheckpointStore("demo") outlives the page
await saveCheckpoint(trainer, store, { epoch: 1 });
const tar = store.toTar(); // one file: new Blob([tar], { type: "application/x-tar" }) to download it

const resumed = make(); // e.g. after a reload: the same model, a fresh optimizer
const loaded = await loadCheckpoint(resumed, memoryCheckpointStore(checkpointFromTar(tar))); // SHA-256 checked
console.log(`resumed at step ${loaded.step} (${JSON.stringify(loaded.metadata)}) from ${store.files().size} files`);
await resumed.step(noisy, clean, [0, 1]);
console.log(`step ${resumed.stepCount}`);
