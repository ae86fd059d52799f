import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { REPLAY_STRATEGY_FLAG_SPEC, resolveReplayStrategy } from "../../src/cli/commands/replay-strategies.js";
import { replayCommand, replayLines } from "../../src/cli/commands/replay.js";
import { isEpochAware, isTwoPhase, unwrap, type ConfigError, type Weighting } from "../../src/core/index.js";
import {
  createWeighting,
  STRATEGIES,
  STRATEGY_NAMES,
  strategyFromFlags,
  type DwaState,
  type StrategyName,
} from "../../src/strategies/index.js";
import { expectedInvalidConfig } from "../support/codec-lines.js";

async function* linesOf(text: string) {
  for (const line of text.split("\n")) yield line;
}

const replay = async (weighting: ReturnType<typeof resolveReplayStrategy>, input: string) => {
  let out = "";
  let err = "";
  const code = await replayLines(linesOf(input), weighting, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return {
    code,
    out: out
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { step: number; weights: number[] }),
    err,
  };
};

/**
 * The registry (createWeighting, strategyFromFlags) and the replay resolver. The exact results
 * further down are pinned by expected values written here by hand.
 */

const KNOWN = "art, art-official, equal, dwa, rlw, gls, uw, imtl-l, famo, si";

const configError = (errors: string[]) => E.left(expectedInvalidConfig(errors));

/** The `config` of the state a registry-built weighting starts from. */
const initialConfig = (
  w: E.Either<unknown, { init: (numTasks: number) => E.Either<{ message: string }, unknown> }>,
  numTasks: number,
): unknown => {
  assert.ok(E.isRight(w), JSON.stringify(w));
  return (unwrap(w.right.init(numTasks)) as { config: unknown }).config;
};

describe("registry", () => {
  it("createWeighting is typed by the strategy's name (checked by tsc: a wrong state type does not compile)", () => {
    const typed: E.Either<ConfigError, Weighting<DwaState>> = createWeighting("dwa", { temperature: 2 });
    const someName = "si" as StrategyName;
    const widened: E.Either<ConfigError, Weighting<unknown>> = createWeighting(someName);
    const named: E.Either<ConfigError, Weighting<unknown>> = createWeighting(String("famo"));
    assert.ok(E.isRight(typed) && E.isRight(widened) && E.isRight(named));
    // @ts-expect-error: a DWA weighting's state is not FAMO's
    const wrong: E.Either<ConfigError, Weighting<{ kind: "famo" }>> = createWeighting("dwa");
    assert.ok(E.isRight(wrong));
  });

  it("covers every built-in strategy, each creatable with default options", () => {
    assert.deepEqual(STRATEGY_NAMES, [
      "art",
      "art-official",
      "equal",
      "dwa",
      "rlw",
      "gls",
      "uw",
      "imtl-l",
      "famo",
      "si",
    ]);
    for (const name of STRATEGY_NAMES) {
      const w = unwrap(createWeighting(name, {}));
      assert.ok(E.isRight(w.init(3)), name);
      assert.ok(STRATEGIES[name].description.length > 0);
    }
    assert.equal(unwrap(createWeighting("art-official", {})).init(2)._tag, "Right");
  });
  it("checks options eagerly and rejects unknown names", () => {
    const typo = createWeighting("dwa", { temprature: 2 });
    assert.ok(E.isLeft(typo) && /temprature: unknown key/.test(typo.left.message));
    const unknown = createWeighting("gradnorm", {});
    assert.ok(E.isLeft(unknown) && /unknown strategy "gradnorm"/.test(unknown.left.message));
  });
  it("refuses keys the codec knows but the strategy fixes itself, naming key and value", () => {
    const preset = createWeighting("art-official", { preset: "paper" });
    assert.ok(E.isLeft(preset) && preset.left._tag === "InvalidConfig");
    assert.match(preset.left.message, /preset: not an option of strategy art-official .*\(got "paper"\)/);
    for (const name of ["art", "art-official"]) {
      const count = createWeighting(name, { numTasks: 5 });
      assert.ok(E.isLeft(count) && count.left._tag === "InvalidConfig", name);
      assert.match(count.left.message, /numTasks: not an option of strategy .*\(got 5\)/);
    }
    assert.ok(E.isRight(createWeighting("art", { preset: "official", tau: 0.5 })));
  });
  it("strategyFromFlags maps string flags and names the flag on error", () => {
    const r = unwrap(strategyFromFlags("rlw", { seed: "3" }));
    assert.equal((unwrap(r.init(2)) as { config: { seed: number } }).config.seed, 3);
    const famo = unwrap(strategyFromFlags("famo", { gamma: "0.001", "min-losses": "0,0.1" }));
    assert.deepEqual((unwrap(famo.init(2)) as { config: { minLosses: number[] } }).config.minLosses, [0, 0.1]);
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ["rlw", { seed: "x" }, /--seed: expected a number \(got "x"\)/],
      ["rlw", { seed: "-2" }, /--seed: expected NonNegativeInt/],
      ["dwa", { temperature: "0" }, /--temperature: expected PositiveFinite/],
      ["dwa", { tau: "2" }, /--tau: not an option of strategy dwa \(its flags: --temperature\)/],
      ["si", { seed: "1" }, /--seed: not an option of strategy si \(it takes no flags\)/],
      ["famo", { "min-losses": "0,a" }, /--min-losses: expected comma-separated numbers/],
      ["art", { lcr: "fast" }, /--lcr: /],
    ];
    for (const [name, flags, message] of cases) {
      const got = strategyFromFlags(name, flags);
      assert.ok(E.isLeft(got), `${name} ${JSON.stringify(flags)}`);
      assert.match(got.left.message, message);
    }
  });
});

