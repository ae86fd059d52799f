import fc from "fast-check";

/**
 * Shared fast-check arbitraries and settings for the property tests.
 * Every property runs at least 1000 times (FC_NUM_RUNS can raise it; it never goes lower in CI).
 */
const requested = Number(process.env.FC_NUM_RUNS ?? "1000");
export const NUM_RUNS = Number.isFinite(requested) && requested >= 1000 ? requested : 1000;
fc.configureGlobal({ numRuns: NUM_RUNS });

export type Lcr = "none" | "raw" | "ema";
export type Gcw = "none" | "raw" | "log" | "relative-log";

export interface GeneratedConfig {
  preset: "paper" | "official";
  numTasks: number;
  tau: number;
  rate: number;
  lcr: Lcr;
  gcw: Gcw;
}

/** Loss values valid for the chosen gcw: (0, 1) under log, (0, 1e3] otherwise. */
export const lossValue = (gcw: Gcw): fc.Arbitrary<number> =>
  gcw === "log"
    ? fc.double({ min: 1e-6, max: 0.999, noNaN: true, noDefaultInfinity: true })
    : fc.double({ min: 1e-6, max: 1e3, noNaN: true, noDefaultInfinity: true });

/** A loss vector of length K with some absent tasks but at least one present. */
export const lossVector = (numTasks: number, gcw: Gcw, absentFrequency = 4): fc.Arbitrary<(number | null)[]> =>
  fc
    .tuple(
      fc.array(fc.option(lossValue(gcw), { freq: absentFrequency, nil: null }), { minLength: numTasks, maxLength: numTasks }),
      fc.nat({ max: numTasks - 1 }),
      lossValue(gcw),
    )
    .map(([losses, forced, value]) => (losses.every((l) => l === null) ? losses.map((l, k) => (k === forced ? value : l)) : losses));

/** Any configuration of the rule (both presets, every ablation switch). */
export const anyConfig = (maxTasks = 8): fc.Arbitrary<GeneratedConfig> =>
  fc.record({
    preset: fc.constantFrom("paper" as const, "official" as const),
    numTasks: fc.integer({ min: 1, max: maxTasks }),
    tau: fc.double({ min: 0.05, max: 10, noNaN: true }),
    rate: fc.double({ min: 1e-3, max: 1, noNaN: true }),
    lcr: fc.constantFrom<Lcr>("none", "raw", "ema"),
    gcw: fc.constantFrom<Gcw>("none", "raw", "log", "relative-log"),
  });

/** The paper preset with its defaults and K tasks. */
export const paperConfig = (maxTasks = 8): fc.Arbitrary<GeneratedConfig> =>
  fc.integer({ min: 1, max: maxTasks }).map((numTasks) => ({
    preset: "paper" as const,
    numTasks,
    tau: 3,
    rate: 0.01,
    lcr: "ema" as const,
    gcw: "log" as const,
  }));

/** A config together with a sequence of valid loss vectors for it. */
export const configAndSequence = (
  config: fc.Arbitrary<GeneratedConfig> = anyConfig(),
  maxLength = 30,
): fc.Arbitrary<{ config: GeneratedConfig; sequence: (number | null)[][] }> =>
  config.chain((c) =>
    fc.record({
      config: fc.constant(c),
      sequence: fc.array(lossVector(c.numTasks, c.gcw), { minLength: 1, maxLength }),
    }),
  );

/**
 * A config, a valid sequence for it, and more values drawn knowing both (a task index, an
 * extra loss vector, a cut point, ...).
 */
export const configSequenceAnd = <T extends Record<string, unknown>>(
  config: fc.Arbitrary<GeneratedConfig>,
  extra: (config: GeneratedConfig, sequence: (number | null)[][]) => { [K in keyof T]: fc.Arbitrary<T[K]> },
): fc.Arbitrary<{ config: GeneratedConfig; sequence: (number | null)[][] } & T> =>
  configAndSequence(config).chain(({ config: c, sequence }) =>
    fc
      .record(extra(c, sequence) as { [K in keyof T]: fc.Arbitrary<T[K]> })
      .map((values) => ({ config: c, sequence, ...(values as T) })),
  );
