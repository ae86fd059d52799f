/**
 * The tfjs adapter in a real browser: headless Chromium (Debian's chromium through puppeteer-core,
 * SwiftShader for WebGL and WebGPU; test/support/chromium.ts) runs the seeded scenarios of the Node
 * WebGPU test (test/tfjs/webgpu/scenarios.ts) in a page on cpu, wasm, webgl and webgpu, and the
 * records of each backend are compared with the page's cpu records. Checkpoints cross between Node
 * and the page both ways: one written in Node (directory, cpu) is fetched into the page (its files,
 * and its tar) and trained on there; one written in the page (memory store → tar, and IndexedDB,
 * reloaded through a fresh store object) is unpacked in Node with the system's tar, loaded from
 * the directory on cpu and trained on; each continuation equals the other side's.
 *
 * The page (adapter-page.ts) is bundled here with esbuild and the browser twins into a temporary
 * folder, with tfjs-backend-wasm's binaries beside it, and served on 127.0.0.1. Skips without
 * chromium, except under CI=true. ADAPTER_RESULTS=path keeps the page's records as JSON.
 *
 * Tolerances (relative): float32 sums in a different order on each backend. Measured maxima over
 * every comparison here (docs/backends.md; the test prints them), wasm / webgl / webgpu: task
 * losses 5.4e-7 / 6.8e-7 / 7.7e-7; weights 3.6e-5 / 1.0e-5 / 8.0e-6 (Art with tau 0.05 sharpens
 * loss differences; the largest on the SRResNet); parameters after 2-5 Adam steps 1.3e-5 / 8.7e-6 /
 * 8.8e-6 of their scale (the largest: a bias of scale 0.04 that Adam moves by ~lr per step, after a
 * resume, where tfjs recomputes Adam's bias corrections with pow); weighting states (FAMO's logits
 * and moments) 8.1e-5 / 3.7e-5 / 5.7e-5; gradients 7.9e-7 of their largest entry (webgl, webgpu).
 * The bounds below are 7-15x above these.
 *
 * The page's cpu and Node's cpu run the same JavaScript kernels, but on two JavaScript engines
 * (Chromium's V8 and Node's): ECMAScript leaves Math.exp, Math.log, Math.pow and the other
 * transcendental functions "implementation-approximated", so the float64 host math (Art's softmax,
 * FAMO's Adam with pow) may differ in the last bits between engine versions, and such a difference
 * may flip the rounding of a float32 product on the device side. Chromium 156.0.8078.73 and Node 20
 * agreed bit for bit; 156.0.8078.129 differs by 1.7e-15 in Art's weights (the test prints the
 * largest differences). CROSS_ENGINE allows a few float32 roundings (rtol 1e-6 on float32
 * quantities, 1e-5 where Art's tau 0.05 or FAMO's loss differences amplify them): 40-100x tighter
 * than TOL, so a kernel or a checkpoint field that differs is still caught. Within one engine
 * (Node ↔ Node: test/tfjs) bit-identity stays the rule.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { builtinModules, createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { build, type Plugin } from "esbuild";
import type { Browser, Page } from "puppeteer-core";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import { startStaticServer } from "../../examples/playground/server.js";
import { browserTwins } from "../../scripts/browser-twins.mjs";
import { assertAllClose, relativeToScale } from "../support/all-close.js";
import { chromiumSkip, launchChromium } from "../support/chromium.js";
import {
  ABSENT,
  CHECKPOINT_CASES,
  numbersWithPaths,
  resumeCase,
  runGradientTraining,
  saveCaseCheckpoint,
  TRAIN_CASES,
  TRAIN_STEPS,
  type GradientTrainingRecord,
  type ResumedRecord,
  type StepRecord,
  type TrainRecord,
} from "../tfjs/webgpu/scenarios.js";
import type { AdapterPage } from "./adapter-page.js";
import { CHECKPOINT_STEP, CONTINUE_TO, PAGE_DATABASE, type PageResult, type RunOptions } from "./adapter-protocol.js";

const repo = resolve(import.meta.dirname, "..", "..");
const skip = chromiumSkip();

/** The backends the page runs, cpu (the reference) first. */
const BACKENDS = ["cpu", "wasm", "webgl", "webgpu"] as const;
type Backend = (typeof BACKENDS)[number];
/**
 * Where the page also audits the kernels and gradients (against cpu) of the restoration models
 * and of the 20 audit pieces, and checks the nearest-neighbour gradient against a JS adjoint.
 */
const AUDITED: ReadonlySet<Backend> = new Set(["webgl", "webgpu"]);
/** One backend's run in the page (the first WebGPU or WebGL step compiles shaders for seconds). */
const RUN_TIMEOUT_MS = 240_000;

