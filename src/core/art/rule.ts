import * as E from "fp-ts/Either";

import { invalidLoss, invalidState, noPresentTask, wrongLength, type ConfigError, type StepError } from "../errors.js";
import { checkLossEntry, guardLosses } from "../losses.js";
import { softmaxPresent } from "../softmax.js";
import type { TaskLosses, WeightingStep } from "../weighting.js";
import { OFFICIAL_INITIAL_VALUE, RELEASED_EMA_BUG_TASK, resolveArtConfig, type ArtConfig } from "./config.js";
import type { ArtState, ArtTaskState } from "./state.js";

/**
 * Art's rule as a pure state machine (see docs/art.md and the spec):
 * `initArt(options) → Either<ConfigError, ArtState>`,
 * `stepArt(state, losses) → Either<StepError, { state, weights, diagnostics }>`.
 */

/** Diagnostics of one Art step, per task (null where the task was absent). */
export interface ArtDiagnostics {
  /** Local convergence rate s_k. */
  readonly s: ReadonlyArray<number | null>;
  /** Global convergence weight r_k. */
  readonly r: ReadonlyArray<number | null>;
  /** Softmax logit z_k = s_k r_k / tau. */
  readonly z: ReadonlyArray<number | null>;
  readonly [series: string]: ReadonlyArray<number | null>;
}

/** The result of one Art step. */
export interface ArtStep extends WeightingStep<ArtState> {
  readonly diagnostics: ArtDiagnostics;
}

const UNSEEN: ArtTaskState = Object.freeze({ seen: false, ema: null, min: null, prev: null });

/**
 * The starting state for a configuration (options are checked; defaults come from the preset).
 *
 * @example
 * initArt({ numTasks: 3 })                   // Right(state) with the paper preset
 * initArt({ preset: "official", numTasks: 3 }) // E = M = 0.1 for every task
 * initArt({ numTasks: 0 })                   // Left(InvalidConfig "numTasks: expected Count (got 0)")
 */
export const initArt = (options: unknown): E.Either<ConfigError, ArtState> =>
  E.map((config: ArtConfig): ArtState => {
    const official = config.preset === "official";
    const start: ArtTaskState = official
      ? Object.freeze({
          seen: false,
          ema: OFFICIAL_INITIAL_VALUE,
          min: OFFICIAL_INITIAL_VALUE,
          prev: OFFICIAL_INITIAL_VALUE,
        })
      : UNSEEN;
    return { kind: "art", version: 1, config, step: 0, tasks: Array.from({ length: config.numTasks }, () => start) };
  })(resolveArtConfig(options));

/** Whether a loss (after `lossScale`) is inside the domain of the config's rule. */
export const inArtDomain = (config: ArtConfig, loss: number): boolean => {
  const scaled = loss * config.lossScale;
  return config.gcw === "log" ? scaled > 0 && scaled < 1 : scaled > 0 && Number.isFinite(scaled);
};

/** Says what the domain is and how to get a loss into it (used in error messages). */
export const artDomainDescription = (config: ArtConfig): string => {
  const scale = config.lossScale;
  if (config.gcw !== "log") return `loss * lossScale must stay finite and > 0 (lossScale = ${scale})`;
  return scale === 1
    ? "gcw=log needs 0 < loss < 1 (ln 1 = 0); set lossScale so that scaled losses stay below 1, or use gcw=relative-log"
    : `gcw=log needs 0 < loss * lossScale < 1 (lossScale = ${scale}); lower lossScale or use gcw=relative-log`;
};

/**
 * One step of Art. The input state is never mutated; on error it is simply not replaced.
 *
 * @example
 * const s0 = initArt({ numTasks: 3 });          // Right
 * stepArt(s0.right, [0.2, null, 0.05])           // Right({ state, weights: [w0, 0, w2], diagnostics })
 * stepArt(s0.right, [0.2, NaN, 0.05])            // Left(InvalidLoss "task 1: invalid loss NaN: ...")
 */
export const stepArt = (state: ArtState, losses: TaskLosses): E.Either<StepError, ArtStep> =>
  guardLosses(stepArtOnCopy)(state, losses);

