/**
 * `art-mtl/tfjs`: train with Art (or any `Weighting`) in any tfjs loop. The tfjs namespace is
 * injected everywhere, so the same code serves tfjs-node(-gpu), WebGPU, WASM and CPU; no
 * backend is imported here. See docs/tfjs-adapter.md.
 *
 * The same module runs in a browser, where the platform module's browser twin (package.json's
 * "imports", "browser" condition) has stand-ins for Node's built-ins that throw `NodeOnlyError`
 * (see src/platform/node.ts): there, checkpoints go to a `CheckpointStore` (memory, IndexedDB)
 * instead of a directory path.
 *
 * The names are listed one by one (the public API, each documented in docs/api/tfjs.md and
 * checked by test/core/api-docs.test.ts); what the kit needs beyond them is in internal.ts.
 */
export { type Tf, type Tensor, type Scalar, type Variable, type Optimizer } from "./tf.js";
export { type AdapterErrorKind, AdapterError, NodeOnlyError } from "./errors.js";
export {
  type TaskIds,
  type TaskCounts,
  type PerTaskLoss,
  countTasks,
  taskMeanMatrix,
  perTaskLoss,
  l1PerSample,
  charbonnierPerSample,
  psnrPerSample,
  CHARBONNIER_EPSILON,
  PSNR_LOSS_FLOOR,
} from "./per-task-loss.js";
export { type ModelContext, type FunctionModel, type LayersModelLike, type TrainableModel } from "./model.js";
export {
  type TrainerHostState,
  type PerSampleLossFn,
  type TwoPhaseObservation,
  type TrainerOptions,
  type TrainStepResult,
  type Trainer,
  createTrainer,
} from "./trainer.js";
export {
  type MultiOutputModel,
  type MultiOutputLayersModelLike,
  type RepresentationSplit,
  type GradientTrainerOptions,
  type GradientStepResult,
  type GradientTrainer,
  createGradientTrainer,
} from "./gradient-trainer.js";
export {
  type WeightingDriver,
  createWeightingDriver,
  type GradientWeightingDriver,
  createGradientWeightingDriver,
} from "./weighting-driver.js";
export { restoreAdamAccumulators } from "./optimizer-state.js";
export {
  type CheckpointFiles,
  type CheckpointReader,
  type CheckpointReadOptions,
  type CheckpointStore,
  type CheckpointWriter,
  copyCheckpoint,
  stagedCheckpointWriter,
  fileCheckpointStore,
  type CheckpointLocation,
  type CheckpointableTrainer,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointTensorEntry,
  type CheckpointManifest,
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
  saveCheckpoint,
  readCheckpointManifest,
  loadCheckpoint,
  loadCheckpointWeights,
  type LoadedWeights,
  type LoadWeightsOptions,
  type WeightMapping,
  upgradeCheckpoint,
  memoryCheckpointStore,
  type MemoryCheckpointStore,
  indexedDbCheckpointStore,
  listIndexedDbCheckpoints,
  INDEXEDDB_CHECKPOINT_OBJECT_STORE,
  INDEXEDDB_CHECKPOINT_DATABASE,
  type IndexedDbCheckpointOptions,
  checkpointToTar,
  checkpointFromTar,
  type CheckpointTarOptions,
  checkCheckpointFileName,
  checkCheckpointFileLength,
  mapCheckpointReader,
  canonicalCheckpointJson,
  type CheckpointManifestV1,
  type CheckpointManifestV2,
  type CheckpointTensorEntryV2,
} from "./checkpoint/index.js";
export { sha256Hex } from "../platform/sha256.js";
export {
  type Tensor4D,
  type TensorInfo,
  type ExplicitPadding,
  type ConvPadding,
  type LogFn,
  auditKernels,
  formatAuditTable,
  type KernelAudit,
  type AuditOptions,
  registerWasmTrainingKernels,
  registerWebGpuTrainingKernels,
  registerWebGlTrainingKernels,
  trainableDilatedConv2d,
  selectBackend,
  type ConcreteBackendChoice,
  type BackendChoice,
  AUTO_BACKEND_ORDER,
  type SelectBackendOptions,
  type SkippedBackend,
  type BackendSelection,
  NoUsableBackendError,
  ensureGradientsRegistered,
  type TrainingKernelRegistration,
} from "./backend/index.js";
