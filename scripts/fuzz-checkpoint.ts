/**
 * Checkpoint fuzzing: damages a small checkpoint in every way a disk, a copy or a hand can, loads
 * each damaged copy into a fresh trainer, and sorts the outcomes.
 *
 *   npm run fuzz:checkpoint                       # every manifest bit flip, sampled tensor damage
 *   npm run fuzz:checkpoint -- --seed 7 --tensor-flips 64 --manifest-flips 2000
 *
 * The checkpoint: a tiny conv model (5 variables, two of them the same shape) + Adam + Art over 3
 * tasks, 3 steps, saved to a directory. The cases: every single-bit flip of manifest.json
 * (or --manifest-flips N of them, sampled); per tensor file, sampled bit flips and truncations
 * (and one byte appended); swaps of every pair of same-shape tensor files, with and without their
 * sums swapped in the manifest, and swaps of two manifest entries; deletion of every file, of the
 * model/ folder, and of every manifest field (top level, trainer state, each entry's fields); a
 * tensor file replaced by a symlink to /dev/zero and by a FIFO (Linux).
 *
 * Each outcome is one of: refused (an `AdapterError("checkpoint")` with a one-line message),
 * loaded unchanged (variables, optimizer state, weighting state, step and metadata equal the
 * original bit for bit), silently changed (loaded, something differs: must be 0), crash (any
 * other exception, a multi-line message, or no answer within the timeout: must be 0). Exits 1
 * when a silent change or a crash happened.
 */
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";

import { art } from "../src/core/index.js";
import { Rng } from "../src/core/random.js";
import { ensureGradientsRegistered } from "../src/tfjs/backend/select.js";
import {
  AdapterError,
  createTrainer,
  loadCheckpoint,
  saveCheckpoint,
  type FunctionModel,
  type Trainer,
} from "../src/tfjs/index.js";

/** The four outcomes. */
export type FuzzOutcome = "refused" | "unchanged" | "silent" | "crash";

/** One damage to a copy of the checkpoint directory. */
export interface FuzzCase {
  readonly name: string;
  /** Damages the checkpoint in `dir` (a fresh copy of the original, unless `inPlace`). */
  readonly apply: (dir: string) => void;
  /** The case only rewrites manifest.json: it runs on one shared copy whose manifest is restored after (fast). */
  readonly manifestOnly?: boolean;
}

/** What a run found. */
export interface FuzzReport {
  readonly counts: Record<FuzzOutcome, number>;
  /** The cases that were silent changes or crashes (name and what happened). */
  readonly failures: { name: string; outcome: FuzzOutcome; detail: string }[];
  readonly seconds: number;
}

/** A deterministic uniform [0, 1) source: the project's own seeded generator (xoshiro128**). */
export const prng = (seed: number): (() => number) => {
  const rng = Rng.seeded(seed);
  return () => rng.uniform();
};

/** The tiny model: 5 variables, b1 and b2 of the same shape (for swaps). Seeded: the same weights every time. */
const tinyModel = (): FunctionModel => {
  const w1 = tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 0.2, "float32", 1));
  const b1 = tf.variable(tf.randomNormal([4], 0, 0.1, "float32", 2));
  const w2 = tf.variable(tf.randomNormal([3, 3, 4, 4], 0, 0.2, "float32", 3));
  const b2 = tf.variable(tf.randomNormal([4], 0, 0.1, "float32", 4));
  const w3 = tf.variable(tf.randomNormal([1, 1, 4, 3], 0, 0.2, "float32", 5));
  const conv = (x: tf.Tensor, w: tf.Variable) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same");
  return {
    apply: (x) => tf.add(x, conv(tf.relu(tf.add(conv(tf.relu(tf.add(conv(x, w1), b1)), w2), b2)), w3)),
    variables: [w1, b1, w2, b2, w3],
  };
};