describe("createWeighting: exact errors", () => {
  it("an unknown name lists every known strategy, comma-separated", () => {
    assert.deepEqual(createWeighting("nope"), configError([`strategy: unknown strategy "nope" (known: ${KNOWN})`]));
  });

  it("options that are not an object are a decode error (null does not throw)", () => {
    assert.deepEqual(createWeighting("dwa", null), configError(["(root): expected DwaOptions (got null)"]));
    assert.deepEqual(createWeighting("dwa", 5), configError(["(root): expected DwaOptions (got 5)"]));
  });

  it("a function is not an options object, even one carrying a refused key", () => {
    const fn = Object.assign(() => 0, { numTasks: 5 });
    assert.deepEqual(createWeighting("art", fn), configError(["(root): expected ArtOptions (got ()=>0)"]));
  });
});

describe("strategyFromFlags: exact results", () => {
  it("an unknown name lists every known strategy, comma-separated", () => {
    assert.deepEqual(
      strategyFromFlags("nope", {}),
      configError([`--strategy: unknown strategy "nope" (known: ${KNOWN})`]),
    );
  });

  it("a flag of another strategy lists this strategy's flags, comma-separated", () => {
    assert.deepEqual(
      strategyFromFlags("uw", { tau: "1" }),
      configError([
        "--tau: not an option of strategy uw (its flags: --lr, --beta1, --beta2, --epsilon, --weight-decay, --initial-log-variance)",
      ]),
    );
  });

  it("the Adam flags --beta1 and --beta2 set beta1 and beta2 as numbers", () => {
    for (const name of ["uw", "imtl-l", "famo"]) {
      const config = initialConfig(strategyFromFlags(name, { beta1: "0.8", beta2: "0.9" }), 2) as {
        beta1: unknown;
        beta2: unknown;
      };
      assert.equal(config.beta1, 0.8, name);
      assert.equal(config.beta2, 0.9, name);
    }
  });

  it("Art's flags --tau, --rate, --lcr, --gcw and --loss-scale set their options", () => {
    const flags = { tau: "2", rate: "0.5", lcr: "raw", gcw: "none", "loss-scale": "4" };
    assert.deepEqual(initialConfig(strategyFromFlags("art", flags), 2), {
      preset: "paper",
      numTasks: 2,
      tau: 2,
      rate: 0.5,
      lcr: "raw",
      gcw: "none",
      lossScale: 4,
    });
    assert.deepEqual(initialConfig(strategyFromFlags("art-official", flags), 2), {
      preset: "official",
      numTasks: 2,
      tau: 2,
      rate: 0.5,
      lcr: "raw",
      gcw: "none",
      lossScale: 4,
    });
  });

  it('a switch is on when given (true or "true"), off with "false", refused with any other value', () => {
    const official = { preset: "official", numTasks: 3, tau: 0.1, rate: 0.01, lcr: "ema", gcw: "log", lossScale: 1 };
    assert.deepEqual(initialConfig(strategyFromFlags("art-official", { "released-ema-bug": true }), 3), {
      ...official,
      releasedEmaBug: true,
    });
    assert.deepEqual(initialConfig(strategyFromFlags("art-official", { "released-ema-bug": "true" }), 3), {
      ...official,
      releasedEmaBug: true,
    });
    // Off: stored as absent, exactly the official preset's config.
    assert.deepEqual(initialConfig(strategyFromFlags("art-official", { "released-ema-bug": "false" }), 3), official);
    assert.deepEqual(
      strategyFromFlags("art-official", { "released-ema-bug": "yes" }),
      configError(['--released-ema-bug: a switch, expected no value (got "yes")']),
    );
    assert.deepEqual(
      strategyFromFlags("art-official", { "released-ema-bug": "" }),
      configError(['--released-ema-bug: a switch, expected no value (got "")']),
    );
  });

  it("a flag that needs a value, given as a bare switch, is refused", () => {
    assert.deepEqual(strategyFromFlags("rlw", { seed: true }), configError(["--seed: expected a value"]));
  });

  it("a blank number is not 0", () => {
    assert.deepEqual(strategyFromFlags("rlw", { seed: " " }), configError(['--seed: expected a number (got " ")']));
    assert.deepEqual(strategyFromFlags("rlw", { seed: "" }), configError(['--seed: expected a number (got "")']));
    assert.deepEqual(
      strategyFromFlags("famo", { "min-losses": "0, " }),
      configError(['--min-losses: expected comma-separated numbers (got "0, ")']),
    );
  });

  it("flags whose value is undefined are skipped, known or not", () => {
    assert.deepEqual(initialConfig(strategyFromFlags("rlw", { seed: undefined, temperature: undefined }), 2), {
      numTasks: 2,
      seed: 0,
    });
  });

  it("without an ignore list no flag is ignored; names of Object.prototype's members are not flags", () => {
    for (const flag of ["input", "", "constructor", "toString", "__proto__"]) {
      assert.deepEqual(
        strategyFromFlags("si", { [flag]: "1" }),
        configError([`--${flag}: not an option of strategy si (it takes no flags)`]),
        flag,
      );
    }
    assert.deepEqual(initialConfig(strategyFromFlags("rlw", { seed: "3", input: "x.jsonl" }, ["input"]), 2), {
      numTasks: 2,
      seed: 3,
    });
  });
});

