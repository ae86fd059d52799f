/**
 * The playground's training session: two runs of the same model — plain mixed training and a
 * chosen weighting (Art by default) — from the same initial weights, on the same batches, one
 * step each per tick. Nothing here touches the page: main.ts draws what this holds.
 *
 * A run is the CLI's run in miniature: the same config (checked by `resolveTrainConfig`), the
 * same model (`createModel`), trainer (`createTrainer`), batches (`BatchSynthesizer`, procedural
 * source) and log records, so a downloaded run loads with `art-mtl eval`.
 */
import type * as tfCore from "@tensorflow/tfjs-core";
import * as E from "fp-ts/Either";

import { Rng } from "../../../src/core/random.js";
import type { Weighting } from "../../../src/core/weighting.js";
import { BatchSynthesizer } from "../../../src/restoration/data/batches.js";
import { proceduralImageAt } from "../../../src/restoration/data/sources.js";
import { degrade, type TaskName } from "../../../src/restoration/degradations/degradations.js";
import type { RgbImage } from "../../../src/restoration/image.js";
import { psnr } from "../../../src/restoration/metrics/psnr.js";
import { createModel, type RestorationModel } from "../../../src/restoration/models/index.js";
import { resolveTrainConfig, type TrainConfig } from "../../../src/restoration/train/config.js";
import type { StepRecord } from "../../../src/restoration/train/records.js";
import { resolveWeighting } from "../../../src/restoration/train/weightings.js";
import { createTrainer, type Trainer } from "../../../src/tfjs/trainer.js";

type Tf = typeof tfCore;

/** What the user set on the page. */
export interface PlaygroundSettings {
  readonly tasks: readonly TaskName[];
  /** The weighting beside mixed training: a registry name and its options. */
  readonly weighting: { readonly name: string; readonly options: Record<string, unknown> };
  readonly model: {
    readonly kind: "srresnet";
    readonly width: number;
    readonly blocks: number;
    readonly taskPrompt: boolean;
  };
  readonly perTask: number;
  readonly patchSize: number;
  readonly lr: number;
  readonly seed: number;
}

/** One run of the pair. */
export interface PlaygroundRun {
  readonly label: string;
  readonly config: TrainConfig;
  readonly model: RestorationModel;
  readonly trainer: Trainer<unknown>;
  readonly optimizer: tfCore.Optimizer;
  readonly log: StepRecord[];
  /** Art's s and r per step (null where the weighting gives none). */
  readonly signals: { s: (number | null)[] | null; r: (number | null)[] | null }[];
}

/** One task's row of the sample grid and the PSNR table. */
export interface TaskSample {
  readonly task: TaskName;
  readonly input: RgbImage;
  readonly clean: RgbImage;
  readonly outputs: readonly RgbImage[];
  readonly inputPsnr: number;
  readonly psnrs: readonly number[];
}

/** The training config a run would have on the CLI (checked by the same codec). */
export const playgroundConfig = (
  settings: PlaygroundSettings,
  label: string,
  weighting: PlaygroundSettings["weighting"],
): TrainConfig => {
  const resolved = resolveTrainConfig({
    name: `playground-${label}`,
    tasks: settings.tasks,
    data: { source: "procedural", patchSize: settings.patchSize, prefetch: "none" },
    model: settings.model,
    weighting,
    // The page trains until paused; the config's steps are a horizon for the (constant) schedule.
    steps: 1_000_000,
    batch: settings.perTask * settings.tasks.length,
    ...(settings.model.taskPrompt ? { blindRate: 0 } : {}),
    lr: settings.lr,
    schedule: { kind: "constant" },
    seed: settings.seed,
    backend: "auto",
    output: `runs/playground-${label}`,
    eval: { data: "procedural", images: 2, size: 64 },
  });
  if (E.isLeft(resolved)) throw new RangeError(resolved.left.join("\n"));
  return resolved.right;
};

const makeRun = (
  tf: Tf,
  settings: PlaygroundSettings,
  label: string,
  weightingSpec: PlaygroundSettings["weighting"],
): PlaygroundRun => {
  const config = playgroundConfig(settings, label, weightingSpec);
  const weighting = resolveWeighting(weightingSpec.name, weightingSpec.options);
  if (E.isLeft(weighting)) throw new RangeError(weighting.left.join("\n"));
  // Same seed, same initial weights: the two runs differ only in the weighting.
  const model = createModel(tf, config.model, { seed: config.seed, numTasks: config.tasks.length });
  // Epsilon given explicitly: tfjs' default comes from the backend (1e-4 on webgl, 1e-7 elsewhere).
  const optimizer = tf.train.adam(config.lr, 0.9, 0.999, 1e-7);
  const trainer = createTrainer({
    tf,
    model,
    optimizer,
    weighting: weighting.right as Weighting<unknown>,
    numTasks: config.tasks.length,
  });
  return { label, config, model, trainer, optimizer, log: [], signals: [] };
};

