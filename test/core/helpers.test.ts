import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";
import * as t from "io-ts";

import {
  art,
  ArtConfig,
  artOfficial,
  ArtOptions,
  ArtPreset,
  ArtStateCodec,
  ArtTaskState,
  checkLossEntry,
  checkLosses,
  formatDecodeErrors,
  GcwMode,
  inArtDomain,
  initArt,
  invalidConfig,
  invalidLoss,
  invalidState,
  isEpochAware,
  isTwoPhase,
  LcrMode,
  NonNegativeInt,
  noPresentTask,
  presentTasks,
  reduceTaskLosses,
  resolveArtConfig,
  Rng,
  showValue,
  stepArt,
  TaskNames,
  unwrap,
  wrongLength,
  type AnyWeighting,
} from "../../src/core/index.js";
import { ReferenceXoshiro128 } from "./reference/xoshiro128.js";

// The core's shared helpers (loss checks, errors, codecs, the generator, the shard reduction,
// the Art factories), each against hand-written expected values or an independent reference;
// written after mutation testing showed them exercised only indirectly (docs/testing.md).

const lines = (result: E.Either<unknown, unknown>): string[] => {
  assert.ok(E.isLeft(result), "expected Left");
  const left = result.left as { errors?: string[] } | Parameters<typeof formatDecodeErrors>[0];
  return Array.isArray(left) ? formatDecodeErrors(left) : ((left as { errors: string[] }).errors ?? []);
};

describe("checkLosses and checkLossEntry", () => {
  it("accept a usable vector, reject each kind of bad entry naming the task, the value and the reason", () => {
    assert.equal(checkLosses([0.5, null, 2], 3), null);
    assert.deepEqual(checkLosses([0.5, null], 3), {
      _tag: "WrongLength",
      expected: 3,
      got: 2,
      message: "expected 3 task losses, got 2",
    });
    assert.deepEqual(checkLosses("0.5" as never, 1), {
      _tag: "WrongLength",
      expected: 1,
      got: Number.NaN,
      message: "expected 1 task losses, got NaN",
    });
    assert.deepEqual(checkLosses([null, null], 2), noPresentTask());
    const cases: Array<[unknown, string, string]> = [
      [Number.NaN, "nan", "task 1: invalid loss NaN: a loss must not be NaN"],
      [Infinity, "infinite", "task 1: invalid loss Infinity: a loss must be finite"],
      [-Infinity, "infinite", "task 1: invalid loss -Infinity: a loss must be finite"],
      [-0.5, "negative", "task 1: invalid loss -0.5: a loss must be > 0"],
      [0, "zero", "task 1: invalid loss 0: a loss must be > 0"],
      ["0.5", "not-a-number", 'task 1: invalid loss "0.5": a loss must be a number or null (absent)'],
    ];
    for (const [value, reason, message] of cases) {
      const problem = checkLosses([1, value as number, null], 3);
      assert.deepEqual(problem, { _tag: "InvalidLoss", taskIndex: 1, value, reason, message }, String(value));
      assert.deepEqual(checkLossEntry(1, value), problem);
    }
    // The first bad entry is reported, even after a null.
    assert.equal((checkLosses([null, 1, -1, Number.NaN], 4) as { taskIndex: number }).taskIndex, 2);
    assert.equal(checkLossEntry(0, 5e-324), null);
    assert.equal(checkLossEntry(0, Number.MAX_VALUE), null);
  });

  it("name the task when names are given, and check a rule's domain", () => {
    assert.deepEqual(checkLosses([1, 0], 2, ["noise", "blur"]), {
      _tag: "InvalidLoss",
      taskIndex: 1,
      taskName: "blur",
      value: 0,
      reason: "zero",
      message: "task 1 (blur): invalid loss 0: a loss must be > 0",
    });
    const below1 = { accepts: (loss: number) => loss < 1, description: "needs loss < 1" };
    assert.equal(checkLosses([0.5, null], 2, undefined, below1), null);
    assert.deepEqual(checkLosses([0.5, 2], 2, ["a", "b"], below1), {
      _tag: "InvalidLoss",
      taskIndex: 1,
      taskName: "b",
      value: 2,
      reason: "out-of-domain",
      message: "task 1 (b): invalid loss 2: needs loss < 1",
    });
    assert.equal(
      (checkLosses([2, null], 2, undefined, below1) as { message: string }).message,
      "task 0: invalid loss 2: needs loss < 1",
    );
    // A domain never sees an absent task, and a vector with only absent tasks is still NoPresentTask.
    assert.deepEqual(checkLosses([null, null], 2, undefined, below1), noPresentTask());
  });

  it("presentTasks lists the present indices", () => {
    assert.deepEqual(presentTasks([null, 1, null, 3]), [1, 3]);
    assert.deepEqual(presentTasks([null, null]), []);
    assert.deepEqual(presentTasks([]), []);
  });
});

