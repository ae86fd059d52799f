/**
 * Whole-photo restoration benchmark (run: `npm run bench:restore [-- --megapixels 12 --tile 256]`):
 * the shipped default model restores one large image (a procedural image of 4:3 shape, so no real
 * images are needed) through `restoreImage` as `art-mtl restore` does (tiles of 256, overlap 16,
 * WASM, one thread), told "noise"; the same image through a plain SRResNet of the same size
 * without global context, side by side, gives the cost of the context (its mosaic pass and FiLMs).
 * The shipped models promise a 12-megapixel photo in at most 60 s on one core. `--blocks 5,6`
 * adds rows for the same model at other depths (fresh weights: the cost does not depend on them),
 * which says how much larger a shipped model can grow and keep that promise.
 */
import { parseArgs } from "node:util";

import { proceduralImageAt } from "../src/restoration/data/index.js";
import type { RgbImage } from "../src/restoration/image.js";
import { createModel } from "../src/restoration/models/index.js";
import { pretrainedCheckpoint } from "../src/restoration/pretrained.js";
import { forwardFor, loadTrainedSession, restoreImage } from "../src/restoration/train/index.js";

const { values } = parseArgs({
  options: {
    megapixels: { type: "string", default: "12" },
    tile: { type: "string", default: "256" },
    blocks: { type: "string", default: "" },
  },
});
const megapixels = Number(values.megapixels);
const tile = Number(values.tile);
const depths = values.blocks === "" ? [] : values.blocks.split(",").map(Number);
if (depths.some((d) => !Number.isInteger(d) || d < 1))
  throw new Error(`--blocks: a list of positive integers, got "${values.blocks}"`);
const width = Math.round(Math.sqrt((megapixels * 1e6 * 4) / 3));
const height = Math.round((width * 3) / 4);

/** A large test image: one procedural 256x256 image repeated (the content does not change the cost). */
const bigImage = async (): Promise<RgbImage> => {
  const block = await proceduralImageAt(0, 7, 256);
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x += 256) {
      const run = Math.min(256, width - x);
      const from = (y % 256) * 256 * 3;
      data.set(block.data.subarray(from, from + run * 3), (y * width + x) * 3);
    }
  }
  return { width, height, data };
};

const session = await loadTrainedSession(pretrainedCheckpoint("all-in-one"), "wasm");
const img = await bigImage();
const plain = createModel(
  session.tf,
  { ...session.model.spec, globalContext: false },
  { numTasks: session.config.tasks.length },
);

const warmUp = { width: 600, height: 300, data: img.data.slice(0, 600 * 300 * 3) };
const time = async (forward: Parameters<typeof restoreImage>[1]): Promise<number> => {
  await restoreImage(session.tf, forward, warmUp, { tile, overlap: 16 }); // kernels compiled, JIT settled
  const started = performance.now();
  await restoreImage(session.tf, forward, img, { tile, overlap: 16 });
  return (performance.now() - started) / 1000;
};

console.log(
  `# restoring ${width} x ${height} (${((width * height) / 1e6).toFixed(1)} MP), tiles of ${tile}, WASM, one thread (node ${process.version})\n`,
);
const shipped = await time(forwardFor(session, "noise"));
const baseline = await time(forwardFor({ model: plain, config: session.config }, "noise"));
console.log("| model | seconds | MP/s |");
console.log("|---|---:|---:|");
console.log(
  `| shipped all-in-one (${session.model.parameterCount} parameters${session.model.spec.taskPrompt === true ? ", task-prompted" : ""}${"globalContext" in session.model.spec ? ", global context" : ""}), told "noise" | ${shipped.toFixed(1)} | ${((width * height) / 1e6 / shipped).toFixed(2)} |`,
);
console.log(
  `| the same SRResNet without global context | ${baseline.toFixed(1)} | ${((width * height) / 1e6 / baseline).toFixed(2)} |`,
);
const spec = session.model.spec;
for (const blocks of depths) {
  if (spec.kind !== "srresnet") throw new Error("--blocks: the shipped model is not an SRResNet");
  const deeper = createModel(session.tf, { ...spec, blocks }, { numTasks: session.config.tasks.length });
  const seconds = await time(forwardFor({ model: deeper, config: session.config }, "noise"));
  deeper.dispose();
  console.log(
    `| the shipped model grown to ${blocks} blocks (${deeper.parameterCount} parameters) | ${seconds.toFixed(1)} | ${((width * height) / 1e6 / seconds).toFixed(2)} |`,
  );
}
console.log(
  `\nshipped / plain time: ${(shipped / baseline).toFixed(2)}; the promise: <= 60 s for 12 MP on one core (${shipped <= 60 * (megapixels / 12) ? "kept" : "MISSED"})`,
);
