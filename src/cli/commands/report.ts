import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

import { writeFileAtomic } from "../../platform/atomic-write.js";
import {
  computeSampleGrid,
  loadEvalPairs,
  loadTrainedSession,
  readRun,
  renderReport,
  type RunData,
  type SampleGrid,
  type TaskName,
} from "../../restoration/index.js";
import { numberFlag, parseFlags, UsageError, type CommandIo } from "../args.js";
import { asUsageError } from "./shared.js";

/**
 * `art-mtl report RUN_DIR... [-o report.html]`: one self-contained HTML file comparing runs
 * (loss curves per task, weights over time, PSNR/SSIM side by side).
 */

/** The help text of `art-mtl report`. */
export const REPORT_USAGE = `usage: art-mtl report RUN_DIR... [-o report.html] [--title TEXT] [--smoothing W] [--samples DATA | --no-samples]
Writes one self-contained HTML file (inline SVG) comparing the runs: per-task training loss
curves (smoothed, log scale), task weights over time, the PSNR/SSIM table of each run's
eval.json, and before/after pictures per task (input, each run, clean, PSNR under each) when
every run has a checkpoint. -o defaults to RUN_DIR/report.html for one run, report.html for several.
  --smoothing W   EMA weight in [0, 1) for the loss curves (default: from the log length)
  --samples DATA  images for the pictures: "procedural", a frozen set or a folder (default: the
                  first run's eval data)
  --no-samples    leave the pictures out`;

/** Restores the first evaluation image of each task with every run's checkpoint. */
async function sampleGridFor(runs: readonly RunData[], data: string | undefined): Promise<SampleGrid> {
  const evalData = (runs[0]?.config?.eval as { data?: unknown } | undefined)?.data;
  const source =
    data ??
    (typeof evalData === "string" && (evalData === "procedural" || existsSync(evalData)) ? evalData : "procedural");
  const tasks = [...new Set(runs.flatMap((run) => run.tasks))] as TaskName[];
  const pairs = await loadEvalPairs({ data: source, tasks, images: 1, size: 64 });
  const models = [];
  for (const run of runs)
    models.push({ label: run.name, session: await loadTrainedSession(join(run.dir, "checkpoint")) });
  const grid = await computeSampleGrid(
    models,
    pairs,
    tasks,
    `Images: ${source === "procedural" ? "fixed-seed procedural images" : source}, the first of each task`,
  );
  for (const { session } of models) session.model.dispose();
  return grid;
}

/** The `report` command. */
export const reportCommand = async (argv: readonly string[], io: CommandIo): Promise<number> => {
  const { values, positionals } = parseFlags(
    argv,
    {
      output: { type: "string", short: "o" },
      title: { type: "string" },
      smoothing: { type: "string" },
      samples: { type: "string" },
      "no-samples": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    true,
  );
  if (values.help === true) {
    io.stdout(REPORT_USAGE + "\n");
    return 0;
  }
  if (positionals.length === 0) throw new UsageError(`expected at least one RUN_DIR\n${REPORT_USAGE}`);
  const smoothing = numberFlag("smoothing", values.smoothing, (n) => n >= 0 && n < 1, "a number in [0, 1)");
  const runs: RunData[] = [];
  for (const dir of positionals) {
    try {
      runs.push(readRun(dir));
    } catch (error) {
      asUsageError(error);
    }
  }
  const output =
    values.output ?? (runs.length === 1 ? resolve(positionals[0] as string, "report.html") : "report.html");
  if (values.samples !== undefined && values["no-samples"] === true)
    throw new UsageError("give --samples or --no-samples, not both");
  let samples: SampleGrid | undefined;
  const withCheckpoints = runs.every((run) => existsSync(join(run.dir, "checkpoint", "manifest.json")));
  if (values["no-samples"] !== true && (withCheckpoints || values.samples !== undefined)) {
    if (!withCheckpoints) throw new UsageError("--samples: every run needs a checkpoint/ to restore the pictures");
    try {
      samples = await sampleGridFor(runs, values.samples);
    } catch (error) {
      // Asked for explicitly: an error. By default the pictures are a bonus: say why they are missing and go on.
      if (values.samples !== undefined) throw new UsageError(`--samples: ${(error as Error).message}`);
      io.stderr(`note: no before/after pictures (${(error as Error).message}); the rest of the report is written\n`);
    }
  }
  const html = renderReport(runs, {
    ...(values.title === undefined ? {} : { title: values.title }),
    ...(smoothing === undefined ? {} : { smoothing }),
    ...(samples === undefined ? {} : { samples }),
  });
  writeFileAtomic(output, html);
  io.stdout(
    `wrote ${output} (${runs.length} run${runs.length === 1 ? "" : "s"}, ${(html.length / 1024).toFixed(0)} KiB)\n`,
  );
  return 0;
};
