/**
 * Restoration models in tfjs's own format: `model.json` (the spec and the tasks in
 * `modelTopology`, a `weightsManifest`) and one `weights.bin` — what `tf.io.http`,
 * `tf.io.browserFiles`, `tf.io.fromMemory` and the `indexeddb://` handlers read and write. Only
 * the model's variables go in (no optimizer state, no weighting state): an inference export,
 * about a third of a training checkpoint. Checkpoints for resuming stay as they are.
 *
 * The model is a function model, not a `tf.LayersModel` (its forward pass is tfjs ops over named
 * variables), so `tf.loadLayersModel` does not load it: `loadRestorationModel` does, through any
 * IOHandler. The weights are plain float32 tensors named as in a checkpoint; another runtime
 * can read them from the manifest.
 */
import type * as tfCore from "@tensorflow/tfjs-core";
import * as E from "fp-ts/Either";
import type { Tf } from "../../tfjs/index.js";
import { AdapterError } from "../../tfjs/index.js";
import { withoutInstance } from "../../tfjs/internal.js";
import { writeFileAtomic } from "../../platform/atomic-write.js";
import { join, mkdirSync, nodeOnly, readFileSync } from "../../platform/node.js";
import type { RestorationModel } from "./index.js";
import { createModel } from "./index.js";
import { ModelSpec } from "./registry.js";
import type { ResolvedModelSpec } from "./spec.js";

/** `model.json`'s `format` for a restoration model. */
export const RESTORATION_MODEL_FORMAT = "art-mtl-restoration-model";

/** The weights file `modelDirectoryHandler` writes next to `model.json`. */
export const RESTORATION_WEIGHTS_FILE = "weights.bin";

/** What `modelTopology` holds: how to rebuild the model the weights belong to. */
export interface RestorationModelTopology {
  readonly class_name: "ArtMtlRestorationModel";
  readonly config: { readonly spec: ResolvedModelSpec; readonly tasks: readonly string[] };
}

/** A variable's name without the per-instance prefix (`srresnet_3/head/filter` → `head/filter`), as checkpoints match it. */
const stableName = (variable: tfCore.Variable): string => withoutInstance(variable.name);

/**
 * The model's weights and spec as tf.io `ModelArtifacts` (one float32 weight group, in the
 * model's variable order). Reads every variable back once (`await data()`: works on every backend).
 *
 * @example
 * const artifacts = await restorationModelArtifacts(model, ["noise", "rain"]);
 * await tf.io.withSaveHandler(async (a) => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } })).save(artifacts);
 */
export async function restorationModelArtifacts(model: RestorationModel, tasks: readonly string[]): Promise<tfCore.io.ModelArtifacts> {
  const variables = model.variables as tfCore.Variable[];
  const values = await Promise.all(variables.map((v) => v.data()));
  const size = variables.reduce((n, v) => n + v.size, 0);
  const weights = new Float32Array(size);
  let offset = 0;
  values.forEach((data) => {
    weights.set(data as Float32Array, offset);
    offset += data.length;
  });
  const topology: RestorationModelTopology = { class_name: "ArtMtlRestorationModel", config: { spec: model.spec, tasks: [...tasks] } };
  return {
    modelTopology: topology as unknown as tfCore.io.ModelArtifacts["modelTopology"],
    format: RESTORATION_MODEL_FORMAT,
    generatedBy: "art-mtl",
    convertedBy: null,
    weightSpecs: variables.map((v) => ({ name: stableName(v), shape: [...v.shape], dtype: "float32" as const })),
    weightData: weights.buffer,
  };
}

/** Saves the model's weights and spec through a tf.io handler (`tf.io.getSaveHandlers("indexeddb://x")[0]`, `tf.io.withSaveHandler`, `modelDirectoryHandler(dir)`, …). */
export async function saveRestorationModel(model: RestorationModel, tasks: readonly string[], handler: tfCore.io.IOHandler): Promise<tfCore.io.SaveResult> {
  if (handler.save === undefined) throw new AdapterError("option", "the IOHandler cannot save (it has no save method)");
  return handler.save(await restorationModelArtifacts(model, tasks));
}

/** A restoration model loaded from tfjs's format, with the tasks it was trained on. */
export interface LoadedRestorationModel {
  readonly model: RestorationModel;
  readonly tasks: readonly string[];
}

/**
 * Loads a model saved by `saveRestorationModel` (or exported by `art-mtl export`) through a tf.io
 * handler (`tf.io.http(url)`, `tf.io.browserFiles([json, bin])`, `tf.io.fromMemory(...)`,
 * `modelDirectoryHandler(dir)`): rebuilds the model from the spec and assigns every weight by
 * name. A weight missing, extra or of another shape is an `AdapterError("checkpoint")` naming it.
 */
