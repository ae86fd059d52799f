/**
 * The Multi-MNIST benchmark (issue 20, item 7): every weighting, loss-based and gradient-aware,
 * trains the same MultiLeNet (model.ts) on the same composites (data.ts), paired over seeds.
 *
 *   npm run experiment -- --benchmark multi-mnist                 # the default budget (printed first)
 *   npm run experiment -- --benchmark multi-mnist --summary-only  # rebuild the table and the plot
 *
 * Options: --benchmark multi-mnist|multi-fashion, --methods a,b,c (default: every loss weighting
 * and every gradient-aware one), --seeds N (default 5: seeds 1..N), --train N (training
 * composites, default 6000), --test N (test composites, default all 10,000), --epochs N (default
 * 3), --batch N (default 256), --lr X (Adam, default 1e-3), --missing P (drop each training label
 * with probability P, seeded per seed, fed to the trainer as the mask), --data-seed N (the
 * composites; default 1, the same for every seed), --backend wasm|cpu (default wasm, one thread),
 * --out DIR (default runs/multi-mnist), --plot FILE (also write the SVG there), --summary-only,
 * --measure-steps N (steps timed per method family for the budget estimate; 0 skips it).
 *
 * Pairing: within a seed every method starts from the same initial weights (seeded host Rng), sees
 * the same batches in the same order (a seeded permutation per epoch) and the same missing-label
 * mask; seeded weightings (RLW, PCGrad, GradVac, GradDrop) take the run's seed.
 *
 * Layout: DIR/<tag>/protocol.json (the budget every run of the folder shares; a rerun with another
 * budget into the same folder is refused), DIR/<tag>/<method>/seed<s>/result.json per finished run
 * (written atomically: a run without it is started again from scratch), error.txt for a run that
 * failed, and DIR/<tag>/summary.md + trade-off.svg. <tag> is the benchmark, plus `-missing<P>`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as E from "fp-ts/Either";

import { fromLossWeighting, type GradientWeighting } from "../../../src/core/gradient-weighting.js";
import { Rng } from "../../../src/core/random.js";
import type { AnyWeighting } from "../../../src/core/weighting.js";
import { endEpochEvery, observeOnNextStep } from "../../../src/strategies/combinators/index.js";
import { dwa } from "../../../src/strategies/dwa.js";
import { famo } from "../../../src/strategies/famo.js";
import { createWeighting, isStrategyName, STRATEGIES, STRATEGY_NAMES } from "../../../src/strategies/registry.js";
import { createGradientTrainer } from "../../../src/tfjs/gradient-trainer.js";
import type { Tensor, Tf } from "../../../src/tfjs/tf.js";
import { buildMultiFashionMnist, buildMultiMnist, loadFashionMnist, loadMnist, type TwoTaskBenchmark } from "./data.js";
import { createMultiLeNet, evaluate, NUM_CLASSES, softmaxCrossEntropy } from "./model.js";
import { writeSummary } from "./summary.js";

/** The loss weightings of the default grid (`art-official` is left to --methods). */
export const DEFAULT_LOSS_METHODS = ["equal", "art", "dwa", "rlw", "gls", "uw", "imtl-l", "famo", "si"] as const;

/**
 * The default budget: 6,000 composites × 3 epochs at batch 256 = 69 steps per run. Measured on the
 * 2-core development machine (wasm, one thread): 0.31 s of CPU per step for a loss weighting and
 * 0.54 s for a gradient-aware one, so the default grid (10 loss-only methods incl. STCH, 12
 * gradient-aware, 5 seeds: 110 runs) is ≈ 48 s of CPU per step of all runs, ≈ 55 min of training
 * + ≈ 5 min of evaluation on one free core. The runner measures and prints the estimate again
 * before it starts.
 */
export const DEFAULT_TRAIN = 6000;
export const DEFAULT_EPOCHS = 3;

/** What every run of one output folder shares. */
export interface Protocol {
  readonly benchmark: "multi-mnist" | "multi-fashion";
  readonly train: number;
  /** Test composites (undefined: every test image once). */
  readonly test?: number;
  readonly epochs: number;
  readonly batch: number;
  readonly lr: number;
  readonly missing: number;
  readonly dataSeed: number;
}