/** A fresh trainer of the fuzzed kind. */
export const freshTrainer = (): Trainer<unknown> =>
  createTrainer({
    tf,
    model: tinyModel(),
    optimizer: tf.train.adam(1e-2),
    weighting: art(),
    numTasks: 3,
  }) as unknown as Trainer<unknown>;

/** Everything a load sets, as bytes and JSON, to compare bit for bit. */
interface Snapshot {
  readonly variables: string[];
  readonly optimizer: string[];
  readonly host: string;
  readonly step: number;
  readonly metadata: string;
}
const hexOf = (data: ArrayBufferView): string =>
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("hex");
const snapshot = async (trainer: Trainer<unknown>, metadata: unknown): Promise<Snapshot> => {
  const variables = await Promise.all(
    trainer.checkpointVariables.map(
      async (v) => `${v.dtype}${JSON.stringify(v.shape)}${hexOf((await v.data()) as Float32Array)}`,
    ),
  );
  const weights = await trainer.optimizer.getWeights();
  const optimizer = await Promise.all(
    weights.map(
      async (w) =>
        `${w.name}:${w.tensor.dtype}${JSON.stringify(w.tensor.shape)}${hexOf((await w.tensor.data()) as Float32Array)}`,
    ),
  );
  for (const w of weights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
  return {
    variables,
    optimizer,
    host: JSON.stringify(trainer.hostState()),
    step: trainer.stepCount,
    metadata: JSON.stringify(metadata),
  };
};
const differences = (a: Snapshot, b: Snapshot): string[] => {
  const out: string[] = [];
  a.variables.forEach((v, i) => v !== b.variables[i] && out.push(`model variable ${i}`));
  if (a.variables.length !== b.variables.length) out.push("model variable count");
  if (a.optimizer.length !== b.optimizer.length)
    out.push(`optimizer weight count ${a.optimizer.length} vs ${b.optimizer.length}`);
  else a.optimizer.forEach((v, i) => v !== b.optimizer[i] && out.push(`optimizer weight ${i}`));
  if (a.host !== b.host) out.push("weighting/trainer state");
  if (a.step !== b.step) out.push(`step ${a.step} vs ${b.step}`);
  if (a.metadata !== b.metadata) out.push("metadata");
  return out;
};

const disposeTrainer = (trainer: Trainer<unknown>): void => {
  trainer.dispose();
  trainer.optimizer.dispose();
  for (const v of trainer.checkpointVariables) v.dispose();
};

/** Builds the original checkpoint in `dir` and returns its snapshot. */
export const buildFuzzCheckpoint = async (dir: string): Promise<Snapshot> => {
  await tf.setBackend("cpu");
  await ensureGradientsRegistered(tf);
  const trainer = freshTrainer();
  for (let i = 0; i < 3; i++) {
    const inputs = tf.randomUniform([6, 8, 8, 3], 0, 1, "float32", 200 + i);
    const targets = tf.randomUniform([6, 8, 8, 3], 0, 1, "float32", 300 + i);
    await trainer.step(inputs, targets, [0, 0, 1, 1, 2, i % 3]);
    inputs.dispose();
    targets.dispose();
  }
  const metadata = { note: "fuzz", epoch: 1 };
  await saveCheckpoint(trainer, dir, metadata);
  const original = await snapshot(trainer, metadata);
  disposeTrainer(trainer);
  return original;
};

interface Entry {
  file: string;
  shape: number[];
  sha256: string;
  [key: string]: unknown;
}
interface Manifest {
  model: Entry[];
  optimizer: Entry[];
  trainer: Record<string, unknown>;
  [key: string]: unknown;
}

/** Options of `fuzzCases`. */
export interface FuzzOptions {
  readonly seed: number;
  /** Manifest bit flips: "all", or this many sampled. */
  readonly manifestFlips: "all" | number;
  /** Sampled bit flips per tensor file. */
  readonly tensorFlips: number;
  /** Sampled truncation lengths per tensor file (besides 0 and length - 1). */
  readonly truncations: number;
  /** Include the symlink-to-/dev/zero and FIFO cases (Linux). */
  readonly specialFiles: boolean;
}

/** The cases over the original checkpoint in `original`. */
export const fuzzCases = (original: string, options: FuzzOptions): FuzzCase[] => {
  const random = prng(options.seed);
  const manifestBytes = readFileSync(join(original, "manifest.json"));
  const manifest = JSON.parse(manifestBytes.toString("utf8")) as Manifest;
  const entries = [...manifest.model, ...manifest.optimizer];
  const cases: FuzzCase[] = [];
  const writeManifest = (dir: string, m: unknown) =>
    writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(m, null, 1)}\n`);
  const edit = (name: string, change: (m: Manifest) => void) =>
    cases.push({
      name,
      manifestOnly: true,
      apply: (dir) => {
        const m = JSON.parse(manifestBytes.toString("utf8")) as Manifest;
        change(m);
        writeManifest(dir, m);
      },
    });

  // Every (or a sample of) single-bit flip of manifest.json.
  const totalBits = manifestBytes.length * 8;
  const bits =
    options.manifestFlips === "all"
      ? Array.from({ length: totalBits }, (_, i) => i)
      : Array.from({ length: Math.min(options.manifestFlips, totalBits) }, () => Math.floor(random() * totalBits));
  for (const bit of bits) {
    cases.push({
      name: `manifest.json bit ${bit} (byte ${bit >> 3} ${JSON.stringify(String.fromCharCode(manifestBytes[bit >> 3] as number))})`,
      manifestOnly: true,
      apply: (dir) => {
        const bytes = Buffer.from(manifestBytes);
        bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7));
        writeFileSync(join(dir, "manifest.json"), bytes);
      },
    });
  }

  // Tensor files: sampled flips, truncations, one byte more.
  for (const entry of entries) {
    const length = readFileSync(join(original, entry.file)).length;
    for (let k = 0; k < options.tensorFlips; k++) {
      const bit = Math.floor(random() * length * 8);
      cases.push({
        name: `${entry.file} bit ${bit}`,
        apply: (dir) => {
          const path = join(dir, entry.file);
          const bytes = readFileSync(path);
          bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7));
          writeFileSync(path, bytes);
        },
      });
    }
    const cuts = new Set([
      0,
      Math.max(0, length - 1),
      ...Array.from({ length: options.truncations }, () => Math.floor(random() * length)),
    ]);
    for (const cut of cuts) {
      cases.push({
        name: `${entry.file} truncated to ${cut} of ${length} bytes`,
        apply: (dir) => writeFileSync(join(dir, entry.file), readFileSync(join(dir, entry.file)).subarray(0, cut)),
      });
    }
    cases.push({
      name: `${entry.file} with one byte appended`,
      apply: (dir) =>
        writeFileSync(join(dir, entry.file), Buffer.concat([readFileSync(join(dir, entry.file)), Buffer.of(0)])),
    });
  }

  // Swaps of same-shape tensor files, without and with their sums; swaps of whole entries.
  const same: [Entry, Entry][] = [];
  entries.forEach((a, i) =>
    entries.slice(i + 1).forEach((b) => JSON.stringify(a.shape) === JSON.stringify(b.shape) && same.push([a, b])),
  );
  const swapFiles = (dir: string, a: Entry, b: Entry) => {
    const [pa, pb, tmp] = [join(dir, a.file), join(dir, b.file), join(dir, "swap.tmp")];
    renameSync(pa, tmp);
    renameSync(pb, pa);
    renameSync(tmp, pb);
  };
  const find = (m: Manifest, file: string): Entry => [...m.model, ...m.optimizer].find((e) => e.file === file) as Entry;
  for (const [a, b] of same) {
    cases.push({ name: `swap ${a.file} and ${b.file}`, apply: (dir) => swapFiles(dir, a, b) });
    cases.push({
      name: `swap ${a.file} and ${b.file} with their sums`,
      apply: (dir) => {
        swapFiles(dir, a, b);
        const m = JSON.parse(manifestBytes.toString("utf8")) as Manifest;
        [find(m, a.file).sha256, find(m, b.file).sha256] = [find(m, b.file).sha256, find(m, a.file).sha256];
        writeManifest(dir, m);
      },
    });
    cases.push({
      name: `swap the entries of ${a.file} and ${b.file} (files kept)`,
      manifestOnly: true,
      apply: (dir) => {
        const m = JSON.parse(manifestBytes.toString("utf8")) as Manifest;
        const list = (e: Entry) => (e.file.startsWith("model/") ? m.model : m.optimizer);
        const [la, lb] = [list(a), list(b)];
        const [ia, ib] = [la.findIndex((e) => e.file === a.file), lb.findIndex((e) => e.file === b.file)];
        [la[ia], lb[ib]] = [lb[ib] as Entry, la[ia] as Entry];
        writeManifest(dir, m);
      },
    });
  }

  // Deletions: every file, the model folder, every manifest field.
  for (const file of ["manifest.json", ...entries.map((e) => e.file)])
    cases.push({ name: `delete ${file}`, apply: (dir) => unlinkSync(join(dir, file)) });
  cases.push({ name: "delete model/", apply: (dir) => rmSync(join(dir, "model"), { recursive: true }) });
  for (const key of Object.keys(manifest)) edit(`delete field ${key}`, (m) => delete m[key]);
  for (const key of Object.keys(manifest.trainer)) edit(`delete field trainer.${key}`, (m) => delete m.trainer[key]);
  for (const kind of ["model", "optimizer"] as const) {
    manifest[kind].forEach((entry, i) => {
      for (const key of Object.keys(entry))
        edit(`delete field ${kind}[${i}].${key}`, (m) => delete (m[kind][i] as Entry)[key]);
    });
    edit(`delete the last ${kind} entry`, (m) => m[kind].pop());
  }
  edit("delete every sha256", (m) => {
    delete m.sha256;
    for (const e of [...m.model, ...m.optimizer]) delete (e as Partial<Entry>).sha256;
  });
  edit("the optimizer's iteration count re-typed float32", (m) => {
    (m.optimizer[0] as Entry).dtype = "float32";
  });
  edit("step + 1", (m) => {
    m.step = (m.step as number) + 1;
  });
  edit("version 1 (no sums)", (m) => {
    m.version = 1;
    delete m.sha256;
  });

  // Special files in place of a tensor file.
  if (options.specialFiles && process.platform === "linux") {
    for (const entry of [manifest.model[0] as Entry, manifest.optimizer[1] as Entry]) {
      cases.push({
        name: `${entry.file} a symlink to /dev/zero`,
        apply: (dir) => {
          unlinkSync(join(dir, entry.file));
          symlinkSync("/dev/zero", join(dir, entry.file));
        },
      });
      cases.push({
        name: `${entry.file} a FIFO`,
        apply: (dir) => {
          unlinkSync(join(dir, entry.file));
          execFileSync("mkfifo", [join(dir, entry.file)]);
        },
      });
    }
    cases.push({
      name: "manifest.json a FIFO",
      apply: (dir) => {
        unlinkSync(join(dir, "manifest.json"));
        execFileSync("mkfifo", [join(dir, "manifest.json")]);
      },
    });
  }
  return cases;
};

const withTimeout = <A>(promise: Promise<A>, ms: number): Promise<A> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (a hang)`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });

