/**
 * The images of the report's before/after grid: the first evaluation pair of each task restored
 * by every model given (task-prompted models are told the task), scored with PSNR.
 */
import type { FrozenPair } from "../data/frozen.js";
import { psnr } from "../metrics/psnr.js";
import type { SampleGrid, SampleRow } from "../report/samples.js";
import { forwardFor } from "./evaluate-session.js";
import { multipleOfFor, restoreImage } from "./inference.js";
import type { TrainingSession } from "./session.js";

/** A model to show in the grid, under `label`. */
export interface SampleModel {
  readonly label: string;
  readonly session: Pick<TrainingSession, "tf" | "model" | "config">;
}

/**
 * One row per task of `tasks` (the first pair of that task in `pairs`), one column per model.
 *
 * @example
 * const grid = await computeSampleGrid([{ label: "art", session }], pairs, ["noise", "blur"], "Set14 crops");
 * writeFileSync("report.html", renderReport(runs, { samples: grid }));
 */
export async function computeSampleGrid(
  models: readonly SampleModel[],
  pairs: readonly FrozenPair[],
  tasks: readonly string[],
  source: string,
): Promise<SampleGrid> {
  const rows: SampleRow[] = [];
  for (const task of tasks) {
    const pair = pairs.find((p) => p.sample.task === task);
    if (pair === undefined) continue;
    const outputs = [];
    for (const { label, session } of models) {
      const image = await restoreImage(session.tf, forwardFor(session, task), pair.input, {
        multipleOf: multipleOfFor(session.model.spec),
      });
      outputs.push({ label, image, psnr: psnr(image, pair.target, { convention: "basicsr" }) });
    }
    rows.push({
      task,
      name: pair.sample.name,
      input: pair.input,
      inputPsnr: psnr(pair.input, pair.target, { convention: "basicsr" }),
      target: pair.target,
      outputs,
    });
  }
  return { source, rows };
}