export interface BenchmarkOptions extends Protocol {
  readonly methods: readonly string[];
  readonly seeds: number;
  readonly out: string;
  /** Steps timed per method family before the grid starts (budget estimate); 0 skips. */
  readonly measureSteps?: number;
  /** A progress line every this many steps (default: about ten per run). */
  readonly progressEvery?: number;
  /** Also write the SVG here. */
  readonly plot?: string;
  /** Backend name recorded in the results. */
  readonly backend?: string;
}

/** One finished run, as result.json holds it. */
export interface RunResult {
  readonly benchmark: string;
  readonly method: string;
  readonly family: "loss" | "gradient";
  readonly seed: number;
  readonly taskNames: readonly string[];
  /** Test accuracy per task, in [0, 1]. */
  readonly accuracy: number[];
  /** Test cross-entropy per task. */
  readonly testLoss: number[];
  /** Each task's training loss at the last step (null: absent in that batch). */
  readonly finalLosses: Array<number | null>;
  /** Each task's mean training loss over the last epoch. */
  readonly lastEpochLosses: Array<number | null>;
  /** The coefficients of the last step. */
  readonly finalCoefficients: number[];
  readonly steps: number;
  /** Training wall time (s), without data building and evaluation. */
  readonly trainSeconds: number;
  readonly evalSeconds: number;
  readonly protocol: Protocol;
  readonly backend: string;
  readonly finishedAt: string;
}

export type Log = (line: string) => void;

/** The benchmark's folder name under --out. */
export const tagOf = (p: Pick<Protocol, "benchmark" | "missing">): string =>
  p.missing > 0 ? `${p.benchmark}-missing${p.missing}` : p.benchmark;
export const runDirOf = (out: string, tag: string, method: string, seed: number): string =>
  join(out, tag, method, `seed${seed}`);

/** Sub-seeds of a run seed: initial weights, batch order, missing-label mask. */
const initSeed = (seed: number): number => seed * 1000 + 1;
const orderSeed = (seed: number, epoch: number): number => seed * 1000 + 100 + epoch;
const maskSeed = (seed: number): number => seed * 1000 + 3;

type GradientRegistry = typeof import("../../../src/strategies/gradient/registry.js");

/** The gradient-aware registry, loaded lazily: while it is being written it may fail to load, and only its methods fail then. */
let gradientRegistry: Promise<E.Either<string, GradientRegistry>> | undefined;
export const loadGradientRegistry = (): Promise<E.Either<string, GradientRegistry>> =>
  (gradientRegistry ??= import("../../../src/strategies/gradient/registry.js").then(
    (m) => E.right(m),
    (error: unknown) =>
      E.left(`the gradient-aware registry failed to load: ${error instanceof Error ? error.message : String(error)}`),
  ));

/** Every method of the default grid: the loss weightings, then the gradient-aware ones that load. */
export async function defaultMethods(): Promise<string[]> {
  const registry = await loadGradientRegistry();
  return [...DEFAULT_LOSS_METHODS, ...(E.isRight(registry) ? registry.right.GRADIENT_STRATEGY_NAMES : [])];
}

/**
 * Options the benchmark sets: Art's GCW (`gcw=log`) needs losses in (0, 1), and a 10-class
 * cross-entropy starts at ln 10 ≈ 2.3, so Art sees 0.1 × the losses (its documented `lossScale`,
 * docs/art.md "Losses ≥ 1"); the rest of the paper preset is unchanged.
 */
export const LOSS_METHOD_OPTIONS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  art: { lossScale: 0.1 },
  "art-official": { lossScale: 0.1 },
};

/** "loss" for a loss weighting, "gradient" for a gradient-aware one (STCH included). */
export const familyOf = (method: string): "loss" | "gradient" => (isStrategyName(method) ? "loss" : "gradient");