export async function loadRestorationModel(tf: Tf, handler: tfCore.io.IOHandler): Promise<LoadedRestorationModel> {
  if (handler.load === undefined) throw new AdapterError("option", "the IOHandler cannot load (it has no load method)");
  const artifacts = await handler.load();
  if (artifacts.format !== RESTORATION_MODEL_FORMAT) {
    throw new AdapterError("checkpoint", `not an art-mtl restoration model (format ${JSON.stringify(artifacts.format)}, expected ${JSON.stringify(RESTORATION_MODEL_FORMAT)})`);
  }
  const topology = artifacts.modelTopology as unknown as Partial<RestorationModelTopology> | undefined;
  const tasks = topology?.config?.tasks;
  if (!Array.isArray(tasks) || !tasks.every((t) => typeof t === "string")) throw new AdapterError("checkpoint", "model.json: modelTopology.config.tasks must be a list of task names");
  const spec = ModelSpec.decode(topology?.config?.spec);
  if (E.isLeft(spec)) throw new AdapterError("checkpoint", "model.json: modelTopology.config.spec is not a model spec");
  if (artifacts.weightSpecs === undefined || artifacts.weightData === undefined) throw new AdapterError("checkpoint", "model.json: no weights");
  const model = createModel(tf, spec.right, { numTasks: tasks.length });
  try {
    const decoded = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
    try {
      const variables = model.variables as tfCore.Variable[];
      const expected = new Set(variables.map(stableName));
      const extra = Object.keys(decoded).filter((name) => !expected.has(name));
      if (extra.length > 0) throw new AdapterError("checkpoint", `model.json has weights this model does not: ${extra.join(", ")}`);
      for (const variable of variables) {
        const value = decoded[stableName(variable)];
        if (value === undefined) throw new AdapterError("checkpoint", `model.json has no weight ${stableName(variable)}`);
        if (value.shape.join(",") !== variable.shape.join(",")) throw new AdapterError("checkpoint", `weight ${stableName(variable)}: shape [${value.shape.join(",")}], the model's [${variable.shape.join(",")}]`);
        variable.assign(value);
      }
    } finally {
      tf.dispose(Object.values(decoded));
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, tasks };
}

/** Whether a directory holds an exported model (`model.json`). */
export const isModelDirectory = (dir: string): boolean => {
  try {
    const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as { format?: unknown };
    return json.format === RESTORATION_MODEL_FORMAT;
  } catch {
    return false;
  }
};

/**
 * Node: a tf.io handler over a directory — `model.json` and `weights.bin`, the layout
 * `tf.io.http` and `tf.io.browserFiles` read (serve the directory, or pick both files). Each file
 * is written atomically.
 */
export const modelDirectoryHandler = (dir: string): tfCore.io.IOHandler => {
  nodeOnly("modelDirectoryHandler", "use tf.io.http, tf.io.browserFiles or an indexeddb:// handler");
  return {
    save: async (artifacts) => {
      const data = artifacts.weightData;
      const bytes = data === undefined ? new Uint8Array(0) : new Uint8Array(Array.isArray(data) ? concat(data) : data);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [RESTORATION_WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(join(dir, RESTORATION_WEIGHTS_FILE), bytes);
      writeFileAtomic(join(dir, "model.json"), JSON.stringify(json, null, 1) + "\n");
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON", weightDataBytes: bytes.byteLength } };
    },
    load: async () => {
      let json: { modelTopology?: unknown; format?: string; generatedBy?: string; convertedBy?: string | null; weightsManifest?: { paths: string[]; weights: tfCore.io.WeightsManifestEntry[] }[] };
      try {
        json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as typeof json;
      } catch (error) {
        throw new AdapterError("checkpoint", `${join(dir, "model.json")}: cannot read (${(error as Error).message})`);
      }
      const groups = json.weightsManifest ?? [];
      const buffers = groups.flatMap((group) => group.paths.map((path) => new Uint8Array(readFileSync(join(dir, path)))));
      return {
        modelTopology: json.modelTopology as tfCore.io.ModelArtifacts["modelTopology"],
        ...(json.format === undefined ? {} : { format: json.format }),
        ...(json.generatedBy === undefined ? {} : { generatedBy: json.generatedBy }),
        ...(json.convertedBy === undefined ? {} : { convertedBy: json.convertedBy }),
        weightSpecs: groups.flatMap((group) => group.weights),
        weightData: concat(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer)),
      };
    },
  };
};

const concat = (buffers: readonly ArrayBuffer[]): ArrayBuffer => {
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
};
