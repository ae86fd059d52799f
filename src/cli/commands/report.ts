import { resolve } from "node:path";
import { writeFileAtomic } from "../../tfjs/atomic-write.js";
import { readRun, renderReport, RunDirError } from "../../restoration/report/index.js";
import type { RunData } from "../../restoration/report/index.js";
import type { CommandIo } from "../args.js";
import { numberFlag, parseFlags, UsageError } from "../args.js";

/**
 * `art-mtl report RUN_DIR... [-o report.html]`: one self-contained HTML file comparing runs
 * (loss curves per task, weights over time, PSNR/SSIM side by side).
 */

/** The help text of `art-mtl report`. */
export const REPORT_USAGE = `usage: art-mtl report RUN_DIR... [-o report.html] [--title TEXT] [--smoothing W]
Writes one self-contained HTML file (inline SVG) comparing the runs: per-task training loss
curves (smoothed, log scale), task weights over time, and the PSNR/SSIM table of each run's
eval.json. -o defaults to RUN_DIR/report.html for one run, report.html for several.
--smoothing W: EMA weight in [0, 1) for the loss curves (default: from the log length).`;


/** The `report` command. */
export const reportCommand = async (argv: readonly string[], io: CommandIo): Promise<number> => {
  const { values, positionals } = parseFlags(
    argv,
    { output: { type: "string", short: "o" }, title: { type: "string" }, smoothing: { type: "string" }, help: { type: "boolean", short: "h" } },
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
      if (error instanceof RunDirError) throw new UsageError(error.message);
      throw error;
    }
  }
  const output = values.output ?? (runs.length === 1 ? resolve(positionals[0] as string, "report.html") : "report.html");
  const html = renderReport(runs, { ...(values.title === undefined ? {} : { title: values.title }), ...(smoothing === undefined ? {} : { smoothing }) });
  writeFileAtomic(output, html);
  io.stdout(`wrote ${output} (${runs.length} run${runs.length === 1 ? "" : "s"}, ${(html.length / 1024).toFixed(0)} KiB)\n`);
  return 0;
};