/** Builds a method's weighting for a run: seeded ones take the run's seed; DWA closes an epoch every `stepsPerEpoch` steps; FAMO observes on the next step. */
export async function weightingFor(
  method: string,
  seed: number,
  stepsPerEpoch: number,
): Promise<GradientWeighting<unknown>> {
  if (isStrategyName(method)) {
    let w: AnyWeighting;
    if (method === "dwa") w = endEpochEvery(stepsPerEpoch, dwa());
    else if (method === "famo") w = observeOnNextStep(famo());
    else {
      const built = createWeighting(method, {
        ...(LOSS_METHOD_OPTIONS[method] ?? {}),
        ...("seed" in STRATEGIES[method].flags ? { seed } : {}),
      });
      if (E.isLeft(built)) throw new Error(`${method}: ${built.left.errors.join("; ")}`);
      w = built.right;
    }
    return fromLossWeighting(w);
  }
  const registry = await loadGradientRegistry();
  if (E.isLeft(registry)) throw new Error(registry.left);
  const { GRADIENT_STRATEGIES, createGradientWeighting, isGradientStrategyName, GRADIENT_STRATEGY_NAMES } =
    registry.right;
  if (!isGradientStrategyName(method))
    throw new Error(
      `unknown method ${JSON.stringify(method)} (loss weightings: ${STRATEGY_NAMES.join(", ")}; gradient-aware: ${GRADIENT_STRATEGY_NAMES.join(", ")})`,
    );
  const built = createGradientWeighting(method, "seed" in GRADIENT_STRATEGIES[method].flags ? { seed } : {}, 2);
  if (E.isLeft(built)) throw new Error(`${method}: ${built.left.errors.join("; ")}`);
  return built.right;
}

/** Builds the composites of a protocol. */
export function buildData(p: Protocol): TwoTaskBenchmark {
  const options = { seed: p.dataSeed, trainCount: p.train, ...(p.test === undefined ? {} : { testCount: p.test }) };
  const mnist = loadMnist();
  return p.benchmark === "multi-mnist"
    ? buildMultiMnist(mnist, options)
    : buildMultiFashionMnist(mnist, loadFashionMnist(), options);
}

const stepsPerEpochOf = (p: Protocol): number => Math.floor(p.train / p.batch);

/** A seeded permutation of 0..n-1. */
const permutation = (n: number, seed: number): Int32Array => {
  const rng = Rng.seeded(seed);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i] as number;
    perm[i] = perm[j] as number;
    perm[j] = t;
  }
  return perm;
};

/** `mask[k][n]` = 1 where training sample n keeps task k's label (each dropped with probability `missing`). */
const missingMask = (count: number, numTasks: number, missing: number, seed: number): Uint8Array[] | undefined => {
  if (missing <= 0) return undefined;
  const rng = Rng.seeded(seed);
  return Array.from({ length: numTasks }, () =>
    Uint8Array.from({ length: count }, () => (rng.uniform() < missing ? 0 : 1)),
  );
};

interface TrainOutcome {
  readonly finalLosses: Array<number | null>;
  readonly lastEpochLosses: Array<number | null>;
  readonly finalCoefficients: number[];
  readonly steps: number;
  readonly trainSeconds: number;
  readonly accuracy: number[];
  readonly testLoss: number[];
  readonly evalSeconds: number;
}

/**
 * Trains one (method, seed) for `maxSteps` (default: the protocol's epochs) and evaluates it on
 * the test split; `onStep` sees each step's losses.
 */