/** Relative bounds (see the module note). */
const TOL = {
  losses: { rtol: 1e-5, atol: 1e-7 },
  weights: { rtol: 4e-4, atol: 1e-7 },
  /** Parameters after several Adam steps, relative to the largest magnitude of each variable. */
  params: 1e-4,
  /** Gradients, relative to the largest magnitude of each gradient. */
  gradients: 1e-5,
  /** Encoded weighting states; FAMO's logits follow loss *decreases* (differences of nearly equal losses). */
  state: { rtol: 1e-3, atol: 1e-6 },
};
/** UPGrad through createGradientTrainer on Node's cpu (computed once, for the page's cpu to match). */
let nodeGradient: Promise<GradientTrainingRecord> | undefined;
const nodeGradientTraining = (): Promise<GradientTrainingRecord> =>
  (nodeGradient ??= (async () => {
    await tf.setBackend("cpu");
    return runGradientTraining(tf);
  })());

/** The page's cpu against Node's cpu: the same kernels on two JavaScript engines (see the module note). */
const CROSS_ENGINE = {
  losses: { rtol: 1e-6, atol: 1e-9 },
  weights: { rtol: 1e-5, atol: 1e-9 },
  params: 1e-6,
  gradients: 1e-6,
  state: { rtol: 1e-5, atol: 1e-9 },
};
type Tolerances = typeof TOL;

// ---- comparisons --------------------------------------------------------------------------

const compareSteps = (
  got: ReadonlyArray<StepRecord>,
  want: ReadonlyArray<StepRecord>,
  label: string,
  tol: Tolerances = TOL,
): void => {
  assert.equal(got.length, want.length, `${label}: steps`);
  got.forEach((g, i) => {
    const c = want[i] as StepRecord;
    assert.deepEqual(
      g.taskLosses.map((l) => l === null),
      c.taskLosses.map((l) => l === null),
      `${label} step ${i}: absent tasks`,
    );
    assertAllClose(g.taskLosses, c.taskLosses, tol.losses, `${label} step ${i}: task losses`);
    assertAllClose(g.weights, c.weights, tol.weights, `${label} step ${i}: weights`);
    assertAllClose(g.nextWeights, c.nextWeights, tol.weights, `${label} step ${i}: next weights`);
  });
};

const compareParams = (
  got: ReadonlyArray<ReadonlyArray<number>>,
  want: ReadonlyArray<ReadonlyArray<number>>,
  label: string,
  tol: Tolerances = TOL,
): void => {
  assert.equal(got.length, want.length, `${label}: variables`);
  got.forEach((g, i) => {
    const d = relativeToScale(g, want[i] as ReadonlyArray<number>);
    assert.ok(
      d <= tol.params,
      `${label}: variable ${i} differs by ${d.toExponential(2)} of its scale (bound ${tol.params})`,
    );
  });
};

const compareStates = (got: unknown, want: unknown, label: string, tol: Tolerances = TOL): void => {
  const g = numbersWithPaths(got);
  const c = numbersWithPaths(want);
  assert.deepEqual(
    g.map(([p]) => p),
    c.map(([p]) => p),
    `${label}: state layout`,
  );
  assertAllClose(
    g.map(([, v]) => v),
    c.map(([, v]) => v),
    tol.state,
    `${label}: weighting state (${g.map(([p]) => p).join(" ")})`,
  );
};

const compareRuns = (
  got: { steps: ReadonlyArray<StepRecord>; params: ReadonlyArray<ReadonlyArray<number>>; state: unknown },
  want: { steps: ReadonlyArray<StepRecord>; params: ReadonlyArray<ReadonlyArray<number>>; state: unknown },
  label: string,
  tol: Tolerances = TOL,
): void => {
  compareSteps(got.steps, want.steps, label, tol);
  compareParams(got.params, want.params, label, tol);
  compareStates(got.state, want.state, label, tol);
};

/** Largest relative differences of one backend from cpu, per quantity (printed for docs/backends.md, not asserted). */
class Differences {
  losses = 0;
  weights = 0;
  params = 0;
  state = 0;
  stateWhere = "";
  gradients = 0;
  auditLosses = 0;

  private static rel(a: number | null, b: number | null): number {
    return a === null || b === null || b === 0 ? 0 : Math.abs(a - b) / Math.abs(b);
  }

  run(
    got: { steps: ReadonlyArray<StepRecord>; params: ReadonlyArray<ReadonlyArray<number>>; state: unknown },
    want: typeof got,
    label: string,
  ): void {
    got.steps.forEach((s, i) => {
      const c = want.steps[i] as StepRecord;
      s.taskLosses.forEach(
        (l, k) => (this.losses = Math.max(this.losses, Differences.rel(l, c.taskLosses[k] ?? null))),
      );
      [...s.weights, ...s.nextWeights].forEach(
        (w, k) =>
          (this.weights = Math.max(this.weights, Differences.rel(w, [...c.weights, ...c.nextWeights][k] ?? null))),
      );
    });
    got.params.forEach((p, i) => (this.params = Math.max(this.params, relativeToScale(p, want.params[i] as number[]))));
    const cs = numbersWithPaths(want.state);
    numbersWithPaths(got.state).forEach(([path, v], i) => {
      const r = cs[i]?.[1] ?? null;
      // Relative where the value is not tiny (FAMO's Adam moments go down to ~1e-9).
      const d = r !== null && Math.abs(r) > 1e-4 ? Differences.rel(v, r) : 0;
      if (d > this.state) [this.state, this.stateWhere] = [d, `${label}, ${path}`];
    });
  }