describe("errors", () => {
  it("showValue prints numbers as a person reads them and anything else as JSON", () => {
    assert.equal(showValue(Number.NaN), "NaN");
    assert.equal(showValue(Infinity), "Infinity");
    assert.equal(showValue(-Infinity), "-Infinity");
    assert.equal(showValue(-0.25), "-0.25");
    assert.equal(showValue(undefined), "undefined");
    assert.equal(showValue(12n), "12n");
    assert.equal(showValue("x"), '"x"');
    assert.equal(showValue(null), "null");
    assert.equal(showValue({ a: [1, null] }), '{"a":[1,null]}');
    assert.equal(showValue(Symbol("s")), "Symbol(s)"); // JSON.stringify gives undefined: String()
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.equal(showValue(circular), "[object Object]");
  });

  it("the builders' messages", () => {
    assert.deepEqual(invalidLoss(2, 3, "out-of-domain"), {
      _tag: "InvalidLoss",
      taskIndex: 2,
      value: 3,
      reason: "out-of-domain",
      message: "task 2: invalid loss 3: outside the domain of the rule",
    });
    assert.equal(
      invalidLoss(0, -1, "negative", "rain", "custom detail").message,
      "task 0 (rain): invalid loss -1: custom detail",
    );
    assert.ok(!("taskName" in invalidLoss(0, 1, "zero")));
    assert.deepEqual(wrongLength(2, 5), {
      _tag: "WrongLength",
      expected: 2,
      got: 5,
      message: "expected 2 task losses, got 5",
    });
    assert.deepEqual(noPresentTask(), {
      _tag: "NoPresentTask",
      message: "no task is present in this step (every loss is null); at least one is required",
    });
    assert.deepEqual(invalidConfig(["a: x", "b: y"]), {
      _tag: "InvalidConfig",
      errors: ["a: x", "b: y"],
      message: "invalid config:\n  a: x\n  b: y",
    });
    assert.deepEqual(invalidState(["c: z", "d: w"]), {
      _tag: "InvalidState",
      errors: ["c: z", "d: w"],
      message: "invalid state:\n  c: z\n  d: w",
    });
  });

  it("unwrap returns Right's value and throws Left's message", () => {
    assert.equal(unwrap(E.right(3)), 3);
    assert.throws(
      () => unwrap(E.left({ message: "it broke" })),
      (error: unknown) => error instanceof Error && error.message === "it broke",
    );
  });
});

