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