/** Runs `cases` over copies of the checkpoint in `original` (snapshot `expected`), in `work` (a scratch folder). */
export const runFuzz = async (
  original: string,
  expected: Snapshot,
  cases: ReadonlyArray<FuzzCase>,
  work: string,
  timeoutMs = 10_000,
): Promise<FuzzReport> => {
  const started = performance.now();
  const counts: Record<FuzzOutcome, number> = { refused: 0, unchanged: 0, silent: 0, crash: 0 };
  const failures: FuzzReport["failures"] = [];
  const shared = join(work, "shared");
  cpSync(original, shared, { recursive: true });
  const pristineManifest = readFileSync(join(original, "manifest.json"));
  let n = 0;
  let trainer = freshTrainer();
  for (const c of cases) {
    let dir = shared;
    if (c.manifestOnly === true) writeFileSync(join(shared, "manifest.json"), pristineManifest);
    else {
      dir = join(work, `case-${n++}`);
      cpSync(original, dir, { recursive: true });
    }
    let outcome: FuzzOutcome;
    let detail = "";
    try {
      c.apply(dir);
      const loaded = await withTimeout(loadCheckpoint(trainer, dir), timeoutMs);
      const diff = differences(expected, await snapshot(trainer, loaded.metadata));
      outcome = diff.length === 0 && loaded.step === expected.step ? "unchanged" : "silent";
      detail = diff.join(", ");
      // A trainer that loaded something is not fresh any more.
      disposeTrainer(trainer);
      trainer = freshTrainer();
    } catch (error) {
      if (error instanceof AdapterError && error.kind === "checkpoint" && !error.message.includes("\n"))
        outcome = "refused";
      else {
        outcome = "crash";
        detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      }
      if (trainer.stepCount !== 0) {
        outcome = outcome === "refused" ? "silent" : outcome;
        detail = `refused, but the trainer was changed (step ${trainer.stepCount}); ${detail}`;
        disposeTrainer(trainer);
        trainer = freshTrainer();
      }
    }
    counts[outcome]++;
    if (outcome === "silent" || outcome === "crash") failures.push({ name: c.name, outcome, detail });
    if (dir !== shared) rmSync(dir, { recursive: true, force: true });
  }
  disposeTrainer(trainer);
  return { counts, failures, seconds: (performance.now() - started) / 1000 };
};

