import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Finite, NonNegativeInt } from "../../core/codecs.js";
import { invalidGradients } from "../../core/errors.js";
import type { GradientWeighting } from "../../core/gradient-weighting.js";
import { strictPartial } from "../../core/strict.js";
import { vectorProblems } from "../common.js";
import type { FlagSpec } from "../registry.js";
import { gradientWeighting, type GradientMethod, type GradientMethodState } from "./method.js";

/**
 * DB-MTL ("Dual-Balancing for Multi-Task Learning", Lin et al. 2023), as LibMTL
 * implements it (`LibMTL/weighting/DB_MTL.py`, `DB_MTL.backward`).
 *
 * Loss balancing: each task's gradient is that of log(L_k + 1e-8), i.e. g_k / (L_k + 1e-8).
 * Gradient balancing: an exponential moving average of those per task,
 * b_k ← ĝ_k + (β / t^σ)·(b_k − ĝ_k) (b_k starts at 0; t counts the steps), and the update is
 * d = Σ_k α_k b_k with α_k = max_j |b_j| / (|b_k| + 1e-8): every buffered log-gradient rescaled
 * to the largest buffered norm. d is not a combination of this step's gradients g_k, so a step
 * returns `direction` = d and, as `coefficients`, the α_k (the scale of task k's buffer in d).
 *
 * The buffer is K × P numbers (P = the gradient length) and lives in the state: a checkpoint
 * grows with P. Absent tasks keep their buffer and step count, take no part in the maximum
 * and get α = 0; t is counted per task (LibMTL's global count when every task is always present).
 */

/** log(L + 1e-8) in LibMTL: keeps the log finite at L = 0 (art-mtl's losses are > 0). */
const LOG_EPSILON = 1e-8;
/** Keeps α finite when a buffer is 0. */
const NORM_EPSILON = 1e-8;

const NonNegativeFinite = t.refinement(Finite, (n) => n >= 0, "number >= 0");
const Beta = t.refinement(t.number, (n) => n >= 0 && n < 1, "number in [0, 1)");

const optionProps = { beta: Beta, betaSigma: NonNegativeFinite };

/**
 * Options of `dbMtl` (all optional): the buffer's momentum `beta` (0.9) and its decay exponent
 * `betaSigma` (0: the momentum at step t is beta / t^betaSigma).
 *
 * @example
 * DbMtlOptions.decode({ beta: 0.5, betaSigma: 0.5 }) // Right
 */
export const DbMtlOptions = strictPartial(optionProps, "DbMtlOptions");
/** What a user writes (plain numbers; the factory checks them). */
export type DbMtlOptions = t.OutputOf<typeof DbMtlOptions>;

/** DB-MTL's checked configuration. */
export interface DbMtlConfig {
  readonly beta: number;
  readonly betaSigma: number;
}

/**
 * DB-MTL's defaults: LibMTL's `--DB_beta 0.9 --DB_beta_sigma 0`.
 *
 * @example
 * DB_MTL_DEFAULTS.beta // 0.9
 */
export const DB_MTL_DEFAULTS: DbMtlConfig = { beta: 0.9, betaSigma: 0 };

/** What DB-MTL carries between steps: per task, its buffered log-gradient and its step count. */
export interface DbMtlMemory {
  /** b_k, null until task k's first step (LibMTL's zeros). */
  readonly buffers: ReadonlyArray<ReadonlyArray<number> | null>;
  /** How many steps task k's buffer has taken (t in β / t^σ). */
  readonly counts: ReadonlyArray<number>;
}

/** DB-MTL's state. */
export type DbMtlState = GradientMethodState<DbMtlConfig, DbMtlMemory>;

const memoryCodec = t.type({ buffers: t.array(t.union([t.array(Finite), t.null])), counts: t.array(NonNegativeInt) });

const memoryProblems = (memory: DbMtlMemory, _config: DbMtlConfig, numTasks: number): string[] => {
  const shape = [
    ...vectorProblems("buffers", memory.buffers, numTasks, () => true, ""),
    ...vectorProblems("counts", memory.counts, numTasks, () => true, ""),
  ];
  if (shape.length > 0) return shape;
  const problems: string[] = [];
  let length = -1;
  memory.buffers.forEach((buffer, k) => {
    if ((buffer === null) !== (memory.counts[k] === 0))
      problems.push(`buffers.${k}: expected null exactly when counts.${k} is 0 (count ${memory.counts[k]})`);
    if (buffer === null) return;
    if (length === -1) length = buffer.length;
    else if (buffer.length !== length)
      problems.push(`buffers.${k}: expected ${length} entries like the other buffers (got ${buffer.length})`);
  });
  return problems;
};

