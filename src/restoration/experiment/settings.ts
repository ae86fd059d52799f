import type { TaskName } from "../degradations/index.js";
import { AIRNET_TASKS, MIOIR_TASKS } from "../degradations/index.js";

/**
 * The two settings of the replication (issue "Evidence"), sized for a 2-core CPU: a tiny
 * SRResNet trained for a few hundred steps on 32x32 crops. The paper trains 64-channel,
 * 16-block SRResNets for hundreds of thousands of iterations; these runs are ~10^4 times
 * cheaper, which docs/results.md states next to every number.
 */
export interface ExperimentSetting {
  readonly id: "A" | "B";
  readonly title: string;
  readonly tasks: readonly TaskName[];
  /** Samples per task in a batch. */
  readonly perTask: number;
  readonly patchSize: number;
  readonly steps: number;
  readonly lr: number;
  readonly model: { readonly kind: "srresnet"; readonly width: number; readonly blocks: number };
  /** Centre crop of the frozen test and validation images (keeps evaluation cheap). */
  readonly evalSide: number;
}

const common = {
  perTask: 2,
  patchSize: 32,
  steps: 300,
  lr: 5e-4,
  model: { kind: "srresnet", width: 16, blocks: 4 },
  evalSide: 96,
} as const;

/** Setting A: the 7 MiOIR tasks. Setting B: AirNet's rain-haze-noise (5 tasks). */
export const EXPERIMENT_SETTINGS: Readonly<Record<"A" | "B", ExperimentSetting>> = {
  A: { id: "A", title: "7 tasks, MiOIR-like (SR x4, blur, noise, JPEG, rain, haze, low light)", tasks: MIOIR_TASKS, ...common },
  B: { id: "B", title: "rain-haze-noise, AirNet-like (noise sigma 15/25/50, rain, haze)", tasks: AIRNET_TASKS, ...common },
};
