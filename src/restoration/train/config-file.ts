/**
 * Reading a training config from where it is stored: a JSON config file (`art-mtl train
 * --config FILE`), or the config a checkpoint keeps in its manifest's metadata (so eval and
 * restore can rebuild the model).
 */
import * as E from "fp-ts/Either";

import { nodeOnly, readFileSync } from "../../platform/node.js";
import { readCheckpointManifest, type CheckpointLocation, type CheckpointManifest } from "../../tfjs/index.js";
import { resolveTrainConfig, type TrainConfig } from "./config.js";
import { NoCheckpointError, TrainSetupError } from "./errors.js";
import { resolveAnyWeighting } from "./weightings.js";

/** What the checkpoint's metadata holds (so eval/restore can rebuild the model). */
export interface CheckpointMetadata {
  readonly config: TrainConfig;
}

/** Reads a checkpoint's manifest and the config stored with it (a directory path in Node, or a `CheckpointStore`). */
export async function readCheckpointConfig(
  checkpoint: CheckpointLocation,
): Promise<{ manifest: CheckpointManifest; config: TrainConfig }> {
  const checkpointDir = typeof checkpoint === "string" ? checkpoint : checkpoint.location;
  const found = await readCheckpointManifest(checkpoint);
  if (found === null)
    throw new NoCheckpointError(`${checkpointDir}: no checkpoint here (expected manifest.json from art-mtl train)`);
  const raw = (found.manifest.metadata as Partial<CheckpointMetadata> | null)?.config;
  const resolved = resolveTrainConfig(raw);
  if (E.isLeft(resolved))
    throw new TrainSetupError(
      `${checkpointDir}: the checkpoint's config is not a training config:\n  ${resolved.left.join("\n  ")}`,
    );
  return { manifest: found.manifest, config: resolved.right };
}

/**
 * Reads and resolves a JSON config file; throws `TrainSetupError` naming the file, field and value.
 * `overrides` (e.g. `{ steps }` from `train --steps`, `{ workers }` from `--workers`) replace top-level fields of the file before
 * the defaults are filled in, so defaults that depend on them (the step schedule's `every`) follow.
 */
export function readTrainConfigFile(
  path: string,
  overrides: { readonly steps?: number; readonly workers?: number | "auto" } = {},
): TrainConfig {
  nodeOnly("readTrainConfigFile", "parse the JSON yourself and use resolveTrainConfig(raw)");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new TrainSetupError(`${path}: ${(error as Error).message}`);
  }
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) raw = { ...raw, ...overrides };
  const resolved = resolveTrainConfig(raw);
  if (E.isLeft(resolved)) throw new TrainSetupError(`${path}: invalid config:\n  ${resolved.left.join("\n  ")}`);
  const weighting = resolveAnyWeighting(
    resolved.right.weighting.name,
    resolved.right.weighting.options,
    resolved.right.tasks.length,
  );
  if (E.isLeft(weighting)) throw new TrainSetupError(`${path}: invalid config:\n  ${weighting.left.join("\n  ")}`);
  return resolved.right;
}
