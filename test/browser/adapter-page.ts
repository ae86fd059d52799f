/**
 * The page of adapter.test.ts: the tfjs adapter's seeded scenarios (test/tfjs/webgpu/scenarios.ts,
 * the ones the Node WebGPU test runs) on one backend of a real browser per call, and checkpoints
 * that travel between Node and the page. Bundled at test time by esbuild with the browser twins
 * (scripts/browser-twins.mjs), so only browser builds of src/ get in and no Node built-in does.
 *
 * `window.adapterPage.run(backend)` activates the backend (registering the training kernels as
 * `selectBackend` does: `registerWasmTrainingKernels` on wasm, `registerWebGpuTrainingKernels` on
 * webgpu; and `registerWebGlTrainingKernels` on webgl; cpu needs none), runs every section and
 * resolves with plain JSON. It asserts
 * nothing: the test compares the records with the page's cpu records and with Node's.
 *
 * Files the test serves next to the bundle: `wasm/*.wasm` (tfjs-backend-wasm's binaries) and, per
 * checkpoint case i, `node-checkpoint/case-i/...` (a checkpoint directory written in Node) and
 * `node-checkpoint/case-i.tar` (the same directory packed with the system's tar).
 */
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-core/dist/register_all_gradients";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgl";
import "@tensorflow/tfjs-backend-webgpu";

import * as wasmBackend from "@tensorflow/tfjs-backend-wasm";

import {
  checkpointFromTar,
  copyCheckpoint,
  indexedDbCheckpointStore,
  listIndexedDbCheckpoints,
  memoryCheckpointStore,
  registerWebGlTrainingKernels,
  registerWebGpuTrainingKernels,
  selectBackend,
  type CheckpointManifest,
} from "../../src/tfjs/index.js";
import { auditAllPieces, auditModels, nearestAdjoint, probePads, type GpuErrorScopes } from "../tfjs/webgpu/audits.js";
import {
  CHECKPOINT_CASES,
  resumeCase,
  runCheckpointCase,
  runGradientTraining,
  runModelTraining,
  runTrainCase,
  saveCaseCheckpoint,
  TRAIN_CASES,
  type CheckpointRecord,
  type TrainRecord,
} from "../tfjs/webgpu/scenarios.js";
import {
  CHECKPOINT_STEP,
  CONTINUE_TO,
  PAGE_DATABASE,
  type FromNodeRecord,
  type PageResult,
  type RunOptions,
  type ToNodeRecord,
} from "./adapter-protocol.js";

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);

const sameFiles = (a: ReadonlyMap<string, Uint8Array>, b: ReadonlyMap<string, Uint8Array>): boolean =>
  a.size === b.size &&
  [...a].every(([name, bytes]) => {
    const other = b.get(name);
    return other !== undefined && other.length === bytes.length && other.every((v, i) => v === bytes[i]);
  });

const toBase64 = (bytes: Uint8Array): string => {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
};

const fetchBytes = async (url: string): Promise<Uint8Array> => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
};

/** The checkpoint of case `i` written in Node: its files fetched one by one (as the manifest lists them), and its tar. */
const nodeCheckpoint = async (i: number): Promise<{ files: Map<string, Uint8Array>; tar: Map<string, Uint8Array> }> => {
  const base = new URL(`node-checkpoint/case-${i}/`, location.href);
  const manifestBytes = await fetchBytes(new URL("manifest.json", base).href);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as CheckpointManifest;
  const files = new Map<string, Uint8Array>([["manifest.json", manifestBytes]]);
  for (const entry of [...manifest.model, ...manifest.optimizer])
    files.set(entry.file, await fetchBytes(new URL(entry.file, base).href));
  const tar = checkpointFromTar(await fetchBytes(new URL(`node-checkpoint/case-${i}.tar`, location.href).href));
  return { files, tar };
};

/** The active WebGPU device's error scopes (undefined on other backends). */
const gpuDevice = (): (GpuErrorScopes & EventTarget) | undefined =>
  tf.getBackend() === "webgpu"
    ? (tf.backend() as unknown as { device: GpuErrorScopes & EventTarget }).device
    : undefined;

/**
 * Activates `backend` and registers its training kernels the way `selectBackend` does; on webgl
 * and webgpu, probes `tf.pad` above rank 4 before and after (the fix replaces the shipped PadV2).
 */
