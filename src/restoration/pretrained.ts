/**
 * The restoration models shipped inside the package (`models/<name>/` at the package root): each
 * is an ordinary run directory (config.json, log.jsonl, eval.json and checkpoint/) plus the model
 * in tfjs's format for inference (model/: model.json + weights.bin, no optimizer state), trained by a
 * committed config (`examples/configs/shipped/<name>.json`), so `eval` and `restore` can use one
 * when no `--checkpoint` is given, and anyone can retrain it.
 */
import { dirname, existsSync, fileURLToPath, join, nodeOnly, readFileSync } from "../platform/node.js";
import { AIRNET_TASKS, MIOIR_TASKS, type TaskName } from "./degradations/degradations.js";

/** A shipped model: its name, what it restores, and where its run directory lives in the package. */
export interface PretrainedModel {
  readonly name: string;
  readonly tasks: readonly TaskName[];
  readonly description: string;
}

/** The shipped models; the first is the default. */
export const PRETRAINED_MODELS: readonly PretrainedModel[] = [
  {
    name: "all-in-one",
    tasks: MIOIR_TASKS,
    description: "the 7 MiOIR tasks (sr x4, blur, noise, jpeg, rain, haze, low light); task-prompted SRResNet",
  },
  {
    name: "rain-haze-noise",
    tasks: AIRNET_TASKS,
    description: "rain, haze and noise at sigma 15/25/50 (AirNet's setting); task-prompted SRResNet",
  },
];

/** The default shipped model's name. */
export const DEFAULT_PRETRAINED = "all-in-one";

/** The package root: the nearest folder above this module whose package.json is art-mtl's (works from src/ and from dist/ chunks). */
const packageRoot = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "art-mtl") return dir;
      } catch {
        // not a readable package.json: keep climbing
      }
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`art-mtl: cannot find the package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
};

/**
 * The run directory of a shipped model. Throws, naming the known models, for an unknown name, and
 * says so when the package was installed without its `models/` folder.
 *
 * @example
 * const checkpoint = join(pretrainedRunDir("all-in-one"), "checkpoint");
 * const session = await loadTrainedSession(checkpoint);
 */
export function pretrainedRunDir(name: string = DEFAULT_PRETRAINED): string {
  nodeOnly(
    "pretrainedRunDir / pretrainedCheckpoint / pretrainedModelDir",
    "serve the files of models/NAME/checkpoint/ and load them into memoryCheckpointStore()",
  );
  if (!PRETRAINED_MODELS.some((m) => m.name === name)) {
    throw new Error(
      `no shipped model named ${JSON.stringify(name)} (shipped: ${PRETRAINED_MODELS.map((m) => m.name).join(", ")})`,
    );
  }
  const dir = join(packageRoot(), "models", name);
  if (!existsSync(join(dir, "checkpoint", "manifest.json")))
    throw new Error(`the shipped model ${name} is missing from this installation (expected ${dir}/checkpoint)`);
  return dir;
}

/**
 * The inference-only form of a shipped model (see `pretrainedRunDir`): `models/<name>/model/`,
 * tfjs's model.json + weights.bin written by `art-mtl export` from the checkpoint (the same
 * weights, without the optimizer state), which `loadRestorationModel` reads through
 * `modelDirectoryHandler` (Node) or `tf.io.http` (a page). `restore` uses it by default.
 *
 * @example
 * const { model, tasks } = await loadRestorationModel(tf, modelDirectoryHandler(pretrainedModelDir()));
 */
export function pretrainedModelDir(name: string = DEFAULT_PRETRAINED): string {
  const dir = join(pretrainedRunDir(name), "model");
  if (!existsSync(join(dir, "model.json")))
    throw new Error(`the shipped model ${name} has no exported form in this installation (expected ${dir}/model.json)`);
  return dir;
}

/** The checkpoint directory of a shipped model (see `pretrainedRunDir`). */
export const pretrainedCheckpoint = (name: string = DEFAULT_PRETRAINED): string =>
  join(pretrainedRunDir(name), "checkpoint");
