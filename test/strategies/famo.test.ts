import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { unwrap } from "../../src/core/index.js";
import { famo, famoCoefficients, type FamoOptions } from "../../src/strategies/index.js";
import { assertAllClose } from "../support/all-close.js";
import { codecLines, expectedInvalidConfig } from "../support/codec-lines.js";

/**
 * FAMO's and the shared Adam moments' edges, each pinned by an exact value written here by
 * hand: the options' bounds and their error lines, the state codec's lines (paths, lengths,
 * the pending-loss domain at its boundary), the domain check of `step` at D = 0, the step's
 * diagnostics with an absent task, `famoCoefficients` itself, and the coefficient arithmetic
 * (the plain formula bit for bit, the rescaled one only on overflow, the 5e-324 floor).
 */

const configError = expectedInvalidConfig;

/** The first step's state of `famo(options)` over `losses`, as JSON (what a checkpoint holds). */
const checkpoint = (options: FamoOptions, losses: Array<number | null>): Record<string, unknown> => {
  const w = famo(options);
  const state = unwrap(w.step(unwrap(w.init(losses.length)), losses)).state;
  return JSON.parse(JSON.stringify(w.stateCodec.encode(state))) as Record<string, unknown>;
};

/** FAMO's state codec's lines for `json` ([] when accepted). */
const decodeLines = (json: unknown): string[] => codecLines(famo().stateCodec, json);

describe("famo options: bounds and exact error lines", () => {
  it("betas must lie in [0, 1); gamma and logEpsilon must be >= 0", () => {
    assert.deepEqual(
      famo({ beta1: 1, beta2: -0.5, gamma: -1, logEpsilon: -1 }).init(2),
      E.left(
        configError([
          "gamma: expected number >= 0 (got -1)",
          "beta1: expected number in [0, 1) (got 1)",
          "beta2: expected number in [0, 1) (got -0.5)",
          "logEpsilon: expected number >= 0 (got -1)",
        ]),
      ),
    );
    assert.deepEqual(famo({ beta2: 1 }).init(2), E.left(configError(["beta2: expected number in [0, 1) (got 1)"])));
    assert.deepEqual(
      famo({ beta1: -0.1 }).init(2),
      E.left(configError(["beta1: expected number in [0, 1) (got -0.1)"])),
    );
  });

  it("the closed ends are accepted: betas 0, gamma 0, logEpsilon 0", () => {
    const config = unwrap(famo({ beta1: 0, beta2: 0, gamma: 0, logEpsilon: 0 }).init(2)).config;
    assert.deepEqual([config.beta1, config.beta2, config.gamma, config.logEpsilon], [0, 0, 0, 0]);
  });

  it("options that are not an object name the codec FamoOptions", () => {
    assert.deepEqual(famo(5 as never).init(2), E.left(configError(["(root): expected FamoOptions (got 5)"])));
  });

  it("minLosses must have one entry per task", () => {
    assert.deepEqual(
      famo({ minLosses: [0] }).init(2),
      E.left(configError(["minLosses: expected 2 entries, one per task (got 1)"])),
    );
  });
});

describe("famo state codec: exact lines", () => {
  const good = () => checkpoint({}, [1, 0.5, 0.25]);

  it("a config or a moment of the wrong shape is named by its codec (FamoConfig, AdamMoments)", () => {
    assert.deepEqual(decodeLines({ ...good(), config: null }), ["config: expected FamoConfig (got null)"]);
    const json = good();
    (json.moments as unknown[])[1] = null;
    assert.deepEqual(decodeLines(json), ["moments.1: expected AdamMoments (got null)"]);
  });

  it("a negative second moment is refused, naming moments.<i>.v", () => {
    const json = good();
    (json.moments as Array<Record<string, number>>)[1] = { m: 0.5, v: -1, t: 3 };
    assert.deepEqual(decodeLines(json), ["moments.1.v: expected a number >= 0 (got -1)"]);
  });

  it("each per-task vector must have numTasks entries, named by its path", () => {
    const cut = (key: string) => {
      const json = good();
      if (key === "config.minLosses") {
        const config = json.config as Record<string, unknown>;
        json.config = { ...config, minLosses: (config.minLosses as number[]).slice(0, 2) };
      } else {
        json[key] = (json[key] as unknown[]).slice(0, 2);
      }
      return json;
    };
    // pending (non-null, 3 entries) is not checked against a minLosses of the wrong length.
    assert.deepEqual(decodeLines(cut("config.minLosses")), ["config.minLosses: expected 3 entries (got 2)"]);
    assert.deepEqual(decodeLines(cut("logits")), ["logits: expected 3 entries (got 2)"]);
    assert.deepEqual(decodeLines(cut("moments")), ["moments: expected 3 entries (got 2)"]);
    assert.deepEqual(decodeLines(cut("pending")), ["pending: expected 3 entries (got 2)"]);
    // Too long: one line for the length, none for the extra entry (which has no minLoss).
    assert.deepEqual(decodeLines({ ...good(), pending: [1, 0.5, 0.25, 1] }), ["pending: expected 3 entries (got 4)"]);
  });

  it("the pending-loss domain: D = 0 is refused, an absent loss and logEpsilon's margin are accepted", () => {
    // D = 0.5 - 0.5 + 0 = 0 exactly.
    const atBound = checkpoint({ minLosses: [0, 0, 0], logEpsilon: 0 }, [1, 1, 1]);
    const config = atBound.config as Record<string, unknown>;
    assert.deepEqual(decodeLines({ ...atBound, config: { ...config, minLosses: [0.5, 0, 0] }, pending: [0.5, 1, 1] }), [
      "pending.0: expected loss - minLosses.0 + logEpsilon > 0 (got 0.5; minLoss 0.5, logEpsilon 0)",
    ]);
    // A null pending loss is not checked against its bound (null - 0.5 + 1e-8 would be < 0).
    const absent = checkpoint({ minLosses: [0.5, 0, 0] }, [null, 1, 1]);
    assert.deepEqual(decodeLines(absent), []);
    // 0.25 - 0.5 + 0.5 = 0.25 > 0: inside the domain only thanks to logEpsilon.
    const margin = checkpoint({ minLosses: [0.5, 0, 0], logEpsilon: 0.5 }, [0.25, 1, 1]);
    assert.deepEqual(margin.pending, [0.25, 1, 1]);
    assert.deepEqual(decodeLines(margin), []);
  });
});

