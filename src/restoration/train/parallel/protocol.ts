/**
 * What the coordinator (the training loop's thread) and the replica workers share: the message
 * types, the shared-memory layout and the waits on it.
 *
 * One step, for replica w of N (see docs/training.md#workers):
 *  1. the coordinator posts each replica its shard (`StepRequest`);
 *  2. inside its taped forward pass the replica reads its per-task loss SUMS (one synchronous
 *     read-back), posts them (`losses`) and blocks in `Atomics.wait` on `ctrl[ALPHA]`;
 *  3. the coordinator reduces the shards (`reduceTaskLosses`), steps the weighting once, writes
 *     c_k = alpha_k / n_k (n_k: task k's count in the GLOBAL batch) into `coefficients` and
 *     publishes the step number in `ctrl[ALPHA]`;
 *  4. the replica's loss is sum_k c_k * (its sum of task-k losses); its backward pass gives its
 *     share of the gradient of sum_k alpha_k * mean_k; it writes the gradient into its slot of
 *     `gradients`, and all replicas meet at a barrier;
 *  5. replica w sums slot 0..N-1 (in that order) over its 1/N of the parameters into `summed`;
 *     a second barrier; every replica applies the same summed gradient with the same optimizer,
 *     so the replicas stay bitwise identical, and posts `done`.
 * No replica applies an update unless every replica has written its gradient (the first
 * barrier), so a replica that fails before that point leaves the others at the previous step.
 *
 * With a gradient-aware weighting (mode "gradient") the weighting needs the Gramian of the
 * per-task gradients of the GLOBAL batch, so the shards' gradients are summed before it is formed:
 *  1. the replica runs a forward and backward pass per task present in its shard (its sub-batch;
 *     about one pass in all), reads back its per-task loss sums and gradient sums once, and
 *     writes each task's gradient sum into its slots of `taskGradients`; a barrier;
 *  2. replica w sums the N shards (in replica order) over its 1/N of the parameters, divides by
 *     task k's count in the global batch (`taskMeans`: the mean gradient g_k of the whole batch),
 *     and writes that range's share of G = [g_i·g_j] (float64) into its slot of `gramParts`;
 *     a second barrier, then it posts its loss sums (`losses`) and waits on `ctrl[ALPHA]`;
 *  3. the coordinator reduces the losses, sums the N Gramian parts in replica order, steps the
 *     weighting (reading `taskMeans` for the methods that need the gradients themselves), writes
 *     the coefficients c (or a direction into `direction`, flagged in `ctrl[DIRECTION]`) and
 *     publishes the step in `ctrl[ALPHA]`;
 *  4. every replica forms the same update Σ_k c_k g_k (float64 sums in task order, rounded to
 *     float32) and applies it, so the replicas stay bitwise identical.
 */
import type { TrainConfig } from "../config.js";

/** Indices into `ctrl` (an Int32Array over a SharedArrayBuffer). */
export const CTRL = {
  /** 1 once the run is aborted: every wait throws `ReplicaAborted`. */
  ABORT: 0,
  /** The step whose coefficients are in `coefficients`. */
  ALPHA: 1,
  /** Replicas arrived at the current barrier. */
  BARRIER_COUNT: 2,
  /** Barrier generation (advanced by the last replica to arrive). */
  BARRIER_GENERATION: 3,
  /** Gradient mode: the step whose update is a direction in `direction` (not Σ c_k g_k). */
  DIRECTION: 4,
  LENGTH: 5,
} as const;

