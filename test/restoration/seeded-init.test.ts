import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";

import { createModel } from "../../src/restoration/models/index.js";
import type { Tf } from "../../src/tfjs/index.js";

// Regressions: tfjs treats seed 0 as "unseeded", so createModel(..., { seed: 0 }) once gave a
// different first layer on every call (paired comparisons were not paired); and seeds were
// consecutive per variable, so seed s + 1 reused seed s's draws shifted by one layer.

const snapshot = async (seed: number): Promise<number[][]> => {
  const model = createModel(tf as unknown as Tf, { kind: "srresnet", width: 4, blocks: 2 }, { seed });
  const values: number[][] = [];
  for (const variable of model.variables) values.push(Array.from(await variable.data()));
  model.dispose();
  return values;
};

describe("seeded model initialisation", () => {
  it("the same seed gives bit-identical weights, seed 0 included; another seed differs", async () => {
    await tf.setBackend("cpu");
    for (const seed of [0, 1, 7]) assert.deepEqual(await snapshot(seed), await snapshot(seed), `seed ${seed}`);
    // No variable of seed s may equal any variable of seed s + 1 (zero-initialised ones aside).
    for (const seed of [0, 1, 2]) {
      const a = (await snapshot(seed)).filter((v) => v.some((x) => x !== 0));
      const b = (await snapshot(seed + 1)).filter((v) => v.some((x) => x !== 0));
      for (const [i, va] of a.entries())
        for (const [j, vb] of b.entries())
          assert.notDeepEqual(va, vb, `seed ${seed} variable ${i} = seed ${seed + 1} variable ${j}`);
    }
  });
});
