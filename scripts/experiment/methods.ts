/**
 * The methods the replication compares (docs/results.md): plain mixed training, Art with both
 * presets, the ablation rows of the paper's Table 1, Art's loss-based peers and the best
 * gradient-aware methods. Each is a training
 * config's `weighting` section: a registry name and its options.
 */

/** A method of the replication: a short label, what it is, and its weighting config. */
export interface ExperimentMethod {
  readonly label: string;
  readonly description: string;
  readonly weighting: {
    readonly name: string;
    readonly options: Readonly<Record<string, unknown>>;
    readonly epochSteps?: number;
  };
  /** The matching row of the paper's Table 1, when there is one. */
  readonly paperRow?: string;
}

const artWith = (lcr: string, gcw: string) => ({ name: "art", options: { lcr, gcw } });

/** Every method, in the order the tables list them. */
export const EXPERIMENT_METHODS: readonly ExperimentMethod[] = [
  {
    label: "mixed",
    description: "plain mixed training (uniform weights)",
    weighting: { name: "equal", options: {} },
    paperRow: "baseline, 29.52",
  },
  {
    label: "s-raw",
    description: "LCR only, raw ratio L/L_prev (lcr=raw, gcw=none)",
    weighting: artWith("raw", "none"),
    paperRow: "s w/o EMA, 29.66",
  },
  {
    label: "s-ema",
    description: "LCR only, smoothed (lcr=ema, gcw=none)",
    weighting: artWith("ema", "none"),
    paperRow: "s with EMA, 29.81",
  },
  {
    label: "r-raw",
    description: "GCW only, raw ratio L/min (lcr=none, gcw=raw)",
    weighting: artWith("none", "raw"),
    paperRow: "r w/o log, 14.77",
  },
  {
    label: "r-log",
    description: "GCW only, log (lcr=none, gcw=log)",
    weighting: artWith("none", "log"),
    paperRow: "r with log, 29.71",
  },
  {
    label: "art",
    description: "Art, paper preset (s smoothed x r log, tau 3)",
    weighting: { name: "art", options: {} },
    paperRow: "both, 30.05",
  },
  {
    label: "art-official",
    description: "Art, official preset (tau 0.1, E = M = 0.1 at start)",
    weighting: { name: "art-official", options: {} },
  },
  {
    label: "art-rellog",
    description:
      "Art, paper preset with the scale-free GCW (gcw=relative-log: r = 1 + ln(L / M), M the min including this step)",
    weighting: artWith("ema", "relative-log"),
  },
  {
    label: "art-tau1",
    description: "Art, paper preset with tau 1 (investigation: sharper weights)",
    weighting: { name: "art", options: { tau: 1 } },
  },
  {
    label: "art-tau0.3",
    description: "Art, paper preset with tau 0.3 (investigation: much sharper weights)",
    weighting: { name: "art", options: { tau: 0.3 } },
  },
  // The paper's Table 5 (tau 0.1 ... 10) and Table 4 (the EMA weight, LCR only) at this scale (third round).
  {
    label: "art-tau0.1",
    description: "Art, paper preset with tau 0.1 (Table 5)",
    weighting: { name: "art", options: { tau: 0.1 } },
    paperRow: "tau 0.1, 29.59",
  },
  {
    label: "art-tau7",
    description: "Art, paper preset with tau 7 (Table 5)",
    weighting: { name: "art", options: { tau: 7 } },
  },
  {
    label: "art-tau10",
    description: "Art, paper preset with tau 10 (Table 5)",
    weighting: { name: "art", options: { tau: 10 } },
  },
  {
    label: "s-ema-r0.001",
    description: "LCR only, smoothed with EMA rate 0.001 (Table 4, beta 0.001)",
    weighting: { name: "art", options: { lcr: "ema", gcw: "none", rate: 0.001 } },
    paperRow: "beta 0.001, 29.81",
  },
  {
    label: "s-ema-r0.1",
    description: "LCR only, smoothed with EMA rate 0.1 (Table 4, beta 0.1)",
    weighting: { name: "art", options: { lcr: "ema", gcw: "none", rate: 0.1 } },
    paperRow: "beta 0.1, 29.79",
  },
  {
    label: "dwa",
    description: "DWA (T = 2), an epoch every 50 steps",
    weighting: { name: "dwa", options: {}, epochSteps: 50 },
  },
  { label: "rlw", description: "random loss weighting", weighting: { name: "rlw", options: {} } },
  { label: "gls", description: "geometric loss strategy", weighting: { name: "gls", options: {} } },
  { label: "uw", description: "uncertainty weighting", weighting: { name: "uw", options: {} } },
  { label: "imtl-l", description: "IMTL-L (loss part)", weighting: { name: "imtl-l", options: {} } },
  { label: "famo", description: "FAMO", weighting: { name: "famo", options: {} } },
  { label: "si", description: "scale-invariant (1/L)", weighting: { name: "si", options: {} } },
  // Gradient-aware (issue 20): the four with the best paired means on Multi-MNIST (docs/benchmarks.md),
  // chosen there so that nothing is picked on this benchmark's own test set.
  {
    label: "pcgrad",
    description: "PCGrad (projecting conflicting gradients, seeded task order)",
    weighting: { name: "pcgrad", options: {} },
  },
  {
    label: "cagrad",
    description: "CAGrad (conflict-averse gradient descent, calpha 0.5)",
    weighting: { name: "cagrad", options: {} },
  },
  {
    label: "imtl-g",
    description: "IMTL-G (equal projections on every unit task gradient)",
    weighting: { name: "imtl-g", options: {} },
  },
  {
    label: "upgrad",
    description: "UPGrad (TorchJD: each gradient projected onto the dual cone, averaged)",
    weighting: { name: "upgrad", options: {} },
  },
];

/** Looks methods up by label; unknown labels are reported together. */
export const selectMethods = (labels: readonly string[] | undefined): ExperimentMethod[] => {
  if (labels === undefined) return [...EXPERIMENT_METHODS];
  const unknown = labels.filter((label) => !EXPERIMENT_METHODS.some((m) => m.label === label));
  if (unknown.length > 0) {
    throw new RangeError(
      `unknown method(s) ${unknown.join(", ")}; known: ${EXPERIMENT_METHODS.map((m) => m.label).join(", ")}`,
    );
  }
  return labels.map((label) => EXPERIMENT_METHODS.find((m) => m.label === label)!);
};
