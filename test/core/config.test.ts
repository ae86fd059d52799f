import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { ArtOptions, formatDecodeErrors, initArt, resolveArtConfig, showValue } from "../../src/core/index.js";

const errorLines = (options: unknown): string[] => {
  const result = resolveArtConfig(options);
  assert.ok(E.isLeft(result), `expected ${JSON.stringify(options)} to be rejected`);
  return [...result.left.errors];
};

describe("ArtConfig", () => {
  it("fills defaults from the paper preset", () => {
    const config = resolveArtConfig({ numTasks: 7 });
    assert.deepEqual(
      config,
      E.right({ preset: "paper", numTasks: 7, tau: 3, rate: 0.01, lcr: "ema", gcw: "log", lossScale: 1 }),
    );
  });

  it("fills defaults from the official preset, and flags override the preset", () => {
    const config = resolveArtConfig({ preset: "official", numTasks: 2, gcw: "raw" });
    assert.ok(E.isRight(config));
    assert.equal(config.right.tau, 0.1);
    assert.equal(config.right.gcw, "raw");
  });

  it("takes K from taskNames", () => {
    const config = resolveArtConfig({ taskNames: ["noise", "blur"] });
    assert.ok(E.isRight(config) && config.right.numTasks === 2);
  });

  it("names the field and the bad value, printing NaN and Infinity as such", () => {
    assert.deepEqual(errorLines({ numTasks: 3, tau: NaN }), ["tau: expected PositiveFinite (got NaN)"]);
    assert.deepEqual(errorLines({ numTasks: 3, tau: Infinity }), ["tau: expected PositiveFinite (got Infinity)"]);
    assert.deepEqual(errorLines({ numTasks: 3, tau: -1 }), ["tau: expected PositiveFinite (got -1)"]);
    assert.deepEqual(errorLines({ numTasks: 3, rate: 0 }), ["rate: expected UnitRate (got 0)"]);
    assert.deepEqual(errorLines({ numTasks: 3, rate: 1.5 }), ["rate: expected UnitRate (got 1.5)"]);
    assert.deepEqual(errorLines({ numTasks: 0 }), ["numTasks: expected Count (got 0)"]);
    assert.deepEqual(errorLines({ numTasks: 2.5 }), ["numTasks: expected Count (got 2.5)"]);
    assert.deepEqual(errorLines({ numTasks: 3, lcr: "smooth" }), ['lcr: expected one of none|raw|ema (got "smooth")']);
    assert.deepEqual(errorLines({ taskNames: ["a", "a"] }), ['taskNames: expected TaskNames (got ["a","a"])']);
    assert.deepEqual(errorLines({ taskNames: ["a", ""] }), ['taskNames: expected TaskNames (got ["a",""])']);
  });

  it("rejects unknown keys instead of ignoring a typo", () => {
    const [line] = errorLines({ numTasks: 3, tua: 2 });
    assert.match(line!, /^tua: unknown key .* \(got 2\)$/);
  });

  it("requires K, and K consistent with taskNames", () => {
    assert.deepEqual(errorLines({}), ["numTasks: required when taskNames is not given (got undefined)"]);
    assert.deepEqual(errorLines({ numTasks: 3, taskNames: ["a", "b"] }), [
      "taskNames: expected 3 names to match numTasks (got 2)",
    ]);
  });

  it("the options codec is usable on its own and init reports through the same lines", () => {
    const decoded = ArtOptions.decode({ gcw: "log", lossScale: 0 });
    assert.ok(E.isLeft(decoded));
    assert.deepEqual(formatDecodeErrors(decoded.left), ["lossScale: expected PositiveFinite (got 0)"]);
    const init = initArt({ numTasks: 1, tau: 0 });
    assert.ok(E.isLeft(init) && init.left._tag === "InvalidConfig" && init.left.message.includes("tau"));
  });

  it("showValue prints what JSON cannot", () => {
    assert.equal(showValue(NaN), "NaN");
    assert.equal(showValue(-Infinity), "-Infinity");
    assert.equal(showValue(undefined), "undefined");
    assert.equal(showValue("x"), '"x"');
  });
});