/** The shared buffers of one parallel run. */
export interface SharedBuffers {
  readonly ctrl: SharedArrayBuffer;
  /** Float64 [K]: c_k = alpha_k / n_k of the current step. */
  readonly coefficients: SharedArrayBuffer;
  /** Float32 [N * P]: replica r's gradient at r * P (P: trainable parameters). */
  readonly gradients: SharedArrayBuffer;
  /** Float32 [P]: the summed gradient. */
  readonly summed: SharedArrayBuffer;
  /** Int32 [N * V]: whether replica r's loss reached trainable variable v (a gradient exists). */
  readonly reached: SharedArrayBuffer;
  /** Gradient mode only (empty otherwise): Float32 [N * K * P], replica r's gradient sum of task k at (r * K + k) * P. */
  readonly taskGradients: SharedArrayBuffer;
  /** Gradient mode only: Float32 [K * P], task k's mean gradient over the global batch at k * P. */
  readonly taskMeans: SharedArrayBuffer;
  /** Gradient mode only: Float64 [N * K * K], replica r's range's share of the Gramian at r * K * K. */
  readonly gramParts: SharedArrayBuffer;
  /** Gradient mode only: Float32 [P], the update direction of a method that returns one (GradDrop, DB-MTL). */
  readonly direction: SharedArrayBuffer;
}

/** How the replicas train: "loss" (one weighted loss, a summed gradient) or "gradient" (per-task gradients and their Gramian). */
export type ReplicaMode = "loss" | "gradient";

/**
 * Allocates the buffers for `replicas` replicas, K tasks, P parameters in V variables. Gradient
 * mode holds K gradient copies per replica (N·K·P + K·P + P floats) instead of one (N·P + P).
 */
export const allocateShared = (
  replicas: number,
  numTasks: number,
  parameters: number,
  variables: number,
  mode: ReplicaMode = "loss",
): SharedBuffers => {
  const gradient = mode === "gradient";
  return {
    ctrl: new SharedArrayBuffer(CTRL.LENGTH * 4),
    coefficients: new SharedArrayBuffer(numTasks * 8),
    gradients: new SharedArrayBuffer(gradient ? 0 : replicas * parameters * 4),
    summed: new SharedArrayBuffer(gradient ? 0 : parameters * 4),
    reached: new SharedArrayBuffer(replicas * variables * 4),
    taskGradients: new SharedArrayBuffer(gradient ? replicas * numTasks * parameters * 4 : 0),
    taskMeans: new SharedArrayBuffer(gradient ? numTasks * parameters * 4 : 0),
    gramParts: new SharedArrayBuffer(gradient ? replicas * numTasks * numTasks * 8 : 0),
    direction: new SharedArrayBuffer(gradient ? parameters * 4 : 0),
  };
};

/** A fault a test injects into one replica (never set outside tests). */
export interface ReplicaFault {
  readonly replica: number;
  /** The (1-based) step at which it strikes. */
  readonly step: number;
  /** "exit": the thread exits without a word; "throw": an uncaught exception; "hang": it blocks forever. */
  readonly kind: "exit" | "throw" | "hang";
}

/** `workerData` of a replica. */
export interface ReplicaInit {
  readonly replica: number;
  readonly replicas: number;
  readonly config: TrainConfig;
  readonly shared: SharedBuffers;
  /** P and V as the coordinator's own copy of the model counts them (the replica checks its own). */
  readonly parameters: number;
  readonly variables: number;
  /** Whether the weighting observes post-update losses (two-phase, "same-batch"). */
  readonly observe: boolean;
  /** "gradient" for a gradient-aware weighting (per-task gradients and their Gramian). */
  readonly mode: ReplicaMode;
  /** How long a replica waits for the coordinator or the other replicas before giving up (ms). */
  readonly timeoutMs: number;
  readonly fault?: ReplicaFault;
}

/** A tensor's values as they travel between threads. */
export interface TensorValues {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: "float32" | "int32";
  readonly values: Float32Array | Int32Array;
}

/** A replica's variables and optimizer state. */
export interface ReplicaSnapshot {
  /** The checkpointed variables, in the model's order. */
  readonly variables: readonly TensorValues[];
  /** `optimizer.getWeights()` (iterations first). */
  readonly optimizer: readonly TensorValues[];
  /** The last step whose update this replica applied. */
  readonly appliedStep: number;
  /** Tensors the replica's tfjs holds (constant from step to step: nothing leaks). */
  readonly tensors?: number;
}

