import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";

import { replayCommand } from "../../src/cli/commands/replay.js";
import { ReleasedRebalance } from "../core/reference/released-rebalance.js";
import { ReferenceFamo } from "./reference/famo.js";
import { LibmtlDwa, libmtlEw, libmtlGls, LibmtlImtlScale, LibmtlUw } from "./reference/libmtl.js";
import { scaleInvariantCoefficients } from "./reference/scale-invariant.js";
import { lossSequence } from "./reference/sequences.js";

// Each peer (and Art's official preset) replayed through `art-mtl replay` with the flags that
// docs/strategies/*.md and docs/art.md give for "reproduce the reference", against an
// independent float64 transcription of the reference code kept in test/*/reference/ (never
// computed by src/). The transcriptions run the reference's own parameterisation and PyTorch's
// Adam, so agreement to ~1e-16 means the flags reproduce the reference, not merely a formula.

type Losses = (number | null)[];

/** Runs the replay command in-process on a sequence; returns the weights per line. */
const replay = async (argv: string[], sequence: readonly Losses[]): Promise<number[][]> => {
  let out = "";
  let err = "";
  const input = sequence.map((losses) => JSON.stringify({ losses })).join("\n") + "\n";
  const code = await replayCommand(argv, {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    stdin: Readable.from([input]),
  });
  assert.equal(code, 0, err);
  const lines = out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { step: number; weights: number[] });
  assert.equal(lines.length, sequence.length);
  return lines.map((l) => l.weights);
};

/** The largest absolute difference between two weight series. */
const maxDifference = (a: readonly number[][], b: readonly number[][]): number => {
  assert.equal(a.length, b.length);
  let max = 0;
  a.forEach((row, t) => {
    assert.equal(row.length, b[t]!.length, `step ${t + 1}: length`);
    row.forEach((v, k) => (max = Math.max(max, Math.abs(v - b[t]![k]!))));
  });
  return max;
};

// Agreement expected between two float64 implementations of the same arithmetic (rounding
// only). Every deliberately mismatched setting below misses by 1e-9 or more.
const AGREE = 1e-13;

const present = (sequence: readonly Losses[]): number[][] => sequence.map((row) => row.map((v) => v as number));

// Every task present (LibMTL and famo.py have no absent tasks); 3 tasks of different scales.
const allPresent = lossSequence({ seed: 11, steps: 2000, start: [2.5, 0.6, 0.09], end: [0.8, 0.3, 0.02], noise: 0.25 });

describe("reference replay: LibMTL (weighting/*.py under its trainer's defaults)", () => {
  it("uw --lr 1e-4 --initial-log-variance -0.5 --epsilon 2e-8 --weight-decay 2e-5 = LibMTL's UW under Adam(lr 1e-4, weight_decay 1e-5)", async (t) => {
    const flags = ["--strategy", "uw", "--lr", "1e-4", "--initial-log-variance", "-0.5", "--epsilon", "2e-8"];
    const reference = new LibmtlUw(3);
    const expected = present(allPresent).map((losses) => reference.step(losses));
    const exact = maxDifference(await replay([...flags, "--weight-decay", "2e-5"], allPresent), expected);
    // art-mtl's objective exp(-s) L + s is twice LibMTL's L / (2 e^s) + s / 2: the gradient is
    // doubled, so Adam's epsilon and the L2 decay (both added to gradient-scaled terms) double too.
    const halfDecay = maxDifference(await replay([...flags, "--weight-decay", "1e-5"], allPresent), expected);
    const noDecay = maxDifference(await replay(flags, allPresent), expected);
    t.diagnostic(`max |dw|: weight decay 2e-5 ${exact}, 1e-5 ${halfDecay}, 0 ${noDecay}`);
    assert.ok(exact <= AGREE, `exact flags differ by ${exact}`);
    assert.ok(halfDecay > 1e-9 && noDecay > halfDecay, "the decay is visible: 1e-5 and 0 do not reproduce LibMTL");
  });

  it("imtl-l --lr 1e-4 --weight-decay 1e-5 = LibMTL's IMTL loss scales under Adam(lr 1e-4, weight_decay 1e-5)", async (t) => {
    const reference = new LibmtlImtlScale(3);
    const expected = present(allPresent).map((losses) => reference.step(losses));
    const exact = maxDifference(
      await replay(["--strategy", "imtl-l", "--lr", "1e-4", "--weight-decay", "1e-5"], allPresent),
      expected,
    );
    const noDecay = maxDifference(await replay(["--strategy", "imtl-l", "--lr", "1e-4"], allPresent), expected);
    t.diagnostic(`max |dw|: weight decay 1e-5 ${exact}, 0 ${noDecay}`);
    assert.ok(exact <= AGREE, `exact flags differ by ${exact}`);
    assert.ok(noDecay > 1e-9);
  });

  it("gls = the gradient LibMTL's GLS applies (∝ 1/L), not the weights it returns and logs (∝ L)", async (t) => {
    const got = await replay(["--strategy", "gls"], allPresent);
    const reference = present(allPresent).map((losses) => libmtlGls(losses));
    const difference = maxDifference(
      got,
      reference.map((r) => r.weights),
    );
    t.diagnostic(`max |dw| ${difference}`);
    assert.ok(difference <= AGREE, `differs by ${difference}`);
    // The logged weights rank the tasks the other way round: the largest loss gets the largest
    // logged weight and the smallest applied one.
    const first = reference[0]!;
    const losses = present(allPresent)[0]!;
    const largest = losses.indexOf(Math.max(...losses));
    assert.equal(first.returned.indexOf(Math.max(...first.returned)), largest);
    assert.equal(got[0]!.indexOf(Math.min(...got[0]!)), largest);
  });

  it("equal = LibMTL's EW (1 per task), on the simplex", async (t) => {
    const difference = maxDifference(
      await replay(["--strategy", "equal"], allPresent),
      present(allPresent).map(libmtlEw),
    );
    t.diagnostic(`max |dw| ${difference}`);
    assert.ok(difference <= AGREE, `differs by ${difference}`);
  });

  it("dwa --temperature 2 --epoch-length N = LibMTL's DWA (T 2) with N batches per epoch", async (t) => {
    const epochLength = 40;
    // Tasks falling at different paces, so that the epoch-mean ratios (and DWA's weights) differ.
    const sequence = lossSequence({
      seed: 12,
      steps: epochLength * 12,
      start: [2.5, 0.6, 0.09],
      end: [0.2, 0.5, 0.01],
      noise: 0.25,
    });
    const reference = new LibmtlDwa(3, 2);
    const expected = present(sequence).map((losses, i) => {
      const w = reference.step(losses);
      if ((i + 1) % epochLength === 0) reference.endEpoch();
      return w;
    });
    const got = await replay(
      ["--strategy", "dwa", "--temperature", "2", "--epoch-length", String(epochLength)],
      sequence,
    );
    const difference = maxDifference(got, expected);
    t.diagnostic(`max |dw| ${difference}`);
    assert.ok(difference <= AGREE, `differs by ${difference}`);
    assert.ok(Math.abs(got.at(-1)![1]! - 1 / 3) > 1e-2, "the sequence moves DWA off uniform");
  });
});