/** The evaluation images: one procedural image per task, degraded once with a fixed seed. */
const evalPairs = (tasks: readonly TaskName[], size: number): { task: TaskName; input: RgbImage; clean: RgbImage }[] =>
  tasks.map((task, k) => {
    const clean = proceduralImageAt(4242, k, size);
    const degraded = degrade(task, clean, Rng.seeded(9000 + k));
    return { task, input: degraded.image, clean };
  });

/** Mixed training and one weighting, side by side. */
export class PlaygroundSession {
  readonly runs: readonly PlaygroundRun[];
  private readonly batches: BatchSynthesizer;
  private readonly pairs: ReturnType<typeof evalPairs>;
  private stepsDone = 0;
  private started = 0;
  private trainedSeconds = 0;

  constructor(
    readonly tf: Tf,
    readonly settings: PlaygroundSettings,
  ) {
    this.runs = [
      makeRun(tf, settings, "mixed", { name: "mixed", options: {} }),
      makeRun(tf, settings, "weighted", settings.weighting),
    ];
    const config = this.runs[0]!.config;
    this.batches = new BatchSynthesizer({
      tasks: config.tasks,
      batchSize: config.batch,
      patchSize: config.data.patchSize,
      seed: config.seed,
      source: "procedural",
    });
    this.pairs = evalPairs(settings.tasks, 48);
  }

  /** Steps both runs have completed. */
  get step(): number {
    return this.stepsDone;
  }

  /** Training steps (of both runs together) per second of training. */
  get stepsPerSecond(): number {
    return this.trainedSeconds === 0 ? 0 : this.stepsDone / this.trainedSeconds;
  }

  /** Copies weights (and nothing else) from a loaded model into both runs' models, e.g. the shipped one. */
  setWeights(values: readonly tfCore.Tensor[]): void {
    for (const run of this.runs) {
      const variables = run.trainer.checkpointVariables;
      if (variables.length !== values.length)
        throw new RangeError(`expected ${variables.length} tensors, got ${values.length}`);
      variables.forEach((variable, i) => variable.assign(values[i]!));
    }
  }

  /** One step of each run on the same batch. */
  async trainStep(): Promise<void> {
    const tf = this.tf;
    const t0 = performance.now();
    if (this.started === 0) this.started = t0;
    const batch = await this.batches.batch(this.stepsDone);
    const x = tf.tensor4d(batch.inputs, [...batch.shape]);
    const y = tf.tensor4d(batch.targets, [...batch.shape]);
    try {
      for (const run of this.runs) {
        const result = await run.trainer.step(x, y, batch.taskIds);
        run.log.push({
          step: result.step,
          loss: result.loss,
          taskLosses: [...result.taskLosses],
          weights: [...result.weights],
          lr: run.config.lr,
          time: (performance.now() - this.started) / 1000,
        });
        const d = result.diagnostics as { s?: readonly (number | null)[]; r?: readonly (number | null)[] };
        run.signals.push({ s: d.s === undefined ? null : [...d.s], r: d.r === undefined ? null : [...d.r] });
      }
    } finally {
      x.dispose();
      y.dispose();
    }
    this.stepsDone++;
    this.trainedSeconds += (performance.now() - t0) / 1000;
  }

  /** Restores every evaluation image with both models and scores them. */
  async samples(): Promise<TaskSample[]> {
    const tf = this.tf;
    const out: TaskSample[] = [];
    for (const [k, pair] of this.pairs.entries()) {
      const outputs: RgbImage[] = [];
      for (const run of this.runs) {
        const restored = tf.tidy(() => {
          const x = tf.tensor4d(pair.input.data, [1, pair.input.height, pair.input.width, 3]);
          return tf.clipByValue(run.model.apply(x, { taskIds: [k] }), 0, 1);
        });
        const data = (await restored.data()) as Float32Array;
        restored.dispose();
        outputs.push({ width: pair.input.width, height: pair.input.height, data: new Float32Array(data) });
      }
      out.push({
        task: pair.task,
        input: pair.input,
        clean: pair.clean,
        outputs,
        inputPsnr: psnr(pair.clean, pair.input),
        psnrs: outputs.map((image) => psnr(pair.clean, image)),
      });
    }
    return out;
  }

  /** Frees every tensor the session holds. */
  dispose(): void {
    for (const run of this.runs) {
      run.trainer.dispose();
      run.optimizer.dispose();
      for (const variable of run.trainer.checkpointVariables) variable.dispose();
    }
  }
}
