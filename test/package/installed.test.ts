/**
 * The package as a user gets it: `npm pack`, installed into a fresh plain Node ESM project
 * (outside this repository), then the README's core example run there, every public subpath
 * loaded with both `import` and `require`, and the CLI restoring an image with the shipped model.
 * Needs the build (`npm run build`, which CI runs first); builds it when dist/ is missing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { atRepoVersion, installPacked, repo } from "../support/packed-project.js";

const project = mkdtempSync(join(tmpdir(), "art-mtl-installed-"));
after(() => rmSync(project, { recursive: true, force: true }));

const node = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, args, { cwd: project, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
/** The README's "core in 15 lines" block, as written. */
const readmeCoreExample = (): string => {
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## The core in 15 lines"));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(match, "README has the core example");
  return match[1] as string;
};

describe("the installed tarball (npm pack → fresh ESM project)", { timeout: 600_000 }, () => {
  before(() => {
    const peers = [
      "@tensorflow/tfjs-core",
      "@tensorflow/tfjs-backend-cpu",
      "@tensorflow/tfjs-backend-wasm",
      "@tensorflow/tfjs-layers",
      "fast-check",
    ].map(atRepoVersion);
    installPacked(project, "consumer", [atRepoVersion("fp-ts"), ...peers]);
  });

  it("runs the README's core example unchanged in plain Node ESM", () => {
    writeFileSync(join(project, "readme-core.mjs"), readmeCoreExample());
    const r = node(["readme-core.mjs"]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    // Three steps of weights (the third row has task 2 present again), the resume line, the NaN error.
    assert.equal(lines.length, 5, r.stdout);
    for (const row of lines.slice(0, 3)) {
      const weights = row.split(" ").map(Number);
      assert.equal(weights.length, 3);
      assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 2e-4, row);
    }
    assert.equal(Number((lines[0] as string).split(" ")[2]), 0, "absent task → weight 0");
    assert.equal(lines[3], "resumed at step 3");
    assert.match(lines[4] as string, /^task 1 \(blur\): invalid loss NaN/);
  });

  const subpaths: [string, string][] = [
    ["art-mtl", "stepArt"],
    ["art-mtl/tfjs", "createTrainer"],
    ["art-mtl/restoration", "pretrainedCheckpoint"],
    ["art-mtl/laws", "checkWeightingLaws"],
  ];
  for (const [subpath, name] of subpaths) {
    it(`loads ${subpath} with import and with require`, () => {
      const esm = node([
        "--input-type=module",
        "-e",
        `const m = await import(${JSON.stringify(subpath)}); console.log(typeof m[${JSON.stringify(name)}]);`,
      ]);
      assert.equal(esm.status, 0, esm.stderr);
      assert.equal(esm.stdout.trim(), "function", `import ${subpath}`);
      const cjs = node([
        "--input-type=commonjs",
        "-e",
        `const m = require(${JSON.stringify(subpath)}); console.log(typeof m[${JSON.stringify(name)}]);`,
      ]);
      assert.equal(cjs.status, 0, cjs.stderr);
      assert.equal(cjs.stdout.trim(), "function", `require ${subpath}`);
    });
  }

  it('resolves every subpath to one build for Node and browsers, and each platform twin (#twins/...) by condition: Node\'s module in Node, the browser twin under the "browser" condition', () => {
    const resolveAll = (specifiers: readonly string[], conditions: string[], kind: "esm" | "cjs", cwd: string) => {
      const r = spawnSync(
        process.execPath,
        [
          ...conditions,
          `--input-type=${kind === "esm" ? "module" : "commonjs"}`,
          "-e",
          kind === "esm"
            ? `for (const s of ${JSON.stringify(specifiers)}) console.log(import.meta.resolve(s));`
            : `for (const s of ${JSON.stringify(specifiers)}) console.log(require.resolve(s));`,
        ],
        { cwd, encoding: "utf8", timeout: 120_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      return r.stdout
        .trim()
        .split("\n")
        .map((line) => line.replace(/^file:\/\//, "").slice(dist.length + 1));
    };
    const installed = join(project, "node_modules", "art-mtl");
    const dist = join(installed, "dist");
    const entries = subpaths.map(([s]) => s);
    for (const conditions of [[], ["--conditions=browser"]]) {
      assert.deepEqual(resolveAll(entries, conditions, "esm", project), [
        "index.js",
        "tfjs/index.js",
        "restoration/index.js",
        "laws/index.js",
      ]);
      assert.deepEqual(resolveAll(entries, conditions, "cjs", project), [
        "index.cjs",
        "tfjs/index.cjs",
        "restoration/index.cjs",
        "laws/index.cjs",
      ]);
    }
    // The twins resolve inside the package (package imports are private to it).
    const twins = ["#twins/platform/node", "#twins/restoration/io/png-codec"];
    assert.deepEqual(resolveAll(twins, [], "esm", installed), [
      "twins/platform/node.js",
      "twins/restoration/io/png-codec.js",
    ]);
    assert.deepEqual(resolveAll(twins, [], "cjs", installed), [
      "twins/platform/node.cjs",
      "twins/restoration/io/png-codec.cjs",
    ]);
    assert.deepEqual(resolveAll(twins, ["--conditions=browser"], "esm", installed), [
      "twins/platform/node.browser.js",
      "twins/restoration/io/png-codec.browser.js",
    ]);
    assert.deepEqual(resolveAll(twins, ["--conditions=browser"], "cjs", installed), [
      "twins/platform/node.browser.cjs",
      "twins/restoration/io/png-codec.browser.cjs",
    ]);
  });

  it("the README's pictures render on the registry's page: absolute jsDelivr URLs of this version whose files the tarball holds", () => {
    const installed = join(project, "node_modules", "art-mtl");
    const { name, version } = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
      name: string;
      version: string;
    };
    const readme = readFileSync(join(installed, "README.md"), "utf8");
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)|<img[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1] ?? m[2]);
    assert.ok(images.length >= 2, `pictures in the README: ${images.join(", ")}`);
    const prefix = `https://cdn.jsdelivr.net/npm/${name}@${version}/`;
    for (const url of images) {
      assert.ok(
        url?.startsWith(prefix),
        `${url} is not under ${prefix} (a relative path has no base on the registry's page)`,
      );
      const path = (url as string).slice(prefix.length);
      assert.ok(existsSync(join(installed, path)), `${path} is not in the tarball, so ${url} would not be found`);
    }
  });

  it("package.json's imports field is the one the build's twins need (scripts/browser-twins.mjs)", async () => {
    const { twinBuild } = await import("../../scripts/browser-twins.mjs");
    const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { imports: unknown };
    assert.deepEqual(manifest.imports, twinBuild().imports);
  });

  it("bundles every subpath for a browser (esbuild --platform=browser) with no Node built-in, and its browser build works without Buffer", async () => {
    const { build } = await import("esbuild");
    const { builtinModules } = await import("node:module");
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    writeFileSync(
      join(project, "browser-entry.mjs"),
      subpaths.map(([s], i) => `export * as m${i} from ${JSON.stringify(s)};`).join("\n"),
    );
    const imported: string[] = [];
    const result = await build({
      absWorkingDir: project,
      entryPoints: ["browser-entry.mjs"],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      logLevel: "silent",
      external: ["@tensorflow/*", "fast-check"],
      plugins: [
        {
          name: "record-builtins",
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              if (!builtins.has(args.path) && !args.path.startsWith("node:")) return undefined;
              imported.push(`${args.path} (from ${args.importer})`);
              return { path: args.path, external: true };
            });
          },
        },
      ],
    });
    assert.deepEqual(imported, []);
    assert.ok((result.outputFiles[0]?.text.length ?? 0) > 100_000);
    // The installed browser build itself, in Node with the "browser" condition and no Buffer.
    const run = node([
      "--conditions=browser",
      "--input-type=module",
      "-e",
      `delete globalThis.Buffer;
       const { Rng } = await import("art-mtl");
       const { proceduralImage, encodePng, decodePng, encodeJpeg, decodeJpeg, readImage } = await import("art-mtl/restoration");
       const { NodeOnlyError, memoryCheckpointStore, saveCheckpoint } = await import("art-mtl/tfjs");
       const img = proceduralImage(Rng.seeded(1), 16, 16);
       const back = decodePng(encodePng(img), "m.png");
       const jpeg = decodeJpeg(encodeJpeg(img, 80), "m.jpg");
       const errors = [];
       for (const call of [() => readImage("x.png"), () => saveCheckpoint({}, "dir")]) {
         try { await call(); } catch (e) { errors.push(e instanceof NodeOnlyError ? e.feature : String(e)); }
       }
       console.log(JSON.stringify({ png: back.width * back.height, jpeg: jpeg.width, errors, store: typeof memoryCheckpointStore }));`,
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout.trim()), {
      png: 256,
      jpeg: 16,
      errors: ["readImage", "saveCheckpoint with a directory path"],
      store: "function",
    });
  });

  it("its CommonJS build, bundled for a page with require(), loads where there is neither document nor __filename (a Web Worker)", async () => {
    const { build } = await import("esbuild");
    const { runInNewContext } = await import("node:vm");
    writeFileSync(
      join(project, "worker-entry.cjs"),
      `const core = require("art-mtl"); const tfjs = require("art-mtl/tfjs"); const kit = require("art-mtl/restoration");
       globalThis.loaded = [typeof core.stepArt, typeof tfjs.createTrainer, typeof kit.proceduralImage].join(" ");`,
    );
    const bundle = await build({
      absWorkingDir: project,
      entryPoints: ["worker-entry.cjs"],
      bundle: true,
      platform: "browser",
      format: "iife",
      write: false,
      logLevel: "silent",
      external: ["@tensorflow/*", "fast-check"],
    });
    const code = bundle.outputFiles[0]!.text;
    assert.match(code, /dist\/index\.cjs|dist\/restoration\/index\.cjs/, "the CommonJS build is what went in");
    // A worker's globals: no document, no __filename, no Node; the externals as empty modules.
    const context: Record<string, unknown> = { URL, TextEncoder, TextDecoder, console, require: () => ({}) };
    runInNewContext(code, context);
    assert.equal(context.loaded, "function function function");
  });

  it("type-checks every subpath under TypeScript's node10 resolution (typesVersions) as well as node16", () => {
    writeFileSync(
      join(project, "subpaths.ts"),
      [
        'import { art } from "art-mtl";',
        'import { createTrainer } from "art-mtl/tfjs";',
        'import { psnr } from "art-mtl/restoration";',
        'import { checkWeightingLaws } from "art-mtl/laws";',
        "export const used = [art, createTrainer, psnr, checkWeightingLaws];",
        "",
      ].join("\n"),
    );
    const tsc = join(repo, "node_modules", "typescript", "bin", "tsc");
    for (const [module, resolution] of [
      ["commonjs", "node10"],
      ["node16", "node16"],
    ] as const) {
      const r = node([
        tsc,
        "--noEmit",
        "--strict",
        "--skipLibCheck",
        "--module",
        module,
        "--moduleResolution",
        resolution,
        "--target",
        "es2022",
        "subpaths.ts",
      ]);
      assert.equal(r.status, 0, `${resolution}: ${r.stdout}${r.stderr}`);
    }
  });

  it("ships the default models and restores an image out of the box (no --checkpoint)", () => {
    const models = join(project, "node_modules", "art-mtl", "models");
    assert.deepEqual(readdirSync(models).sort(), ["all-in-one", "rain-haze-noise"]);
    // Four noisy procedural images made with the installed kit, restored (a folder) by the installed CLI.
    const make = node([
      "--input-type=module",
      "-e",
      `import { mkdirSync } from "node:fs"; import { Rng } from "art-mtl"; import { proceduralImage, degrade, writePng, pretrainedCheckpoint } from "art-mtl/restoration";
       mkdirSync("clean"); mkdirSync("noisy");
       for (let i = 1; i <= 4; i++) { const clean = proceduralImage(Rng.seeded(i), 64, 64); writePng("clean/" + i + ".png", clean); writePng("noisy/" + i + ".png", degrade("noise", clean, Rng.seeded(100 + i)).image); }
       console.log(pretrainedCheckpoint());`,
    ]);
    assert.equal(make.status, 0, make.stderr);
    assert.ok(make.stdout.trim().startsWith(join(models, "all-in-one")), make.stdout);
    const cli = join(project, "node_modules", "art-mtl", "dist", "cli", "main.js");
    const restored = node([cli, "restore", "noisy", "-o", "restored", "--task", "noise"]);
    assert.equal(restored.status, 0, restored.stderr);
    const score = node([
      "--input-type=module",
      "-e",
      `import { readImage, psnr } from "art-mtl/restoration";
       let noisy = 0, out = 0;
       for (let i = 1; i <= 4; i++) { const [c, n, r] = await Promise.all(["clean", "noisy", "restored"].map((d) => readImage(d + "/" + i + ".png")));
         noisy += psnr(n, c, { convention: "basicsr" }) / 4; out += psnr(r, c, { convention: "basicsr" }) / 4; }
       console.log(noisy, out);`,
    ]);
    assert.equal(score.status, 0, score.stderr);
    const [noisy, out] = score.stdout.trim().split(" ").map(Number) as [number, number];
    assert.ok(out > noisy + 1, `mean restored ${out} dB vs noisy ${noisy} dB`);
  });
});

