/**
 * Paired folders (degraded input + clean target) in the layouts restoration test sets use:
 *
 * - `same-name`: `input/rain-001.png` ↔ `target/rain-001.png` (Rain100L-style; the extension
 *   may differ, the name without it must match);
 * - `id-prefix`: `input/0001_0.8_0.2.jpg` ↔ `target/0001.png` (SOTS-style: many inputs per
 *   target, the target's name is the input's name up to its first `_`).
 *
 * `auto` picks the layout under which every input has its target, and otherwise reports the
 * inputs that match under neither, by name.
 */
import { basename, existsSync, extname, join, nodeOnly } from "../../platform/node.js";
import type { RgbImage } from "../image.js";
import { readImage } from "../io/read-image.js";
import { DatasetError, listImageFiles } from "./folder.js";

/** A pairing rule. */
export type PairedLayout = "same-name" | "id-prefix";

/** One input file and its target file. */
export interface ImagePair {
  /** The input's file name without extension (unique within the set). */
  readonly name: string;
  readonly input: string;
  readonly target: string;
}

/** Options of `openPairedFolder`. */
export interface PairedFolderOptions {
  /** The layout, or `"auto"` (default) to detect it. */
  readonly layout?: PairedLayout | "auto";
  /** Sub-folder of degraded inputs (default `input`). */
  readonly inputDir?: string;
  /** Sub-folder of clean targets (default `target`). */
  readonly targetDir?: string;
}

/** A paired set: its layout and its pairs sorted by input name. */
export interface PairedFolder {
  readonly root: string;
  readonly layout: PairedLayout;
  readonly pairs: readonly ImagePair[];
}

const stem = (file: string): string => basename(file, extname(file));

/** The target stem an input stem maps to under `layout`. */
export const targetStemFor = (inputStem: string, layout: PairedLayout): string => {
  if (layout === "same-name") return inputStem;
  const cut = inputStem.indexOf("_");
  return cut < 0 ? inputStem : inputStem.slice(0, cut);
};

/** Pairs under one layout: the matched pairs and the inputs without a target. */
function pairUnder(inputs: readonly string[], targetsByStem: ReadonlyMap<string, string>, layout: PairedLayout) {
  const pairs: ImagePair[] = [];
  const unmatched: string[] = [];
  for (const input of inputs) {
    const target = targetsByStem.get(targetStemFor(stem(input), layout));
    if (target === undefined) unmatched.push(input);
    else pairs.push({ name: stem(input), input, target });
  }
  return { pairs, unmatched };
}

const listSome = (files: readonly string[]): string =>
  files.slice(0, 5).join(", ") + (files.length > 5 ? `, and ${files.length - 5} more` : "");

/**
 * Reads the two sub-folders of `root` and pairs their files.
 * Throws `DatasetError` naming the folder or the unmatched inputs.
 *
 * @example
 * const set = openPairedFolder("data/SOTS-outdoor", { inputDir: "hazy", targetDir: "gt" }); // layout "id-prefix"
 * for (const pair of set.pairs) { const { input, target } = await loadPair(pair); }
 */
export function openPairedFolder(root: string, options: PairedFolderOptions = {}): PairedFolder {
  nodeOnly("openPairedFolder");
  const inputDir = join(root, options.inputDir ?? "input");
  const targetDir = join(root, options.targetDir ?? "target");
  for (const dir of [inputDir, targetDir]) {
    if (!existsSync(dir))
      throw new DatasetError(
        dir,
        `${dir}: folder not found (a paired set needs ${options.inputDir ?? "input"}/ and ${options.targetDir ?? "target"}/)`,
      );
  }
  const inputs = listImageFiles(inputDir);
  const targets = listImageFiles(targetDir);
  if (inputs.length === 0) throw new DatasetError(inputDir, `${inputDir}: no image files`);
  const targetsByStem = new Map<string, string>();
  for (const target of targets) {
    const key = stem(target);
    const clash = targetsByStem.get(key);
    if (clash !== undefined)
      throw new DatasetError(target, `${target}: two targets share the name ${JSON.stringify(key)} (also ${clash})`);
    targetsByStem.set(key, target);
  }
  const wanted = options.layout ?? "auto";
  const layouts: PairedLayout[] = wanted === "auto" ? ["same-name", "id-prefix"] : [wanted];
  let best: { layout: PairedLayout; pairs: ImagePair[]; unmatched: string[] } | undefined;
  for (const layout of layouts) {
    const result = { layout, ...pairUnder(inputs, targetsByStem, layout) };
    if (result.unmatched.length === 0) return { root, layout, pairs: result.pairs };
    if (best === undefined || result.unmatched.length < best.unmatched.length) best = result;
  }
  const b = best as { layout: PairedLayout; unmatched: string[] };
  const how =
    wanted === "auto"
      ? "under no layout (same-name: input/X.png ↔ target/X.png; id-prefix: input/ID_*.png ↔ target/ID.png)"
      : `under layout ${wanted}`;
  throw new DatasetError(
    b.unmatched[0] as string,
    `${root}: ${b.unmatched.length} of ${inputs.length} inputs have no target ${how}: ${listSome(b.unmatched)}`,
  );
}

/** Loads both images of a pair; throws `DatasetError` naming both files when their sizes differ. */
export async function loadPair(pair: ImagePair): Promise<{ input: RgbImage; target: RgbImage }> {
  nodeOnly("loadPair", "fetch both images' bytes and use decodeImage(bytes, name)");
  const [input, target] = await Promise.all([readImage(pair.input), readImage(pair.target)]);
  if (input.width !== target.width || input.height !== target.height) {
    throw new DatasetError(
      pair.input,
      `${pair.input} is ${input.width}x${input.height} but its target ${pair.target} is ${target.width}x${target.height}`,
    );
  }
  return { input, target };
}