describe("famo step and observe: exact results", () => {
  it("a loss with D = L - b + logEpsilon = 0 is out of the domain", () => {
    const w = famo({ minLosses: [0, 0.5], logEpsilon: 0 });
    assert.deepEqual(
      w.step(unwrap(w.init(2)), [1, 0.5]),
      E.left({
        _tag: "InvalidLoss",
        taskIndex: 1,
        value: 0.5,
        reason: "out-of-domain",
        message: "task 1: invalid loss 0.5: FAMO needs loss - minLoss + logEpsilon > 0 (minLoss = 0.5)",
      }),
    );
  });

  it("observe without a pending step: the exact InvalidState", () => {
    const w = famo();
    assert.deepEqual(
      w.observe(unwrap(w.init(2)), [1, 1]),
      E.left({
        _tag: "InvalidState",
        errors: ["pending: observe needs a step before it (no losses are pending)"],
        message: "invalid state:\n  pending: observe needs a step before it (no losses are pending)",
      }),
    );
  });

  it("diagnostics: z is the softmax over the present tasks, null for an absent one", () => {
    const w = famo();
    const r = unwrap(w.step(unwrap(w.init(3)), [1, null, 1]));
    assert.deepEqual(r.diagnostics, { z: [0.5, null, 0.5] });
    assert.deepEqual(r.weights, [0.5, 0, 0.5]);
  });

  it("normal losses use the plain formula bit for bit: D = [0.1, 0.3] gives exactly [0.75, 0.25]", () => {
    // (0.5 / 0.1) / (0.5 / 0.1 + 0.5 / 0.3) = 0.75 in float64; dividing every D by 0.1 first
    // (the overflow path) would give 0.7499999999999999.
    const w = famo({ logEpsilon: 0 });
    assert.deepEqual(unwrap(w.step(unwrap(w.init(2)), [0.1, 0.3])).weights, [0.75, 0.25]);
    assert.deepEqual(unwrap(w.step(unwrap(w.init(2)), [0.1, 0.9])).weights, [0.9, 0.1]);
  });

  it("overflow with an absent task: D is divided by the smallest present D (the absent one is skipped)", () => {
    // z / D = [0.5 / 5e-324 = Infinity, -, 0.5]: divided by 5e-324, D = [1, -, Infinity], so
    // the ratios are [0.5, 0, 0] and task 2 keeps the 5e-324 floor.
    const w = famo({ logEpsilon: 0 });
    assert.deepEqual(unwrap(w.step(unwrap(w.init(3)), [5e-324, null, 1])).weights, [1, 0, 5e-324]);
  });

  it("a coefficient that underflows relative to a huge sum is floored at 5e-324", () => {
    // z / D = [0.5e300, 0.5e-30]: alpha_1 = 1e-330 rounds to 0, floored; alpha_0 = 1.
    const w = famo({ logEpsilon: 0 });
    assert.deepEqual(unwrap(w.step(unwrap(w.init(2)), [1e-300, 1e30])).weights, [1, 5e-324]);
  });
});

describe("famoCoefficients", () => {
  it("alpha = (z / D) / sum(z / D), z the softmax of the logits", () => {
    assert.deepEqual(famoCoefficients([0, 0], [0.1, 0.3], [0, 0], 0), [0.75, 0.25]);
    // z = softmax([ln 3, 0]) = [0.75, 0.25], D = [3, 1]: z / D = [0.25, 0.25].
    assertAllClose(famoCoefficients([Math.log(3), 0], [3.5, 1], [0.5, 0], 0), [0.5, 0.5], { rtol: 1e-15 });
  });

  it("an absent task's logit is left out of the softmax", () => {
    // Over the present tasks z = [0.5, -, 0.5]; were logit 1000 included, z would be [0, 1, 0].
    assertAllClose(famoCoefficients([0, 1000, 0], [1, null, 3], [0, 0, 0], 0), [0.75, 0, 0.25], { rtol: 1e-15 });
  });
});