const activate = async (
  backend: string,
): Promise<Pick<PageResult, "registration" | "registrationAgain" | "padShipped" | "padFixed" | "selectionNotes">> => {
  if (backend === "webgpu" && !("gpu" in navigator))
    throw new Error("navigator.gpu is missing (no WebGPU in this browser)");
  if (backend === "wasm") {
    // The product's path in a bundled page: the module handed in (a bundler cannot follow an import by name) ...
    const selection = await selectBackend(tf, "wasm", {
      wasmPaths: new URL("wasm/", location.href).href,
      backendModules: { wasm: wasmBackend },
    });
    // ... and with nothing handed in: the registered backend is used as it is, with no import by name.
    const again = await selectBackend(tf, "wasm", { registerTrainingKernels: false });
    return {
      ...(selection.registration === undefined ? {} : { registration: selection.registration }),
      selectionNotes: [...selection.notes, ...again.notes],
    };
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') returned false`);
  await tf.ready();
  if (backend !== "webgl" && backend !== "webgpu") return {};
  const padShipped = await probePads(tf, gpuDevice());
  const register = () =>
    backend === "webgl" ? registerWebGlTrainingKernels(tf, "webgl") : registerWebGpuTrainingKernels(tf, "webgpu");
  const registration = register();
  return { registration, registrationAgain: register(), padShipped, padFixed: await probePads(tf, gpuDevice()) };
};

const run = async (backend: string, options: RunOptions = {}): Promise<PageResult> => {
  const result: { -readonly [K in keyof PageResult]: PageResult[K] } = { backend, gpuErrors: [], seconds: {} };
  const section = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await body();
    } finally {
      result.seconds[name] = Math.round(performance.now() - start) / 1000;
      if (result.tensors !== undefined) result.tensors[name] = tf.memory().numTensors;
    }
  };
  try {
    tf.env().set("IS_TEST", true); // tfjs checks every kernel for leaked data ids
    Object.assign(result, await section("activate", () => activate(backend)));
    result.activeBackend = tf.getBackend();
    const defaultAdam = tf.train.adam(1e-2);
    result.precision = {
      floatPrecision: (tf.backend() as unknown as { floatPrecision(): number }).floatPrecision(),
      epsilon: tf.backend().epsilon(),
      defaultAdamEpsilon: (defaultAdam as unknown as { epsilon: number }).epsilon,
      ...(backend === "webgl" ? { webglFloat32Rendering: tf.env().getBool("WEBGL_RENDER_FLOAT32_ENABLED") } : {}),
    };
    defaultAdam.dispose();
    const device = gpuDevice();
    if (device !== undefined) {
      device.addEventListener("uncapturederror", (event) => {
        result.gpuErrors.push(
          ((event as Event & { error?: { message?: string } }).error?.message ?? "unknown GPU error").split("\n")[0] ??
            "",
        );
      });
    }
    result.tensors = { before: tf.memory().numTensors };
    result.train = await section("train cases", async () => {
      const records: TrainRecord[] = [];
      for (const c of TRAIN_CASES) {
        const start = performance.now();
        records.push(await runTrainCase(tf, c));
        result.seconds[`train: ${c.name}`] = Math.round(performance.now() - start) / 1000;
      }
      return records;
    });
    result.checkpoints = await section("checkpoints", async () => {
      const records: CheckpointRecord[] = [];
      for (const c of CHECKPOINT_CASES) records.push(await runCheckpointCase(tf, c, memoryCheckpointStore()));
      return records;
    });
    result.fromNode = await section("from node", async () => {
      const records: FromNodeRecord[] = [];
      for (const [i, c] of CHECKPOINT_CASES.entries()) {
        const { files, tar } = await nodeCheckpoint(i);
        records.push({
          files: files.size,
          tarEqualsFiles: sameFiles(files, tar),
          resumed: await resumeCase(tf, c, memoryCheckpointStore(files), CONTINUE_TO),
        });
      }
      return records;
    });
    result.toNode = await section("to node", async () => {
      const records: ToNodeRecord[] = [];
      for (const [i, c] of CHECKPOINT_CASES.entries()) {
        const name = `${backend}-case-${i}`;
        const memory = memoryCheckpointStore();
        const idb = indexedDbCheckpointStore(name, { database: PAGE_DATABASE });
        const savedSteps = await saveCaseCheckpoint(tf, c, CHECKPOINT_STEP, memory, idb);
        const listed = (await listIndexedDbCheckpoints({ database: PAGE_DATABASE })).includes(name);
        // A fresh store object over the same record, as a page reloaded later would make.
        const reopened = indexedDbCheckpointStore(name, { database: PAGE_DATABASE });
        const copy = memoryCheckpointStore();
        await copyCheckpoint(reopened, copy);
        const resumed = await resumeCase(tf, c, reopened, CONTINUE_TO);
        await reopened.remove();
        const removed = !(await listIndexedDbCheckpoints({ database: PAGE_DATABASE })).includes(name);
        const manifest = JSON.parse(
          new TextDecoder().decode(memory.files().get("manifest.json")),
        ) as CheckpointManifest;
        records.push({
          savedSteps,
          manifestStep: manifest.step,
          tarBase64: toBase64(memory.toTar()),
          indexedDb: {
            location: reopened.location,
            listed,
            sameFilesAsMemory: sameFiles(copy.files(), memory.files()),
            removed,
          },
          resumed,
        });
      }
      return records;
    });
    result.modelTraining = await section("model training", () => runModelTraining(tf));
    result.gradientTraining = await section("gradient-aware training", () => runGradientTraining(tf));
    if (options.audits === true) result.models = await section("model audits", () => auditModels(tf, backend));
    if (options.pieces === true) {
      result.pieces = await section("piece audits", () => auditAllPieces(tf, backend));
      result.nearest = await section("nearest adjoint", () => nearestAdjoint(tf, backend));
    }
  } catch (error) {
    result.failure = errorText(error);
  }
  return result;
};

const page = { run, ready: true };
(globalThis as unknown as { adapterPage: typeof page }).adapterPage = page;
export type AdapterPage = typeof page;
