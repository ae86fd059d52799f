import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { renderReport } from "../../src/restoration/report/html.js";
import { readRun } from "../../src/restoration/report/run.js";
import { lineChart, logTicks, niceTicks, smooth, thinIndices } from "../../src/restoration/report/svg.js";
import {
  formatDuration,
  learningRateAt,
  loadTf,
  ProgressBar,
  readTrainConfigFile,
  resolveTrainConfig,
  resolveWeighting,
  sequentialCurriculum,
  tileStarts,
} from "../../src/restoration/train/index.js";
import { parseLog, runPaths, truncateLog, writeJsonAtomic } from "../../src/restoration/train/run-dir.js";

const errors = (raw: unknown): string[] => {
  const result = resolveTrainConfig(raw);
  assert.ok(E.isLeft(result), `expected errors for ${JSON.stringify(raw)}`);
  return result.left;
};

describe("train config codec", () => {
  it("fills every default from { steps }", () => {
    const result = resolveTrainConfig({ steps: 10 });
    assert.ok(E.isRight(result));
    const c = result.right;
    assert.deepEqual(c.tasks, ["sr", "blur", "noise", "jpeg", "rain", "haze", "lowlight"]);
    assert.equal(c.batch, 14);
    assert.equal(c.data.source, "procedural");
    assert.deepEqual(c.model, { kind: "srresnet", width: 16, blocks: 2 });
    assert.deepEqual(c.weighting, { name: "art", options: {}, epochSteps: 0 });
    assert.equal(c.output, "runs/run");
  });
  it("names the field and the bad value", () => {
    assert.deepEqual(errors({ steps: 0 }), ["steps: expected Count (got 0)"]);
    assert.deepEqual(errors({}), ["steps: expected Count (got undefined)"]);
    assert.ok(errors({ steps: 5, batch: "x" }).includes('batch: expected Count (got "x")'));
    assert.match(
      errors({ steps: 5, tasks: ["noise", "fog"] })[0] as string,
      /^tasks\.1: expected a task name .* \(got "fog"\)$/,
    );
    assert.deepEqual(errors({ steps: 5, schedule: { kind: "linear" } }), [
      'schedule.kind: expected "constant" | "cosine" | "step" (got "linear")',
    ]);
    assert.deepEqual(errors({ steps: 5, schedule: { kind: "step", gamma: 2 } }), [
      "schedule.gamma: expected number in (0, 1] (got 2)",
    ]);
    assert.match(
      errors({ steps: 5, data: { patchsize: 3 } })[0] as string,
      /^data\.patchsize: unknown key .* \(got 3\)$/,
    );
    assert.deepEqual(errors({ steps: 5, data: { source: "proc" } }), [
      'data.source: expected "procedural" or { "folder": DIR } (got "proc")',
    ]);
    assert.deepEqual(errors({ steps: 5, lr: Number.NaN }), ["lr: expected PositiveFinite (got NaN)"]);
    assert.match(errors({ steps: 5, model: { kind: "srresnet", widht: 8 } }).join("\n"), /model\.widht: unknown key/);
    assert.deepEqual(errors({ steps: 5, tasks: ["noise", "rain"], data: { proportions: [1] } }), [
      "data.proportions: expected 2 values, one per task (got [1])",
    ]);
  });
  it("checks the weighting name and options against the strategy registry", () => {
    assert.ok(E.isRight(resolveWeighting("mixed", {})));
    assert.ok(E.isRight(resolveWeighting("dwa", { temperature: 2 })));
    const badName = resolveWeighting("artt", {});
    assert.ok(E.isLeft(badName));
    assert.match(badName.left[0] as string, /^weighting\.name: expected one of mixed, art, .* \(got "artt"\)$/);
    const badOption = resolveWeighting("art", { tua: 3 });
    assert.ok(E.isLeft(badOption));
    assert.match(badOption.left[0] as string, /^weighting\.options\.tua: unknown key/);
  });
});

describe("example configs", () => {
  it("every examples/configs/**/*.json is a valid training config", () => {
    const dir = join(import.meta.dirname, "..", "..", "examples", "configs");
    const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".json"));
    assert.ok(files.length >= 2);
    for (const file of files) assert.ok(readTrainConfigFile(join(dir, file)).steps > 0, file);
  });
});

