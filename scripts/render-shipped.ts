/**
 * Renders a shipped model's before/after picture for the docs: one row per task (the same test
 * image, degraded by each task), columns degraded input | blind path | told the task | clean,
 * each labelled with its PSNR in dB (BasicSR convention) against the clean image.
 *
 *   npx tsx scripts/render-shipped.ts                       # all-in-one on runs/experiment/data/test-A
 *   npx tsx scripts/render-shipped.ts --model rain-haze-noise --data runs/experiment/data/test-B
 *   options: --image Set14-comic (which test image; default Set5-butterfly_GT) --out FILE
 *
 * The frozen test sets come from `npm run experiment -- --setting A --prepare-only` (needs the
 * real images of ../shared/data).
 */
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";

import { createImage, type RgbImage } from "../src/restoration/image.js";
import { writePng } from "../src/restoration/io/index.js";
import { psnr } from "../src/restoration/metrics/psnr.js";
import { pretrainedCheckpoint } from "../src/restoration/pretrained.js";
import { forwardFor } from "../src/restoration/train/evaluate-session.js";
import { loadEvalPairs } from "../src/restoration/train/evaluate.js";
import { multipleOfFor, restoreImage } from "../src/restoration/train/inference.js";
import { loadTrainedSession } from "../src/restoration/train/session.js";
import { drawText, paste } from "./bitmap-font.js";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "all-in-one" },
    data: { type: "string" },
    image: { type: "string", default: "Set5-butterfly_GT" },
    out: { type: "string" },
  },
});
const repo = resolve(import.meta.dirname, "..");
const model = values.model as string;
const data = resolve(
  values.data ?? join(repo, "runs", "experiment", "data", model === "all-in-one" ? "test-A" : "test-B"),
);
const out = resolve(values.out ?? join(repo, "docs", "img", `shipped-${model}.png`));
const SCALE = 2;
const LABEL = 20;
const GAP = 4;

/** Nearest-neighbour enlargement, so the pixels stay visible. */
const enlarge = (img: RgbImage, s: number): RgbImage => {
  const outImg = createImage(img.width * s, img.height * s);
  for (let y = 0; y < outImg.height; y++) {
    for (let x = 0; x < outImg.width; x++) {
      const src = (Math.floor(y / s) * img.width + Math.floor(x / s)) * 3;
      outImg.data.set(img.data.subarray(src, src + 3), (y * outImg.width + x) * 3);
    }
  }
  return outImg;
};

const session = await loadTrainedSession(pretrainedCheckpoint(model), "wasm");
const tasks = session.config.tasks;
const pairs = (await loadEvalPairs({ data, tasks, images: 1, size: 1 })).filter((p) =>
  p.sample.name.endsWith(values.image as string),
);
if (pairs.length === 0) {
  // (a thrown error would be echoed with the whole WASM module source by its rethrowing handler)
  console.error(`render-shipped: no test image named *${values.image} in ${data}`);
  process.exit(2);
}
const rows: { task: string; tiles: { label: string; image: RgbImage }[] }[] = [];
for (const task of tasks) {
  const pair = pairs.find((p) => p.sample.task === task);
  if (pair === undefined) continue;
  const multipleOf = multipleOfFor(session.model.spec);
  const blind = await restoreImage(session.tf, forwardFor(session), pair.input, { multipleOf });
  const told = await restoreImage(session.tf, forwardFor(session, task), pair.input, { multipleOf });
  const db = (img: RgbImage) => psnr(img, pair.target, { convention: "basicsr" }).toFixed(2);
  rows.push({
    task,
    tiles: [
      { label: `${task.toUpperCase()} ${db(pair.input)}`, image: pair.input },
      { label: db(blind), image: blind },
      { label: db(told), image: told },
      { label: "", image: pair.target },
    ],
  });
  console.log(`${task}: input ${db(pair.input)} dB, blind ${db(blind)} dB, told the task ${db(told)} dB`);
}
const tile = (pairs[0] as { input: RgbImage }).input.width * SCALE;
const tileHeight = (pairs[0] as { input: RgbImage }).input.height * SCALE;
// A header row names the columns; each tile's label is its PSNR in dB (the input's with the task).
const canvas = createImage(
  4 * tile + 5 * GAP,
  LABEL + rows.length * (tileHeight + LABEL) + (rows.length + 1) * GAP,
  undefined,
  0.12,
);
["INPUT", "BLIND", "TOLD THE TASK", "CLEAN"].forEach((title, c) =>
  drawText(canvas, title, GAP + c * (tile + GAP) + 2, GAP + 3, 2),
);
rows.forEach((row, r) => {
  row.tiles.forEach(({ label, image }, c) => {
    const left = GAP + c * (tile + GAP);
    const top = LABEL + GAP + r * (tileHeight + LABEL + GAP);
    drawText(
      canvas,
      label
        .replace("LOWLIGHT", "LOW LIGHT")
        .replace("NOISE15", "NOISE 15")
        .replace("NOISE25", "NOISE 25")
        .replace("NOISE50", "NOISE 50"),
      left + 2,
      top + 3,
      2,
    );
    paste(canvas, enlarge(image, SCALE), left, top + LABEL);
  });
});
mkdirSync(dirname(out), { recursive: true });
writePng(out, canvas);
console.log(`wrote ${out} (${canvas.width}x${canvas.height}); image ${values.image}`);
