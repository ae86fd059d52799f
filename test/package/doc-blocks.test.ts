/**
 * Docs that run: every fenced ```ts and ```sh block of README.md and docs/ (not docs/data/)
 * without a marker (fragment, browser, needs-data, slow: docs/testing.md, "Docs that run") runs
 * against the package as a user gets it: `npm pack`, installed into a fresh plain Node ESM project
 * with the TensorFlow.js packages, fp-ts, fast-check and tsx. A ts block is a module of its own,
 * run with tsx (and all of them type-checked with tsc --strict against the installed types); an
 * sh block runs in bash with the installed `art-mtl` on PATH (`npx art-mtl` finds it too). Each
 * block runs in its own folder, which holds stand-ins for the files the examples name as the
 * reader's own; two at a time. A ```text block right after a runnable block is its expected
 * standard output. Needs the build (CI builds first); builds it when dist/ is missing.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, it } from "node:test";

import {
  docBlocks,
  isRunnable,
  isRunnableLanguage,
  MARKERS,
  RUNNABLE_LANGUAGES,
  where,
  type DocBlock,
} from "../support/doc-blocks.js";
import { atRepoVersion, installPacked, repo } from "../support/packed-project.js";

const blocks = docBlocks(repo);
/** `DOC_BLOCKS=REGEXP` (e.g. `docs/strategies/`) runs only the blocks of the files whose path matches it. */
const only = new RegExp(process.env.DOC_BLOCKS ?? "");
const runnable = blocks.filter((b) => isRunnable(b) && only.test(b.file));

describe("doc blocks: the info strings", () => {
  it("finds the blocks of README.md and docs/ (docs/data/ left out)", () => {
    assert.ok(blocks.length >= 250, `found ${blocks.length} blocks`);
    assert.ok(blocks.some((b) => b.file === "README.md") && blocks.some((b) => b.file.startsWith("docs/strategies/")));
    assert.ok(!blocks.some((b) => b.file.startsWith("docs/data/")));
    const count = (f: (b: DocBlock) => boolean) => blocks.filter(f).length;
    const summary = [
      `${blocks.length} blocks`,
      ...RUNNABLE_LANGUAGES.map((l) => `${l}: ${count((b) => b.language === l && isRunnable(b))} run`),
      ...MARKERS.map((m) => `${m}: ${count((b) => b.markers.includes(m))}`),
      `other languages: ${count((b) => !isRunnableLanguage(b.language))}`,
    ];
    console.log(`doc blocks: ${summary.join(", ")}`);
  });

  it("marks ts and sh blocks only with known markers, and nothing else", () => {
    const bad = blocks
      .filter((b) =>
        isRunnableLanguage(b.language)
          ? b.markers.some((m) => !(MARKERS as readonly string[]).includes(m))
          : b.markers.length > 0,
      )
      .map((b) => `${where(b)}: \`\`\`${[b.language, ...b.markers].join(" ")}`);
    assert.deepEqual(bad, [], `unknown markers (known: ${MARKERS.join(", ")}, on ts and sh blocks)`);
  });

  it("spells the runnable languages ts and sh (an alias would skip the block silently as another language)", () => {
    const aliases = ["typescript", "tsx", "js", "javascript", "mjs", "bash", "shell", "zsh", "console"];
    const bad = blocks.filter((b) => aliases.includes(b.language)).map((b) => `${where(b)}: \`\`\`${b.language}`);
    assert.deepEqual(bad, [], "write ts or sh");
  });

  it("leaves enough blocks runnable that the run below means something", () => {
    const all = blocks.filter(isRunnable).length;
    assert.ok(all >= 30, `only ${all} runnable blocks: were examples marked instead of fixed?`);
  });
});

const project = mkdtempSync(join(tmpdir(), "art-mtl-doc-blocks-"));
after(() => rmSync(project, { recursive: true, force: true }));

/** A folder name for a block: `docs-art-md-180`. */
const slug = (b: DocBlock) => `${b.file.replace(/[^A-Za-z0-9]+/g, "-")}-${b.line}`;
const blockFile = (b: DocBlock) => join(project, "blocks", slug(b), b.language === "ts" ? "block.ts" : "block.sh");

