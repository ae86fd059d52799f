/**
 * The package in a real vite production build, in headless Chromium: `npm pack`, the tarball
 * installed into a fresh project outside the repository with tfjs (the versions this repository
 * has) and vite, the page of vite-page/ (main.ts, index.html) copied in as a user's source, `vite
 * build`, `dist/` served on 127.0.0.1 (`application/wasm` for the binaries), and the page run in
 * Debian's chromium through puppeteer-core (test/support/chromium.ts; nothing downloads a browser).
 *
 * The page takes `art-mtl/tfjs` and `art-mtl/restoration` as a user does (vite must pick the
 * `browser` export condition: the source map lists the modules that went in), selects wasm with
 * the module and the binaries' `?url` assets handed to `selectBackend`, trains 2 steps, saves a
 * checkpoint into memory and loads it with `loadTrainedSession(store, "wasm")`. Asserted: wasm was
 * used throughout (not cpu), its binary came from vite's assets as `application/wasm`, finite
 * losses, the loaded model's output equals the trained one's (1e-5), the restored image's shape,
 * no console error; and docs/browser.md's "Vite" section shows the page's setup unchanged.
 *
 * Needs the build (`npm run build`, which CI runs first; built here when dist/ is missing). Skips
 * without chromium, except under CI=true. About 20 s on 2 cores (printed): npm pack and install
 * 11-14 s, vite build 2-3 s, Chromium and the page 3-4 s (the page's own run under 1 s).
 * VITE_BUILD_LOG=1 prints vite's output.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "puppeteer-core";

import { startStaticServer } from "../../examples/playground/server.js";
import { chromiumSkip, launchChromium } from "../support/chromium.js";
import { packInto } from "../support/packed-project.js";
import type { VitePageResult } from "./vite-page/main.js";

const repo = resolve(import.meta.dirname, "..", "..");
const pageSource = join(import.meta.dirname, "vite-page");
const skip = chromiumSkip();
/** The page's whole run (wasm start, 2 steps, save, load, forward, restore) takes about a second. */
const PAGE_TIMEOUT_MS = 120_000;