describe("a fresh project with art-mtl alone: npm i art-mtl, then every command", { timeout: 900_000 }, () => {
  const bare = mkdtempSync(join(tmpdir(), "art-mtl-bare-"));
  after(() => rmSync(bare, { recursive: true, force: true }));
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(bare, "node_modules", "art-mtl", "dist", "cli", "main.js"), ...args], {
      cwd: bare,
      encoding: "utf8",
      timeout: 300_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  // The tarball and nothing else: the TensorFlow.js packages the CLI and the kit run on come as its dependencies.
  before(() => installPacked(bare, "bare-consumer"));

  it("prints its version, replays losses, restores, evaluates, exports and runs the demo", () => {
    const version = cli(["--version"]);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(
      version.stdout,
      `art-mtl ${(JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string }).version}\n`,
    );
    writeFileSync(join(bare, "losses.jsonl"), `{"losses":[0.5,0.2]}\n{"losses":[0.4,0.3]}\n`);
    const replay = cli(["replay", "--strategy", "art", "--input", "losses.jsonl"]);
    assert.equal(replay.status, 0, replay.stderr);
    assert.equal(replay.stdout.trim().split("\n").length, 2);
    const make = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { Rng } from "art-mtl"; import { proceduralImage, degrade, writePng } from "art-mtl/restoration"; writePng("x.png", degrade("noise", proceduralImage(Rng.seeded(1), 48, 40), Rng.seeded(2)).image);`,
      ],
      { cwd: bare, encoding: "utf8" },
    );
    assert.equal(make.status, 0, make.stderr);
    for (const args of [
      ["restore", "x.png", "-o", "y.jpg", "--task", "noise", "--quiet"],
      ["eval", "--data", "procedural", "--images", "1", "--size", "32", "-o", "eval.json"],
      ["export", "-o", "exported"],
      ["demo", "--steps", "2", "--out", "demo"],
    ]) {
      const r = cli(args);
      assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    assert.ok(
      existsSync(join(bare, "y.jpg")) &&
        existsSync(join(bare, "eval.json")) &&
        existsSync(join(bare, "exported", "model.json")),
    );
  });

  it("without TensorFlow.js (removed), a command that needs it names the missing package and the install line, with no stack trace", () => {
    rmSync(join(bare, "node_modules", "@tensorflow", "tfjs-core"), { recursive: true, force: true });
    for (const args of [
      ["restore", "x.png", "-o", "z.png"],
      ["demo", "--steps", "2"],
    ]) {
      const r = cli(args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /needs TensorFlow\.js \(@tensorflow\/tfjs-[a-z-]+ is not installed\); install it beside art-mtl:\n {2}npm i @tensorflow\/tfjs-core @tensorflow\/tfjs-backend-cpu @tensorflow\/tfjs-backend-wasm @tensorflow\/tfjs-layers\n$/,
      );
      assert.ok(!r.stderr.includes("    at "), "no stack trace");
    }
    assert.equal(cli(["replay", "--strategy", "equal", "--input", "losses.jsonl"]).status, 0, "replay needs no tfjs");
  });
});
