/**
 * Evaluating a training session: its model's forward pass per task (`forwardFor`), and its
 * per-task PSNR/SSIM on an evaluation set (`evaluateSession`, through `scorePairs`).
 */
import type { Tensor } from "../../tfjs/index.js";
import type { FrozenPair } from "../data/frozen.js";
import type { TaskName } from "../degradations/degradations.js";
import { loadEvalPairs, scorePairs } from "./evaluate.js";
import { multipleOfFor, restoreImage, type PinnableForward } from "./inference.js";
import type { EvalResult } from "./records.js";
import { selfEnsemble, selfEnsemblePassesFor, type SelfEnsemblePasses } from "./self-ensemble.js";
import type { TrainingSession } from "./session.js";

/** Options of `evaluateSession`. */
export interface EvaluateOptions {
  readonly data: string;
  readonly images: number;
  readonly size: number;
  readonly convention: "basicsr" | "skimage";
  readonly cropBorder?: number;
  readonly yChannel?: boolean;
  /** Tile size for large images (default 128). */
  readonly tile?: number;
  readonly checkpoint: string;
  readonly step: number;
  /** Pairs already loaded (periodic evaluation reuses them). */
  readonly pairs?: readonly FrozenPair[];
  /** Tasks to score (default: the session's trained tasks). */
  readonly tasks?: readonly string[];
  /** A task-prompted model is told each image's task (by name, among its trained tasks) unless `blind` is true. */
  readonly blind?: boolean;
  /**
   * Restore each image as a self-ensemble (`selfEnsemble`): `true` takes each task's passes
   * (`selfEnsemblePassesFor`: 8, or the 4 flips for rain and the blind path), 8 or 4 that many
   * for every task. 4 or 8 times the time.
   */
  readonly ensemble?: boolean | SelfEnsemblePasses;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * The session's forward pass for images of one task: a task-prompted model is told the task
 * (its index among the trained tasks); an unknown or absent task takes the blind path (-1). For
 * a model with global context it also has `pin`, which `restoreImage` uses to give every tile of
 * a large image the context of the whole image.
 */
export function forwardFor(
  session: { readonly model: TrainingSession["model"]; readonly config: { readonly tasks: readonly string[] } },
  task?: string,
): PinnableForward {
  const id = task === undefined ? -1 : session.config.tasks.indexOf(task);
  const told = (inputs: Tensor) => ({ taskIds: new Array<number>(inputs.shape[0] as number).fill(id) });
  const forward = (inputs: Tensor) => session.model.apply(inputs, told(inputs));
  const { pinContext } = session.model;
  if (pinContext === undefined) return forward;
  const pin = (sample: Tensor) => {
    const pinned = pinContext(sample, told(sample));
    return { forward: (inputs: Tensor) => pinned.apply(inputs, told(inputs)), dispose: () => pinned.dispose() };
  };
  return Object.assign(forward, { pin });
}

/** Scores the session's model per task (see `scorePairs`). */
export async function evaluateSession(session: TrainingSession, options: EvaluateOptions): Promise<EvalResult> {
  const started = performance.now();
  const tasks = (options.tasks ?? session.config.tasks) as readonly TaskName[];
  const pairs =
    options.pairs ?? (await loadEvalPairs({ data: options.data, tasks, images: options.images, size: options.size }));
  const metric = {
    convention: options.convention,
    cropBorder: options.cropBorder ?? 0,
    yChannel: options.yChannel ?? false,
  };
  const multipleOf = multipleOfFor(session.model.spec);
  const scored = await scorePairs(
    pairs,
    tasks,
    (input, task) => {
      const told = options.blind === true ? undefined : task;
      const forward = forwardFor(session, told);
      const { ensemble } = options;
      const passes = ensemble === true ? selfEnsemblePassesFor(told) : ensemble === false ? undefined : ensemble;
      return restoreImage(
        session.tf,
        passes === undefined ? forward : selfEnsemble(session.tf, forward, passes),
        input,
        {
          tile: options.tile ?? 128,
          multipleOf,
        },
      );
    },
    metric,
    options.onProgress,
  );
  return {
    checkpoint: options.checkpoint,
    step: options.step,
    data: options.data,
    convention: options.convention,
    cropBorder: metric.cropBorder,
    yChannel: metric.yChannel,
    ...(options.ensemble === undefined || options.ensemble === false ? {} : { ensemble: options.ensemble }),
    tasks: scored.tasks,
    mean: scored.mean,
    seconds: (performance.now() - started) / 1000,
  };
}
