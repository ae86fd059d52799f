import { mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";

import {
  decodeImage,
  decodePngAlpha,
  DEFAULT_PRETRAINED,
  encodeJpeg,
  encodePng,
  forwardFor,
  isModelDirectory,
  listImageFiles,
  loadRestorationModel,
  loadTf,
  loadTrainedSession,
  modelDirectoryHandler,
  multipleOfFor,
  pngFacts,
  PRETRAINED_MODELS,
  restoreImage,
  selfEnsemble,
  selfEnsemblePassesFor,
  type RgbImage,
} from "../../restoration/index.js";
import { ProgressBar } from "../../restoration/internal.js";
import { AdapterError } from "../../tfjs/index.js";
import { choiceFlag, numberFlag, parseFlags, UsageError, type CommandIo } from "../args.js";
import { inferenceModelFromFlags } from "./model-flags.js";
import { asUsageError, stderrIsTTY, userMessageOf } from "./shared.js";

/**
 * `art-mtl restore IN -o OUT [--task T] [--checkpoint DIR]`: restores an image (or every image of
 * a folder) with a trained model — the shipped one unless `--checkpoint` names another — by
 * overlapping tiles blended across the overlap, so memory stays bounded whatever the image size.
 */

/** The help text of `art-mtl restore`. */
export const RESTORE_USAGE = `usage: art-mtl restore IN -o OUT [--task T] [--checkpoint DIR | --model NAME] [--tile N] [--overlap N]
                       [--ensemble] [--backend B] [--quality Q] [--format png|jpeg] [--rgb] [--overwrite] [--max-pixels N] [--quiet]
IN is a PNG/JPEG file or a folder of them. OUT is a file (its extension picks the format: .png,
or .jpg/.jpeg), an existing folder (IN's name with the --format extension), or for a folder IN
another folder, created if missing. An input is never overwritten, and a folder is never
restored into itself, unless --overwrite is given. The model restores RGB; what the input has
beyond that is kept where the output format can hold it: a PNG's alpha channel passes through
unchanged, a gray PNG stays gray (the mean of the restored R, G and B), a 16-bit PNG is written
with 16 bits; a JPEG output has none of these (a note says what was dropped).
  --task T        what is wrong with the image (${PRETRAINED_MODELS[0]?.tasks.join(", ")}): a task-prompted
                  model restores best when told; without it the model guesses (its blind path)
  --checkpoint D  a checkpoint from art-mtl train, or a model exported by art-mtl export
                  (model.json + weights.bin); default: the shipped model
  --model NAME    a shipped model: ${PRETRAINED_MODELS.map((m) => m.name).join(", ")} (default ${DEFAULT_PRETRAINED}),
                  loaded from its exported form (models/NAME/model: no optimizer state)
  --tile N        tile side in pixels (default 256); memory grows with N^2, not the image size
  --overlap N     overlap between tiles, blended linearly (default 16)
  --ensemble      restore as the mean of the model on the image's 8 rotations and flips (4 flips
                  for rain and without --task): a little better, 8 (4) times slower
  --backend B     auto (default), wasm, cpu, node, node-gpu or webgpu (docs/backends.md)
  --quality Q     JPEG quality, 1 to 100 (default 95)
  --format F      png (default) or jpeg: the format of the files written into an output folder
  --rgb           write a gray input as an RGB image (the model's three channels)
  --overwrite     allow OUT to replace an input image (or OUT to be IN's own folder)
  --max-pixels N  the largest image read, width x height (default 100000000), checked on the
                  file's header before any memory is allocated
  --quiet         no progress bar over the tiles`;

/** The formats `restore` writes, by file extension. */
const OUTPUT_FORMATS: Readonly<Record<string, "png" | "jpeg">> = { ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg" };

/** The format of an output file, from its extension (no extension: PNG). */
export const outputFormatOf = (path: string): "png" | "jpeg" => {
  const ext = extname(path).toLowerCase();
  if (ext === "") return "png";
  const format = OUTPUT_FORMATS[ext];
  if (format === undefined)
    throw new UsageError(`-o ${path}: cannot write ${ext} images; restore writes PNG (.png) or JPEG (.jpg, .jpeg)`);
  return format;
};

/** A path's real location (through symlinks) when it exists, else its absolute path. */
const canonical = (path: string): string => {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
};

/**
 * Where each input's restored image goes, checked before any model is loaded: an output that is
 * an input (or, for a folder, the input folder itself) is refused unless `overwrite`.
 */
export const restoreTargets = (
  input: string,
  isDir: boolean,
  files: readonly string[],
  output: string,
  overwrite: boolean,
  folderFormat: "png" | "jpeg" = "png",
): string[] => {
  const outputIsDir = statSync(output, { throwIfNoEntry: false })?.isDirectory() === true;
  if (isDir) {
    if (statSync(output, { throwIfNoEntry: false })?.isFile() === true)
      throw new UsageError(`-o ${output}: is a file; restoring a folder needs an output folder`);
    if (!overwrite && canonical(output) === canonical(input)) {
      throw new UsageError(
        `-o ${output}: is the input folder itself; restore into another folder, or pass --overwrite to write the PNGs next to the originals`,
      );
    }
  }
  const inputs = new Set(files.map(canonical));
  return files.map((file) => {
    const out =
      isDir || outputIsDir
        ? join(output, `${basename(file, extname(file))}.${folderFormat === "jpeg" ? "jpg" : "png"}`)
        : output;
    if (!overwrite && inputs.has(canonical(out)))
      throw new UsageError(
        `${out}: is an input image; refusing to overwrite it (choose another -o, or pass --overwrite)`,
      );
    return out;
  });
};

/**
 * Writes a restored image in `format`, keeping what the input PNG had beyond RGB where the
 * format can hold it (alpha, gray, 16 bits); returns notes on what was kept or dropped.
 */
const writeRestored = (
  out: string,
  format: "png" | "jpeg",
  restored: RgbImage,
  inputBytes: Uint8Array,
  file: string,
  options: { readonly quality: number; readonly rgb: boolean },
): string[] => {
  const facts = pngFacts(inputBytes);
  const notes: string[] = [];
  let encoded: Uint8Array;
  if (format === "jpeg") {
    if (facts?.alpha === true) notes.push("alpha dropped: JPEG has none");
    if (facts?.depth === 16) notes.push("16-bit input written as 8-bit JPEG");
    encoded = encodeJpeg(restored, options.quality);
  } else {
    const gray = facts?.gray === true && !options.rgb;
    const alpha = facts?.alpha === true ? decodePngAlpha(inputBytes, file) : undefined;
    const bitDepth = facts?.depth === 16 ? 16 : 8;
    if (alpha !== undefined) notes.push("alpha kept");
    if (gray) notes.push("gray kept");
    if (bitDepth === 16) notes.push("16-bit kept");
    encoded = encodePng(restored, { bitDepth, gray, ...(alpha === undefined ? {} : { alpha }) });
  }
  try {
    writeFileSync(out, encoded);
  } catch (error) {
    throw new UsageError(`${out}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return notes;
};

/** A training checkpoint, or a model exported in tfjs's format (`art-mtl export`): what restoring needs of either. */
export const loadForInference = async (location: string, backend?: Parameters<typeof loadTrainedSession>[1]) => {
  if (!isModelDirectory(location)) return loadTrainedSession(location, backend);
  const { tf } = await loadTf(backend ?? "auto");
  try {
    const { model, tasks } = await loadRestorationModel(tf, modelDirectoryHandler(location));
    return { tf, model, config: { tasks } };
  } catch (error) {
    if (error instanceof AdapterError) throw new UsageError(`${location}: ${error.message}`);
    throw error;
  }
};

/** The `restore` command. */
export const restoreCommand = async (argv: readonly string[], io: CommandIo): Promise<number> => {
  const { values, positionals } = parseFlags(
    argv,
    {
      output: { type: "string", short: "o" },
      checkpoint: { type: "string" },
      model: { type: "string" },
      task: { type: "string" },
      tile: { type: "string" },
      overlap: { type: "string" },
      ensemble: { type: "boolean" },
      backend: { type: "string" },
      overwrite: { type: "boolean" },
      "max-pixels": { type: "string" },
      quality: { type: "string" },
      format: { type: "string" },
      rgb: { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
    },
    true,
  );
  if (values.help === true) {
    io.stdout(RESTORE_USAGE + "\n");
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(`expected one input (got ${positionals.length})\n${RESTORE_USAGE}`);
  if (values.output === undefined) throw new UsageError("-o OUT is required");
  const tile = numberFlag("tile", values.tile, (n) => Number.isInteger(n) && n >= 16, "an integer >= 16") ?? 256;
  const overlap =
    numberFlag(
      "overlap",
      values.overlap,
      (n) => Number.isInteger(n) && n >= 0 && n < tile / 2,
      `an integer in [0, ${Math.ceil(tile / 2) - 1}]`,
    ) ?? 16;
  const backend = choiceFlag("backend", values.backend, ["auto", "wasm", "cpu", "node", "node-gpu", "webgpu"] as const);
  const maxPixels = numberFlag(
    "max-pixels",
    values["max-pixels"],
    (n) => Number.isSafeInteger(n) && n >= 1,
    "an integer >= 1",
  );
  const quality =
    numberFlag(
      "quality",
      values.quality,
      (n) => Number.isInteger(n) && n >= 1 && n <= 100,
      "an integer from 1 to 100",
    ) ?? 95;
  const folderFormat = choiceFlag("format", values.format, ["png", "jpeg"] as const) ?? "png";
  const input = positionals[0] as string;
  let isDir: boolean;
  try {
    isDir = statSync(input).isDirectory();
  } catch {
    throw new UsageError(`${input}: no such file or folder`);
  }
  const files = isDir ? listImageFiles(input) : [input];
  if (files.length === 0) throw new UsageError(`${input}: no PNG/JPEG files`);
  const targets = restoreTargets(input, isDir, files, values.output, values.overwrite === true, folderFormat);
  const formats = targets.map(outputFormatOf);
  for (const folder of new Set(targets.map((out) => dirname(out)))) {
    try {
      mkdirSync(folder, { recursive: true });
    } catch (error) {
      throw new UsageError(
        `-o ${values.output}: cannot create the folder ${folder} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
  }
  const session = await loadForInference(inferenceModelFromFlags(values), backend).catch(asUsageError);
  const task = values.task;
  if (task !== undefined && !session.config.tasks.includes(task as never)) {
    throw new UsageError(
      `--task: this model restores ${session.config.tasks.join(", ")} (got ${JSON.stringify(task)})`,
    );
  }
  if (session.model.spec.taskPrompt === true && task === undefined)
    io.stderr(
      `note: no --task given: the model guesses what is wrong (its blind path); --task ${session.config.tasks.join("|")} restores better\n`,
    );
  const told = forwardFor(session, task);
  const forward = values.ensemble === true ? selfEnsemble(session.tf, told, selfEnsemblePassesFor(task)) : told;
  const multipleOf = multipleOfFor(session.model.spec);
  for (const [i, file] of files.entries()) {
    const started = performance.now();
    let bytes: Uint8Array;
    let img;
    try {
      bytes = readFileSync(file);
      img = decodeImage(bytes, file, maxPixels === undefined ? {} : { maxPixels });
    } catch (error) {
      const message = userMessageOf(error);
      if (message !== undefined) throw new UsageError(message);
      if ((error as NodeJS.ErrnoException).code !== undefined)
        throw new UsageError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code})`);
      throw error;
    }
    const out = targets[i] as string;
    // A bar over the tiles (made at the first tile, when their number is known); none for a one-tile image.
    let bar: ProgressBar | undefined;
    const onTile = (done: number, total: number) => {
      if (values.quiet === true || total === 1) return;
      bar ??= new ProgressBar(`${basename(file)} tiles`, total, 0, {
        write: io.stderr,
        isTTY: stderrIsTTY(io),
        plainEvery: 10,
      });
      bar.update(done);
    };
    const restored = await restoreImage(session.tf, forward, img, { tile, overlap, multipleOf, onTile });
    (bar as ProgressBar | undefined)?.finish();
    const kept = writeRestored(out, formats[i] as "png" | "jpeg", restored, bytes, file, {
      quality,
      rgb: values.rgb === true,
    });
    io.stderr(
      `${file} (${img.width}x${img.height}) → ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s${kept.length === 0 ? "" : ` (${kept.join("; ")})`}\n`,
    );
  }
  return 0;
};
