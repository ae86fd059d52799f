/**
 * The training config (`art-mtl train --config FILE`): a JSON object checked by io-ts codecs.
 * Every field but `steps` has a default; unknown keys are rejected (a typo is reported, not
 * ignored), and every error names the field and the bad value, e.g.
 * `schedule.kind: expected "constant" | "cosine" | "step" (got "linear")`.
 */
import * as E from "fp-ts/Either";
import * as t from "io-ts";

import { Count, NonNegativeInt, PositiveFinite } from "../../core/codecs.js";
import { formatDecodeErrors } from "../../core/report.js";
import { strictPartial } from "../../core/strict.js";
import { totalMemoryBytes } from "../../platform/node.js";
import { isTaskName, MIOIR_TASKS, type TaskName } from "../degradations/degradations.js";
import { ModelSpec, resolveModelSpec } from "../models/registry.js";
import type { ResolvedModelSpec } from "../models/spec.js";
import type { Schedule } from "./schedule.js";

/** A registered task name (see the degradation registry). */
const Task = new t.Type<TaskName, string, unknown>(
  "TaskName",
  (u): u is TaskName => typeof u === "string" && isTaskName(u),
  (u, c) =>
    typeof u === "string" && isTaskName(u)
      ? t.success(u)
      : t.failure(u, c, `expected a task name (${[...MIOIR_TASKS, "noise15", "noise25", "noise50"].join(", ")})`),
  (a) => a,
);

/**
 * A union discriminated by `key`: the value's `key` picks the branch, so an error names the one
 * branch meant (or says which values `key` may take), instead of one line per branch.
 */
const discriminated = <A>(name: string, key: string, branches: Record<string, t.Mixed>): t.Type<A, unknown, unknown> =>
  new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => Object.values(branches).some((b) => b.is(u)),
    (u, c) => {
      if (typeof u !== "object" || u === null || Array.isArray(u))
        return t.failure(u, c, `expected an object with "${key}"`);
      const tag = (u as Record<string, unknown>)[key];
      const branch =
        typeof tag === "string" && Object.prototype.hasOwnProperty.call(branches, tag) ? branches[tag] : undefined;
      if (branch === undefined) {
        return t.failure(
          tag,
          [...c, { key, type: t.string, actual: tag }],
          `expected ${Object.keys(branches)
            .map((b) => JSON.stringify(b))
            .join(" | ")}`,
        );
      }
      return branch.validate(u, c) as t.Validation<A>;
    },
    (a) => a,
  );

/** A non-empty list of distinct tasks. */
const TaskList = t.refinement(
  t.array(Task),
  (list) => list.length > 0 && new Set(list).size === list.length,
  "TaskList (non-empty, no duplicates)",
);

const NonNegativeFinite = t.refinement(t.number, (n) => Number.isFinite(n) && n >= 0, "NonNegativeFinite");
const UnitInterval = t.refinement(t.number, (n) => n > 0 && n <= 1, "number in (0, 1]");

const FolderSource = strictPartial(
  { folder: t.string, onBadFile: t.keyof({ error: null, skip: null }), cacheSize: Count },
  "FolderSource",
);

/** The data section. */
export const DataConfig = strictPartial(
  {
    /** "procedural" (default) or a folder of clean images. */
    source: new t.Type<
      "procedural" | { folder?: string; onBadFile?: "error" | "skip"; cacheSize?: number },
      unknown,
      unknown
    >(
      "DataSource",
      (u): u is "procedural" => u === "procedural" || FolderSource.is(u),
      (u, c) =>
        typeof u === "string"
          ? u === "procedural"
            ? t.success(u)
            : t.failure(u, c, 'expected "procedural" or { "folder": DIR }')
          : FolderSource.validate(u, c),
      (a) => a,
    ),
    /** Side of the square training patches (default 48). */
    patchSize: t.refinement(t.number, (n) => Number.isInteger(n) && n >= 8, "integer >= 8"),
    /** Random flips and quarter turns (default true). */
    augment: t.boolean,
    /** Relative share of each task in a batch, one per task (default equal). */
    proportions: t.array(NonNegativeFinite),
    /** Sequential curriculum: start with the first task, add the next one every `stepsPerTask` steps. */
    curriculum: strictPartial({ stepsPerTask: Count }, "Curriculum"),
    /** How batches are prepared ahead: "auto" (default), "worker", "thread" or "none". */
    prefetch: t.keyof({ auto: null, worker: null, thread: null, none: null }),
  },
  "DataConfig",
);

/** The model section: a restoration model spec (see the models module); default a tiny SRResNet. */
export const ModelConfig = ModelSpec;

