import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import {
  art,
  initArt,
  invalidConfig,
  invalidGradients,
  invalidGramian,
  isTwoPhase,
  MAX_TASKS,
  readLosses,
  resolveArtConfig,
  stepArt,
  unreadableLosses,
  unwrap,
  type TaskLosses,
} from "../../src/core/index.js";
import { upgrad } from "../../src/strategies/gradient/upgrad.js";
import {
  checkNumTasks,
  createWeighting,
  dwa,
  famo,
  STRATEGIES,
  STRATEGY_NAMES,
  warmup,
} from "../../src/strategies/index.js";

/**
 * What a caller can hand a weighting that is not a plain array of numbers: a Proxy or a getter
 * that throws, a typed array, a string; options that throw when read; a task count far too large.
 * Each must be a `Left` with a message, never an exception, and typed arrays work like arrays.
 */

const throwingLosses = (): TaskLosses =>
  new Proxy([0.5, 0.25, 0.125], {
    get(target, key, receiver) {
      if (key === "1") throw new RangeError("sensor offline");
      return Reflect.get(target, key, receiver) as unknown;
    },
  }) as TaskLosses;

const throwingOptions = (): Record<string, unknown> =>
  Object.defineProperty({}, "temperature", {
    enumerable: true,
    get() {
      throw new Error("config server down");
    },
  });

/** Each registry strategy, built with its defaults (FAMO's two phases and DWA's epochs are not driven here: one step is enough). */
const built = STRATEGY_NAMES.map((name) => [name, unwrap(createWeighting(name, {}))] as const);

describe("the losses a caller hands over", () => {
  it("stepArt: a Proxy whose read throws is a Left naming the error; the state is untouched", () => {
    const state = unwrap(initArt({ numTasks: 3 }));
    const out = stepArt(state, throwingLosses());
    assert.ok(E.isLeft(out));
    assert.equal(out.left._tag, "UnreadableLosses");
    assert.equal(out.left.message, "the losses cannot be read: reading them threw RangeError: sensor offline");
  });

  it("every registry strategy: a throwing Proxy is a Left, a Float64Array gives the weights of the same array, a string is a Left saying what is expected", () => {
    for (const [name, weighting] of built) {
      const state = unwrap(weighting.init(3));
      const thrown = weighting.step(state, throwingLosses());
      assert.ok(E.isLeft(thrown) && thrown.left._tag === "UnreadableLosses", `${name}: ${JSON.stringify(thrown)}`);
      const plain = unwrap(weighting.step(state, [0.5, 0.25, 0.125]));
      const typed = unwrap(weighting.step(state, Float64Array.of(0.5, 0.25, 0.125) as unknown as TaskLosses));
      assert.deepEqual(typed.weights, plain.weights, `${name}: Float64Array`);
      const text = weighting.step(state, "0.5,0.25" as unknown as TaskLosses);
      assert.ok(E.isLeft(text), name);
      assert.match(text.left.message, /expected an array \(or a typed array\) of task losses.*\(got string\)/, name);
    }
    assert.equal(built.length, Object.keys(STRATEGIES).length);
  });

  it("combinators and two-phase observe read the losses the same way", () => {
    const w = warmup(1, famo());
    const state = unwrap(w.init(2));
    assert.ok(E.isLeft(w.step(state, throwingLosses())), "a combinator's step");
    const stepped = unwrap(w.step(state, [0.5, 0.25]));
    assert.ok(isTwoPhase(w), "warmup(famo) is two-phase");
    const observed = w.observe(
      stepped.state,
      new Proxy([0.4, 0.2], {
        get: () => {
          throw new Error("gone");
        },
      }) as TaskLosses,
    );
    assert.ok(E.isLeft(observed) && observed.left._tag === "UnreadableLosses");
  });

  it("a gradient-aware weighting: a throwing Proxy of losses, or a step input that throws, is a Left", () => {
    const w = upgrad();
    const state = unwrap(w.init(3));
    const gramian = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    const a = w.step(state, { losses: throwingLosses(), gramian });
    assert.ok(E.isLeft(a) && a.left._tag === "UnreadableLosses");
    const input = Object.defineProperty({ gramian }, "losses", {
      get: () => {
        throw new Error("no losses");
      },
    });
    const b = w.step(state, input as never);
    assert.ok(E.isLeft(b) && /no losses/.test(b.left.message));
    assert.deepEqual(
      unwrap(w.step(state, { losses: Float32Array.of(1, 1, 1) as unknown as TaskLosses, gramian })).coefficients.length,
      3,
    );
  });
});

