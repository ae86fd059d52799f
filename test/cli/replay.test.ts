import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import { ReferenceArt, referenceDefaults, type ReferenceOptions } from "../../property-tests/reference.js";
import { Rng } from "../../src/core/index.js";
import { ReleasedRebalance } from "../core/reference/released-rebalance.js";
import { assertAllClose } from "../support/all-close.js";

// The conformance contract of the spec: the real CLI process, fed long sequences with absent
// tasks, must agree with an independent float64 transcription to 1e-9.

const root = join(import.meta.dirname, "..", "..");
const runReplay = (args: string[], input: string) =>
  spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), "replay", ...args], {
    input,
    encoding: "utf8",
    cwd: root,
    maxBuffer: 1 << 28,
  });

const longSequence = (seed: number, numTasks: number, steps: number, maxLoss: number): (number | null)[][] => {
  const rng = Rng.seeded(seed);
  const decay = Array.from({ length: numTasks }, () => rng.uniform(0.2, 3));
  return Array.from({ length: steps }, (_, t): (number | null)[] => {
    const losses = Array.from({ length: numTasks }, (_, k): number | null => {
      if (rng.uniform() < 0.3) return null;
      const trend = Math.exp(-decay[k]! * (t / steps)); // losses fall over training, with noise
      return Math.min(maxLoss, Math.max(1e-6, trend * maxLoss * rng.uniform(0.3, 0.95)));
    });
    if (!losses.some((l) => l !== null)) losses[t % numTasks] = 0.5 * maxLoss;
    return losses;
  });
};

const cases: { name: string; flags: string[]; options: ReferenceOptions; maxLoss: number }[] = [
  { name: "paper preset", flags: [], options: referenceDefaults("paper"), maxLoss: 0.9 },
  { name: "official preset", flags: ["--preset", "official"], options: referenceDefaults("official"), maxLoss: 0.9 },
  {
    name: "paper, lcr=raw gcw=raw tau=0.5 rate=0.1",
    flags: ["--lcr", "raw", "--gcw", "raw", "--tau", "0.5", "--rate", "0.1"],
    options: { preset: "paper", tau: 0.5, rate: 0.1, lcr: "raw", gcw: "raw" },
    maxLoss: 40,
  },
  {
    name: "official, lcr=none gcw=log",
    flags: ["--preset", "official", "--lcr", "none"],
    options: { ...referenceDefaults("official"), lcr: "none" },
    maxLoss: 0.9,
  },
  {
    name: "paper, gcw=none (smoothed LCR only)",
    flags: ["--gcw", "none"],
    options: { ...referenceDefaults("paper"), gcw: "none" },
    maxLoss: 5,
  },
];

