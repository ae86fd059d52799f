import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";

import { Rng } from "../../src/core/index.js";
import { GRADIENT_STRATEGY_NAMES } from "../../src/strategies/gradient/registry.js";
import { assertAllClose } from "../support/all-close.js";

/**
 * `art-mtl replay` with the gradient-aware strategies, as a port would drive it: the real CLI
 * process, JSON Lines of losses with a Gramian or with gradients. MGDA with 2 tasks is checked
 * against its closed form (the min-norm point of a segment, written here); every method gives
 * the same coefficients from the gradients as from their Gramian; errors name the line; and
 * replay answers each line before the next one is written (a co-process).
 */

const root = join(import.meta.dirname, "..", "..");
const cli = ["--import", "tsx", join(root, "src/cli/main.ts"), "replay"];
const runReplay = (args: string[], input: string) =>
  spawnSync(process.execPath, [...cli, ...args], { input, encoding: "utf8", cwd: root, maxBuffer: 1 << 26 });

const randomSteps = (seed: number, numTasks: number, steps: number, dimension: number) => {
  const rng = Rng.seeded(seed);
  return Array.from({ length: steps }, (_, t) => {
    const losses = Array.from({ length: numTasks }, (): number | null =>
      rng.uniform() < 0.2 ? null : rng.uniform(0.05, 2),
    );
    if (!losses.some((l) => l !== null)) losses[t % numTasks] = 0.5;
    const gradients = losses.map((l) =>
      l === null ? null : Array.from({ length: dimension }, () => rng.uniform(-1, 1)),
    );
    const gramian = gradients.map((a) =>
      gradients.map((b) => (a === null || b === null ? 0 : a.reduce((s, x, p) => s + x * (b[p] as number), 0))),
    );
    return { losses, gradients, gramian };
  });
};

const lines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { step: number; coefficients: number[]; direction?: number[] });

