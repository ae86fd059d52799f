/**
 * A training session: the model (seeded), optimizer, weighting and trainer a config describes,
 * built fresh (`buildSession`) or loaded from a checkpoint (`loadTrainedSession`).
 */
import * as E from "fp-ts/Either";

import {
  createGradientTrainer,
  createTrainer,
  loadCheckpoint,
  type CheckpointLocation,
  type Optimizer,
  type Tf,
  type Trainer,
} from "../../tfjs/index.js";
import { createModel, type RestorationModel } from "../models/index.js";
import { loadTf } from "./backend.js";
import { readCheckpointConfig } from "./config-file.js";
import type { TrainConfig } from "./config.js";
import { TrainSetupError } from "./errors.js";
import { perSampleLossFor } from "./loss.js";
import { optimizerFor } from "./optimizer.js";
import { resolveAnyWeighting } from "./weightings.js";

/** A model, trainer and everything needed to train or evaluate it. */
export interface TrainingSession {
  readonly tf: Tf;
  readonly config: TrainConfig;
  readonly model: RestorationModel;
  readonly trainer: Trainer<unknown>;
  readonly optimizer: Optimizer;
  readonly backend: string;
}

/** Builds the model (seeded), optimizer, weighting and trainer a config describes. */
export async function buildSession(config: TrainConfig, log?: (line: string) => void): Promise<TrainingSession> {
  const { tf, selection } = await loadTf(config.backend, log);
  const weighting = resolveAnyWeighting(config.weighting.name, config.weighting.options, config.tasks.length);
  if (E.isLeft(weighting)) throw new TrainSetupError(weighting.left.join("\n"));
  const model = createModel(tf, config.model, { seed: config.seed, numTasks: config.tasks.length });
  const optimizer = optimizerFor(tf, config);
  // What both trainers take besides the weighting.
  const shared = { tf, model, optimizer, numTasks: config.tasks.length, perSampleLoss: perSampleLossFor(config.loss) };
  // A gradient-aware weighting trains through createGradientTrainer, which has the members the
  // loop and the checkpoints use (its coefficients are reported as the step's weights).
  const trainer =
    weighting.right.kind === "loss"
      ? createTrainer({ ...shared, weighting: weighting.right.weighting })
      : (createGradientTrainer({ ...shared, weighting: weighting.right.weighting }) as unknown as Trainer<unknown>);
  return { tf, config, model, trainer, optimizer, backend: selection.choice };
}

/**
 * Loads a trained model from a checkpoint (for eval and restore): a directory path in Node, or a
 * `CheckpointStore` (e.g. in a browser, the shipped model's files fetched into `memoryCheckpointStore`).
 */
export async function loadTrainedSession(
  checkpoint: CheckpointLocation,
  backend?: TrainConfig["backend"],
  log?: (line: string) => void,
): Promise<TrainingSession & { step: number }> {
  const { config } = await readCheckpointConfig(checkpoint);
  const session = await buildSession(backend === undefined ? config : { ...config, backend }, log);
  const loaded = await loadCheckpoint(session.trainer, checkpoint);
  return { ...session, step: loaded.step };
}