describe("art-mtl replay (conformance contract)", () => {
  for (const [i, c] of cases.entries()) {
    it(`${c.name}: 3000 steps, K = 7, 30% absent, agrees with the float64 reference to 1e-9`, () => {
      const sequence = longSequence(100 + i, 7, 3000, c.maxLoss);
      const input = sequence.map((losses) => JSON.stringify({ losses })).join("\n") + "\n";
      const result = runReplay(c.flags, input);
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stdout.trim().split("\n");
      assert.equal(lines.length, sequence.length);
      const reference = new ReferenceArt(7, c.options);
      lines.forEach((line, t) => {
        const record = JSON.parse(line) as { step: number; weights: number[] };
        assert.equal(record.step, t + 1);
        assertAllClose(record.weights, reference.step(sequence[t]!), { rtol: 1e-9, atol: 1e-12 }, `step ${t + 1}`);
      });
    });
  }

  it("--preset official --released-ema-bug: the authors' code as released (3000 steps, 30% absent) to 1e-12", () => {
    const sequence = longSequence(200, 3, 3000, 0.09);
    const input = sequence.map((losses) => JSON.stringify({ losses })).join("\n") + "\n";
    const result = runReplay(["--preset", "official", "--released-ema-bug"], input);
    assert.equal(result.status, 0, result.stderr);
    const released = new ReleasedRebalance(0.1, 0.01);
    result.stdout
      .trim()
      .split("\n")
      .forEach((line, t) => {
        const record = JSON.parse(line) as { weights: number[] };
        assertAllClose(record.weights, released.step(sequence[t]!), { rtol: 1e-12, atol: 1e-12 }, `step ${t + 1}`);
      });
    const paper = runReplay(["--released-ema-bug"], input);
    assert.equal(paper.status, 2);
    assert.equal(
      paper.stderr,
      "line 1: invalid config:\n  releasedEmaBug: needs preset official, the released code's rule (got preset paper)\n",
    );
    const valued = runReplay(["--preset", "official", "--released-ema-bug=yes"], input);
    assert.equal(valued.status, 2);
    assert.match(valued.stderr, /--released-ema-bug' does not take an argument/);
  });

  it("a negative value may follow its flag (--initial-log-variance -0.5), as well as --flag=-0.5", () => {
    const input = '{"losses":[0.3,0.1]}\n{"losses":[0.2,0.1]}\n{"losses":[0.25,0.05]}\n';
    const spaced = runReplay(
      [
        "--strategy",
        "uw",
        "--lr",
        "1e-4",
        "--initial-log-variance",
        "-0.5",
        "--epsilon",
        "2e-8",
        "--weight-decay",
        "2e-5",
      ],
      input,
    );
    assert.equal(spaced.status, 0, spaced.stderr);
    const joined = runReplay(
      ["--strategy", "uw", "--lr=1e-4", "--initial-log-variance=-0.5", "--epsilon=2e-8", "--weight-decay=2e-5"],
      input,
    );
    assert.equal(spaced.stdout, joined.stdout);
    const negative = runReplay(["--strategy", "imtl-l", "--weight-decay", "-1"], input);
    assert.equal(negative.status, 2);
    assert.equal(negative.stderr, "art-mtl replay: --weight-decay: expected number >= 0 (got -1)\n");
  });

  it("reads --input FILE and prints full double precision", () => {
    const dir = mkdtempSync(join(tmpdir(), "art-replay-"));
    const file = join(dir, "losses.jsonl");
    writeFileSync(file, '{"losses":[0.3,0.1]}\n{"losses":[0.29,0.11]}\n');
    const result = runReplay(["--input", file], "");
    assert.equal(result.status, 0, result.stderr);
    const last = JSON.parse(result.stdout.trim().split("\n")[1]!) as { weights: number[] };
    // 17 significant digits survive: the printed numbers parse back to the same doubles.
    assert.equal(JSON.stringify(last.weights), JSON.stringify(last.weights.map((w) => Number(String(w)))));
    assert.ok(last.weights.some((w) => String(w).replace(/^0\.|e.*$/g, "").length >= 15));
  });

  it("a bad line gives an error naming the line number and a non-zero exit", () => {
    const bad = runReplay([], '{"losses":[0.3,0.1]}\n{"losses":[0.3,NaN]}\n');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /^line 2: not valid JSON/);
    const nan = runReplay([], '{"losses":[0.3,0.1]}\n\n{"losses":[0.3,-1]}\n');
    assert.notEqual(nan.status, 0);
    assert.match(nan.stderr, /^line 3: task 1: invalid loss -1/);
    assert.equal(nan.stdout.trim().split("\n").length, 1, "the good line before the error is still written");
    const length = runReplay([], '{"losses":[0.3,0.1]}\n{"losses":[0.3]}\n');
    assert.match(length.stderr, /^line 2: expected 2 task losses, got 1/);
    const absent = runReplay([], '{"losses":[null,null]}\n');
    assert.match(absent.stderr, /^line 1: no task is present/);
  });

  it("step counts steps, not input lines: blank lines are skipped; errors still name the line", () => {
    const result = runReplay(
      ["--strategy", "equal"],
      '{"losses":[0.3,0.1]}\n\n{"losses":[0.2,0.1]}\n   \n{"losses":[0.1,0.1]}\n',
    );
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(
      result.stdout
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { step: number }).step),
      [1, 2, 3],
    );
    const bad = runReplay(["--strategy", "equal"], '{"losses":[0.3,0.1]}\n\n{"losses":[0.3,-1]}\n');
    assert.match(bad.stderr, /^line 3: /);
  });

  it("--input naming a directory is a usage error (exit 2), not an internal one", () => {
    const dir = mkdtempSync(join(tmpdir(), "art-replay-"));
    const result = runReplay(["--input", dir], "");
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stderr, `art-mtl replay: --input: cannot read ${dir} (it is a directory)\n`);
  });

  it("bad flags name the flag and exit 2, without a stack trace", () => {
    const result = runReplay(["--gcw", "square"], "");
    assert.equal(result.status, 2);
    assert.equal(result.stderr, 'art-mtl replay: --gcw: expected one of none|raw|log|relative-log (got "square")\n');
    const unknown = runReplay(["--tua", "3"], "");
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /Unknown option '--tua'/);
  });

  it("--strategy runs any weighting of the registry, with its own flags", () => {
    const input = '{"losses":[0.3,null,0.1]}\n{"losses":[0.2,0.4,0.1]}\n';
    const equal = runReplay(["--strategy", "equal"], input);
    assert.equal(equal.status, 0, equal.stderr);
    assert.deepEqual(
      equal.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).weights),
      [
        [0.5, 0, 0.5],
        [1 / 3, 1 / 3, 1 / 3],
      ],
    );
    const rlwA = runReplay(["--strategy", "rlw", "--seed", "3"], input);
    const rlwB = runReplay(["--strategy", "rlw", "--seed", "3"], input);
    assert.equal(rlwA.status, 0, rlwA.stderr);
    assert.equal(rlwA.stdout, rlwB.stdout, "seeded RLW replays identically");
    const dwa = runReplay(["--strategy", "dwa"], input);
    assert.equal(dwa.status, 2);
    assert.match(dwa.stderr, /--epoch-length: required for strategy dwa/);
    assert.equal(runReplay(["--strategy", "dwa", "--epoch-length", "1"], input).status, 0);
    const wrongFlag = runReplay(["--seed", "3"], input);
    assert.equal(wrongFlag.status, 2);
    assert.match(wrongFlag.stderr, /--seed: not an option of strategy art/);
  });
});

