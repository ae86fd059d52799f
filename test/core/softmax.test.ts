import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { softmaxPresent, uniformOverPresent } from "../../src/core/index.js";

// softmaxPresent and uniformOverPresent against hand-computed values, including the edges the
// shift by the maximum exists for (logits far apart, all far below 0, the maximum not last)
// and entries a JavaScript caller may leave undefined (treated as absent, like null).

describe("softmaxPresent", () => {
  it("hand values: [0, null, 0] → [0.5, 0, 0.5]; [ln 3, 0] → [0.75, 0.25]", () => {
    assert.deepEqual(softmaxPresent([0, null, 0]), [0.5, 0, 0.5]);
    const w = softmaxPresent([Math.log(3), 0]);
    assert.ok(Math.abs(w[0]! - 0.75) < 1e-15 && Math.abs(w[1]! - 0.25) < 1e-15, String(w));
    assert.deepEqual(softmaxPresent([null, 5, null]), [0, 1, 0]);
    assert.deepEqual(softmaxPresent([]), []);
  });

  it("subtracts the true maximum: a large logit before a small one does not overflow", () => {
    // exp(1000) overflows; with the maximum subtracted the result is [1, e^-1000] and
    // e^-1000 underflows to 0, floored at 5e-324.
    assert.deepEqual(softmaxPresent([1000, 0]), [1, 5e-324]);
    assert.deepEqual(
      softmaxPresent([0, 1000, 999]).map((x) => x.toPrecision(12)),
      [5e-324, 1 / (1 + Math.exp(-1)), Math.exp(-1) / (1 + Math.exp(-1))].map((x) => x.toPrecision(12)),
    );
  });

  it("logits all far below 0 (exp underflows without the shift), with an absent task first", () => {
    // Shifted by the maximum -1e4: [_, 0, -1] → [_, 1 / (1 + e^-1), e^-1 / (1 + e^-1)].
    const w = softmaxPresent([null, -1e4, -1e4 - 1]);
    assert.equal(w[0], 0);
    assert.ok(Math.abs(w[1]! - 1 / (1 + Math.exp(-1))) < 1e-15, String(w));
    assert.ok(Math.abs(w[2]! - Math.exp(-1) / (1 + Math.exp(-1))) < 1e-15, String(w));
    assert.deepEqual(softmaxPresent([null, -1e6]), [0, 1]);
  });

  it("undefined entries (holes from a JavaScript caller) are absent, exactly like null", () => {
    const holey = [0, undefined, 0] as unknown as Array<number | null>;
    assert.deepEqual(softmaxPresent(holey), [0.5, 0, 0.5]);
    const sparse = new Array<number | null>(3);
    sparse[2] = 1;
    assert.deepEqual(softmaxPresent(sparse), [0, 0, 1]);
  });

  it("+Infinity logits share the mass; -Infinity ones keep only the floor", () => {
    assert.deepEqual(softmaxPresent([Infinity, 0, Infinity]), [0.5, 5e-324, 0.5]);
    assert.deepEqual(softmaxPresent([-Infinity, 0]), [5e-324, 1]);
    assert.ok(softmaxPresent([-Infinity, -Infinity]).every(Number.isNaN), "no finite mass at all stays NaN");
  });
});

describe("uniformOverPresent", () => {
  it("1/K over the K present tasks, 0 for absent ones", () => {
    assert.deepEqual(uniformOverPresent([3, null, 7, 1]), [1 / 3, 0, 1 / 3, 1 / 3]);
    assert.deepEqual(uniformOverPresent([null, 2]), [0, 1]);
  });
});
