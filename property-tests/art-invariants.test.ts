import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";

import { allClose, deepFreeze } from "../test/support/all-close.js";
import { anyConfig, configAndSequence, configSequenceAnd, lossValue, lossVector, paperConfig } from "./arbitraries.js";
import { initOrThrow, runSequence, stepOrThrow } from "./run.js";

// The invariants listed in the spec ("Invariants the property tests must check").

describe("Art invariants (spec)", () => {
  it("weights lie on the simplex: >= 0, finite, sum 1; absent => exactly 0; present => > 0", () => {
    fc.assert(
      fc.property(configAndSequence(), ({ config, sequence }) => {
        for (const [t, out] of runSequence(initOrThrow(config), sequence).entries()) {
          const losses = sequence[t]!;
          let sum = 0;
          out.weights.forEach((w, k) => {
            assert.ok(Number.isFinite(w) && w >= 0, `weight ${k} = ${w}`);
            if (losses[k] === null) assert.equal(w, 0, `absent task ${k} has weight ${w}`);
            else assert.ok(w > 0, `present task ${k} has weight ${w}`);
            sum += w;
          });
          assert.ok(Math.abs(sum - 1) <= 1e-12, `weights sum to ${sum}`);
        }
      }),
    );
  });

  it("r >= 1 under the paper preset for losses in (0, 1)", () => {
    fc.assert(
      fc.property(configAndSequence(paperConfig()), ({ config, sequence }) => {
        for (const out of runSequence(initOrThrow(config), sequence)) {
          for (const r of out.diagnostics.r) if (r !== null) assert.ok(r >= 1, `r = ${r}`);
        }
      }),
    );
  });

  it("E_k stays between the smallest and largest loss seen for k; M_k never increases (paper preset, any switches)", () => {
    const paperAny = anyConfig().map((c) => ({ ...c, preset: "paper" as const }));
    fc.assert(
      fc.property(configAndSequence(paperAny), ({ config, sequence }) => {
        const lo = new Array<number>(config.numTasks).fill(Infinity);
        const hi = new Array<number>(config.numTasks).fill(-Infinity);
        let previousMin: (number | null)[] = new Array<number | null>(config.numTasks).fill(null);
        for (const [t, out] of runSequence(initOrThrow(config), sequence).entries()) {
          sequence[t]!.forEach((loss, k) => {
            if (loss === null) return;
            lo[k] = Math.min(lo[k]!, loss);
            hi[k] = Math.max(hi[k]!, loss);
          });
          out.state.tasks.forEach((task, k) => {
            if (!task.seen) return;
            const slack = 1e-12 * hi[k]!; // the EMA's rounding
            assert.ok(
              task.ema! >= lo[k]! - slack && task.ema! <= hi[k]! + slack,
              `E_${k} = ${task.ema} outside [${lo[k]}, ${hi[k]}]`,
            );
            assert.equal(task.min, lo[k], `M_${k} is not the smallest loss seen`);
            const before = previousMin[k];
            if (before !== null && before !== undefined) assert.ok(task.min! <= before, `M_${k} increased`);
          });
          previousMin = out.state.tasks.map((task) => task.min);
        }
      }),
    );
  });

  it("M_k never increases under the official preset either", () => {
    const officialAny = anyConfig().map((c) => ({ ...c, preset: "official" as const }));
    fc.assert(
      fc.property(configAndSequence(officialAny), ({ config, sequence }) => {
        let current = initOrThrow(config);
        for (const losses of sequence) {
          const out = stepOrThrow(current, losses);
          out.state.tasks.forEach((task, k) => assert.ok(task.min! <= current.tasks[k]!.min!));
          current = out.state;
        }
      }),
    );
  });

  it("a task's weight is non-decreasing in its own loss, the others fixed", () => {
    fc.assert(
      fc.property(
        configSequenceAnd(anyConfig(), (config) => ({
          last: lossVector(config.numTasks, config.gcw),
          task: fc.nat({ max: config.numTasks - 1 }),
          a: lossValue(config.gcw),
          b: lossValue(config.gcw),
        })),
        ({ config, sequence, last, task, a, b }) => {
          const outs = runSequence(initOrThrow(config), sequence);
          const state = outs[outs.length - 1]!.state;
          const [low, high] = a <= b ? [a, b] : [b, a];
          const wLow = stepOrThrow(
            state,
            last.map((l, k) => (k === task ? low : l)),
          ).weights[task]!;
          const wHigh = stepOrThrow(
            state,
            last.map((l, k) => (k === task ? high : l)),
          ).weights[task]!;
          // A few ulps of slack: exp and division are rounded.
          assert.ok(wHigh >= wLow * (1 - 1e-12), `alpha(${high}) = ${wHigh} < alpha(${low}) = ${wLow}`);
        },
      ),
    );
  });

  it("permuting the tasks permutes the weights", () => {
    fc.assert(
      fc.property(
        configSequenceAnd(anyConfig(), (config) => ({
          permutation: fc.shuffledSubarray(
            Array.from({ length: config.numTasks }, (_, k) => k),
            { minLength: config.numTasks, maxLength: config.numTasks },
          ),
        })),
        ({ config, sequence, permutation }) => {
          const original = runSequence(initOrThrow(config), sequence);
          const permuted = runSequence(
            initOrThrow(config),
            sequence.map((losses) => permutation.map((k) => losses[k]!)),
          );
          original.forEach((out, t) => {
            const expected = permutation.map((k) => out.weights[k]!);
            assert.ok(allClose(permuted[t]!.weights, expected, { rtol: 1e-12, atol: 1e-300 }), `step ${t}`);
          });
        },
      ),
    );
  });

  it("tau -> infinity gives uniform weights over the present tasks", () => {
    // Ordinary losses only: with extreme ones s r itself can overflow, and Infinity / 1e300 is
    // still Infinity (the limit tau -> infinity assumes finite scores).
    fc.assert(
      fc.property(
        configAndSequence(
          anyConfig().map((c) => ({ ...c, tau: 1e300 })),
          30,
          true,
        ),
        ({ config, sequence }) => {
          runSequence(initOrThrow(config), sequence).forEach((out, t) => {
            const present = sequence[t]!.filter((l) => l !== null).length;
            const uniform = sequence[t]!.map((l) => (l === null ? 0 : 1 / present));
            assert.ok(allClose(out.weights, uniform, { rtol: 1e-12 }));
          });
        },
      ),
    );
  });

  it("equal inputs give equal outputs, and the input state is never mutated", () => {
    fc.assert(
      fc.property(configAndSequence(), ({ config, sequence }) => {
        let state = deepFreeze(initOrThrow(config));
        for (const losses of sequence) {
          const snapshot = JSON.stringify(state);
          const frozenLosses = deepFreeze([...losses]);
          const first = stepOrThrow(state, frozenLosses); // deepFreeze makes any mutation throw
          const second = stepOrThrow(state, frozenLosses);
          assert.deepEqual(first, second);
          assert.equal(JSON.stringify(state), snapshot);
          state = deepFreeze(first.state);
        }
      }),
    );
  });

  it("lcr=none with gcw=none is plain mixed training (uniform over present)", () => {
    fc.assert(
      fc.property(
        configAndSequence(anyConfig().map((c) => ({ ...c, lcr: "none" as const, gcw: "none" as const }))),
        ({ config, sequence }) => {
          runSequence(initOrThrow(config), sequence).forEach((out, t) => {
            const present = sequence[t]!.filter((l) => l !== null).length;
            assert.ok(
              allClose(
                out.weights,
                sequence[t]!.map((l) => (l === null ? 0 : 1 / present)),
                { rtol: 1e-15 },
              ),
            );
          });
        },
      ),
    );
  });
});
