/** The per-sample loss a config names (`loss`), as the trainers take it. */
import { charbonnierPerSample, l1PerSample, psnrPerSample, type PerSampleLossFn } from "../../tfjs/index.js";
import type { TrainLoss } from "./config.js";

const PER_SAMPLE_LOSSES: Readonly<Record<TrainLoss, PerSampleLossFn>> = {
  l1: l1PerSample,
  charbonnier: charbonnierPerSample,
  psnr: psnrPerSample,
};

/** The per-sample loss function of a config's `loss` (absent: "l1", as runs saved before the field). */
export const perSampleLossFor = (loss: TrainLoss | undefined): PerSampleLossFn => PER_SAMPLE_LOSSES[loss ?? "l1"];