/** `npm run fuzz:checkpoint`. */
const main = async (): Promise<number> => {
  const { values } = parseArgs({
    options: {
      seed: { type: "string", default: "1" },
      "manifest-flips": { type: "string", default: "all" },
      "tensor-flips": { type: "string", default: "48" },
      truncations: { type: "string", default: "4" },
    },
  });
  const started = performance.now();
  const work = mkdtempSync(join(tmpdir(), "art-mtl-fuzz-"));
  try {
    const original = join(work, "original");
    const expected = await buildFuzzCheckpoint(original);
    const flips = values["manifest-flips"] === "all" ? "all" : Number(values["manifest-flips"]);
    const cases = fuzzCases(original, {
      seed: Number(values.seed),
      manifestFlips: flips,
      tensorFlips: Number(values["tensor-flips"]),
      truncations: Number(values.truncations),
      specialFiles: true,
    });
    const manifestBits = readFileSync(join(original, "manifest.json")).length * 8;
    console.log(
      `fuzzing ${cases.length} damaged copies of a checkpoint (${manifestBits} manifest bits${flips === "all" ? ", all flipped" : `, ${flips} flips sampled`}; seed ${values.seed})`,
    );
    const report = await runFuzz(original, expected, cases, join(work, "cases"));
    for (const f of report.failures.slice(0, 20)) console.log(`${f.outcome}: ${f.name}: ${f.detail.split("\n")[0]}`);
    const { refused, unchanged, silent, crash } = report.counts;
    console.log(
      `refused ${refused} / loaded unchanged ${unchanged} / silently changed ${silent} / crash ${crash}  (${cases.length} cases, ${report.seconds.toFixed(1)} s; total ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    return silent + crash > 0 ? 1 : 0;
  } finally {
    if (existsSync(work)) rmSync(work, { recursive: true, force: true });
  }
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // process.exit: a hung read (a FIFO) may hold a thread-pool thread.
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(70);
    },
  );
}