export async function trainOne(
  tf: Tf,
  data: TwoTaskBenchmark,
  p: Protocol,
  method: string,
  seed: number,
  options: {
    readonly maxSteps?: number;
    readonly evaluate?: boolean;
    readonly onStep?: (step: number, total: number, losses: ReadonlyArray<number | null>, seconds: number) => void;
  } = {},
): Promise<TrainOutcome> {
  const numTasks = 2;
  const size = data.train.size;
  const pixels = size * size;
  const stepsPerEpoch = stepsPerEpochOf(p);
  if (stepsPerEpoch < 1) throw new RangeError(`--train ${p.train} is smaller than one batch of ${p.batch}`);
  const total = options.maxSteps ?? stepsPerEpoch * p.epochs;
  const weighting = await weightingFor(method, seed, stepsPerEpoch);
  const net = createMultiLeNet(tf, { seed: initSeed(seed), numTasks, inputSize: size });
  const optimizer = tf.train.adam(p.lr);
  const mask = missingMask(data.train.count, numTasks, p.missing, maskSeed(seed));
  try {
    const trainer = createGradientTrainer({
      tf,
      model: net,
      optimizer,
      weighting,
      numTasks,
      perTaskLoss: [softmaxCrossEntropy, softmaxCrossEntropy],
      sharedVariables: net.sharedVariables,
    });
    let finalLosses: Array<number | null> = [null, null];
    let finalCoefficients: number[] = [0, 0];
    const epochSum = [0, 0];
    const epochCount = [0, 0];
    let step = 0;
    const started = performance.now();
    for (let epoch = 0; step < total; epoch++) {
      const order = permutation(data.train.count, orderSeed(seed, epoch));
      epochSum.fill(0);
      epochCount.fill(0);
      for (let b = 0; b < stepsPerEpoch && step < total; b++) {
        const idx = order.subarray(b * p.batch, (b + 1) * p.batch);
        const x = new Float32Array(idx.length * pixels);
        idx.forEach((n, i) => x.set(data.train.images.subarray(n * pixels, (n + 1) * pixels), i * pixels));
        const rows = mask === undefined ? undefined : Array.from(idx, (n) => mask.map((m) => m[n] as number));
        const inputs = tf.tensor(x, [idx.length, size, size, 1], "float32");
        const targets = data.train.labels.map(
          (labels) =>
            tf.tidy(() =>
              tf.oneHot(
                tf.tensor1d(
                  Array.from(idx, (n) => labels[n] as number),
                  "int32",
                ),
                NUM_CLASSES,
              ),
            ) as Tensor,
        );
        try {
          const result = await trainer.stepHeads(inputs, targets, rows);
          finalLosses = [...result.taskLosses];
          finalCoefficients = [...result.coefficients];
          result.taskLosses.forEach((l, k) => {
            if (l !== null) {
              epochSum[k] = (epochSum[k] as number) + l;
              epochCount[k] = (epochCount[k] as number) + 1;
            }
          });
          const bad = result.taskLosses.findIndex((l) => l !== null && !Number.isFinite(l));
          if (bad >= 0) throw new Error(`step ${step + 1}: task ${bad}'s loss is ${result.taskLosses[bad]}`);
        } finally {
          inputs.dispose();
          targets.forEach((t) => t.dispose());
        }
        step++;
        options.onStep?.(step, total, finalLosses, (performance.now() - started) / 1000);
      }
    }
    const trainSeconds = (performance.now() - started) / 1000;
    const lastEpochLosses = epochSum.map((s, k) =>
      (epochCount[k] as number) === 0 ? null : s / (epochCount[k] as number),
    );
    if (options.evaluate === false)
      return {
        finalLosses,
        lastEpochLosses,
        finalCoefficients,
        steps: step,
        trainSeconds,
        accuracy: [],
        testLoss: [],
        evalSeconds: 0,
      };
    const evalStarted = performance.now();
    const scores = await evaluate(tf, net, data.test.images, data.test.labels, size);
    return {
      finalLosses,
      lastEpochLosses,
      finalCoefficients,
      steps: step,
      trainSeconds,
      accuracy: scores.accuracy,
      testLoss: scores.loss,
      evalSeconds: (performance.now() - evalStarted) / 1000,
    };
  } finally {
    optimizer.dispose();
    net.dispose();
  }
}

const sameProtocol = (a: Protocol, b: Protocol): boolean =>
  JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
const normalise = (p: Protocol): Protocol => ({
  benchmark: p.benchmark,
  train: p.train,
  ...(p.test === undefined ? {} : { test: p.test }),
  epochs: p.epochs,
  batch: p.batch,
  lr: p.lr,
  missing: p.missing,
  dataSeed: p.dataSeed,
});

const writeAtomic = (path: string, text: string): void => {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
};

const fmtMinutes = (seconds: number): string =>
  seconds < 120
    ? `${seconds.toFixed(0)} s`
    : seconds < 7200
      ? `${(seconds / 60).toFixed(1)} min`
      : `${(seconds / 3600).toFixed(2)} h`;