describe("codecs and their messages", () => {
  it("NonNegativeInt and TaskNames", () => {
    assert.ok(NonNegativeInt.is(0) && NonNegativeInt.is(7));
    assert.ok(!NonNegativeInt.is(-1) && !NonNegativeInt.is(1.5) && !NonNegativeInt.is(2 ** 53));
    assert.deepEqual(lines(NonNegativeInt.decode(-1)), ["(root): expected NonNegativeInt (got -1)"]);
    assert.ok(TaskNames.is(["a"]) && !TaskNames.is([]) && !TaskNames.is(["a", "a"]) && !TaskNames.is([""]));
    assert.deepEqual(lines(resolveArtConfig({ numTasks: 1, taskNames: [] })), [
      "taskNames: expected TaskNames (got [])",
    ]);
  });

  it("exported codecs carry their names (io-ts reporters print them)", () => {
    assert.deepEqual(
      [ArtConfig, ArtOptions, ArtPreset, ArtStateCodec, ArtTaskState, GcwMode, LcrMode, NonNegativeInt, TaskNames].map(
        (codec) => codec.name,
      ),
      [
        "ArtConfig",
        "ArtOptions",
        "ArtPreset",
        "ArtState",
        "ArtTaskState",
        "GcwMode",
        "LcrMode",
        "NonNegativeInt",
        "TaskNames",
      ],
    );
  });

  it("strictPartial (ArtOptions): unknown keys named with the known ones, non-objects rejected as a whole", () => {
    assert.deepEqual(lines(ArtOptions.decode({ tua: 2 })), [
      "tua: unknown key (known: preset, numTasks, taskNames, tau, rate, lcr, gcw, lossScale, releasedEmaBug) (got 2)",
    ]);
    for (const [value, shown] of [
      ["ab", '"ab"'],
      [null, "null"],
      [[1], "[1]"],
      [5, "5"],
    ] as const) {
      assert.deepEqual(lines(ArtOptions.decode(value)), [`(root): expected ArtOptions (got ${shown})`], shown);
    }
    assert.ok(ArtOptions.is({ tau: 2 }) && !ArtOptions.is({ tau: "2" }) && !ArtOptions.is(5));
    assert.deepEqual(ArtOptions.encode({ tau: 2, numTasks: 3 } as never), { tau: 2, numTasks: 3 });
  });

  it("formatDecodeErrors on errors from validate() with a caller's own context (no root entry)", () => {
    // decode() always starts the context with a root entry (key ""); validate(u, context) uses
    // whatever context the caller passes, here none at all.
    const bare = t.number.validate("x", []);
    assert.ok(E.isLeft(bare));
    assert.deepEqual(bare.left[0]?.context, []);
    assert.deepEqual(formatDecodeErrors(bare.left), ['(root): expected valid value (got "x")']);
    // The first entry is a real key ("a"), with no entry before it to look at for a parent.
    const nested = t.type({ a: t.number }).validate({ a: "x" }, []);
    assert.ok(E.isLeft(nested));
    assert.deepEqual(formatDecodeErrors(nested.left), ['a: expected number (got "x")']);
  });

  it("the state codec: names in its messages, is(), and 0 is not a value of a seen task", () => {
    const state = unwrap(initArt({ numTasks: 2 }));
    assert.ok(ArtStateCodec.is(state));
    assert.ok(!ArtStateCodec.is({ ...state, step: -1 }));
    assert.ok(!ArtStateCodec.is({ ...state, tasks: [state.tasks[0]] }), "structurally fine but one task short");
    assert.deepEqual(lines(ArtStateCodec.decode(5)), ["(root): expected ArtState (got 5)"]);
    assert.deepEqual(lines(ArtStateCodec.decode({ ...state, tasks: [5, state.tasks[1]] })), [
      "tasks.0: expected ArtTaskState (got 5)",
    ]);
    assert.deepEqual(lines(ArtStateCodec.decode({ ...state, config: { ...state.config, taskNames: 5 } })), [
      "config.taskNames: expected TaskNames (got 5)",
    ]);
    assert.deepEqual(lines(ArtStateCodec.decode({ ...state, config: { ...state.config, releasedEmaBug: "yes" } })), [
      'config.releasedEmaBug: expected boolean (got "yes")',
    ]);
    assert.deepEqual(lines(ArtStateCodec.decode({ ...state, config: 5 })), [
      "config: expected { preset: ArtPreset, numTasks: Count, tau: PositiveFinite, rate: UnitRate, lcr: LcrMode, gcw: GcwMode, lossScale: PositiveFinite } (got 5)",
      "config: expected Partial<{ taskNames: TaskNames, releasedEmaBug: boolean }> (got 5)",
    ]);
    const zero = { ...state, step: 1, tasks: [{ seen: true, ema: 0, min: 0.5, prev: 0.5 }, state.tasks[1]] };
    assert.ok(
      lines(ArtStateCodec.decode(zero)).some((l) =>
        l.includes("tasks.0.ema: expected a number > 0 for a seen task (got 0)"),
      ),
    );
  });
});

