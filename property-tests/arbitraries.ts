import fc from "fast-check";

/**
 * Shared fast-check arbitraries and settings for the property tests.
 * Every property runs at least 1000 times (FC_NUM_RUNS can raise it; it never goes lower in CI).
 */
const requested = Number(process.env.FC_NUM_RUNS ?? "1000");
export const NUM_RUNS = Number.isFinite(requested) && requested >= 1000 ? requested : 1000;
// Merged into the global settings, so a preloaded setting (the mutation runs' endOnFailure) is kept.
fc.configureGlobal({ ...fc.readConfigureGlobal(), numRuns: NUM_RUNS });

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

/** The largest subnormal double (the normals start at 2^-1022 = 2.2250738585072014e-308). */
export const LARGEST_SUBNORMAL = 2.225073858507201e-308;

/**
 * Loss values valid for the chosen gcw: (0, 1) under log, (0, 1e300] otherwise. Most draws are
 * ordinary ([1e-6, 0.999] or [1e-6, 1e3]); the rest reach the edges of float64 on purpose:
 * subnormal losses (down to 5e-324), tiny normal ones, losses a hair below 1 under log (ln L
 * near -1e-16, so r = ln M / ln L is huge) and, outside log, losses far above 1e3. With a tiny
 * tau these make the logits z = s r / tau overflow to +Infinity for some tasks and not for
 * others, which the softmax's +Infinity branch must handle. (1e300 rather than MAX_VALUE keeps
 * the EMA, a convex combination of losses, clear of overflow.) `ordinaryOnly` keeps to the
 * ordinary ranges, for the few properties that hold only while s r stays finite.
 */
export const lossValue = (gcw: Gcw, ordinaryOnly = false): fc.Arbitrary<number> => {
  const range = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  const extremes = [
    { weight: 1, arbitrary: range(Number.MIN_VALUE, LARGEST_SUBNORMAL) },
    { weight: 1, arbitrary: range(LARGEST_SUBNORMAL, 1e-6) },
  ];
  if (ordinaryOnly) return gcw === "log" ? range(1e-6, 0.999) : range(1e-6, 1e3);
  return gcw === "log"
    ? fc.oneof({ weight: 6, arbitrary: range(1e-6, 0.999) }, ...extremes, {
        weight: 1,
        arbitrary: range(0.999, 1 - Number.EPSILON / 2),
      })
    : fc.oneof({ weight: 6, arbitrary: range(1e-6, 1e3) }, ...extremes, { weight: 1, arbitrary: range(1e3, 1e300) });
};

/**
 * The temperature: mostly ordinary ([0.05, 10]), sometimes tiny (down to the smallest positive
 * double, so that z overflows) or huge (up to 1e300, so that z underflows towards 0).
 */
export const tauValue: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: 0.05, max: 10, noNaN: true }) },
  { weight: 2, arbitrary: fc.double({ min: Number.MIN_VALUE, max: 0.05, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: 10, max: 1e300, noNaN: true, noDefaultInfinity: true }) },
);

/** A loss vector of length K with some absent tasks but at least one present. */
export const lossVector = (
  numTasks: number,
  gcw: Gcw,
  absentFrequency = 4,
  ordinaryOnly = false,
): fc.Arbitrary<(number | null)[]> =>
  fc
    .tuple(
      fc.array(fc.option(lossValue(gcw, ordinaryOnly), { freq: absentFrequency, nil: null }), {
        minLength: numTasks,
        maxLength: numTasks,
      }),
      fc.nat({ max: numTasks - 1 }),
      lossValue(gcw, ordinaryOnly),
    )
    .map(([losses, forced, value]) =>
      losses.every((l) => l === null) ? losses.map((l, k) => (k === forced ? value : l)) : losses,
    );

/** Any configuration of the rule (both presets, every ablation switch). */
export const anyConfig = (maxTasks = 8): fc.Arbitrary<GeneratedConfig> =>
  fc.record({
    preset: fc.constantFrom("paper" as const, "official" as const),
    numTasks: fc.integer({ min: 1, max: maxTasks }),
    tau: tauValue,
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
  ordinaryOnly = false,
): fc.Arbitrary<{ config: GeneratedConfig; sequence: (number | null)[][] }> =>
  config.chain((c) =>
    fc.record({
      config: fc.constant(c),
      sequence: fc.array(lossVector(c.numTasks, c.gcw, 4, ordinaryOnly), { minLength: 1, maxLength }),
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
