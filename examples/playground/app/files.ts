/**
 * The playground's files: the shipped model's weights fetched from the site (checksums
 * verified), and a run as the folder the CLI writes (config.json, log.jsonl, checkpoint/).
 */
import type * as tfCore from "@tensorflow/tfjs-core";

import { sha256Hex } from "../../../src/platform/sha256.js";
import { MIOIR_TASKS } from "../../../src/restoration/degradations/degradations.js";
import {
  checkpointToTar,
  memoryCheckpointStore,
  saveCheckpoint,
  type CheckpointManifest,
} from "../../../src/tfjs/checkpoint/index.js";
import type { PlaygroundRun, PlaygroundSession } from "./session.js";

type Tf = typeof tfCore;

/** The shipped all-in-one model (models/all-in-one): its tasks, in order, and its architecture. */
export const SHIPPED_MODEL = {
  tasks: MIOIR_TASKS,
  model: { kind: "srresnet", width: 16, blocks: 4, taskPrompt: true, globalContext: true },
} as const;

/**
 * Fetches the shipped checkpoint's model tensors from `baseUrl` (the folder holding
 * manifest.json), checks every file against its SHA-256, and sets them as both runs' weights.
 */
export const loadShippedWeights = async (tf: Tf, session: PlaygroundSession, baseUrl: string): Promise<void> => {
  const fetchBytes = async (name: string): Promise<Uint8Array> => {
    const response = await fetch(new URL(name, baseUrl));
    if (!response.ok) throw new Error(`shipped model: ${name}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  const manifest = JSON.parse(new TextDecoder().decode(await fetchBytes("manifest.json"))) as CheckpointManifest;
  const tensors: tfCore.Tensor[] = [];
  try {
    for (const entry of manifest.model) {
      const bytes = await fetchBytes(entry.file);
      if (entry.sha256 !== undefined && (await sha256Hex(bytes)) !== entry.sha256)
        throw new Error(`shipped model: ${entry.file}: checksum mismatch`);
      const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      tensors.push(tf.tensor(values, [...entry.shape], "float32"));
    }
    session.setWeights(tensors);
  } finally {
    for (const tensor of tensors) tensor.dispose();
  }
};

const utf8 = (text: string) => new TextEncoder().encode(text);

/**
 * A run as one tar archive of the folder the CLI writes, `<config.name>/`: config.json, log.jsonl
 * and the checkpoint (saved through an in-memory store), so that after `tar -xf`,
 * `art-mtl eval --checkpoint <name>/checkpoint` loads it.
 */
export const runArchive = async (run: PlaygroundRun): Promise<Uint8Array<ArrayBuffer>> => {
  const store = memoryCheckpointStore();
  await saveCheckpoint(run.trainer, store, { config: run.config });
  const files = new Map<string, Uint8Array>([
    ["config.json", utf8(`${JSON.stringify(run.config, null, 2)}\n`)],
    ["log.jsonl", utf8(run.log.map((record) => JSON.stringify(record)).join("\n") + "\n")],
  ]);
  for (const [name, bytes] of store.files()) files.set(`checkpoint/${name}`, bytes);
  return checkpointToTar(files, { directory: run.config.name });
};