describe("art-mtl replay as a Unix filter", () => {
  const input = join(mkdtempSync(join(tmpdir(), "art-mtl-filter-")), "many.jsonl");
  writeFileSync(input, '{"losses":[0.5,0.2]}\n'.repeat(20000));
  const main = join(root, "src/cli/main.ts");

  it("`replay | head -1`: the reader going away ends replay quietly, exit 0, no stack trace", () => {
    const out = spawnSync(
      "bash",
      [
        "-c",
        `"${process.execPath}" --import tsx "${main}" replay --strategy equal --input "${input}" | head -1; echo "status \${PIPESTATUS[0]}" >&2`,
      ],
      { cwd: root, encoding: "utf8" },
    );
    assert.equal(out.stdout, '{"step":1,"weights":[0.5,0.5]}\n');
    assert.match(out.stderr, /status 0/);
    assert.ok(!out.stderr.includes("    at "), out.stderr);
  });

  it(
    "`replay > /dev/full`: one line naming ENOSPC, exit 1",
    { skip: existsSync("/dev/full") ? false : "no /dev/full here" },
    () => {
      const out = spawnSync(
        "bash",
        ["-c", `"${process.execPath}" --import tsx "${main}" replay --strategy equal --input "${input}" > /dev/full`],
        { cwd: root, encoding: "utf8" },
      );
      assert.equal(out.status, 1);
      assert.equal(out.stderr, "art-mtl: cannot write the output: no space left on the device (ENOSPC)\n");
    },
  );
});
