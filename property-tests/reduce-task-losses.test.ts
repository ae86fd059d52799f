import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as E from "fp-ts/Either";

import { reduceTaskLosses, type TaskLosses, type TaskLossShard } from "../src/core/index.js";
import { createWeighting, STRATEGY_NAMES } from "../src/strategies/index.js";
import { NUM_RUNS } from "./arbitraries.js";

/**
 * The data-parallel contract: per-task means reduced from shards' sums and counts equal the
 * whole batch's, and so every weighting stepped on them reaches the same state and weights,
 * whatever the split (uneven, tasks absent from some shards or from the whole batch).
 */

interface Sample {
  readonly task: number;
  readonly loss: number;
  readonly shard: number;
}

/** K tasks, S shards, and a batch whose samples each have a task, an L1-like loss in (0, 1) and a shard. */
const splitBatch = fc
  .record({ numTasks: fc.integer({ min: 1, max: 7 }), numShards: fc.integer({ min: 1, max: 6 }) })
  .chain(({ numTasks, numShards }) =>
    fc.record({
      numTasks: fc.constant(numTasks),
      numShards: fc.constant(numShards),
      samples: fc.array(
        fc.record({
          task: fc.nat({ max: numTasks - 1 }),
          loss: fc.double({ min: 1e-4, max: 0.999, noNaN: true }),
          shard: fc.nat({ max: numShards - 1 }),
        }),
        { minLength: 1, maxLength: 40 },
      ),
    }),
  );

/** The whole batch's per-task means (what one device computes). */
const wholeBatch = (samples: readonly Sample[], numTasks: number): TaskLosses =>
  Array.from({ length: numTasks }, (_, k) => {
    const mine = samples.filter((s) => s.task === k);
    return mine.length === 0 ? null : mine.reduce((a, s) => a + s.loss, 0) / mine.length;
  });

/** What each shard reports. */
const shardsOf = (samples: readonly Sample[], numTasks: number, numShards: number): TaskLossShard[] =>
  Array.from({ length: numShards }, (_, s) => {
    const mine = samples.filter((x) => x.shard === s);
    return {
      sums: Array.from({ length: numTasks }, (_, k) =>
        mine.filter((x) => x.task === k).reduce((a, x) => a + x.loss, 0),
      ),
      counts: Array.from({ length: numTasks }, (_, k) => mine.filter((x) => x.task === k).length),
    };
  });

const close = (a: number, b: number, rtol: number) =>
  Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b), 1e-300);

describe("reduceTaskLosses (the data-parallel contract)", () => {
  it("equals the whole batch's per-task means for every split (absent tasks null)", () => {
    fc.assert(
      fc.property(splitBatch, ({ numTasks, numShards, samples }) => {
        const reduced = reduceTaskLosses(shardsOf(samples, numTasks, numShards));
        assert.ok(E.isRight(reduced));
        const whole = wholeBatch(samples, numTasks);
        reduced.right.forEach((loss, k) => {
          const expected = whole[k] as number | null;
          if (expected === null) assert.equal(loss, null, `task ${k} absent`);
          else assert.ok(loss !== null && close(loss, expected, 1e-12), `task ${k}: ${loss} vs ${expected}`);
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("every weighting stepped on reduced shards reaches the state and weights of the whole batch", () => {
    // rlw draws its own random weights (seeded), the others are functions of the losses.
    for (const name of STRATEGY_NAMES) {
      fc.assert(
        fc.property(
          fc.array(splitBatch, { minLength: 1, maxLength: 4 }),
          fc.integer({ min: 1, max: 7 }),
          (batches, numTasks) => {
            const weighting = createWeighting(name, {});
            assert.ok(E.isRight(weighting), name);
            const w = weighting.right;
            const init = w.init(numTasks);
            assert.ok(E.isRight(init));
            let whole = init.right;
            let sharded = init.right;
            for (const batch of batches) {
              const samples = batch.samples.map((s) => ({ ...s, task: s.task % numTasks }));
              const reduced = reduceTaskLosses(shardsOf(samples, numTasks, batch.numShards));
              assert.ok(E.isRight(reduced));
              const a = w.step(whole, wholeBatch(samples, numTasks));
              const b = w.step(sharded, reduced.right);
              assert.equal(E.isRight(a), E.isRight(b), `${name}: both accepted or both rejected`);
              if (E.isLeft(a) || E.isLeft(b)) return;
              a.right.weights.forEach((x, k) =>
                assert.ok(
                  close(x, b.right.weights[k] as number, 1e-9) || Math.abs(x - (b.right.weights[k] as number)) < 1e-15,
                  `${name} weight ${k}: ${x} vs ${b.right.weights[k]}`,
                ),
              );
              whole = a.right.state;
              sharded = b.right.state;
            }
          },
        ),
        { numRuns: Math.max(100, Math.floor(NUM_RUNS / 10)) },
      );
    }
  });

  it("rejects bad shards, naming the shard, the task and the value", () => {
    const bad = (shards: unknown, pattern: RegExp) => {
      const r = reduceTaskLosses(shards as TaskLossShard[]);
      assert.ok(
        E.isLeft(r) && r.left._tag === "InvalidShard" && pattern.test(r.left.message),
        E.isLeft(r) ? r.left.message : "accepted",
      );
    };
    bad([], /no shards/);
    bad(
      [
        { sums: [1, 2], counts: [1, 1] },
        { sums: [1], counts: [1] },
      ],
      /^shard 1: expected 2 sums and 2 counts/,
    );
    bad([{ sums: [1, 2], counts: [1, -1] }], /^shard 0, task 1: a count must be an integer >= 0 \(got -1\)/);
    bad([{ sums: [1, 2], counts: [1, 1.5] }], /task 1: a count must be an integer/);
    bad([{ sums: [Number.NaN, 2], counts: [1, 1] }], /^shard 0, task 0: a sum must be a finite number \(got NaN\)/);
    bad([{ sums: [1, Infinity], counts: [1, 1] }], /got Infinity/);
    bad([{ sums: [-0.5, 2], counts: [1, 1] }], /a sum of losses must be >= 0 \(got -0.5\)/);
    bad([{ sums: [0.5, 2], counts: [0, 1] }], /task 0: a task with no samples must have sum 0 \(got 0.5\)/);
    bad([{ sums: [1] }], /expected \{ sums: number\[\], counts: number\[\] \}/);
    // The documented example: uneven split, where the mean of the shard means would be wrong.
    assert.deepEqual(
      reduceTaskLosses([
        { sums: [0.3, 0], counts: [3, 0] },
        { sums: [0.5, 0.5], counts: [1, 2] },
      ]),
      E.right([0.2, 0.25]),
    );
  });
});
