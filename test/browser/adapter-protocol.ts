/**
 * What adapter-page.ts (in Chromium) and adapter.test.ts (in Node) share: constants and the JSON
 * the page returns. No side effects and no imports with any, so Node can load it.
 */
import { type TrainingKernelRegistration } from "../../src/tfjs/backend/register.js";
import type { ModelAudit, PadProbe, PieceAudit } from "../tfjs/webgpu/audits.js";
import type {
  CheckpointRecord,
  GradientTrainingRecord,
  ResumedRecord,
  StepRecord,
  TrainRecord,
} from "../tfjs/webgpu/scenarios.js";

/** The steps of a checkpoint round trip: saved after `CHECKPOINT_STEP`, continued up to `CONTINUE_TO`. */
export const CHECKPOINT_STEP = 2;
export const CONTINUE_TO = 4;
/** The IndexedDB database the page saves into (removed again at the end of each save). */
export const PAGE_DATABASE = "art-mtl-adapter-test";

/** A checkpoint written in Node, loaded in the page, trained on. */
export interface FromNodeRecord {
  readonly files: number;
  /** The files fetched one by one equal those unpacked from the tar, byte for byte. */
  readonly tarEqualsFiles: boolean;
  readonly resumed: ResumedRecord;
}

/** A checkpoint written in the page: sent to Node as a tar, and resumed in the page from IndexedDB. */
export interface ToNodeRecord {
  readonly savedSteps: ReadonlyArray<StepRecord>;
  readonly manifestStep: number;
  /** `memoryCheckpointStore().toTar()`, base64. */
  readonly tarBase64: string;
  readonly indexedDb: {
    readonly location: string;
    /** The checkpoint was listed by `listIndexedDbCheckpoints` after the save. */
    readonly listed: boolean;
    /** A fresh store object over the same record gives the memory store's files, byte for byte. */
    readonly sameFilesAsMemory: boolean;
    /** Listed no more after `remove()`. */
    readonly removed: boolean;
  };
  /** Loaded from IndexedDB (a fresh store object, as after a reload) and trained on in the page. */
  readonly resumed: ResumedRecord;
}

export interface PageResult {
  readonly backend: string;
  readonly activeBackend?: string;
  readonly registration?: TrainingKernelRegistration;
  /** wasm: the notes of selectBackend in the bundled page, with the module handed in and then with nothing (the registered backend). */
  readonly selectionNotes?: readonly string[];
  /** webgl and webgpu: a second registration (changes nothing). */
  readonly registrationAgain?: TrainingKernelRegistration;
  /** webgl and webgpu: `tf.pad` at ranks 4-6 against a plain-JS pad, with the shipped PadV2 and after the registration. */
  readonly padShipped?: PadProbe[];
  readonly padFixed?: PadProbe[];
  /**
   * The backend's `floatPrecision()` and `epsilon()`, and the epsilon of `tf.train.adam(lr)` without
   * one (tfjs takes the backend's); on webgl, whether float32 textures can be rendered to.
   */
  readonly precision?: {
    readonly floatPrecision: number;
    readonly epsilon: number;
    readonly defaultAdamEpsilon: number;
    readonly webglFloat32Rendering?: boolean;
  };
  readonly train?: TrainRecord[];
  readonly checkpoints?: CheckpointRecord[];
  readonly fromNode?: FromNodeRecord[];
  readonly toNode?: ToNodeRecord[];
  readonly modelTraining?: TrainRecord;
  /** UPGrad through createGradientTrainer (losses, Gramians, coefficients, parameters). */
  readonly gradientTraining?: GradientTrainingRecord;
  readonly models?: ModelAudit[];
  readonly pieces?: PieceAudit[];
  /** The nearest-neighbour resize gradient against a plain-JS adjoint: largest |difference| per case. */
  readonly nearest?: Array<{ label: string; maxAbsDiff: number }>;
  /** `tf.memory().numTensors` before the sections and after each of them (the audits excepted). */
  readonly tensors?: Record<string, number>;
  /** WebGPU device errors nobody caught (each means a wrong result somewhere). */
  readonly gpuErrors: string[];
  readonly seconds: Record<string, number>;
  readonly failure?: string;
}

/** What a call runs besides the scenarios. */
export interface RunOptions {
  /** `auditKernels` and gradients of the three restoration models against cpu. */
  readonly audits?: boolean;
  /** The same for the 20 audit pieces, and the nearest-neighbour adjoint. */
  readonly pieces?: boolean;
}