const npm = (args: string[], cwd: string): string =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const version = (name: string): string =>
  (JSON.parse(readFileSync(join(repo, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;

/** What the page's setup looks like in the docs: main.ts from its first import down to the test's marker. */
const pageSetup = (): string => {
  const source = readFileSync(join(pageSource, "main.ts"), "utf8");
  const start = source.indexOf("\nimport ") + 1;
  const end = source.indexOf("// ---- the test's part");
  assert.ok(start > 0 && end > start, "main.ts has its imports and the test's marker");
  return source.slice(start, end).trim();
};

describe(
  "a vite production build of a page that trains on wasm, in headless Chromium",
  { skip, timeout: 600_000 },
  () => {
    let project = "";
    const seconds: Record<string, number> = {};
    let buildOutput = "";
    let buildStatus: number | null = null;
    let result: VitePageResult | undefined;
    const pageErrors: string[] = [];
    const wasmResponses: { url: string; status: number; contentType: string }[] = [];
    let browser: Browser | undefined;
    let server: Server | undefined;

    before(async () => {
      const started = performance.now();
      let t = started;
      project = mkdtempSync(join(tmpdir(), "art-mtl-vite-"));
      const lap = (name: string): void => {
        seconds[name] = Math.round(performance.now() - t) / 1000;
        t = performance.now();
      };
      const packed = packInto(project);
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify({ name: "vite-consumer", version: "1.0.0", type: "module", private: true }),
      );
      const packages = [
        "@tensorflow/tfjs-core",
        "@tensorflow/tfjs-backend-cpu",
        "@tensorflow/tfjs-backend-wasm",
        "@tensorflow/tfjs-layers",
        "vite",
      ].map((p) => `${p}@${version(p)}`);
      npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--no-save", packed, ...packages], project);
      lap("pack and install");

      // The user's source: index.html and main.ts at the project's root (env.d.ts is for the repository's type check).
      for (const file of ["index.html", "main.ts"]) cpSync(join(pageSource, file), join(project, file));
      const built = spawnSync(
        process.execPath,
        [join(project, "node_modules", "vite", "bin", "vite.js"), "build", "--sourcemap"],
        { cwd: project, encoding: "utf8", timeout: 300_000, env: { ...process.env, NO_COLOR: "1" } },
      );
      buildStatus = built.status;
      buildOutput = `${built.stdout}${built.stderr}`;
      lap("vite build");
      if (process.env["VITE_BUILD_LOG"] === "1") console.log(buildOutput);
      if (buildStatus !== 0) return;

      const hosted = await startStaticServer({ root: join(project, "dist"), port: 0 });
      server = hosted.server;
      browser = await launchChromium();
      const page = await browser.newPage();
      let failed: ((error: Error) => void) | undefined;
      const pageFailed = new Promise<never>((_, reject) => (failed = reject));
      pageFailed.catch(() => undefined);
      page.on("pageerror", (error) => {
        pageErrors.push(String(error));
        failed?.(new Error(`the page threw: ${String(error)}`));
      });
      page.on("console", (message) => {
        if (message.type() === "error") pageErrors.push(`console: ${message.text()}`);
      });
      page.on("requestfailed", (request) => pageErrors.push(`request failed: ${request.url()}`));
      page.on("response", (response) => {
        if (response.url().endsWith(".wasm"))
          wasmResponses.push({
            url: new URL(response.url()).pathname,
            status: response.status(),
            contentType: response.headers()["content-type"] ?? "",
          });
      });
      await page.goto(hosted.url);
      await Promise.race([
        page.waitForFunction(() => (globalThis as unknown as { viteResult?: unknown }).viteResult !== undefined, {
          timeout: PAGE_TIMEOUT_MS,
        }),
        pageFailed,
      ]);
      result = (await page.evaluate(
        () => (globalThis as unknown as { viteResult: VitePageResult }).viteResult,
      )) as VitePageResult;
      lap("page");
      console.log(
        `# ${((performance.now() - started) / 1000).toFixed(1)} s in all: ${Object.entries(seconds)
          .map(([n, s]) => `${n} ${s.toFixed(1)} s`)
          .join(", ")} (in the page: ${result.seconds ?? "?"} s)`,
      );
    });

    after(async () => {
      await browser?.close();
      server?.close();
      if (project !== "") rmSync(project, { recursive: true, force: true });
    });

    const page = (): VitePageResult => {
      assert.ok(result !== undefined, "the page gave no result");
      assert.equal(result.failure, undefined, `the page failed: ${result.failure ?? ""}`);
      return result;
    };

    it("vite builds the page with art-mtl's dist/ and its browser twins, no Node built-in, and the wasm binaries as assets", () => {
      assert.equal(buildStatus, 0, buildOutput);
      assert.doesNotMatch(buildOutput, /externalized for browser compatibility/, "a Node built-in reached");
      assert.doesNotMatch(buildOutput, /art-mtl/, "vite warned about art-mtl");
      const assets = readdirSync(join(project, "dist", "assets"));
      for (const binary of ["tfjs-backend-wasm", "tfjs-backend-wasm-simd", "tfjs-backend-wasm-threaded-simd"])
        assert.ok(
          assets.some((a) => new RegExp(`^${binary}-[\\w-]+\\.wasm$`).test(a)),
          `${binary}.wasm among ${assets.join(", ")}`,
        );
      // The modules that went in, from the source maps: art-mtl's browser builds only.
      const sources = assets
        .filter((a) => a.endsWith(".js.map"))
        .flatMap(
          (a) =>
            (JSON.parse(readFileSync(join(project, "dist", "assets", a), "utf8")) as { sources: string[] }).sources,
        );
      const ours = sources.filter((s) => s.includes("node_modules/art-mtl/"));
      assert.ok(ours.length > 0, `art-mtl in the bundle: ${sources.length} sources`);
      assert.deepEqual(
        ours.filter((s) => !/node_modules\/art-mtl\/dist\//.test(s)),
        [],
        "only art-mtl's build (dist/)",
      );
      // The platform twins by the "browser" condition of package.json's imports: the browser one, never Node's.
      assert.deepEqual(
        ours.filter((s) => /\/dist\/twins\//.test(s) && !s.endsWith(".browser.js")),
        [],
        "no Node-side twin",
      );
      assert.ok(
        ours.some((s) => s.endsWith("art-mtl/dist/twins/platform/node.browser.js")),
        `the browser twin of the platform module in ${ours.join(", ")}`,
      );
    });

    it("selectBackend started wasm with the module and the binaries handed in, and the page trained and loaded on wasm, not cpu", () => {
      const r = page();
      assert.deepEqual(r.backends, { selected: "wasm", trained: "wasm", loaded: "wasm" });
      assert.deepEqual(r.sessionBackends, ["wasm", "wasm"]);
      assert.ok(
        r.selectionNotes?.some((n) => n.startsWith("wasm: binaries from {")),
        `wasmPaths used: ${JSON.stringify(r.selectionNotes)}`,
      );
      assert.ok(r.selectionNotes?.some((n) => n.startsWith("wasm: training kernels available:")));
      // One binary fetched, one of vite's assets (single-threaded SIMD: the page is not cross-origin isolated), as application/wasm.
      assert.equal(wasmResponses.length, 1, JSON.stringify(wasmResponses));
      const [fetched] = wasmResponses;
      assert.equal(fetched?.url, r.wasmPaths?.["tfjs-backend-wasm-simd.wasm"]);
      assert.match(fetched?.url ?? "", /^\/assets\/tfjs-backend-wasm-simd-[\w-]+\.wasm$/);
      assert.equal(fetched?.status, 200);
      assert.equal(fetched?.contentType, "application/wasm");
    });

    it("2 training steps with finite losses; a checkpoint in memory loaded with loadTrainedSession(store, 'wasm') gives the trained model's output (1e-5)", () => {
      const r = page();
      assert.equal(r.steps?.length, 2);
      for (const step of r.steps ?? []) {
        assert.ok(Number.isFinite(step.loss) && step.loss > 0, `loss ${step.loss}`);
        assert.equal(step.taskLosses.length, 2);
        for (const l of step.taskLosses) assert.ok(l !== null && Number.isFinite(l) && l > 0, `task loss ${l}`);
      }
      assert.equal(r.loadedStep, 2);
      assert.ok((r.checkpointFiles ?? 0) > 1);
      assert.deepEqual(r.forward?.shape, [4, 16, 16, 3]);
      assert.equal(r.forward?.finite, true);
      assert.ok((r.forward?.maxAbsDiff ?? Infinity) <= 1e-5, `max |trained - loaded| = ${r.forward?.maxAbsDiff}`);
      assert.deepEqual(r.restored, { width: 40, height: 24, values: 40 * 24 * 3 });
      assert.equal(r.leakedTensors, 0);
    });

    it("no console error, no failed request, nothing thrown", () => {
      page();
      assert.deepEqual(pageErrors, []);
    });
  },
);

describe("docs/browser.md", () => {
  it("shows the vite page's imports and selectBackend call unchanged in its Vite section", () => {
    const docs = readFileSync(join(repo, "docs", "browser.md"), "utf8");
    const at = docs.indexOf("\n## Vite\n");
    assert.ok(at >= 0, "docs/browser.md has a '## Vite' section");
    const section = docs.slice(
      at + 1,
      docs.indexOf("\n## ", at + 1) === -1 ? undefined : docs.indexOf("\n## ", at + 1),
    );
    assert.ok(
      section.includes(`\`\`\`ts browser\n${pageSetup()}\n\`\`\``),
      "the section has main.ts's setup as a ts block (marked browser: a page's module, not run by the doc-block test)",
    );
  });
});