describe("schedules and curriculum", () => {
  it("a steps override (train --steps) is applied before the step schedule's default every is computed", () => {
    const dir = mkdtempSync(join(tmpdir(), "art-mtl-steps-"));
    try {
      const path = join(dir, "c.json");
      writeFileSync(path, JSON.stringify({ steps: 9, schedule: { kind: "step" } }));
      assert.deepEqual(readTrainConfigFile(path).schedule, { kind: "step", every: 3, gamma: 0.5 });
      const overridden = readTrainConfigFile(path, { steps: 30 });
      assert.equal(overridden.steps, 30);
      assert.deepEqual(overridden.schedule, { kind: "step", every: 10, gamma: 0.5 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("computes constant, step and cosine learning rates", () => {
    assert.equal(learningRateAt({ kind: "constant" }, 0.1, 50, 100), 0.1);
    assert.equal(learningRateAt({ kind: "step", every: 10, gamma: 0.5 }, 0.1, 25, 100), 0.025);
    const cosine = { kind: "cosine", minLr: 0.01, warmupSteps: 0 } as const;
    assert.equal(learningRateAt(cosine, 0.1, 0, 100), 0.1);
    assert.ok(Math.abs(learningRateAt(cosine, 0.1, 50, 100) - 0.055) < 1e-12);
    assert.ok(Math.abs(learningRateAt(cosine, 0.1, 100, 100) - 0.01) < 1e-12);
    assert.equal(learningRateAt({ kind: "cosine", minLr: 0, warmupSteps: 4 }, 0.1, 1, 100), 0.05);
  });
  it("adds one task every stepsPerTask steps", () => {
    const active = sequentialCurriculum(3, 10);
    assert.deepEqual(active(0), [0]);
    assert.deepEqual(active(10), [0, 1]);
    assert.deepEqual(active(99), [0, 1, 2]);
  });
  it("is tasks 0..floor(step / stepsPerTask), as the strategies' sequential curriculum gives it", () => {
    for (let numTasks = 0; numTasks <= 8; numTasks++) {
      for (const stepsPerTask of [1, 2, 3, 7, 100]) {
        const active = sequentialCurriculum(numTasks, stepsPerTask);
        for (let step = 0; step <= 10 * stepsPerTask; step += stepsPerTask > 10 ? 7 : 1) {
          const expected = Array.from({ length: Math.min(numTasks, Math.floor(step / stepsPerTask) + 1) }, (_, k) => k);
          assert.deepEqual(active(step), expected, `${numTasks} tasks, ${stepsPerTask} steps per task, step ${step}`);
        }
      }
    }
  });
});

describe("loadTf", () => {
  it("does not keep a failed attempt: a retry with the same choice tries again", async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const lines: string[] = [];
      await assert.rejects(
        loadTf("node-gpu", (line) => lines.push(line)),
        /no usable tfjs backend for 'node-gpu'/,
      );
      assert.ok(
        lines.some((line) => line.includes("skipping node-gpu")),
        `attempt ${attempt} ran: ${JSON.stringify(lines)}`,
      );
    }
  });
});

describe("tiling", () => {
  it("covers the image with overlapping tiles", () => {
    assert.deepEqual(tileStarts(100, 128, 16), [0]);
    assert.deepEqual(tileStarts(300, 128, 16), [0, 112, 172]);
    for (const size of [129, 257, 1000]) {
      const starts = tileStarts(size, 128, 16);
      assert.equal((starts[starts.length - 1] as number) + 128, size);
      for (let i = 1; i < starts.length; i++) assert.ok((starts[i] as number) - (starts[i - 1] as number) <= 112);
    }
  });
});

describe("progress bar", () => {
  it("rewrites one line on a TTY and prints plain periodic lines otherwise", () => {
    let clock = 0;
    const tty: string[] = [];
    const bar = new ProgressBar("run", 10, 0, {
      write: (t) => tty.push(t),
      isTTY: true,
      columns: 60,
      now: () => clock,
    });
    for (let i = 1; i <= 10; i++) {
      clock += 1000;
      bar.update(i, "loss 0.1");
    }
    bar.finish();
    assert.ok(tty.slice(0, -1).every((t) => t.startsWith("\r") && t.length === 60));
    assert.match(tty[tty.length - 2] as string, /10\/10 100% 10s eta 0s/);
    assert.equal(tty[tty.length - 1], "\n");
    const plain: string[] = [];
    clock = 0;
    const bar2 = new ProgressBar("run", 100, 0, {
      write: (t) => plain.push(t),
      isTTY: false,
      plainEvery: 10,
      now: () => clock,
    });
    for (let i = 1; i <= 100; i++) {
      clock += 1000;
      bar2.update(i);
    }
    assert.equal(plain.length, 11); // every 10 s plus the last step
    assert.ok(plain.every((t) => t.endsWith("\n") && !t.includes("\r")));
    assert.equal(formatDuration(3725), "1h02m");
  });
});

describe("report", () => {
  it("makes nice ticks, smooths with gaps and thins long series", () => {
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    // Crossing zero from below: 0 itself, not a running sum's -3e-17.
    assert.deepEqual(
      niceTicks(-0.32, 0.04, 5),
      [-0.3, -0.2, -0.1, 0, 0.1].filter((v) => v <= 0.04),
    );
    assert.deepEqual(logTicks(0.001, 10), [0.001, 0.01, 0.1, 1, 10]);
    const s = smooth([1, null, 3], 0.5);
    assert.equal(s[0], 1);
    assert.ok(Number.isNaN(s[1] as number));
    assert.ok((s[2] as number) > 1 && (s[2] as number) < 3);
    assert.equal(thinIndices(10_000, 400).length, 401);
  });
  it("renders a self-contained HTML page with inline SVG and escaped names", () => {
    const log = parseLog(
      '{"step":1,"loss":0.5,"taskLosses":[0.4,null],"weights":[1,0],"lr":0.001,"time":0.1}\n{"step":2,"loss":0.3,"taskLosses":[0.3,0.2],"weights":[0.5,0.5],"lr":0.001,"time":0.2}\n{"step":3,"lo',
    );
    assert.equal(log.records.length, 2);
    assert.equal(log.bad, 1);
    const html = renderReport(
      [{ name: "a<b>", dir: "/x", weighting: "art", tasks: ["noise", "rain"], log: log.records, badLogLines: 1 }],
      { generatedAt: new Date(0) },
    );
    assert.match(html, /^<!doctype html>/);
    assert.ok(html.includes("a&lt;b&gt;"));
    assert.ok(!/<script|https?:\/\/(?!www\.w3\.org)/.test(html), "no scripts or external resources");
    assert.equal((html.match(/<svg /g) ?? []).length, 3); // 2 task loss charts + 1 weight chart
    assert.match(lineChart([], { title: "empty" }), /no data/);
  });
  it("truncateLog keeps the record lines up to the step, as written, and drops cut lines", () => {
    const dir = mkdtempSync(join(tmpdir(), "art-mtl-truncate-"));
    try {
      const path = join(dir, "log.jsonl");
      const line = (step: number) =>
        `{"step":${step},"loss":0.5,"taskLosses":[0.4,null],"weights":[1,0],"lr":0.001,"time":${step / 10}}`;
      writeFileSync(path, `${line(1)}\n${line(2)}\n{"step":3,"lo\n${line(3)}\n`);
      assert.equal(truncateLog(path, 2)?.step, 2);
      assert.equal(readFileSync(path, "utf8"), `${line(1)}\n${line(2)}\n`);
      assert.deepEqual(
        parseLog(readFileSync(path, "utf8")).records.map((r) => r.step),
        [1, 2],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('eval.json keeps PSNR +Infinity as "Infinity" (not null) and the run reader reads it back', () => {
    const dir = mkdtempSync(join(tmpdir(), "art-mtl-eval-json-"));
    try {
      const evaluation = {
        checkpoint: "c",
        step: 1,
        data: "procedural",
        convention: "basicsr",
        cropBorder: 0,
        yChannel: false,
        tasks: [
          {
            task: "noise",
            count: 1,
            psnr: Number.POSITIVE_INFINITY,
            ssim: 1,
            inputPsnr: Number.POSITIVE_INFINITY,
            inputSsim: 1,
          },
        ],
        mean: { psnr: Number.POSITIVE_INFINITY, ssim: 1 },
        seconds: 0.5,
      };
      writeJsonAtomic(runPaths(dir).eval, evaluation);
      const text = readFileSync(runPaths(dir).eval, "utf8");
      assert.match(text, /"psnr": "Infinity"/);
      assert.doesNotMatch(text, /null/);
      const run = readRun(dir);
      assert.equal(run.evaluation?.tasks[0]?.psnr, Number.POSITIVE_INFINITY);
      assert.equal(run.evaluation?.mean.psnr, Number.POSITIVE_INFINITY);
      assert.equal(run.evaluation?.tasks[0]?.inputPsnr, Number.POSITIVE_INFINITY);
      assert.equal(run.evaluation?.data, "procedural");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
