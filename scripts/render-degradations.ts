/**
 * Renders docs/img/degradations.png: one clean image and its seven MiOIR degradations side by
 * side, each labelled with a tiny built-in bitmap font, and prints the drawn parameters.
 *
 *   npx tsx scripts/render-degradations.ts            # procedural image (the committed picture)
 *   npx tsx scripts/render-degradations.ts --real     # a CBSD68 crop, if ../shared/data exists
 *   npx tsx scripts/render-degradations.ts --out FILE
 *   npx tsx scripts/render-degradations.ts --bench    # throughput of every task on 64x64 crops instead
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { Rng } from "../src/core/random.js";
import { proceduralImage } from "../src/restoration/data/procedural.js";
import { addJpegArtifactsJpegJs, AIRNET_TASKS, degrade, MIOIR_TASKS } from "../src/restoration/degradations/index.js";
import { createImage, cropImage, type RgbImage } from "../src/restoration/image.js";
import { readImageSync, writePng } from "../src/restoration/io/index.js";
import { drawText, paste } from "./bitmap-font.js";

const TILE = 128;
const LABEL_HEIGHT = 20;
const COLUMNS = 4;
const GAP = 4;
const SEED = 2024;

const LABELS: Record<string, string> = {
  clean: "CLEAN",
  sr: "SR X4",
  blur: "BLUR",
  noise: "NOISE",
  jpeg: "JPEG",
  rain: "RAIN",
  haze: "HAZE",
  lowlight: "LOW LIGHT",
};

function sourceImage(real: boolean, repoRoot: string): { image: RgbImage; name: string } {
  if (real) {
    const dir = process.env.ART_MTL_DATA ?? resolve(repoRoot, "..", "shared", "data");
    const path = join(dir, "CBSD68", "108005.png");
    if (existsSync(path)) {
      const img = readImageSync(path);
      return {
        image: cropImage(img, Math.floor((img.width - TILE) / 2), Math.floor((img.height - TILE) / 2), TILE, TILE),
        name: `CBSD68/108005.png (central ${TILE}x${TILE} crop)`,
      };
    }
    console.error(`no ${path}; using the procedural image`);
  }
  return {
    image: proceduralImage(Rng.seeded(SEED), TILE, TILE),
    name: `proceduralImage(Rng.seeded(${SEED}), ${TILE}, ${TILE})`,
  };
}

/** Samples per second of `run` (after a warm-up), by wall clock and per CPU-second of this process. */
function measure(run: (i: number) => void, millis: number): { wall: number; cpu: number } {
  for (let i = 0; i < 20; i++) run(i);
  let n = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  while (performance.now() - start < millis) run(n++);
  const cpu = process.cpuUsage(cpuStart);
  return { wall: n / ((performance.now() - start) / 1000), cpu: n / ((cpu.user + cpu.system) / 1e6) };
}

/** Prints a markdown table of degradation throughput on 64x64 crops (single thread). */
function bench(): void {
  const crops = Array.from({ length: 16 }, (_, i) => proceduralImage(Rng.seeded(i), 64, 64));
  const rng = Rng.seeded(1);
  console.log("| task | samples/s (wall) | samples/s per CPU-second |\n| --- | ---: | ---: |");
  const row = (name: string, run: (i: number) => void, millis = 1000) => {
    const { wall, cpu } = measure(run, millis);
    console.log(`| ${name} | ${wall.toFixed(0)} | ${cpu.toFixed(0)} |`);
  };
  for (const task of [...new Set([...MIOIR_TASKS, ...AIRNET_TASKS])])
    row(task, (i) => degrade(task, crops[i % 16] as RgbImage, rng));
  row("jpeg via jpeg-js", (i) => addJpegArtifactsJpegJs(crops[i % 16] as RgbImage, rng), 2000);
  row("proceduralImage 64x64", () => proceduralImage(rng, 64, 64));
}

function main(): void {
  const args = process.argv.slice(2);
  if (args.includes("--bench")) {
    bench();
    return;
  }
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const outIndex = args.indexOf("--out");
  const out =
    outIndex >= 0 && args[outIndex + 1] !== undefined
      ? resolve(args[outIndex + 1] as string)
      : join(repoRoot, "docs", "img", "degradations.png");
  const { image: clean, name } = sourceImage(args.includes("--real"), repoRoot);
  const tiles: { label: string; image: RgbImage }[] = [{ label: LABELS.clean as string, image: clean }];
  console.log(`source: ${name}`);
  MIOIR_TASKS.forEach((task, i) => {
    const { image, params } = degrade(task, clean, Rng.seeded(SEED + 1 + i));
    tiles.push({ label: LABELS[task] ?? task.toUpperCase(), image });
    console.log(`${task}: ${JSON.stringify(params)}`);
  });
  const rows = Math.ceil(tiles.length / COLUMNS);
  const cellHeight = TILE + LABEL_HEIGHT;
  const canvas = createImage(
    COLUMNS * TILE + (COLUMNS + 1) * GAP,
    rows * cellHeight + (rows + 1) * GAP,
    undefined,
    0.12,
  );
  tiles.forEach(({ label, image }, i) => {
    const left = GAP + (i % COLUMNS) * (TILE + GAP);
    const top = GAP + Math.floor(i / COLUMNS) * (cellHeight + GAP);
    paste(canvas, image, left, top + LABEL_HEIGHT);
    drawText(canvas, label, left + 2, top + 3, 2);
  });
  mkdirSync(dirname(out), { recursive: true });
  writePng(out, canvas);
  console.log(`wrote ${out} (${canvas.width}x${canvas.height})`);
}

main();