/** The weighting section: a name and its options. */
export const WeightingConfig = t.intersection(
  [
    t.type({ name: t.string }),
    strictPartial({ name: t.string, options: t.UnknownRecord, epochSteps: NonNegativeInt }, "WeightingOptions"),
  ],
  "WeightingConfig",
);

/** The learning-rate schedule. */
export const ScheduleConfig = discriminated<{
  kind?: "constant" | "cosine" | "step";
  minLr?: number;
  warmupSteps?: number;
  every?: number;
  gamma?: number;
}>("Schedule", "kind", {
  constant: strictPartial({ kind: t.literal("constant") }, "ConstantSchedule"),
  cosine: strictPartial(
    { kind: t.literal("cosine"), minLr: NonNegativeFinite, warmupSteps: NonNegativeInt },
    "CosineSchedule",
  ),
  step: strictPartial({ kind: t.literal("step"), every: Count, gamma: UnitInterval }, "StepSchedule"),
});

/** Evaluation during and after training. */
export const EvalConfig = strictPartial(
  {
    /** "procedural" (default: fixed-seed procedural images), a frozen set directory, or a folder of clean images. */
    data: t.string,
    /** Procedural or folder images per task (default 4). */
    images: Count,
    /** Side of procedural images, or the centre-crop of folder images (default 64). */
    size: Count,
    /** Metric convention (default "basicsr"). */
    convention: t.keyof({ basicsr: null, skimage: null }),
  },
  "EvalConfig",
);

const configProps = {
  /** A name for the run (default: the output directory's name). */
  name: t.string,
  tasks: TaskList,
  data: DataConfig,
  model: ModelConfig,
  weighting: WeightingConfig,
  steps: Count,
  batch: Count,
  /** Task-prompted models: share of samples whose task is hidden from the model, to train its blind path (default 0.15; 0 for other models). */
  blindRate: t.refinement(t.number, (n) => Number.isFinite(n) && n >= 0 && n <= 1, "number in [0, 1]"),
  lr: PositiveFinite,
  schedule: ScheduleConfig,
  seed: NonNegativeInt,
  /** tfjs backend: "auto" (default), "wasm", "cpu", "node", "node-gpu", "webgpu". */
  backend: t.keyof({ auto: null, wasm: null, cpu: null, node: null, "node-gpu": null, webgpu: null }),
  /** Run directory (default runs/<name or "run">). */
  output: t.string,
  /** Steps between checkpoints (default 100; the last step always checkpoints). */
  checkpointEvery: Count,
  /** Steps between evaluations (default 0 = only at the end). */
  evalEvery: NonNegativeInt,
  eval: EvalConfig,
  /**
   * Warm start: a checkpoint directory (of a run, or a shipped model's `checkpoint/`) whose model
   * weights fill this model's variables of the same name before step 0; variables it lacks (layers
   * added since, e.g. `globalContext`) keep their initialisation, and the optimizer and weighting
   * start fresh. Ignored on resume (the run's own checkpoint holds everything).
   */
  initFrom: t.string,
  /**
   * The per-sample loss each task's loss averages (default "l1"): "l1", "charbonnier" (a smooth
   * L1, epsilon 1e-3), or "psnr" (50 dB minus the sample's PSNR: the mean PSNR an eval reports).
   */
  loss: t.keyof({ l1: null, charbonnier: null, psnr: null }),
  /** Data-parallel replicas on worker threads (default 1: train on the calling thread); "auto": one per core. */
  workers: new t.Type<number | "auto", unknown, unknown>(
    "Workers",
    (u): u is number | "auto" => u === "auto" || Count.is(u),
    (u, c) =>
      u === "auto" || Count.is(u)
        ? t.success(u as number | "auto")
        : t.failure(u, c, 'expected "auto" or an integer >= 1'),
    (a) => a,
  ),
};

/** What a user writes (all optional but `steps`). */
export const TrainConfigInput = t.intersection(
  [t.type({ steps: Count }), strictPartial(configProps, "TrainConfig")],
  "TrainConfig",
);
/** A config as written by the user (before defaults). */
export type TrainConfigInput = t.TypeOf<typeof TrainConfigInput>;