/** Coordinator → replica. */
export type CoordinatorMessage =
  | {
      readonly kind: "step";
      /** 1-based step number (the trainer's step count after this step). */
      readonly step: number;
      readonly lr: number;
      readonly shape: readonly [number, number, number, number];
      readonly inputs: Float32Array;
      readonly targets: Float32Array;
      readonly taskIds: Int32Array;
      readonly modelTaskIds: Int32Array;
      /** Each task's count in the GLOBAL batch (gradient mode divides the summed gradients by it). */
      readonly globalCounts: readonly number[];
    }
  | { readonly kind: "load"; readonly snapshot: ReplicaSnapshot; readonly withOptimizer: boolean }
  | { readonly kind: "snapshot"; readonly id: number };

/** Replica → coordinator. */
export type ReplicaMessage =
  | { readonly kind: "ready"; readonly backend: string }
  | { readonly kind: "loaded" }
  | { readonly kind: "losses"; readonly step: number; readonly sums: readonly number[] }
  | { readonly kind: "done"; readonly step: number; readonly observed?: readonly number[] }
  | { readonly kind: "aborted"; readonly step: number; readonly appliedStep: number }
  | { readonly kind: "failed"; readonly step: number; readonly message: string; readonly stack?: string }
  | { readonly kind: "snapshot"; readonly id: number; readonly snapshot: ReplicaSnapshot };

/** A wait ended because the coordinator aborted the run (another replica failed, or the weighting rejected the losses). */
export class ReplicaAborted extends Error {
  override readonly name = "ReplicaAborted";
}

/**
 * Blocks until `ctrl[index]` satisfies `done`, the run is aborted (throws `ReplicaAborted`), or
 * `timeoutMs` passes (throws, naming `what`). Only worker threads may block like this.
 */
export const waitFor = (
  ctrl: Int32Array,
  index: number,
  done: (value: number) => boolean,
  what: string,
  timeoutMs: number,
): number => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (Atomics.load(ctrl, CTRL.ABORT) !== 0) throw new ReplicaAborted(`aborted while waiting for ${what}`);
    const value = Atomics.load(ctrl, index);
    if (done(value)) return value;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`waited ${Number((timeoutMs / 1000).toFixed(1))} s for ${what}; giving up`);
    // Slices of at most a second, so an abort is seen even if a notify is missed.
    Atomics.wait(ctrl, index, value, Math.min(left, 1000));
  }
};

/** A barrier of `parties` threads on `ctrl` (generation-counting; reusable). */
export const barrier = (ctrl: Int32Array, parties: number, what: string, timeoutMs: number): void => {
  const generation = Atomics.load(ctrl, CTRL.BARRIER_GENERATION);
  if (Atomics.add(ctrl, CTRL.BARRIER_COUNT, 1) === parties - 1) {
    // The last to arrive resets the count before releasing the others, so the next barrier starts at 0.
    Atomics.store(ctrl, CTRL.BARRIER_COUNT, 0);
    Atomics.add(ctrl, CTRL.BARRIER_GENERATION, 1);
    Atomics.notify(ctrl, CTRL.BARRIER_GENERATION);
    return;
  }
  waitFor(ctrl, CTRL.BARRIER_GENERATION, (g) => g !== generation, what, timeoutMs);
};

/** Aborts the run: every replica's current or next wait throws `ReplicaAborted`. */
export const abortAll = (ctrl: Int32Array): void => {
  Atomics.store(ctrl, CTRL.ABORT, 1);
  Atomics.notify(ctrl, CTRL.ALPHA);
  Atomics.notify(ctrl, CTRL.BARRIER_GENERATION);
};

/** The [start, end) range of the P parameters replica `r` of `n` sums. */
export const reduceRange = (r: number, n: number, parameters: number): readonly [number, number] => [
  Math.floor((r * parameters) / n),
  Math.floor(((r + 1) * parameters) / n),
];