describe("options and task counts", () => {
  it("options whose read throws are an InvalidConfig, from the registry, a factory, and Art", () => {
    const fromRegistry = createWeighting("dwa", throwingOptions());
    assert.ok(E.isLeft(fromRegistry));
    assert.match(fromRegistry.left.message, /options: cannot be read \(reading them threw Error: config server down\)/);
    const fromFactory = dwa(throwingOptions()).init(3);
    assert.ok(E.isLeft(fromFactory) && /config server down/.test(fromFactory.left.message));
    const fromArt = initArt(
      Object.defineProperty({ numTasks: 3 }, "tau", {
        enumerable: true,
        get: () => {
          throw new Error("tau unavailable");
        },
      }),
    );
    assert.ok(E.isLeft(fromArt) && /options: cannot be read .*tau unavailable/.test(fromArt.left.message));
  });

  it(`numTasks above ${MAX_TASKS} is a Left at once (1e9 used to abort the process out of memory)`, () => {
    const tooMany = initArt({ numTasks: 1e9 });
    assert.ok(E.isLeft(tooMany));
    assert.deepEqual(tooMany.left.errors, [`numTasks: at most ${MAX_TASKS} (got 1000000000)`]);
    assert.ok(E.isLeft(art().init(MAX_TASKS + 1)));
    for (const [name, weighting] of built) assert.ok(E.isLeft(weighting.init(1e9)), name);
    assert.ok(E.isRight(dwa().init(1000)));
  });

  it(`numTasks of exactly ${MAX_TASKS} is accepted by Art and by the strategies' checkNumTasks (the bound is inclusive)`, () => {
    assert.ok(E.isRight(resolveArtConfig({ numTasks: MAX_TASKS })));
    assert.ok(E.isLeft(resolveArtConfig({ numTasks: MAX_TASKS + 1 })));
    assert.deepEqual(checkNumTasks(MAX_TASKS), E.right(MAX_TASKS));
    assert.deepEqual(
      checkNumTasks(MAX_TASKS + 1),
      E.left(invalidConfig([`numTasks: at most ${MAX_TASKS} (got 1000001)`])),
    );
  });
});

describe("what readLosses says about a value that is not losses", () => {
  it("names what it got: null, a string, a number, an object by its constructor, an object without one", () => {
    const says = (value: unknown) => {
      const read = readLosses(value);
      assert.ok(E.isLeft(read));
      assert.equal(read.left._tag, "UnreadableLosses");
      return read.left.message;
    };
    const expected = (what: string) =>
      `the losses cannot be read: expected an array (or a typed array) of task losses, one per task, null for an absent task (got ${what})`;
    assert.equal(says(null), expected("null"));
    assert.equal(says("0.5"), expected("string"));
    assert.equal(says(0.5), expected("number"));
    assert.equal(says(new Map()), expected("Map"));
    assert.equal(says(Object.create(null)), expected("object"));
    assert.equal(says(new DataView(new ArrayBuffer(8))), expected("DataView"));
  });
});

describe("the gradient-aware errors' constructors", () => {
  it("tag and word each error", () => {
    assert.deepEqual(invalidGramian("G[0][1] is NaN"), {
      _tag: "InvalidGramian",
      message: "invalid Gramian: G[0][1] is NaN",
    });
    assert.deepEqual(invalidGradients("g_1 has 3 entries, g_0 has 4"), {
      _tag: "InvalidGradients",
      message: "invalid gradients: g_1 has 3 entries, g_0 has 4",
    });
    assert.deepEqual(unreadableLosses("reading them threw RangeError: x"), {
      _tag: "UnreadableLosses",
      message: "the losses cannot be read: reading them threw RangeError: x",
    });
  });
});