/** A complete config: every default filled in (what config.json of a run holds). */
export interface TrainConfig {
  readonly name: string;
  readonly tasks: readonly TaskName[];
  readonly data: {
    readonly source:
      "procedural" | { readonly folder: string; readonly onBadFile: "error" | "skip"; readonly cacheSize: number };
    readonly patchSize: number;
    readonly augment: boolean;
    readonly proportions?: readonly number[];
    readonly curriculum?: { readonly stepsPerTask: number };
    readonly prefetch: "auto" | "worker" | "thread" | "none";
  };
  readonly model: ResolvedModelSpec;
  /** `epochSteps`: for epoch-aware strategies (DWA), the steps between `endEpoch` events (0: never). */
  readonly weighting: { readonly name: string; readonly options: Record<string, unknown>; readonly epochSteps: number };
  readonly steps: number;
  readonly batch: number;
  /** Share of samples trained blind (task id hidden from a task-prompted model); present only for task-prompted models. */
  readonly blindRate?: number;
  readonly lr: number;
  readonly schedule: Schedule;
  readonly seed: number;
  readonly backend: "auto" | "wasm" | "cpu" | "node" | "node-gpu" | "webgpu";
  readonly output: string;
  readonly checkpointEvery: number;
  readonly evalEvery: number;
  readonly eval: {
    readonly data: string;
    readonly images: number;
    readonly size: number;
    readonly convention: "basicsr" | "skimage";
  };
  /**
   * Data-parallel replicas on worker threads: 1 trains on the calling thread; N >= 2 splits each
   * batch over N replicas (at most `batch`); "auto" takes one per core. Optional in the type
   * only for configs built by hand; `resolveTrainConfig` always sets it.
   */
  readonly workers?: number | "auto";
  /** Warm start from this checkpoint's model weights (see the codec); absent for a fresh start. */
  readonly initFrom?: string;
  /**
   * The per-sample loss (see the codec). Optional in the type only for configs built by hand and
   * runs saved before it existed (both mean "l1"); `resolveTrainConfig` always sets it.
   */
  readonly loss?: TrainLoss;
}

/** The per-sample losses a config can name. */
export type TrainLoss = "l1" | "charbonnier" | "psnr";

/** The defaults, in one place (the docs' config reference lists these). */
export const TRAIN_DEFAULTS = {
  tasks: MIOIR_TASKS,
  patchSize: 48,
  batch: 14,
  lr: 2e-4,
  seed: 0,
  /** A tiny SRResNet: trains in minutes on two CPU cores. */
  model: { kind: "srresnet", width: 16, blocks: 2 } as ModelSpec,
  checkpointEvery: 100,
  blindRate: 0.15,
  evalImages: 4,
  evalSize: 64,
} as const;

/**
 * The largest activation tensor of a training step, batch × patch² × width floats, must fit a
 * typed array (2^31 − 1 elements here): past it tfjs fails mid-step with "Invalid typed array
 * length". The whole step holds several such tensors per layer, so a config whose one tensor is
 * above a quarter of the machine's memory is refused too, with the numbers.
 *
 * @example
 * memoryProblems(1e9, 64, 16) // ["batch, data.patchSize, model.width: one activation is 1e9 × 64² × 16 = … floats; …"]
 */
export const memoryProblems = (
  batch: number,
  patchSize: number,
  width: number,
  totalBytes: number = totalMemoryBytes(),
): string[] => {
  const floats = batch * patchSize * patchSize * Math.max(3, width);
  const bytes = floats * 4;
  const say = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} G` : `${(n / 1e6).toFixed(1)} M`);
  // One 3x3 convolution's weights, width × width × 9 floats (and Adam keeps two more of each).
  const kernel = width * width * 9;
  if (kernel > 2 ** 31 - 1 || kernel * 4 * 3 > totalBytes / 4) {
    return [
      `model.width: one 3x3 convolution of width ${width} has ${say(kernel)} weights (${say(kernel * 4)}B, three times that with Adam's moments); this machine has ${say(totalBytes)}B: lower the width`,
    ];
  }
  if (floats > 2 ** 31 - 1 || bytes > totalBytes / 4) {
    return [
      `batch, data.patchSize, model.width: one activation is ${batch} × ${patchSize}² × ${Math.max(3, width)} = ${say(floats)} floats (${say(bytes)}B), and a step holds several per layer; ` +
        `this machine has ${say(totalBytes)}B: lower the batch, the patch size or the width`,
    ];
  }
  return [];
};

/**
 * Checks a parsed JSON config and fills the defaults. Left: one line per problem,
 * `field.path: expected TYPE (got VALUE)`.
 *
 * @example
 * resolveTrainConfig({ steps: 100, batch: 0 }) // Left(["batch: expected Count (got 0)"])
 */