  toJSON(): Record<string, string> {
    const fmt = (x: number): string => x.toExponential(1);
    return {
      taskLosses: fmt(this.losses),
      weights: fmt(this.weights),
      paramsOfScale: fmt(this.params),
      weightingState: `${fmt(this.state)} (${this.stateWhere})`,
      ...(this.gradients > 0 || this.auditLosses > 0
        ? { auditLosses: fmt(this.auditLosses), gradientsOfScale: fmt(this.gradients) }
        : {}),
    };
  }
}

// ---- the page's bundle ----------------------------------------------------------------------

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const isBuiltin = (path: string): boolean =>
  path.startsWith("node:") || builtins.has(path) || builtins.has(path.split("/")[0] as string);

/** Records every Node built-in that a file of this repository (not a package) imports. */
const recordBuiltins = (into: string[]): Plugin => ({
  name: "record-builtins",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (!isBuiltin(args.path) || args.importer.includes("/node_modules/")) return undefined;
      into.push(
        `${args.path} (from ${args.importer.startsWith(repo) ? args.importer.slice(repo.length + 1) : args.importer})`,
      );
      return { path: args.path, external: true };
    });
  },
});

/**
 * Bundles the page into `site` (no external module at all: a package's Node built-in that its
 * "browser" field does not map away fails the build) with tfjs-backend-wasm's binaries and an
 * index.html.
 */