describe("weighting guards and the Art factories", () => {
  it("isEpochAware / isTwoPhase look for endEpoch / observe functions", () => {
    const plain: AnyWeighting = art();
    assert.equal(isEpochAware(plain), false);
    assert.equal(isTwoPhase(plain), false);
    // Weightings with extra members (not object literals at the call: no excess-property check).
    const withEndEpoch = { ...plain, endEpoch: (s: unknown) => s };
    const withObserve = { ...plain, observe: (s: unknown) => E.right(s) };
    const withEndEpochValue = { ...plain, endEpoch: 1 };
    const withObserveValue = { ...plain, observe: "no" };
    assert.equal(isEpochAware(withEndEpoch), true);
    assert.equal(isTwoPhase(withObserve), true);
    assert.equal(isEpochAware(withEndEpochValue), false);
    assert.equal(isTwoPhase(withObserveValue), false);
  });

  it("art() and artOfficial() pass their options to initArt and step with stepArt", () => {
    const w = art({ tau: 2, lcr: "none" });
    assert.equal(w.name, "art");
    const state = unwrap(w.init(3));
    assert.deepEqual(state, unwrap(initArt({ tau: 2, lcr: "none", numTasks: 3 })));
    assert.equal(w.numTasks(state), 3);
    assert.deepEqual(w.step(state, [0.5, null, 0.25]), stepArt(state, [0.5, null, 0.25]));
    assert.equal(w.stateCodec, ArtStateCodec);
    const official = unwrap(artOfficial({ tau: 0.2 }).init(2));
    assert.equal(official.config.preset, "official");
    assert.equal(official.config.tau, 0.2);
    // The official preset starts every task unseen at E = M = P = 0.1.
    assert.deepEqual(
      official.tasks,
      [0, 1].map(() => ({ seen: false, ema: 0.1, min: 0.1, prev: 0.1 })),
    );
    assert.ok(E.isLeft(art().init(0)));
  });
});

