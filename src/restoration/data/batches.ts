/**
 * Training batches for all-in-one restoration: every sample carries its task label (an index
 * into the task list), a batch mixes tasks in a fixed, seeded proportion (batch 14 over the 7
 * MiOIR tasks = 2 per task), and a batch is a pure function of (seed, step), so a resumed run,
 * a second method, or a worker thread all see exactly the same batches.
 *
 * Output is flat NHWC Float32Arrays ready for `tf.tensor4d(inputs, shape)` plus `taskIds`.
 */
import { Rng } from "../../core/random.js";
import { degrade, type TaskName } from "../degradations/degradations.js";
import { imageFolderSource, type BadFilePolicy } from "./folder.js";
import { mixSeed, proceduralSource, type CleanSource, type ProceduralSourceOptions } from "./sources.js";

/**
 * Where clean patches come from: `"procedural"` (embedded, no files; the default), a procedural
 * pool with options, or a folder of clean PNG/JPEG images.
 */
export type DataSourceSpec =
  | "procedural"
  | { readonly procedural: ProceduralSourceOptions }
  | { readonly folder: string; readonly onBadFile?: BadFilePolicy; readonly cacheSize?: number };

/** Builds the `CleanSource` a spec names. */
export function openSource(spec: DataSourceSpec = "procedural", onWarning?: (message: string) => void): CleanSource {
  if (spec === "procedural") return proceduralSource();
  if ("procedural" in spec) return proceduralSource(spec.procedural);
  return imageFolderSource(spec.folder, {
    ...(spec.onBadFile === undefined ? {} : { onBadFile: spec.onBadFile }),
    ...(spec.cacheSize === undefined ? {} : { cacheSize: spec.cacheSize }),
    ...(onWarning === undefined ? {} : { onWarning }),
  });
}

/** What the batches are made of. Everything but `activeTasks` and `onWarning` is plain data (it crosses to a worker). */
export interface BatchOptions {
  /** The tasks; a sample's `taskId` is its index here. */
  readonly tasks: readonly TaskName[];
  readonly batchSize: number;
  /** Side of the square patches in pixels. */
  readonly patchSize: number;
  readonly seed: number;
  /** Default `"procedural"`. */
  readonly source?: DataSourceSpec;
  /** Relative share of each task in a batch (default equal); need not sum to 1. */
  readonly proportions?: readonly number[];
  /** Random flips and quarter turns (default true). */
  readonly augment?: boolean;
  /** Keep the drawn degradation parameters per sample (default false; for debugging and frozen sets). */
  readonly keepParams?: boolean;
}

/** Hooks that stay on the main thread. */
export interface BatchHooks {
  /**
   * The task indices that may be drawn at `step` (a curriculum, e.g. sequential: one task
   * more every N steps); default all. Must be a pure function of the step.
   */
  readonly activeTasks?: (step: number) => readonly number[];
  /** Where data warnings (skipped files) go. */
  readonly onWarning?: (message: string) => void;
}

/** One batch, NHWC. */
export interface Batch {
  readonly step: number;
  /** [batch, height, width, 3]. */
  readonly shape: readonly [number, number, number, number];
  /** Degraded inputs, flat NHWC float32 in [0, 1]. */
  readonly inputs: Float32Array;
  /** Clean targets, same layout. */
  readonly targets: Float32Array;
  /** Task index of each sample (samples are grouped by task, in task order). */
  readonly taskIds: Int32Array;
  /** Samples per task in this batch (0 for tasks not drawn). */
  readonly counts: readonly number[];
  /** Drawn degradation parameters per sample, when `keepParams` was set. */
  readonly params?: ReadonlyArray<Readonly<Record<string, number>>>;
}

/**
 * How many samples of each task a batch holds: `batchSize` split over the active tasks in
 * proportion to `proportions` (largest remainder). Leftover slots rotate with the step among
 * the tasks with the largest remainders, so over many steps every task gets its exact share.
 *
 * @example
 * taskCounts(14, [1,1,1,1,1,1,1], [0,1,2,3,4,5,6], 0) // [2,2,2,2,2,2,2]
 * taskCounts(8, [1,1,1,1,1,1,1], [0,1,2,3,4,5,6], 3)  // one task (rotating with the step) gets 2
 */