const bundlePage = async (site: string) => {
  const imported: string[] = [];
  const result = await build({
    entryPoints: [join(import.meta.dirname, "adapter-page.ts")],
    outfile: join(site, "adapter-page.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    metafile: true,
    logLevel: "silent",
    plugins: [browserTwins(), recordBuiltins(imported)],
  });
  const wasmDist = join(
    dirname(createRequire(join(repo, "package.json")).resolve("@tensorflow/tfjs-backend-wasm/package.json")),
    "dist",
  );
  mkdirSync(join(site, "wasm"));
  for (const file of readdirSync(wasmDist).filter((f) => f.endsWith(".wasm")))
    copyFileSync(join(wasmDist, file), join(site, "wasm", file));
  writeFileSync(
    join(site, "index.html"),
    '<!doctype html>\n<meta charset="utf-8">\n<link rel="icon" href="data:,">\n<title>art-mtl adapter checks</title>\n<script type="module" src="adapter-page.js"></script>\n',
  );
  const output = Object.values(result.metafile.outputs)[0];
  return {
    imported,
    inputs: Object.keys(result.metafile.inputs),
    externals: output?.imports.filter((i) => i.external === true).map((i) => i.path) ?? [],
    bytes: output?.bytes ?? 0,
  };
};

const tarOrThrow = (args: string[], cwd?: string): void => {
  const done = spawnSync("tar", args, { encoding: "utf8", ...(cwd === undefined ? {} : { cwd }) });
  if (done.status !== 0) throw new Error(`tar ${args.join(" ")}: ${done.error?.message ?? done.stderr}`);
};

describe("the tfjs adapter in headless Chromium on cpu, wasm, webgl and webgpu, against cpu", { skip }, () => {
  const work = mkdtempSync(join(tmpdir(), "art-mtl-browser-adapter-"));
  const site = join(work, "site");
  let bundle: Awaited<ReturnType<typeof bundlePage>>;
  let browser: Browser | undefined;
  let server: Server | undefined;
  const pageErrors: string[] = [];
  const results = new Map<Backend, PageResult>();
  const runSeconds = new Map<Backend, number>();
  /** Node (cpu): the checkpoint of each case saved after CHECKPOINT_STEP steps, resumed up to CONTINUE_TO. */
  const nodeResumed: ResumedRecord[] = [];
  /** Node (cpu): the page's checkpoints (per backend, per case), unpacked with tar, loaded from the directory, trained on. */
  const nodeFromPage = new Map<Backend, ResumedRecord[]>();

  const result = (backend: Backend): PageResult => {
    const r = results.get(backend);
    assert.ok(r !== undefined, `${backend}: the page did not run`);
    assert.equal(r.failure, undefined, `${backend}: the page failed: ${r.failure ?? ""}`);
    return r;
  };

  before(async () => {
    const started = performance.now();
    const seconds: Record<string, number> = {};
    const lap = (name: string, since: number): number => {
      seconds[name] = Math.round(performance.now() - since) / 1000;
      return performance.now();
    };
    let t = performance.now();
    mkdirSync(site);
    bundle = await bundlePage(site);
    t = lap("bundle", t);

    // Node's checkpoints, on cpu: written into the served folder as directories and as tars.
    await tf.setBackend("cpu");
    tf.env().set("IS_TEST", true);
    const served = join(site, "node-checkpoint");
    mkdirSync(served);
    for (const [i, c] of CHECKPOINT_CASES.entries()) {
      const dir = join(served, `case-${i}`);
      await saveCaseCheckpoint(tf, c, CHECKPOINT_STEP, dir);
      tarOrThrow(["-cf", join(served, `case-${i}.tar`), "-C", served, `case-${i}`]);
      nodeResumed.push(await resumeCase(tf, c, dir, CONTINUE_TO));
    }
    t = lap("node checkpoints", t);

    const hosted = await startStaticServer({ root: site, port: 0 });
    server = hosted.server;
    browser = await launchChromium();
    const page: Page = await browser.newPage();
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(`console: ${message.text()}`);
    });
    await page.goto(hosted.url);
    await page.waitForFunction(
      () => (globalThis as unknown as { adapterPage?: { ready: boolean } }).adapterPage?.ready === true,
      { timeout: 60_000 },
    );
    t = lap("page load", t);
    for (const backend of BACKENDS) {
      const start = performance.now();
      const options: RunOptions = { audits: AUDITED.has(backend), pieces: AUDITED.has(backend) };
      const run = page.evaluate(
        (b, o) => (globalThis as unknown as { adapterPage: AdapterPage }).adapterPage.run(b, o),
        backend,
        options,
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${backend}: no result after ${RUN_TIMEOUT_MS / 1000} s`)),
          RUN_TIMEOUT_MS,
        );
      });
      try {
        results.set(backend, await Promise.race([run, timeout]));
      } finally {
        clearTimeout(timer);
      }
      runSeconds.set(backend, (performance.now() - start) / 1000);
    }
    await page.close();
    const keep = process.env["ADAPTER_RESULTS"];
    if (keep !== undefined && keep !== "") writeFileSync(keep, JSON.stringify(Object.fromEntries(results)));
    t = lap("page runs", t);

    // The page's checkpoints, in Node: tar -xf into a directory, loadCheckpoint(trainer, dir) on cpu, train on.
    for (const backend of BACKENDS) {
      const records: ResumedRecord[] = [];
      for (const [i, c] of CHECKPOINT_CASES.entries()) {
        const toNode = results.get(backend)?.toNode?.[i];
        if (toNode === undefined) continue;
        const dir = join(work, "from-page", `${backend}-case-${i}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "checkpoint.tar"), Buffer.from(toNode.tarBase64, "base64"));
        tarOrThrow(["-xf", "checkpoint.tar"], dir);
        records.push(await resumeCase(tf, c, join(dir, "checkpoint"), CONTINUE_TO));
      }
      nodeFromPage.set(backend, records);
    }
    lap("node from page", t);

    const perBackend = BACKENDS.map((b) => {
      const sections = Object.entries(results.get(b)?.seconds ?? {});
      // The first case compiles the tiny net's shaders; the others reuse them.
      const steps = sections.filter(([n]) => n.startsWith("train: ")).map(([, s]) => (s * 1000) / TRAIN_STEPS);
      const main = sections
        .filter(([n]) => !n.startsWith("train: "))
        .map(([n, s]) => `${n} ${s.toFixed(1)}`)
        .join(", ");
      return `${b} ${(runSeconds.get(b) ?? NaN).toFixed(1)} s (${main}; tiny-net ms/step: first case ${steps[0]?.toFixed(0)}, then ${steps
        .slice(1)
        .map((x) => x.toFixed(0))
        .join("/")})`;
    });
    console.log(
      `# ${((performance.now() - started) / 1000).toFixed(1)} s in all: ${Object.entries(seconds)
        .map(([n, s]) => `${n} ${s.toFixed(1)} s`)
        .join(", ")}; bundle ${(bundle.bytes / 1e6).toFixed(1)} MB`,
    );
    console.log(`# per backend in the page: ${perBackend.join("; ")}`);
    for (const backend of BACKENDS.slice(1))
      console.log(`# ${backend} vs cpu, largest relative differences: ${JSON.stringify(measure(backend))}`);
    console.log(
      `# the page's cpu vs Node's cpu (two JavaScript engines), largest relative differences: ${JSON.stringify(measureCrossEngine())}`,
    );
  });

  after(async () => {
    await browser?.close();
    server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** The measured differences of the page's cpu from Node's cpu over the checkpoint continuations, both ways. */
  const measureCrossEngine = (): Differences => {
    const d = new Differences();
    const page = results.get("cpu");
    CHECKPOINT_CASES.forEach((c, i) => {
      const fromNode = page?.fromNode?.[i];
      if (fromNode !== undefined && nodeResumed[i] !== undefined)
        d.run(fromNode.resumed, nodeResumed[i], `${c.name} from Node`);
      const toNode = page?.toNode?.[i];
      const node = nodeFromPage.get("cpu")?.[i];
      if (toNode !== undefined && node !== undefined) d.run(toNode.resumed, node, `${c.name} to Node`);
    });
    return d;
  };

  /** The measured differences of `backend` from the page's cpu, over every comparison the tests make. */
  const measure = (backend: Backend): Differences => {
    const d = new Differences();
    const g = results.get(backend);
    const c = results.get("cpu");
    if (g === undefined || c === undefined) return d;
    (g.train ?? []).forEach((r, i) => c.train?.[i] !== undefined && d.run(r, c.train[i] as TrainRecord, r.name));
    (g.checkpoints ?? []).forEach((r, i) => {
      const ref = c.checkpoints?.[i];
      if (ref === undefined) return;
      d.run({ ...r.straight }, { ...ref.straight }, `${r.name} straight`);
      d.run(r.resumed, ref.resumed, `${r.name} resumed`);
    });
    (g.fromNode ?? []).forEach(
      (r, i) => nodeResumed[i] !== undefined && d.run(r.resumed, nodeResumed[i] as ResumedRecord, `from Node ${i}`),
    );
    (g.toNode ?? []).forEach((r, i) => {
      const node = nodeFromPage.get(backend)?.[i];
      if (node !== undefined) d.run(r.resumed, node, `to Node ${i}`);
    });
    if (g.modelTraining !== undefined && c.modelTraining !== undefined)
      d.run(g.modelTraining, c.modelTraining, g.modelTraining.name);
    for (const m of [
      ...(g.models ?? []),
      ...(g.pieces ?? []).flatMap((p) => (p.comparison === undefined ? [] : [p.comparison])),
    ]) {
      d.gradients = Math.max(d.gradients, ...m.gradientRelDiff);
      d.auditLosses = Math.max(
        d.auditLosses,
        m.loss.cpu === 0 ? 0 : Math.abs(m.loss.tested - m.loss.cpu) / Math.abs(m.loss.cpu),
      );
    }
    return d;
  };

  it("the page bundles for the browser with the browser twins and no Node built-in, and loads without an error", () => {
    assert.deepEqual(bundle.imported, [], "Node built-ins imported from src/ or test/");
    assert.deepEqual(bundle.externals, [], "nothing left external");
    assert.deepEqual(
      bundle.inputs.filter((p) => /src\/platform\/node\.ts$/.test(p)),
      [],
      "the twin replaced platform/node.ts",
    );
    assert.ok(bundle.inputs.some((p) => /src\/platform\/node\.browser\.ts$/.test(p)));
    assert.deepEqual(pageErrors, []);
  });

  for (const backend of BACKENDS) {
    describe(`on ${backend}`, () => {
      it("starts, with the training kernels selectBackend registers", () => {
        const r = result(backend);
        assert.equal(r.activeBackend, backend);
        if (backend === "wasm") {
          assert.deepEqual(r.registration?.addedKernels, [
            "Conv2DBackpropFilter",
            "DepthwiseConv2dNativeBackpropInput",
            "DepthwiseConv2dNativeBackpropFilter",
            "UnsortedSegmentSum",
          ]);
          assert.deepEqual(r.registration?.replacedKernels, ["MaxPoolGrad", "Conv2DBackpropInput"]);
          // selectBackend in an esbuild page: the binaries from the wasmPaths given with the module, then the registered backend used without any import by name.
          assert.ok(
            r.selectionNotes?.some((n) => /^wasm: binaries from http:\/\/127\.0\.0\.1:\d+\/wasm\/$/.test(n)),
            JSON.stringify(r.selectionNotes),
          );
          assert.ok(
            r.selectionNotes?.includes(
              "wasm: registered by the page; its binaries are where tfjs-backend-wasm looks (pass wasmPaths and backendModules.wasm to choose)",
            ),
            JSON.stringify(r.selectionNotes),
          );
        } else if (backend === "webgpu" || backend === "webgl") {
          // The DepthToSpace gradient is global: the wasm registration, earlier in the page, added it.
          assert.deepEqual(r.registration, {
            backendName: backend,
            addedKernels: [],
            keptKernels: [],
            replacedKernels: ["PadV2"],
            addedGradients: [],
          });
          assert.deepEqual(
            r.registrationAgain,
            { backendName: backend, addedKernels: [], keptKernels: ["PadV2"], replacedKernels: [], addedGradients: [] },
            "idempotent",
          );
        } else {
          assert.equal(r.registration, undefined);
        }
        assert.deepEqual(r.gpuErrors, []);
      });

      it(
        backend === "webgl"
          ? "webgl reports float16 precision although it renders float32 (tfjs-backend-webgl 4.22): a default tf.train.adam has epsilon 1e-4 there, so the scenarios pin 1e-7"
          : "float32 precision: epsilon 1e-7, the default Adam's too",
        () => {
          const { precision } = result(backend);
          if (backend === "webgl")
            assert.deepEqual(precision, {
              floatPrecision: 16,
              epsilon: 1e-4,
              defaultAdamEpsilon: 1e-4,
              webglFloat32Rendering: true,
            });
          else assert.deepEqual(precision, { floatPrecision: 32, epsilon: 1e-7, defaultAdamEpsilon: 1e-7 });
        },
      );

      if (backend !== "cpu") {
        for (const [index, c] of TRAIN_CASES.entries()) {
          it(`${c.name}: per-step task losses and weights, final parameters and weighting state equal cpu's`, () => {
            const g = result(backend).train?.[index] as TrainRecord;
            const r = result("cpu").train?.[index] as TrainRecord;
            assert.equal(g.name, c.name);
            assert.equal(g.backend, backend);
            assert.equal(r.backend, "cpu");
            compareRuns(g, r, `${backend}: ${c.name}`);
          });
        }
      }

      it("absent tasks get a null loss and weight 0; FAMO's post-update observation moves its logits", () => {
        const train = result(backend).train ?? [];
        assert.equal(train.length, TRAIN_CASES.length);
        for (const record of train) {
          for (const { step, task } of ABSENT) {
            const s = record.steps[step] as StepRecord;
            assert.equal(s.taskLosses[task], null, `${record.name} step ${step}`);
            assert.equal(s.weights[task], 0, `${record.name} step ${step}`);
            assert.ok(
              Math.abs(s.weights.reduce((a, b) => a + b, 0) - 1) < 1e-9,
              `${record.name} step ${step}: simplex`,
            );
          }
        }
        for (const [index, c] of TRAIN_CASES.entries()) {
          if (c.weighting !== "famo") continue;
          const state = train[index]?.state as { logits: number[]; pending: unknown; step: number };
          assert.ok(
            state.logits.some((l) => Math.abs(l) > 1e-3),
            `${c.name}: the logits moved (${state.logits.join(", ")})`,
          );
          if (c.observation === "same-batch")
            assert.equal(state.pending, null, `${c.name}: nothing pending after flush`);
          else
            assert.equal(
              (state.pending as unknown[] | null)?.length,
              3,
              `${c.name}: the last losses wait for the next batch`,
            );
          assert.equal(state.step, TRAIN_STEPS);
        }
      });

      it("leaks no tensor: numTensors is the same after every step, and after all the runs", () => {
        const r = result(backend);
        for (const record of [...(r.train ?? []), r.modelTraining as TrainRecord]) {
          const counts = record.steps.map((s) => s.tensors);
          assert.ok(
            counts.every((n) => n === counts[0]),
            `${record.name}: ${counts.join(", ")}`,
          );
        }
        // The scenario sections; an audit that fails on purpose keeps what tfjs saved for the backward (its leakedTensors).
        const before = r.tensors?.["before"];
        for (const section of ["train cases", "checkpoints", "from node", "to node", "model training"])
          assert.equal(r.tensors?.[section], before, `live tensors after ${section}`);
      });

      it(
        backend === "webgpu"
          ? "reads nothing synchronously: no dataSync/arraySync, no device readSync (two passes in exact mode)"
          : "exact mode reads back once per step with dataSync (one pass), lagged mode never reads synchronously",
        () => {
          const r = result(backend);
          for (const record of [...(r.train ?? []), r.modelTraining as TrainRecord]) {
            const lagged = TRAIN_CASES.find((c) => c.name === record.name)?.lagged ?? false;
            assert.equal(record.syncRead, backend !== "webgpu", record.name);
            if (backend === "webgpu" || lagged) {
              assert.deepEqual(record.syncReads, { dataSync: 0, arraySync: 0, deviceReadSync: 0 }, record.name);
            } else {
              // On webgl the one read comes from the GPU (readSync of texture data); cpu and wasm hold it on the host.
              const steps = record.steps.length;
              assert.deepEqual(
                record.syncReads,
                { dataSync: steps, arraySync: 0, deviceReadSync: backend === "webgl" ? steps : 0 },
                record.name,
              );
            }
          }
        },
      );

      for (const [index, c] of CHECKPOINT_CASES.entries()) {
        it(`checkpoint (${c.name}) in the page's memory store: 2 steps, save, load into fresh objects, 2 more = 4 straight${backend === "cpu" ? "" : ", = cpu"}`, () => {
          const g = result(backend).checkpoints?.[index];
          assert.ok(g !== undefined);
          assert.equal(g.resumed.loadedStep, CHECKPOINT_STEP);
          // The same computation on one backend, up to Adam's bias corrections (recomputed with pow on loading).
          compareSteps(
            g.resumed.steps,
            g.straight.steps.slice(CHECKPOINT_STEP),
            `${backend}: ${c.name} resumed vs straight`,
          );
          // Measured: 2e-7 on cpu, 5.4e-7 on webgl and webgpu (whose pow is further off).
          g.resumed.params.forEach((p, i) =>
            assertAllClose(p, g.straight.params[i] as number[], { rtol: 1e-6, atol: 3e-6 }, `${c.name}: variable ${i}`),
          );
          compareStates(g.resumed.state, g.straight.state, `${backend}: ${c.name} resumed vs straight`);
          if (backend === "cpu") return;
          const r = result("cpu").checkpoints?.[index];
          assert.ok(r !== undefined);
          compareRuns({ ...g.straight }, { ...r.straight }, `${backend}: ${c.name} straight`);
          compareRuns(g.resumed, r.resumed, `${backend}: ${c.name} resumed`);
        });

        it(`checkpoint (${c.name}) written in Node on cpu, fetched into the page (files and tar), trained on: = Node's continuation`, () => {
          const g = result(backend).fromNode?.[index];
          assert.ok(g !== undefined);
          assert.equal(
            g.files,
            1 + 3 + 7,
            "manifest, 3 model variables, 7 optimizer weights (iterations + 2 moments per variable)",
          );
          assert.equal(g.tarEqualsFiles, true, "the tar's files are the directory's, byte for byte");
          assert.equal(g.resumed.loadedStep, CHECKPOINT_STEP);
          compareRuns(
            g.resumed,
            nodeResumed[index] as ResumedRecord,
            `${backend}: ${c.name} from Node`,
            backend === "cpu" ? CROSS_ENGINE : TOL,
          );
        });

        it(`checkpoint (${c.name}) written in the page (memory → tar; IndexedDB → reload), loaded in Node from a directory on cpu: both continuations agree`, () => {
          const g = result(backend).toNode?.[index];
          assert.ok(g !== undefined);
          assert.equal(g.manifestStep, CHECKPOINT_STEP);
          assert.deepEqual(g.indexedDb, {
            location: `indexeddb:${PAGE_DATABASE}/${backend}-case-${index}`,
            listed: true,
            sameFilesAsMemory: true,
            removed: true,
          });
          assert.equal(g.resumed.loadedStep, CHECKPOINT_STEP);
          const node = nodeFromPage.get(backend)?.[index];
          assert.ok(node !== undefined);
          assert.equal(node.loadedStep, CHECKPOINT_STEP);
          compareRuns(
            g.resumed,
            node,
            `${backend}: ${c.name} page (IndexedDB) vs Node (directory)`,
            backend === "cpu" ? CROSS_ENGINE : TOL,
          );
          if (backend !== "cpu")
            compareSteps(
              g.savedSteps,
              result("cpu").toNode?.[index]?.savedSteps ?? [],
              `${backend}: ${c.name} steps before the save`,
            );
        });
      }

      it(
        "a gradient-aware weighting (UPGrad) trains through createGradientTrainer" +
          (backend === "cpu" ? " (the page's cpu = Node's cpu within the cross-engine bounds)" : " as on cpu") +
          ": losses, Gramians, coefficients, parameters; no leak",
        async () => {
          const g = result(backend).gradientTraining as GradientTrainingRecord;
          assert.equal(g.backend, backend);
          // The reference: the page's cpu for the other backends; Node's cpu for the page's cpu.
          const r =
            backend === "cpu"
              ? await nodeGradientTraining()
              : (result("cpu").gradientTraining as GradientTrainingRecord);
          const tol = backend === "cpu" ? CROSS_ENGINE : TOL;
          assert.equal(g.steps.length, r.steps.length);
          g.steps.forEach((s, i) => {
            const c = r.steps[i] as GradientTrainingRecord["steps"][number];
            assert.deepEqual(
              s.taskLosses.map((l) => l === null),
              c.taskLosses.map((l) => l === null),
              `${backend} step ${i}: absent tasks`,
            );
            assertAllClose(s.taskLosses, c.taskLosses, tol.losses, `${backend} step ${i}: task losses`);
            const scale = Math.max(...c.gramian.flat().map(Math.abs));
            assertAllClose(
              s.gramian.flat(),
              c.gramian.flat(),
              { rtol: 0, atol: (backend === "cpu" ? 1e-6 : 1e-5) * scale },
              `${backend} step ${i}: Gramian`,
            );
            assertAllClose(
              s.coefficients,
              c.coefficients,
              { rtol: backend === "cpu" ? 1e-5 : 1e-4, atol: 1e-6 },
              `${backend} step ${i}: coefficients`,
            );
            assert.equal(s.tensors, g.steps[0]?.tensors, `${backend} step ${i}: tensors leaked`);
          });
          compareParams(g.params, r.params, `${backend}: UPGrad`, tol);
        },
      );

      it("a task-prompted SRResNet 8x2 trains with Art (exact)" + (backend === "cpu" ? "" : " as on cpu"), () => {
        const g = result(backend).modelTraining as TrainRecord;
        assert.ok((g.steps[2] as StepRecord).loss < (g.steps[0] as StepRecord).loss, "the loss falls");
        if (backend !== "cpu") compareRuns(g, result("cpu").modelTraining as TrainRecord, `${backend}: ${g.name}`);
      });

      if (AUDITED.has(backend)) {
        it(
          backend === "webgl"
            ? "the shipped PadV2 throws above rank 4 (its shader does not compile); the replacement matches a JS pad at ranks 4-6"
            : "the shipped PadV2 is wrong above rank 4 (a GPU validation error, garbage out); the replacement matches a JS pad at ranks 4-6",
          () => {
            const { padShipped = [], padFixed = [] } = result(backend);
            assert.equal(padShipped.length, 5);
            for (const probe of padShipped) {
              if (probe.rank <= 4) {
                assert.deepEqual([probe.gpuError, probe.error, probe.maxAbsDiff], [null, undefined, 0], probe.label);
              } else if (backend === "webgl") {
                assert.match(probe.error ?? "", /Failed to compile fragment shader/, probe.label);
              } else {
                assert.match(probe.gpuError ?? "", /WGSL|Invalid|vec5|vec6/, `${probe.label}: a validation error`);
                assert.ok(
                  probe.maxAbsDiff > 0.1,
                  `${probe.label}: the shipped kernel's result is wrong (max diff ${probe.maxAbsDiff})`,
                );
              }
            }
            assert.equal(padFixed.length, 5);
            for (const probe of padFixed)
              assert.deepEqual(
                [probe.gpuError, probe.error, probe.maxAbsDiff, probe.shapeOk],
                [null, undefined, 0, true],
                probe.label,
              );
          },
        );

        it("auditKernels of the 20 audit pieces: the same verdicts as on wasm and in Node, no leak, gradients equal cpu's; nearest-neighbour gradient = a JS adjoint", () => {
          const { pieces = [], nearest = [] } = result(backend);
          assert.ok(pieces.length >= 20);
          for (const p of pieces) {
            assert.equal(p.audit.ok, p.expectedToTrain, `${backend}: ${p.name}: ${p.audit.error ?? "ok"}`);
            if (!p.expectedToTrain) continue;
            assert.deepEqual(p.audit.missingKernels, [], p.name);
            assert.equal(p.audit.leakedTensors, 0, p.name);
            if (p.name.startsWith("resizeNearestNeighbor")) continue; // cpu is the wrong one there: see the adjoint
            assert.ok(p.comparison !== undefined, p.name);
            assertAllClose(
              [p.comparison.loss.tested],
              [p.comparison.loss.cpu],
              TOL.losses,
              `${backend}: ${p.name}: loss`,
            );
            p.comparison.gradientRelDiff.forEach((d, i) =>
              assert.ok(
                d <= TOL.gradients,
                `${backend}: ${p.name}: gradient ${i} differs from cpu by ${d.toExponential(2)} of its scale`,
              ),
            );
          }
          assert.deepEqual(pieces.find((p) => p.name.startsWith("FFT"))?.audit.missingGradients, ["Complex"]);
          assert.match(
            pieces.find((p) => p.name === "conv2d dilation 2 (tf.conv2d)")?.audit.error ?? "",
            /dilation rates greater than 1/,
          );
          assert.equal(nearest.length, 6);
          for (const row of nearest) assert.ok(row.maxAbsDiff <= 1e-5, `${row.label}: ${row.maxAbsDiff}`);
        });

        it("auditKernels of the restoration models (srresnet, unet, prompt-unet): nothing missing, no leak, forward and gradients equal cpu's", () => {
          const models = result(backend).models ?? [];
          assert.deepEqual(
            models.map((m) => (m.spec as { kind: string }).kind),
            ["srresnet", "unet", "prompt-unet"],
          );
          for (const m of models) {
            const label = `${backend}: ${JSON.stringify(m.spec)}`;
            for (const audit of [m.audit, m.forwardAudit]) {
              assert.equal(audit.backend, backend, label);
              assert.equal(audit.ok, true, `${label}: ${audit.error ?? ""}`);
              assert.deepEqual(audit.missingKernels, [], label);
              assert.deepEqual(audit.missingGradients, [], label);
              assert.equal(audit.leakedTensors, 0, label);
            }
            assert.ok(
              m.audit.usedKernels.includes("Conv2DBackpropFilter") &&
                m.audit.usedKernels.includes("Conv2DBackpropInput"),
              `${label}: the audit ran the backward`,
            );
            assertAllClose([m.loss.tested], [m.loss.cpu], TOL.losses, `${label}: loss`);
            assert.equal(m.zeroGradients, 0, `${label}: every variable gets a gradient`);
            m.gradientRelDiff.forEach((d, i) =>
              assert.ok(
                d <= TOL.gradients,
                `${label}: gradient ${i} differs from cpu by ${d.toExponential(2)} of its scale`,
              ),
            );
          }
        });
      }
    });
  }
});
