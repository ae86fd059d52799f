/** The learning-rate schedule of a training run (the config's `schedule` section, resolved) and the rate it gives at each step. */

/** The learning-rate schedule, resolved. */
export type Schedule =
  | { readonly kind: "constant" }
  | { readonly kind: "cosine"; readonly minLr: number; readonly warmupSteps: number }
  | { readonly kind: "step"; readonly every: number; readonly gamma: number };

/** The learning rate at `step` (0-based) of `total` steps. */
export function learningRateAt(schedule: Schedule, baseLr: number, step: number, total: number): number {
  switch (schedule.kind) {
    case "constant":
      return baseLr;
    case "step":
      return baseLr * schedule.gamma ** Math.floor(step / schedule.every);
    case "cosine": {
      if (step < schedule.warmupSteps) return (baseLr * (step + 1)) / schedule.warmupSteps;
      const span = Math.max(1, total - schedule.warmupSteps);
      const progress = Math.min(1, (step - schedule.warmupSteps) / span);
      return schedule.minLr + 0.5 * (baseLr - schedule.minLr) * (1 + Math.cos(Math.PI * progress));
    }
  }
}