export function resolveTrainConfig(raw: unknown): E.Either<string[], TrainConfig> {
  const decoded = TrainConfigInput.decode(raw);
  if (E.isLeft(decoded)) return E.left(formatDecodeErrors(decoded.left));
  const c = decoded.right;
  const tasks = c.tasks ?? [...TRAIN_DEFAULTS.tasks];
  const problems: string[] = [];
  const proportions = c.data?.proportions;
  if (proportions !== undefined && proportions.length !== tasks.length) {
    problems.push(
      `data.proportions: expected ${tasks.length} values, one per task (got ${JSON.stringify(proportions)})`,
    );
  }
  if (proportions !== undefined && proportions.every((p) => p === 0))
    problems.push(`data.proportions: at least one must be > 0 (got ${JSON.stringify(proportions)})`);
  const s = c.schedule;
  const schedule: Schedule =
    s?.kind === "cosine"
      ? { kind: "cosine", minLr: s.minLr ?? 0, warmupSteps: s.warmupSteps ?? 0 }
      : s?.kind === "step"
        ? { kind: "step", every: s.every ?? Math.max(1, Math.floor(c.steps / 3)), gamma: s.gamma ?? 0.5 }
        : { kind: "constant" };
  const source = c.data?.source;
  if (typeof source === "object" && source.folder === undefined)
    problems.push("data.source.folder: required (got undefined)");
  const lr = c.lr ?? TRAIN_DEFAULTS.lr;
  if (schedule.kind === "cosine" && schedule.minLr > lr)
    problems.push(`schedule.minLr: must not exceed lr ${lr} (got ${schedule.minLr})`);
  const model = resolveModelSpec(c.model ?? TRAIN_DEFAULTS.model);
  if (c.blindRate !== undefined && model.taskPrompt !== true)
    problems.push(
      `blindRate: only task-prompted models (model.taskPrompt: true) have a blind path (got ${c.blindRate})`,
    );
  const batch = c.batch ?? TRAIN_DEFAULTS.batch;
  if (typeof c.workers === "number" && c.workers > batch)
    problems.push(`workers: each worker needs at least one sample of the batch (${batch}) (got ${c.workers})`);
  const convention = c.eval?.convention ?? "basicsr";
  const window = convention === "basicsr" ? 11 : 7;
  const evalSize = c.eval?.size ?? TRAIN_DEFAULTS.evalSize;
  if (evalSize < window)
    problems.push(`eval.size: SSIM (${convention}) needs images of at least ${window}x${window} (got ${evalSize})`);
  // A registered kind without a numeric width counts as the image's 3 channels.
  problems.push(
    ...memoryProblems(
      batch,
      c.data?.patchSize ?? TRAIN_DEFAULTS.patchSize,
      typeof model.width === "number" ? model.width : 0,
    ),
  );
  if (problems.length > 0) return E.left(problems);
  const name = c.name ?? (c.output !== undefined ? (c.output.split(/[\\/]/).filter(Boolean).pop() ?? "run") : "run");
  return E.right({
    name,
    tasks,
    data: {
      source:
        typeof source === "object"
          ? {
              folder: source.folder as string,
              onBadFile: source.onBadFile ?? "error",
              cacheSize: source.cacheSize ?? 64,
            }
          : "procedural",
      patchSize: c.data?.patchSize ?? TRAIN_DEFAULTS.patchSize,
      augment: c.data?.augment ?? true,
      ...(proportions === undefined ? {} : { proportions }),
      ...(c.data?.curriculum?.stepsPerTask === undefined
        ? {}
        : { curriculum: { stepsPerTask: c.data.curriculum.stepsPerTask } }),
      prefetch: c.data?.prefetch ?? "auto",
    },
    model,
    weighting: {
      name: c.weighting?.name ?? "art",
      options: (c.weighting?.options ?? {}) as Record<string, unknown>,
      epochSteps: c.weighting?.epochSteps ?? 0,
    },
    steps: c.steps,
    batch,
    ...(model.taskPrompt === true ? { blindRate: c.blindRate ?? TRAIN_DEFAULTS.blindRate } : {}),
    lr,
    schedule,
    seed: c.seed ?? TRAIN_DEFAULTS.seed,
    backend: c.backend ?? "auto",
    output: c.output ?? `runs/${name}`,
    checkpointEvery: c.checkpointEvery ?? TRAIN_DEFAULTS.checkpointEvery,
    evalEvery: c.evalEvery ?? 0,
    eval: {
      data: c.eval?.data ?? "procedural",
      images: c.eval?.images ?? TRAIN_DEFAULTS.evalImages,
      size: c.eval?.size ?? TRAIN_DEFAULTS.evalSize,
      convention: c.eval?.convention ?? "basicsr",
    },
    workers: c.workers ?? 1,
    loss: c.loss ?? "l1",
    ...(c.initFrom === undefined ? {} : { initFrom: c.initFrom }),
  });
}