const norm = (v: ReadonlyArray<number>): number => {
  let s = 0;
  for (let p = 0; p < v.length; p++) s += v[p]! * v[p]!;
  return Math.sqrt(s);
};

/**
 * DB-MTL as a `GradientMethod` (`needs: "gradients"`; it returns `direction`).
 *
 * @example
 * const w = gradientWeighting(DB_MTL_METHOD, {});
 */
export const DB_MTL_METHOD: GradientMethod<t.TypeOf<typeof DbMtlOptions>, DbMtlConfig, DbMtlMemory> = {
  name: "db-mtl",
  needs: "gradients",
  coefficientsOnSimplex: false,
  optionsCodec: DbMtlOptions,
  configOf: (options) =>
    E.right({ beta: options.beta ?? DB_MTL_DEFAULTS.beta, betaSigma: options.betaSigma ?? DB_MTL_DEFAULTS.betaSigma }),
  configProps: optionProps,
  initMemory: (_config, numTasks) => ({
    buffers: new Array<null>(numTasks).fill(null),
    counts: new Array<number>(numTasks).fill(0),
  }),
  memoryCodec,
  memoryProblems,
  solve: (config, memory, problem) => {
    const { present, losses, gradients } = problem;
    const length = gradients[0]?.length ?? 0;
    const stored = memory.buffers.find((b) => b !== null);
    if (stored !== undefined && stored !== null && stored.length !== length) {
      return E.left(
        invalidGradients(
          `expected ${stored.length} entries per gradient, the length of DB-MTL's buffered gradients (got ${length})`,
        ),
      );
    }
    const buffers = [...memory.buffers];
    const counts = [...memory.counts];
    present.forEach((k, i) => {
      const gradient = gradients[i]!;
      const loss = losses[i]! + LOG_EPSILON;
      const previous = buffers[k];
      const step = counts[k]! + 1;
      const momentum = config.beta / step ** config.betaSigma;
      const next = new Array<number>(length);
      for (let p = 0; p < length; p++) {
        const logGradient = gradient[p]! / loss;
        next[p] =
          logGradient + momentum * ((previous === null || previous === undefined ? 0 : previous[p]!) - logGradient);
      }
      buffers[k] = next;
      counts[k] = step;
    });
    const norms = present.map((k) => norm(buffers[k]!));
    const largest = Math.max(...norms);
    const alphas = norms.map((u) => largest / (u + NORM_EPSILON));
    const direction = new Array<number>(length).fill(0);
    present.forEach((k, i) => {
      const buffer = buffers[k]!;
      const alpha = alphas[i]!;
      for (let p = 0; p < length; p++) direction[p] = direction[p]! + alpha * buffer[p]!;
    });
    return E.right({
      coefficients: alphas,
      direction,
      memory: { buffers, counts },
      diagnostics: { bufferNorm: norms },
    });
  },
};

/**
 * DB-MTL as a gradient-aware weighting. Its `direction` is the update (Σ α_k b_k, over the
 * buffered log-gradients); its `coefficients` are the α_k (≥ 1, the largest buffer's is ≈ 1).
 *
 * @example
 * const w = dbMtl();
 * const r = unwrap(w.step(unwrap(w.init(2)), { losses: [1, 2], gradients: [[1, 0], [0, 4]] }));
 * r.coefficients // [≈ 2, ≈ 1]: the buffers 0.1·g/L = [0.1, 0] and [0, 0.2] both rescaled to norm 0.2
r.direction    // [≈ 0.2, ≈ 0.2]
 */
export const dbMtl = (
  options: DbMtlOptions & { readonly gramianTolerance?: number } = {},
): GradientWeighting<DbMtlState> => gradientWeighting(DB_MTL_METHOD, options);

/**
 * `dbMtl`'s command-line flags.
 *
 * @example
 * dbMtlFlags["beta-sigma"] // { key: "betaSigma", kind: "number" }
 */
export const dbMtlFlags: Record<string, FlagSpec> = {
  beta: { key: "beta", kind: "number" },
  "beta-sigma": { key: "betaSigma", kind: "number" },
};