/** What `runBenchmark` did. */
export interface BenchmarkOutcome {
  readonly finished: number;
  readonly skipped: number;
  readonly failed: ReadonlyArray<{ method: string; seed: number; error: string }>;
  readonly summaryPath: string;
  /** Measured seconds per step by family (absent when not measured). */
  readonly secondsPerStep: Partial<Record<"loss" | "gradient", number>>;
}

/**
 * Runs the grid (seeds outer, methods inner, so an interrupted grid has whole seeds), skipping
 * finished runs, then writes the summary. Nothing here picks the backend: `tf` is set up.
 */
export async function runBenchmark(tf: Tf, o: BenchmarkOptions, log: Log = console.log): Promise<BenchmarkOutcome> {
  const protocol = normalise(o);
  const tag = tagOf(protocol);
  const dir = join(o.out, tag);
  mkdirSync(dir, { recursive: true });
  const protocolPath = join(dir, "protocol.json");
  if (existsSync(protocolPath)) {
    const saved = JSON.parse(readFileSync(protocolPath, "utf8")) as Protocol;
    if (!sameProtocol(saved, protocol))
      throw new Error(
        `${protocolPath} holds another budget (${JSON.stringify(saved)}); this command asks for ${JSON.stringify(protocol)}. Use another --out, or the same options.`,
      );
  } else writeAtomic(protocolPath, `${JSON.stringify(protocol, null, 2)}\n`);

  const seeds = Array.from({ length: o.seeds }, (_, i) => i + 1);
  const pending: Array<{ method: string; seed: number }> = [];
  let skipped = 0;
  for (const seed of seeds) {
    for (const method of o.methods) {
      if (existsSync(join(runDirOf(o.out, tag, method, seed), "result.json"))) skipped++;
      else pending.push({ method, seed });
    }
  }
  const stepsPerEpoch = stepsPerEpochOf(protocol);
  const stepsPerRun = stepsPerEpoch * protocol.epochs;
  log(
    `benchmark ${protocol.benchmark}: ${o.methods.length} methods × ${o.seeds} seeds = ${o.methods.length * o.seeds} runs (${skipped} finished, ${pending.length} to run) → ${dir}`,
  );
  log(
    `per run: ${protocol.train} training composites, ${protocol.epochs} epoch(s) × ${stepsPerEpoch} steps of ${protocol.batch} = ${stepsPerRun} steps, Adam lr ${protocol.lr}${protocol.missing > 0 ? `, labels missing with p = ${protocol.missing}` : ""}, backend ${o.backend ?? "?"}`,
  );

  const secondsPerStep: Partial<Record<"loss" | "gradient", number>> = {};
  if (pending.length === 0) log("every run has finished: nothing to train");
  else {
    const t0 = performance.now();
    const data = buildData(protocol);
    log(
      `data: ${data.train.count} train / ${data.test.count} test composites of ${data.train.size}×${data.train.size} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    const measure = o.measureSteps ?? 5;
    let evalSeconds = 0;
    if (measure > 0) {
      // Time a few steps of one method per family (after one warm-up step), on this machine, now.
      const families: Array<["loss" | "gradient", string]> = [];
      const loss = pending.find((r) => familyOf(r.method) === "loss");
      const gradient = pending.find((r) => familyOf(r.method) === "gradient" && r.method !== "stch");
      if (loss !== undefined) families.push(["loss", loss.method]);
      if (gradient !== undefined) families.push(["gradient", gradient.method]);
      for (const [family, method] of families) {
        try {
          await trainOne(tf, data, protocol, method, 1, { maxSteps: 1, evaluate: false });
          const cpu = process.cpuUsage();
          const timed = await trainOne(tf, data, protocol, method, 1, { maxSteps: measure, evaluate: false });
          const used = process.cpuUsage(cpu);
          secondsPerStep[family] = timed.trainSeconds / measure;
          log(
            `measured: ${(timed.trainSeconds / measure).toFixed(3)} s/step wall, ${((used.user + used.system) / 1e6 / measure).toFixed(3)} s/step of CPU, ` +
              `for ${family === "loss" ? "a loss weighting" : "a gradient-aware weighting"} (${method}, ${measure} steps)`,
          );
        } catch (error) {
          log(`measured: ${method} failed while timing (${error instanceof Error ? error.message : String(error)})`);
        }
      }
      const e0 = performance.now();
      const net = createMultiLeNet(tf, { seed: 0, inputSize: data.test.size });
      await evaluate(tf, net, data.test.images, data.test.labels, data.test.size);
      net.dispose();
      evalSeconds = (performance.now() - e0) / 1000;
      const perRun = (method: string): number => {
        const family = familyOf(method) === "loss" || method === "stch" ? "loss" : "gradient";
        return (
          stepsPerRun * (secondsPerStep[family] ?? secondsPerStep.loss ?? secondsPerStep.gradient ?? 0) + evalSeconds
        );
      };
      const total = pending.reduce((s, r) => s + perRun(r.method), 0);
      log(
        `budget: ${pending.length} runs × ${stepsPerRun} steps ≈ ${fmtMinutes(total)} on this machine now ` +
          `(loss-based ≈ ${fmtMinutes(perRun("equal"))}/run, gradient-aware ≈ ${fmtMinutes(perRun("mgda"))}/run, evaluation ${evalSeconds.toFixed(1)} s/run)`,
      );
    }

    const every = o.progressEvery ?? Math.max(1, Math.round(stepsPerRun / 10));
    let done = 0;
    const failed: Array<{ method: string; seed: number; error: string }> = [];
    const gridStarted = performance.now();
    for (const { method, seed } of pending) {
      const runDir = runDirOf(o.out, tag, method, seed);
      mkdirSync(runDir, { recursive: true });
      rmSync(join(runDir, "error.txt"), { force: true });
      const label = `[${done + 1 + skipped}/${o.methods.length * o.seeds}] ${method} seed ${seed}`;
      try {
        const outcome = await trainOne(tf, data, protocol, method, seed, {
          onStep: (step, total, losses, seconds) => {
            if (step % every === 0 || step === total)
              log(
                `${label}: step ${step}/${total}, losses ${losses.map((l) => (l === null ? "—" : l.toFixed(4))).join(" ")}, ${(seconds / step).toFixed(3)} s/step`,
              );
          },
        });
        const result: RunResult = {
          benchmark: protocol.benchmark,
          method,
          family: familyOf(method),
          seed,
          taskNames: data.taskNames,
          ...outcome,
          protocol,
          backend: o.backend ?? tf.getBackend(),
          finishedAt: new Date().toISOString(),
        };
        writeAtomic(join(runDir, "result.json"), `${JSON.stringify(result, null, 2)}\n`);
        log(
          `${label}: accuracy ${outcome.accuracy.map((a) => (100 * a).toFixed(2)).join(" / ")} %, ${outcome.trainSeconds.toFixed(1)} s training + ${outcome.evalSeconds.toFixed(1)} s evaluation`,
        );
      } catch (error) {
        const message = error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
        writeFileSync(join(runDir, "error.txt"), message);
        failed.push({ method, seed, error: error instanceof Error ? error.message : String(error) });
        log(`${label}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
      }
      done++;
      const elapsed = (performance.now() - gridStarted) / 1000;
      if (done < pending.length)
        log(
          `progress: ${done}/${pending.length} runs of this invocation in ${fmtMinutes(elapsed)}, about ${fmtMinutes((elapsed / done) * (pending.length - done))} left`,
        );
    }
    const summaryPath = writeSummary(dir, { ...(o.plot === undefined ? {} : { plot: o.plot }), log, order: o.methods });
    return { finished: done - failed.length, skipped, failed, summaryPath, secondsPerStep };
  }
  const summaryPath = writeSummary(dir, { ...(o.plot === undefined ? {} : { plot: o.plot }), log, order: o.methods });
  return { finished: 0, skipped, failed: [], summaryPath, secondsPerStep };
}