describe("replay resolver", () => {
  it("plain strategies replay directly", async () => {
    const { code, out } = await replay(resolveReplayStrategy("si", {}), '{"losses":[1,3]}\n{"losses":[2,null]}\n');
    assert.equal(code, 0);
    assert.deepEqual(out, [
      { step: 1, weights: [0.75, 0.25] },
      { step: 2, weights: [1, 0] },
    ]);
  });
  it("ignores replay's own flags and rejects other strategies' flags", () => {
    assert.doesNotThrow(() =>
      resolveReplayStrategy("rlw", { seed: "1", input: "x.jsonl", diagnostics: true, strategy: "rlw" }),
    );
    assert.throws(() => resolveReplayStrategy("rlw", { tau: "2" }), /--tau: not an option of strategy rlw/);
    assert.throws(
      () => resolveReplayStrategy("si", { "epoch-length": "3" }),
      /--epoch-length: strategy si has no epochs/,
    );
  });
  it("famo: observes each line with the next line's losses", async () => {
    const w = resolveReplayStrategy("famo", {});
    assert.ok(!isTwoPhase(w));
    const { code, out } = await replay(w, '{"losses":[1,2]}\n{"losses":[0.5,1.9]}\n{"losses":[0.4,1.8]}\n');
    assert.equal(code, 0);
    assert.equal(out.length, 3);
    // Task 0 improved faster on the first update, so it is weighted less than plain 1/L would.
    const plain = [1 / 0.5, 1 / 1.9];
    assert.ok((out[1]?.weights[0] as number) < plain[0]! / (plain[0]! + plain[1]!));
  });
  it("dwa needs --epoch-length and closes an epoch every N lines", async () => {
    assert.throws(() => resolveReplayStrategy("dwa", {}), /--epoch-length: required for strategy dwa/);
    assert.throws(
      () => resolveReplayStrategy("dwa", { "epoch-length": "0" }),
      /--epoch-length: expected an integer >= 1/,
    );
    const w = resolveReplayStrategy("dwa", { "epoch-length": "1", temperature: "1" });
    assert.ok(!isEpochAware(w));
    const { out } = await replay(w, '{"losses":[1,1]}\n{"losses":[0.5,1]}\n{"losses":[0.5,1]}\n');
    const e = [Math.exp(0.5), Math.exp(1)];
    assert.deepEqual(out[0]?.weights, [0.5, 0.5]);
    assert.deepEqual(out[1]?.weights, [0.5, 0.5]);
    assert.ok(Math.abs((out[2]?.weights[0] as number) - e[0]! / (e[0]! + e[1]!)) < 1e-15);
  });
  it("plugs into replayCommand (--strategy with a flag-less strategy)", async () => {
    let out = "";
    const io = {
      stdout: (t: string) => (out += t),
      stderr: () => undefined,
      stdin: Readable.from(['{"losses":[1,3]}\n']),
    };
    assert.equal(await replayCommand(["--strategy", "gls"], io), 0);
    assert.deepEqual(JSON.parse(out.trim()), { step: 1, weights: [0.75, 0.25] });
  });
  it("exports a parseArgs spec of every strategy flag", () => {
    for (const flag of ["seed", "temperature", "gamma", "min-losses", "initial-log-variance", "epoch-length", "tau"]) {
      assert.deepEqual(REPLAY_STRATEGY_FLAG_SPEC[flag], { type: "string" }, flag);
    }
  });
  it("an unknown strategy is a usage error", () => {
    assert.throws(() => resolveReplayStrategy("nope", {}), {
      name: "UsageError",
      message: /--strategy: unknown strategy "nope"/,
    });
  });
});