describe("Art's lossScale and domain", () => {
  it("losses are scaled before the rule: lossScale 0.01 turns 50 and 20 into 0.5 and 0.2 under gcw=log", () => {
    const scaled = unwrap(stepArt(unwrap(initArt({ numTasks: 2, lossScale: 0.01 })), [50, 20]));
    assert.deepEqual(
      scaled.state.tasks.map((t) => t.prev),
      [0.5, 0.2],
    );
    // First step: s = 1, r = ln M / ln L = 1, so z = 1 / 3 for both: uniform.
    assert.deepEqual(scaled.weights, [0.5, 0.5]);
    // Second step, losses 40 and 20 → 0.4 and 0.2 (paper: M includes this step, so r = 1);
    // s = L / E: 0.4 / 0.5 and 0.2 / 0.2 with E the EMA after step 1 (= the first loss).
    const next = unwrap(stepArt(scaled.state, [40, 20]));
    const z = [0.4 / 0.5 / 3, 1 / 3];
    const e = z.map((v) => Math.exp(v - Math.max(...z)));
    assert.deepEqual(next.diagnostics.s, [0.4 / 0.5, 1]);
    assert.ok(Math.abs(next.weights[0]! - e[0]! / (e[0]! + e[1]!)) < 1e-15);
  });

  it("a scaled loss outside the domain is out-of-domain, with the message saying how to fix it", () => {
    const raw = (lossScale: number, loss: number) =>
      stepArt(unwrap(initArt({ numTasks: 2, lossScale, gcw: "raw" })), [loss, 1]);
    const message = (r: ReturnType<typeof raw>) =>
      E.isLeft(r) && r.left._tag === "InvalidLoss" && r.left.reason === "out-of-domain" ? r.left.message : "accepted";
    // 5e-324 * 0.5 underflows to 0, 1e308 * 10 overflows: both leave (0, Infinity).
    assert.equal(
      message(raw(0.5, 5e-324)),
      "task 0: invalid loss 5e-324: loss * lossScale must stay finite and > 0 (lossScale = 0.5)",
    );
    assert.equal(
      message(raw(10, 1e308)),
      "task 0: invalid loss 1e+308: loss * lossScale must stay finite and > 0 (lossScale = 10)",
    );
    assert.ok(E.isRight(raw(1, 5e-324)) && E.isRight(raw(1, 1e308)));
    const log = (lossScale: number, loss: number) => stepArt(unwrap(initArt({ numTasks: 2, lossScale })), [loss, 0.5]);
    assert.equal(
      message(log(0.01, 150)),
      "task 0: invalid loss 150: gcw=log needs 0 < loss * lossScale < 1 (lossScale = 0.01); lower lossScale or use gcw=relative-log",
    );
    assert.equal(
      message(log(1, 1)),
      "task 0: invalid loss 1: gcw=log needs 0 < loss < 1 (ln 1 = 0); set lossScale so that scaled losses stay below 1, or use gcw=relative-log",
    );
  });

  it("under gcw=log a loss whose scaled value underflows to 0 is out-of-domain too (ln 0 = -Infinity)", () => {
    // 5e-324 * 0.5 rounds to 0: below the domain's open lower end, as under gcw=raw above.
    const out = stepArt(unwrap(initArt({ numTasks: 2, lossScale: 0.5 })), [5e-324, 0.5]);
    assert.ok(E.isLeft(out) && out.left._tag === "InvalidLoss");
    assert.equal(out.left.reason, "out-of-domain");
    assert.equal(
      out.left.message,
      "task 0: invalid loss 5e-324: gcw=log needs 0 < loss * lossScale < 1 (lossScale = 0.5); lower lossScale or use gcw=relative-log",
    );
    // inArtDomain itself: the open interval (0, 1) for gcw=log, (0, Infinity) otherwise.
    const logConfig = unwrap(resolveArtConfig({ numTasks: 1 }));
    const rawConfig = unwrap(resolveArtConfig({ numTasks: 1, gcw: "raw" }));
    assert.deepEqual(
      [0, -0.5, 5e-324, 0.5, 1].map((loss) => inArtDomain(logConfig, loss)),
      [false, false, true, true, false],
    );
    assert.deepEqual(
      [0, -1, 5e-324, 2, Infinity].map((loss) => inArtDomain(rawConfig, loss)),
      [false, false, true, true, false],
    );
  });

  it("a state with the wrong number of tasks is InvalidState, not a crash", () => {
    const state = unwrap(initArt({ numTasks: 2 }));
    const out = stepArt({ ...state, tasks: [state.tasks[0]!] }, [0.5, 0.5]);
    assert.deepEqual(out, E.left(invalidState(["tasks: expected 2 entries (got 1)"])));
  });
});