describe("reference replay: FAMO (the authors' famo.py, and LibMTL's FAMO.py)", () => {
  // replay observes line t+1's losses before weighing it: the reference's update(curr_loss)
  // gets the next line's losses, exactly what `observeOnNextStep` documents.
  const famoReference = (gamma: number): number[][] => {
    const reference = new ReferenceFamo(3, gamma);
    return present(allPresent).map((losses, i) => {
      if (i > 0) reference.update(losses);
      return reference.weights(losses);
    });
  };

  it("famo (defaults) = famo.py's defaults (w_lr 0.025, gamma 0.01)", async (t) => {
    const difference = maxDifference(await replay(["--strategy", "famo"], allPresent), famoReference(0.01));
    t.diagnostic(`max |dw| ${difference}`);
    assert.ok(difference <= AGREE, `differs by ${difference}`);
  });

  it("famo --gamma 1e-3 = LibMTL's FAMO defaults (FAMO_w_lr 0.025, FAMO_w_gamma 1e-3)", async (t) => {
    const expected = famoReference(1e-3);
    const difference = maxDifference(await replay(["--strategy", "famo", "--gamma", "1e-3"], allPresent), expected);
    const wrongGamma = maxDifference(await replay(["--strategy", "famo"], allPresent), expected);
    t.diagnostic(`max |dw| ${difference} (gamma 0.01 against it: ${wrongGamma})`);
    assert.ok(difference <= AGREE, `differs by ${difference}`);
    assert.ok(wrongGamma > 1e-9);
  });
});

describe("reference replay: SI (scaleinvls of the Nash-MTL / FAMO methods/weight_methods.py)", () => {
  it("si = the coefficients autograd puts on each loss under sum(log L)", async (t) => {
    const expected = present(allPresent).map((losses) => scaleInvariantCoefficients(losses).weights);
    const difference = maxDifference(await replay(["--strategy", "si"], allPresent), expected);
    t.diagnostic(`max |dw| ${difference}`);
    assert.ok(difference <= AGREE, `differs by ${difference}`);
  });
});

describe("reference replay: Art official preset (the authors' Rebalance_L1 and model update)", () => {
  // Realistic L1 losses of the three released tasks (dehaze, derain, snow), each absent from
  // 30% of the batches.
  const sequence = lossSequence({
    seed: 5,
    steps: 3000,
    start: [0.08, 0.06, 0.09],
    end: [0.03, 0.02, 0.035],
    noise: 0.3,
    absent: 0.3,
  });
  const reference = (snowEmaFixed: boolean): number[][] => {
    const released = new ReleasedRebalance(0.1, 0.01, snowEmaFixed);
    return sequence.map((losses) => released.step(losses));
  };

  it("--preset official --released-ema-bug = the code as released (snow's EMA never updated)", async (t) => {
    const expected = reference(false);
    const difference = maxDifference(await replay(["--preset", "official", "--released-ema-bug"], sequence), expected);
    const asIntended = maxDifference(await replay(["--preset", "official"], sequence), expected);
    t.diagnostic(
      `max |dw| ${difference}; the official preset (intended update) against the released code: ${asIntended}`,
    );
    assert.ok(difference <= AGREE, `differs by ${difference}`);
    assert.ok(asIntended > 0.5, `the bug changes the weights a lot (max ${asIntended})`);
  });

  it("--preset official = the released code with its snow branch fixed (the intended update)", async (t) => {
    const difference = maxDifference(await replay(["--preset", "official"], sequence), reference(true));
    t.diagnostic(`max |dw| ${difference}`);
    assert.ok(difference <= AGREE, `differs by ${difference}`);
  });
});