export function taskCounts(
  batchSize: number,
  proportions: readonly number[],
  active: readonly number[],
  step: number,
): number[] {
  const numTasks = proportions.length;
  const counts = new Array<number>(numTasks).fill(0);
  const activeSet = [...new Set(active)].filter((k) => k >= 0 && k < numTasks && (proportions[k] as number) > 0);
  if (activeSet.length === 0)
    throw new RangeError(`no active task with a positive proportion (active: ${JSON.stringify(active)})`);
  const total = activeSet.reduce((sum, k) => sum + (proportions[k] as number), 0);
  const remainders: { k: number; frac: number }[] = [];
  let assigned = 0;
  for (const k of activeSet) {
    const exact = (batchSize * (proportions[k] as number)) / total;
    counts[k] = Math.floor(exact + 1e-9);
    assigned += counts[k] as number;
    remainders.push({ k, frac: exact - (counts[k] as number) });
  }
  // Ties (e.g. equal shares) are broken by a rotation that advances with the step.
  const rotated = (k: number) => (((k - step) % numTasks) + numTasks) % numTasks;
  remainders.sort((a, b) => (Math.abs(b.frac - a.frac) > 1e-9 ? b.frac - a.frac : rotated(a.k) - rotated(b.k)));
  for (let i = 0; assigned < batchSize; i++, assigned++) {
    const k = (remainders[i % remainders.length] as { k: number }).k;
    counts[k] = (counts[k] as number) + 1;
  }
  return counts;
}

/** Checks batch options; throws RangeError naming the field and value. */
export function checkBatchOptions(options: BatchOptions): void {
  const { tasks, batchSize, patchSize, proportions } = options;
  if (tasks.length === 0) throw new RangeError("tasks: at least one task is required");
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new RangeError(`batchSize: expected an integer >= 1 (got ${batchSize})`);
  if (!(Number.isInteger(patchSize) && patchSize >= 4))
    throw new RangeError(`patchSize: expected an integer >= 4 (got ${patchSize})`);
  if (proportions !== undefined) {
    if (proportions.length !== tasks.length)
      throw new RangeError(`proportions: expected ${tasks.length} values, one per task (got ${proportions.length})`);
    const bad = proportions.findIndex((p) => !(Number.isFinite(p) && p >= 0));
    if (bad >= 0) throw new RangeError(`proportions[${bad}]: expected a finite number >= 0 (got ${proportions[bad]})`);
  }
}

/**
 * Synthesises batches: `batch(step)` is deterministic in (options, step), whatever order the
 * steps are asked in.
 *
 * @example
 * const synth = new BatchSynthesizer({ tasks: ["noise", "rain"], batchSize: 4, patchSize: 48, seed: 1 });
 * const b = await synth.batch(0);
 * const x = tf.tensor4d(b.inputs, [...b.shape]);
 */
export class BatchSynthesizer {
  private readonly source: CleanSource;
  private readonly proportions: readonly number[];
  private readonly allTasks: readonly number[];

  constructor(
    readonly options: BatchOptions,
    readonly hooks: BatchHooks = {},
  ) {
    checkBatchOptions(options);
    this.source = openSource(options.source, hooks.onWarning);
    this.proportions = options.proportions ?? options.tasks.map(() => 1);
    this.allTasks = options.tasks.map((_, k) => k);
  }

  /** What the patches are cut from, for logs. */
  get sourceDescription(): string {
    return this.source.description;
  }

  /** The active tasks at `step` (all when no curriculum). */
  activeAt(step: number): readonly number[] {
    return this.hooks.activeTasks?.(step) ?? this.allTasks;
  }

  /** The batch of `step`; `active` overrides the hook (a worker gets it from the main thread). */
  async batch(step: number, active: readonly number[] = this.activeAt(step)): Promise<Batch> {
    const { tasks, batchSize, patchSize, seed } = this.options;
    const augment = this.options.augment ?? true;
    const counts = taskCounts(batchSize, this.proportions, active, step);
    const sampleSize = patchSize * patchSize * 3;
    const inputs = new Float32Array(batchSize * sampleSize);
    const targets = new Float32Array(batchSize * sampleSize);
    const taskIds = new Int32Array(batchSize);
    const params: Record<string, number>[] = [];
    // One generator per step: batch(step) does not depend on the batches before it.
    const rng = Rng.seeded(mixSeed(seed, step));
    let slot = 0;
    for (let k = 0; k < tasks.length; k++) {
      for (let i = 0; i < (counts[k] as number); i++, slot++) {
        const clean = await this.source.drawPatch(rng, patchSize, augment);
        const degraded = degrade(tasks[k] as TaskName, clean, rng);
        targets.set(clean.data, slot * sampleSize);
        inputs.set(degraded.image.data, slot * sampleSize);
        taskIds[slot] = k;
        if (this.options.keepParams === true) params.push({ ...degraded.params });
      }
    }
    return {
      step,
      shape: [batchSize, patchSize, patchSize, 3],
      inputs,
      targets,
      taskIds,
      counts,
      ...(this.options.keepParams === true ? { params } : {}),
    };
  }
}
