import { METRIC_CONVENTIONS, metricToJson, psnr, readImage, ssim } from "../../restoration/index.js";
import { choiceFlag, numberFlag, parseFlags, UsageError, type CommandIo } from "../args.js";
import { userMessageOf } from "./shared.js";

/**
 * `art-mtl metrics`: PSNR and SSIM between two images (PNG or JPEG), printed as one JSON line
 * `{"psnr": 31.2, "ssim": 0.91}`; identical images give `"psnr": "Infinity"`.
 */

/** The `art-mtl metrics --help` text. */
export const METRICS_USAGE = `usage: art-mtl metrics [--convention basicsr|skimage] [--crop N] [--y] A.png B.png
Prints {"psnr": ..., "ssim": ...} for the two images (same size; PNG or JPEG).
  --convention  basicsr (default: 8-bit, Gaussian 11x11 SSIM) or skimage (float, 7x7 uniform SSIM)
  --crop N      pixels dropped on each side first (default 0)
  --y           compare the Y (luma) channel instead of RGB`;

const flagSpec = {
  convention: { type: "string" },
  crop: { type: "string" },
  y: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Joins `--crop -1` into `--crop=-1` so that a negative value reaches our own check (which names
 * the flag and the value) instead of parseArgs's "ambiguous argument" error.
 */
function attachValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (
      (arg === "--crop" || arg === "--convention") &&
      next !== undefined &&
      next.startsWith("-") &&
      !next.startsWith("--")
    ) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * Runs `art-mtl metrics` with its arguments (after the command name). Returns the exit code:
 * 0 on success, 2 for a bad argument or an unreadable / unsupported / corrupt image or a size
 * mismatch (one line on stderr naming the argument or file, no stack trace).
 *
 * @example
 * const code = await metricsCommand(["--y", "--crop", "4", "gt.png", "sr.png"], { stdout: console.log, stderr: console.error });
 */
export async function metricsCommand(
  argv: readonly string[],
  io: Pick<CommandIo, "stdout" | "stderr">,
): Promise<number> {
  try {
    const { values, positionals } = parseFlags(attachValues(argv), flagSpec, true);
    if (values.help === true) {
      io.stdout(`${METRICS_USAGE}\n`);
      return 0;
    }
    const convention = choiceFlag("convention", values.convention, METRIC_CONVENTIONS) ?? "basicsr";
    const cropBorder = numberFlag("crop", values.crop, (n) => Number.isInteger(n) && n >= 0, "an integer >= 0") ?? 0;
    if (positionals.length !== 2) {
      throw new UsageError(
        `expected two image paths, got ${positionals.length}${positionals.length > 0 ? ` (${positionals.map((p) => JSON.stringify(p)).join(", ")})` : ""}`,
      );
    }
    const [pathA, pathB] = positionals as [string, string];
    const [a, b] = await Promise.all([readImage(pathA), readImage(pathB)]);
    if (a.width !== b.width || a.height !== b.height) {
      throw new UsageError(
        `images differ in size: ${pathA} is ${a.width}x${a.height}, ${pathB} is ${b.width}x${b.height}`,
      );
    }
    const options = { convention, cropBorder, yChannel: values.y === true };
    let psnrValue: number;
    let ssimValue: number;
    try {
      psnrValue = psnr(a, b, options);
      ssimValue = ssim(a, b, options);
    } catch (error) {
      // Too small for the SSIM window or for the crop: the arguments do not fit the images.
      if (error instanceof RangeError) throw new UsageError(`--crop ${cropBorder}: ${error.message}`);
      throw error;
    }
    io.stdout(
      `{"psnr": ${JSON.stringify(metricToJson(psnrValue))}, "ssim": ${JSON.stringify(metricToJson(ssimValue))}}\n`,
    );
    return 0;
  } catch (error) {
    const message = error instanceof UsageError ? error.message : userMessageOf(error);
    if (message !== undefined) {
      io.stderr(`art-mtl metrics: ${message.replace(/\s*\n\s*/g, " ")}\n`);
      return 2;
    }
    throw error;
  }
}