const stepArtOnCopy = (state: ArtState, losses: TaskLosses): E.Either<StepError, ArtStep> => {
  const config = state.config;
  const numTasks = config.numTasks;
  if (state.tasks.length !== numTasks) {
    return E.left(invalidState([`tasks: expected ${numTasks} entries (got ${state.tasks.length})`]));
  }
  if (!Array.isArray(losses) || losses.length !== numTasks) {
    return E.left(wrongLength(numTasks, Array.isArray(losses) ? losses.length : Number.NaN));
  }

  // Validation and the rule share one pass; nothing is returned until every entry is checked,
  // and nothing is mutated, so an error leaves the caller with its state intact.
  const official = config.preset === "official";
  const { tau, rate, lcr, gcw, lossScale } = config;
  const useEma = lcr === "ema";
  const useRaw = lcr === "raw";
  // The released code's bug (opt-in): one task's EMA is never updated (-1: none).
  const frozenEma = config.releasedEmaBug === true ? RELEASED_EMA_BUG_TASK : -1;
  const s = new Array<number | null>(numTasks);
  const r = new Array<number | null>(numTasks);
  const z = new Array<number | null>(numTasks);
  const tasks = new Array<ArtTaskState>(numTasks);

  let present = 0;
  for (let k = 0; k < numTasks; k++) {
    const raw = losses[k] as number | null;
    const task = state.tasks[k] as ArtTaskState;
    if (raw === null) {
      s[k] = null;
      r[k] = null;
      z[k] = null;
      tasks[k] = task;
      continue;
    }
    const invalid = checkLossEntry(k, raw, config.taskNames);
    if (invalid !== null) return E.left(invalid);
    if (!inArtDomain(config, raw)) {
      return E.left(invalidLoss(k, raw, "out-of-domain", config.taskNames?.[k], artDomainDescription(config)));
    }
    present++;
    const loss = raw * lossScale;
    // Paper: an unseen task starts from its first loss. Official: from the fixed initial values.
    const firstSight = !official && !task.seen;
    const ema = firstSight ? loss : (task.ema as number);
    const previousMin = firstSight ? loss : (task.min as number);
    const prev = firstSight ? loss : (task.prev as number);
    const min = Math.min(previousMin, loss);
    // Paper: the minimum includes this step. Official: the minimum from before this step.
    const ruleMin = official ? previousMin : min;

    const localRate = useEma ? loss / ema : useRaw ? loss / prev : 1;
    const globalWeight =
      gcw === "log"
        ? Math.log(ruleMin) / Math.log(loss)
        : gcw === "raw"
          ? loss / ruleMin
          : gcw === "relative-log"
            ? // Our extension, not in the released code: it always uses the minimum including
              // this step (r >= 1 in both presets); with the official "minimum before" order,
              // 1 + ln(L/M) goes negative for a new low and the weight stops being monotone in L.
              1 + Math.log(loss / min)
            : 1;
    s[k] = localRate;
    r[k] = globalWeight;
    const score = (localRate * globalWeight) / tau;
    // Only an inconsistent state (e.g. a hand-edited checkpoint with min = 1 under gcw=log) can
    // make the score undefined; say so instead of returning NaN weights.
    if (Number.isNaN(score)) {
      return E.left(
        invalidState([
          `tasks.${k}: the state gives an undefined score for loss ${loss} (s = ${localRate}, r = ${globalWeight}); ema, min or prev is inconsistent`,
        ]),
      );
    }
    z[k] = score;
    // The EMA of positive losses is positive, but a convex combination of subnormal values can
    // round to 0 (0.5 * 5e-324 + 0.5 * 5e-324): floor it at the smallest positive double, as the
    // weights are, so the state stays inside its own codec's domain (ema > 0).
    const nextEma = k === frozenEma ? ema : Math.max(rate * loss + (1 - rate) * ema, Number.MIN_VALUE);
    tasks[k] = { seen: true, ema: nextEma, min, prev: loss };
  }

  if (present === 0) return E.left(noPresentTask());

  // Softmax over the present tasks only. The official code gives absent tasks z = -1e5 and a
  // softmax over all K; exp(-1e5 - max) is exactly 0 in double precision, so both agree.
  const weights = softmaxPresent(z);
  return E.right({
    state: { kind: "art", version: 1, config, step: state.step + 1, tasks },
    weights,
    diagnostics: { s, r, z },
  });
};