const positiveInt = (flag: string, text: string | undefined, fallback: number): number => {
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${flag}: expected an integer >= 1 (got ${JSON.stringify(text)})`);
  return n;
};

/** The command line (`npm run experiment -- --benchmark multi-mnist …`); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        benchmark: { type: "string" },
        methods: { type: "string" },
        seeds: { type: "string" },
        train: { type: "string" },
        test: { type: "string" },
        epochs: { type: "string" },
        batch: { type: "string" },
        lr: { type: "string" },
        missing: { type: "string" },
        "data-seed": { type: "string" },
        backend: { type: "string" },
        out: { type: "string" },
        plot: { type: "string" },
        "summary-only": { type: "boolean", default: false },
        "measure-steps": { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`experiment --benchmark: ${(error as Error).message}`);
    return 2;
  }
  try {
    const benchmark =
      values.benchmark === "multi-fashion" || values.benchmark === "multi-fashion+mnist"
        ? "multi-fashion"
        : values.benchmark;
    if (benchmark !== "multi-mnist" && benchmark !== "multi-fashion")
      throw new Error(`--benchmark: expected multi-mnist or multi-fashion (got ${JSON.stringify(values.benchmark)})`);
    const missing = values.missing === undefined ? 0 : Number(values.missing);
    if (!(missing >= 0 && missing < 1))
      throw new Error(`--missing: expected a probability in [0, 1) (got ${JSON.stringify(values.missing)})`);
    const lr = values.lr === undefined ? 1e-3 : Number(values.lr);
    if (!(lr > 0)) throw new Error(`--lr: expected a positive number (got ${JSON.stringify(values.lr)})`);
    const dataSeed = values["data-seed"] === undefined ? 1 : Number(values["data-seed"]);
    if (!Number.isInteger(dataSeed) || dataSeed < 0) throw new Error(`--data-seed: expected an integer >= 0`);
    const protocol: Protocol = {
      benchmark,
      train: positiveInt("train", values.train as string | undefined, DEFAULT_TRAIN),
      ...(values.test === undefined ? {} : { test: positiveInt("test", values.test as string, 10_000) }),
      epochs: positiveInt("epochs", values.epochs as string | undefined, DEFAULT_EPOCHS),
      batch: positiveInt("batch", values.batch as string | undefined, 256),
      lr,
      missing,
      dataSeed,
    };
    const out = resolve((values.out as string | undefined) ?? "runs/multi-mnist");
    const plot = values.plot === undefined ? undefined : resolve(values.plot as string);
    if (values["summary-only"] === true) {
      writeSummary(join(out, tagOf(protocol)), {
        ...(plot === undefined ? {} : { plot }),
        log: console.log,
        order: await defaultMethods(),
      });
      return 0;
    }
    const methods =
      typeof values.methods === "string"
        ? values.methods
            .split(",")
            .map((m) => m.trim())
            .filter(Boolean)
        : await defaultMethods();
    const registry = await loadGradientRegistry();
    if (E.isLeft(registry))
      console.log(`note: ${registry.left}; the gradient-aware methods are left out of the default grid`);
    const seeds = positiveInt("seeds", values.seeds as string | undefined, 5);
    const backendChoice = (values.backend as string | undefined) ?? "wasm";
    if (backendChoice !== "wasm" && backendChoice !== "cpu")
      throw new Error(`--backend: expected wasm or cpu (got ${JSON.stringify(backendChoice)})`);
    const tf = await import("@tensorflow/tfjs-core");
    await import("@tensorflow/tfjs-layers"); // registers tfjs-core's gradients
    const { selectBackend } = await import("../../../src/tfjs/backend/index.js");
    const selection = await selectBackend(tf, backendChoice, { wasmThreads: 1 });
    const measureSteps = values["measure-steps"] === undefined ? 5 : Number(values["measure-steps"]);
    const outcome = await runBenchmark(
      tf,
      {
        ...protocol,
        methods,
        seeds,
        out,
        ...(plot === undefined ? {} : { plot }),
        backend: selection.backendName,
        measureSteps,
      },
      console.log,
    );
    console.log(
      `done: ${outcome.finished} runs finished now, ${outcome.skipped} already finished, ${outcome.failed.length} failed${outcome.failed.length > 0 ? ` (${outcome.failed.map((f) => `${f.method} seed ${f.seed}`).join(", ")})` : ""}; summary ${outcome.summaryPath}`,
    );
    return outcome.failed.length > 0 ? 1 : 0;
  } catch (error) {
    console.error(`experiment --benchmark: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}