/** The children see the installed bin first, and not this test's runner. */
const env = (() => {
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${join(project, "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}`,
  };
  delete e.NODE_TEST_CONTEXT;
  return e;
})();

interface Outcome {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/** Runs a command without blocking the event loop, so two blocks run at once. */
const exec = (command: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<Outcome> =>
  new Promise((done, fail) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd, env, timeout: timeoutMs, killSignal: "SIGKILL" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", fail);
    child.on("close", (status, signal) =>
      done({ status, signal, stdout, stderr, seconds: (performance.now() - start) / 1000 }),
    );
  });

const tail = (text: string, n = 4000) => (text.length > n ? `…${text.slice(-n)}` : text);

/** What an sh block runs after: stop at the first failing command; `npm i art-mtl` is done already. */
const SH_PRELUDE = `set -eo pipefail
npm() {
  case "$*" in
    "i art-mtl" | "install art-mtl") echo "(art-mtl is installed: the packed tarball)" ;;
    *) command npm "$@" ;;
  esac
}
`;

/** Stand-ins for the reader's files that the examples name, made with the installed kit. */
const FIXTURES = `import { mkdirSync, writeFileSync } from "node:fs";
import { Rng } from "art-mtl";
import { degrade, proceduralImage, writePng } from "art-mtl/restoration";
for (const dir of ["my-clean-images", "data/train"]) {
  mkdirSync(dir, { recursive: true });
  for (const i of [1, 2]) writePng(\`\${dir}/\${i}.png\`, proceduralImage(Rng.seeded(i), 64, 64));
}
writePng("photo.png", degrade("noise", proceduralImage(Rng.seeded(3), 64, 64), Rng.seeded(4)).image);
const losses = [[0.09, 0.07, 0.08], [0.085, 0.072, 0.071], [0.08, 0.065, 0.069], [0.078, 0.06, 0.066]];
writeFileSync("losses.jsonl", losses.map((l) => JSON.stringify({ losses: l })).join("\\n") + "\\n");
`;

const BLOCK_TIMEOUT_MS = 90_000;

describe("doc blocks: run against the packed tarball", { timeout: 900_000, concurrency: 2 }, () => {
  before(async () => {
    const packages = [
      "@tensorflow/tfjs-core",
      "@tensorflow/tfjs-backend-cpu",
      "@tensorflow/tfjs-backend-wasm",
      "@tensorflow/tfjs-layers",
      "fp-ts",
      "fast-check",
      "tsx",
      "@types/node",
    ];
    const start = performance.now();
    installPacked(project, "doc-blocks", packages.map(atRepoVersion));
    console.log(`doc blocks: packed and installed in ${((performance.now() - start) / 1000).toFixed(0)} s`);
    const fixtures = join(project, "fixtures");
    mkdirSync(fixtures);
    writeFileSync(join(project, "make-fixtures.mjs"), FIXTURES);
    const made = await exec(process.execPath, [join(project, "make-fixtures.mjs")], fixtures, 60_000);
    assert.equal(made.status, 0, made.stderr);
    for (const block of runnable) {
      const dir = join(project, "blocks", slug(block));
      cpSync(fixtures, dir, { recursive: true });
      writeFileSync(blockFile(block), block.language === "sh" ? SH_PRELUDE + block.code : block.code);
    }
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: "es2022",
          module: "nodenext",
          moduleResolution: "nodenext",
          lib: ["es2022", "dom"],
          types: ["node"],
          skipLibCheck: true,
          noEmit: true,
        },
        include: ["blocks/**/*.ts"],
      }),
    );
  });

  const typeScript = runnable.filter((b) => b.language === "ts");
  it(
    "type-checks every runnable ts block (tsc --strict against the installed types)",
    { skip: typeScript.length === 0 },
    async () => {
      const tsc = join(repo, "node_modules", "typescript", "bin", "tsc");
      const r = await exec(process.execPath, [tsc, "-p", project, "--pretty", "false"], project, 300_000);
      // blocks/SLUG/block.ts(LINE,COL): … → the doc's file:line:col.
      const bySlug = new Map(typeScript.map((b) => [slug(b), b]));
      const errors = r.stdout.replace(
        /blocks\/([^/]+)\/block\.ts\((\d+),(\d+)\)/g,
        (all, s: string, l: string, c: string) => {
          const block = bySlug.get(s);
          return block === undefined ? all : `${block.file}:${block.line + Number(l)}:${c}`;
        },
      );
      assert.equal(r.status, 0, `${errors}${r.stderr}`);
    },
  );

  for (const block of runnable) {
    it(`${where(block)} (${block.language})`, async () => {
      const file = blockFile(block);
      const r =
        block.language === "ts"
          ? await exec(process.execPath, ["--import", "tsx", file], join(file, ".."), BLOCK_TIMEOUT_MS)
          : await exec("bash", [file], join(file, ".."), BLOCK_TIMEOUT_MS);
      const failed =
        r.signal !== null
          ? `killed (${r.signal}) after ${r.seconds.toFixed(0)} s: mark it slow if it is meant to take that long`
          : `exit code ${r.status}`;
      assert.ok(
        r.status === 0,
        `${where(block)}: the ${block.language} block failed: ${failed}\n--- stderr ---\n${tail(r.stderr)}\n--- stdout ---\n${tail(r.stdout)}`,
      );
      if (block.output !== undefined) {
        const clean = (s: string) =>
          s
            .split("\n")
            .map((l) => l.trimEnd())
            .join("\n")
            .trimEnd();
        assert.equal(
          clean(r.stdout),
          clean(block.output),
          `${where(block)}: the output differs from the text block after it`,
        );
      }
    });
  }
});
