import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

import {
  loadTrainedSession,
  modelDirectoryHandler,
  PRETRAINED_MODELS,
  RESTORATION_WEIGHTS_FILE,
  saveRestorationModel,
} from "../../restoration/index.js";
import { choiceFlag, parseFlags, UsageError, type CommandIo } from "../args.js";
import { checkpointFromFlags } from "./model-flags.js";
import { asUsageError } from "./shared.js";

/**
 * `art-mtl export [--checkpoint DIR | --model NAME] -o OUT`: a model in tfjs's own format
 * (OUT/model.json + OUT/weights.bin, no optimizer state), which `restore --checkpoint OUT`,
 * `loadRestorationModel` and any tf.io handler read (docs/restoration.md, "Models in tfjs's format").
 */

/** The help text of `art-mtl export`. */
export const EXPORT_USAGE = `usage: art-mtl export [--checkpoint DIR | --model NAME] -o OUT [--backend B]
Writes the model of a checkpoint (default: the shipped model) in tfjs's own format: OUT/model.json
(the model spec and tasks, a weightsManifest) and OUT/${RESTORATION_WEIGHTS_FILE} (float32 weights, no
optimizer state). tf.io.http, tf.io.browserFiles and indexeddb:// handlers read that layout;
art-mtl restore --checkpoint OUT and loadRestorationModel(tf, handler) load it.
  --checkpoint D  a checkpoint from art-mtl train
  --model NAME    a shipped model: ${PRETRAINED_MODELS.map((m) => m.name).join(", ")}
  -o OUT          the folder to write (created if missing)
  --backend B     auto (default), wasm or cpu: where the weights are read`;

/** The bytes of the files under `dir` (its subfolders too). */
const bytesIn = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (n, entry) =>
      n +
      (entry.isDirectory()
        ? bytesIn(join(dir, entry.name))
        : entry.isFile()
          ? statSync(join(dir, entry.name)).size
          : 0),
    0,
  );

/** The `export` command. */
export const exportCommand = async (argv: readonly string[], io: CommandIo): Promise<number> => {
  const { values } = parseFlags(argv, {
    checkpoint: { type: "string" },
    model: { type: "string" },
    output: { type: "string", short: "o" },
    backend: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.stdout(EXPORT_USAGE + "\n");
    return 0;
  }
  if (values.output === undefined) throw new UsageError("-o OUT is required");
  const backend = choiceFlag("backend", values.backend, ["auto", "wasm", "cpu"] as const);
  const checkpoint = checkpointFromFlags(values);
  const session = await loadTrainedSession(checkpoint, backend).catch(asUsageError);
  try {
    const saved = await saveRestorationModel(session.model, session.config.tasks, modelDirectoryHandler(values.output));
    const bytes = saved.modelArtifactsInfo.weightDataBytes ?? 0;
    io.stdout(
      `wrote ${join(values.output, "model.json")} and ${join(values.output, RESTORATION_WEIGHTS_FILE)} (${bytes} bytes of weights; the checkpoint holds ${bytesIn(checkpoint)} bytes)\n`,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined) throw new UsageError(`-o ${values.output}: cannot write (${code})`);
    throw error;
  } finally {
    session.model.dispose();
  }
  return 0;
};