describe("Rng (xoshiro128**)", () => {
  it("matches the reference algorithm: the published vector from state [1, 2, 3, 4] and seeded streams", () => {
    const rng = Rng.fromState([1, 2, 3, 4]);
    assert.deepEqual(
      Array.from({ length: 6 }, () => rng.nextUint32()),
      [11520, 0, 5927040, 70819200, 2031721883, 1637235492],
    );
    for (const seed of [0, 1, 42, -7, 2 ** 32 + 5, 0xdeadbeef]) {
      const a = Rng.seeded(seed);
      const b = ReferenceXoshiro128.seeded(seed);
      assert.deepEqual(a.state(), b.s.map(Number), `seed ${seed}: state`);
      assert.deepEqual(
        Array.from({ length: 50 }, () => a.nextUint32()),
        Array.from({ length: 50 }, () => b.next()),
        `seed ${seed}: draws`,
      );
      assert.deepEqual(a.state(), b.s.map(Number), `seed ${seed}: state after`);
    }
  });

  it("uniform, int, normal and pick from the reference draws", () => {
    const a = Rng.seeded(9);
    const b = ReferenceXoshiro128.seeded(9);
    for (let i = 0; i < 20; i++) assert.equal(a.uniform(), b.uniform());
    for (let i = 0; i < 20; i++) assert.equal(a.uniform(-3, 5), -3 + 8 * b.uniform());
    for (let i = 0; i < 20; i++) assert.equal(a.int(7), Math.floor(b.uniform() * 7));
    for (let i = 0; i < 20; i++) {
      const u = b.uniform(); // never 0 in practice; the implementation redraws 0
      const v = b.uniform();
      assert.equal(a.normal(), Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    }
    const items = ["a", "b", "c"];
    for (let i = 0; i < 20; i++) assert.equal(a.pick(items), items[Math.floor(b.uniform() * 3)]);
    assert.throws(
      () => a.pick([]),
      (error: unknown) => error instanceof RangeError && error.message === "Rng.pick: empty list",
    );
  });

  it("state round-trips, the all-zero state is avoided, fork seeds a new stream from one draw", () => {
    const a = Rng.seeded(3);
    a.uniform();
    const b = Rng.fromState(a.state());
    assert.deepEqual(
      Array.from({ length: 5 }, () => b.nextUint32()),
      Array.from({ length: 5 }, () => a.nextUint32()),
    );
    assert.deepEqual(Rng.fromState([0, 0, 0, 0]).state(), [1, 0, 0, 0]);
    assert.deepEqual(Rng.fromState([0, 5, 0, 0]).state(), [0, 5, 0, 0]);
    const parent = Rng.seeded(11);
    const twin = ReferenceXoshiro128.seeded(11);
    const child = parent.fork();
    const expectedChild = ReferenceXoshiro128.seeded(Number((BigInt(twin.next()) ^ 0x5bd1e995n) & 0xffffffffn));
    assert.deepEqual(child.state(), expectedChild.s.map(Number));
    assert.deepEqual(parent.state(), twin.s.map(Number), "fork advances the parent by one draw");
  });
});

describe("reduceTaskLosses: malformed shards give Left naming shard, task and value", () => {
  it("the fields of the error, not only its message", () => {
    assert.deepEqual(
      reduceTaskLosses([]),
      E.left({ _tag: "InvalidShard", shardIndex: -1, message: "no shards: at least one is required" }),
    );
    assert.deepEqual(
      reduceTaskLosses([{ sums: [1, 2], counts: [1, -1] }]),
      E.left({
        _tag: "InvalidShard",
        shardIndex: 0,
        taskIndex: 1,
        value: -1,
        message: "shard 0, task 1: a count must be an integer >= 0 (got -1)",
      }),
    );
    assert.deepEqual(
      reduceTaskLosses([
        { sums: [1], counts: [1] },
        { sums: [1, 2], counts: [1, 1] },
      ]),
      E.left({
        _tag: "InvalidShard",
        shardIndex: 1,
        message: "shard 1: expected 1 sums and 1 counts, one per task (got 2 and 2)",
      }),
    );
    assert.deepEqual(
      reduceTaskLosses([{ sums: [1, 2], counts: [1] }]),
      E.left({
        _tag: "InvalidShard",
        shardIndex: 0,
        message: "shard 0: expected 2 sums and 2 counts, one per task (got 2 and 1)",
      }),
    );
  });

  it("a shard without sums, or a missing shard after the first, is Left rather than a TypeError", () => {
    const shape = "expected { sums: number[], counts: number[] }";
    assert.deepEqual(
      reduceTaskLosses([{ counts: [1] } as never]),
      E.left({ _tag: "InvalidShard", shardIndex: 0, message: `shard 0: ${shape}` }),
    );
    assert.deepEqual(
      reduceTaskLosses([{ sums: [1], counts: [1] }, null as never]),
      E.left({ _tag: "InvalidShard", shardIndex: 1, message: `shard 1: ${shape}` }),
    );
    assert.deepEqual(
      reduceTaskLosses([
        { sums: [1], counts: [2] },
        { sums: [3], counts: [2] },
      ]),
      E.right([1]),
    );
  });

  it("too many sums alone is Left, even with the right number of counts (the extra sum is not ignored)", () => {
    assert.deepEqual(
      reduceTaskLosses([
        { sums: [1], counts: [1] },
        { sums: [1, 2], counts: [1] },
      ]),
      E.left({
        _tag: "InvalidShard",
        shardIndex: 1,
        message: "shard 1: expected 1 sums and 1 counts, one per task (got 2 and 1)",
      }),
    );
  });

  it("a missing first shard is Left too (naming shard 0), not a TypeError", () => {
    assert.deepEqual(
      reduceTaskLosses([null as never]),
      E.left({
        _tag: "InvalidShard",
        shardIndex: 0,
        message: "shard 0: expected { sums: number[], counts: number[] }",
      }),
    );
  });
});