describe("art-mtl replay with gradient-aware strategies", () => {
  it("mgda, 2 tasks: the closed form γ = clamp((G22 − G12) / (G11 + G22 − 2 G12), 0, 1) over 200 random Gramians", () => {
    const rng = Rng.seeded(5);
    const inputs = Array.from({ length: 200 }, () => {
      const a = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
      const b = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
      const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * (y[i] as number), 0);
      return [
        [dot(a, a), dot(a, b)],
        [dot(b, a), dot(b, b)],
      ];
    });
    const out = runReplay(
      ["--strategy", "mgda"],
      inputs.map((gramian) => JSON.stringify({ losses: [1, 1], gramian })).join("\n") + "\n",
    );
    assert.equal(out.status, 0, out.stderr);
    const got = lines(out.stdout);
    assert.equal(got.length, 200);
    got.forEach((r, i) => {
      const [[g11, g12], [, g22]] = inputs[i] as [[number, number], [number, number]];
      const gamma = Math.min(1, Math.max(0, (g22 - g12) / (g11 + g22 - 2 * g12)));
      assert.equal(r.step, i + 1);
      assertAllClose(r.coefficients, [gamma, 1 - gamma], { rtol: 1e-9, atol: 1e-12 }, `line ${i + 1}`);
    });
  });

  it("every method: the same coefficients from the gradients as from their Gramian, absent tasks 0, one output line per input line", () => {
    const steps = randomSteps(11, 4, 12, 6);
    for (const name of GRADIENT_STRATEGY_NAMES) {
      const fromGradients = runReplay(
        ["--strategy", name],
        steps.map(({ losses, gradients }) => JSON.stringify({ losses, gradients })).join("\n") + "\n",
      );
      assert.equal(fromGradients.status, 0, `${name}: ${fromGradients.stderr}`);
      const a = lines(fromGradients.stdout);
      assert.equal(a.length, steps.length, name);
      a.forEach((r, i) =>
        (steps[i] as { losses: Array<number | null> }).losses.forEach(
          (l, k) => l === null && assert.equal(r.coefficients[k], 0, `${name} line ${i + 1}: absent task ${k}`),
        ),
      );
      if (name === "graddrop" || name === "db-mtl") {
        assert.ok(
          a.every((r) => Array.isArray(r.direction) && r.direction.length === 6),
          `${name}: a direction of the gradients' length on every line`,
        );
        continue; // they need the gradients: a Gramian alone is refused (below)
      }
      const fromGramian = runReplay(
        ["--strategy", name],
        steps.map(({ losses, gramian }) => JSON.stringify({ losses, gramian })).join("\n") + "\n",
      );
      assert.equal(fromGramian.status, 0, `${name}: ${fromGramian.stderr}`);
      const b = lines(fromGramian.stdout);
      a.forEach((r, i) =>
        assertAllClose(
          r.coefficients,
          (b[i] as { coefficients: number[] }).coefficients,
          { rtol: 1e-9, atol: 1e-12 },
          `${name} line ${i + 1}`,
        ),
      );
    }
  });

  it("errors name the line: a non-PSD Gramian, a NaN-free but malformed line, a method that needs gradients given a Gramian; bad flags exit 2", () => {
    const good = JSON.stringify({
      losses: [1, 1],
      gramian: [
        [1, 0],
        [0, 1],
      ],
    });
    const indefinite = runReplay(
      ["--strategy", "upgrad"],
      `${good}\n\n${JSON.stringify({
        losses: [1, 1],
        gramian: [
          [1, 3],
          [3, 1],
        ],
      })}\n`,
    );
    assert.equal(indefinite.status, 1);
    assert.match(indefinite.stderr, /^line 3: invalid Gramian: not positive semi-definite/);
    assert.equal(lines(indefinite.stdout).length, 1, "the good line's answer was written");
    const malformed = runReplay(
      ["--strategy", "mgda"],
      `${JSON.stringify({
        losses: [1, 1],
        gramian: [
          [1, "x"],
          [0, 1],
        ],
      })}\n`,
    );
    assert.equal(malformed.status, 1);
    assert.match(malformed.stderr, /^line 1: "gramian": expected an array of rows of numbers/);
    const needsGradients = runReplay(["--strategy", "graddrop"], `${good}\n`);
    assert.equal(needsGradients.status, 1);
    assert.match(needsGradients.stderr, /^line 1: invalid gradients/);
    const badFlag = runReplay(["--strategy", "pcgrad", "--tau", "3"], `${good}\n`);
    assert.equal(badFlag.status, 2);
    assert.match(badFlag.stderr, /--tau: not an option of strategy pcgrad/);
  });

  it("answers each line before the next is written (a co-process)", async () => {
    const child = spawn(process.execPath, [...cli, "--strategy", "mgda"], {
      cwd: root,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    const nextLine = () =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer within 20 s (got ${JSON.stringify(out)})`)), 20_000);
        const check = () => {
          const end = out.indexOf("\n");
          if (end < 0) return;
          clearTimeout(timer);
          child.stdout.off("data", onData);
          const line = out.slice(0, end);
          out = out.slice(end + 1);
          resolve(line);
        };
        const onData = (chunk: Buffer) => {
          out += chunk.toString("utf8");
          check();
        };
        child.stdout.on("data", onData);
        check();
      });
    child.stdin.write(
      `${JSON.stringify({
        losses: [1, 1],
        gramian: [
          [1, 0],
          [0, 1],
        ],
      })}\n`,
    );
    assert.deepEqual(JSON.parse(await nextLine()), { step: 1, coefficients: [0.5, 0.5] });
    child.stdin.write(
      `${JSON.stringify({
        losses: [1, null],
        gramian: [
          [4, 0],
          [0, 0],
        ],
      })}\n`,
    );
    assert.deepEqual(JSON.parse(await nextLine()), { step: 2, coefficients: [1, 0] });
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0);
  });
});
