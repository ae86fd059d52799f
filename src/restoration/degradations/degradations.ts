/**
 * The task registry: each restoration task name maps to its degradation and a one-line
 * description of what it draws.
 *
 * @example
 * const rng = Rng.seeded(1);
 * for (const task of MIOIR_TASKS) {
 *   const { image, params } = degrade(task, clean, rng);
 * }
 */
import type { Rng } from "../../core/random.js";
import type { RgbImage } from "../image.js";
import { addGaussianBlur } from "./blur.js";
import { addHaze } from "./haze.js";
import { addJpegArtifacts } from "./jpeg.js";
import { addLowLight } from "./low-light.js";
import { addGaussianNoise, fixedSigmaNoise } from "./noise.js";
import { addRain } from "./rain.js";
import { addBicubicDownUp } from "./super-resolution.js";

/** The seven MiOIR tasks, in the paper's order. */
export const MIOIR_TASKS = ["sr", "blur", "noise", "jpeg", "rain", "haze", "lowlight"] as const;
/** The five AirNet / PromptIR tasks (three noise levels, rain, haze). */
export const AIRNET_TASKS = ["noise15", "noise25", "noise50", "rain", "haze"] as const;

/** Every registered task name. */
export type TaskName = (typeof MIOIR_TASKS)[number] | (typeof AIRNET_TASKS)[number];

/** The parameters a degradation drew, as a flat JSON-safe record. */
export type DrawnParams = Readonly<Record<string, number>>;

/** A registry entry. */
export type TaskDegradation = {
  readonly task: TaskName;
  /** What the degradation does and the range of what it draws, for humans (logs, docs, CLI help). */
  readonly description: string;
  readonly apply: (clean: RgbImage, rng: Rng) => { image: RgbImage; params: DrawnParams };
};

/** Every task's degradation. */
export const DEGRADATIONS: Readonly<Record<TaskName, TaskDegradation>> = {
  sr: {
    task: "sr",
    description: "x4 bicubic down and back up (a = -0.75, no antialiasing); no random draw",
    apply: (c, r) => addBicubicDownUp(c, r),
  },
  blur: {
    task: "blur",
    description: "isotropic Gaussian blur, kernel size in {7, 9, ..., 21}, sigma ~ U(1, 3) px, reflect-101 borders",
    apply: (c, r) => addGaussianBlur(c, r),
  },
  noise: {
    task: "noise",
    description: "additive Gaussian noise, sigma ~ U(15, 50) / 255, clipped",
    apply: (c, r) => addGaussianNoise(c, r),
  },
  noise15: {
    task: "noise15",
    description: "additive Gaussian noise, sigma = 15 / 255, clipped",
    apply: fixedSigmaNoise(15),
  },
  noise25: {
    task: "noise25",
    description: "additive Gaussian noise, sigma = 25 / 255, clipped",
    apply: fixedSigmaNoise(25),
  },
  noise50: {
    task: "noise50",
    description: "additive Gaussian noise, sigma = 50 / 255, clipped",
    apply: fixedSigmaNoise(50),
  },
  jpeg: {
    task: "jpeg",
    description: "baseline JPEG round trip (4:4:4, IJG tables), quality ~ U{30, ..., 70}",
    apply: (c, r) => addJpegArtifacts(c, r),
  },
  rain: {
    task: "rain",
    description:
      "rain streaks: seed density ~ U(0.002, 0.01), angle ~ U(-45, 45) deg, length ~ U{20, ..., 40} px, added with weight 0.8",
    apply: (c, r) => addRain(c, r),
  },
  haze: {
    task: "haze",
    description:
      "haze I = J t + A (1 - t), t = exp(-beta d), beta ~ U(0.5, 2.5), A ~ U(0.8, 1), d a smooth random depth proxy",
    apply: (c, r) => addHaze(c, r),
  },
  lowlight: {
    task: "lowlight",
    description: "low light I = J^gamma, gamma ~ U(1, 3)",
    apply: (c, r) => addLowLight(c, r),
  },
};

/** True when `name` is a registered task. */
export function isTaskName(name: string): name is TaskName {
  return Object.prototype.hasOwnProperty.call(DEGRADATIONS, name);
}

/** Degrades `clean` for `task`, drawing from `rng`. */
export function degrade(task: TaskName, clean: RgbImage, rng: Rng): { image: RgbImage; params: DrawnParams } {
  return DEGRADATIONS[task].apply(clean, rng);
}
