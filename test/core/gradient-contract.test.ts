import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { checkGradientInput, checkGramian, gramianOf, scatterPresent, symmetricEigen } from "../../src/core/index.js";

/** The gradient-aware contract's checks, on Gramians whose answer is known by hand. */

const verdict = (g: number[][], present = g.map((_, i) => i)) => {
  const r = checkGramian(g, present, g.length);
  return E.isRight(r) ? "ok" : r.left.message;
};

describe("checkGramian", () => {
  it("accepts PSD Gramians, rank-deficient ones included, and a float32-rounded rank-deficient one", () => {
    assert.equal(
      verdict([
        [4, 2],
        [2, 1],
      ]),
      "ok",
    ); // g2 = g1 / 2
    assert.equal(
      verdict([
        [1, 1, 0],
        [1, 1, 0],
        [0, 0, 0],
      ]),
      "ok",
    ); // duplicate and zero gradients
    assert.equal(
      verdict([
        [1, -1],
        [-1, 1],
      ]),
      "ok",
    ); // opposed
    // Rounded as a device's float32 dot products are: within 1e-4 of the largest diagonal entry.
    assert.equal(
      verdict([
        [1, 1 + 3e-7],
        [1 + 3e-7, 1],
      ]),
      "ok",
    );
    assert.equal(
      verdict([
        [1e-300, 0],
        [0, 1e-300],
      ]),
      "ok",
    );
  });

  it("refuses indefinite, asymmetric, negative-diagonal and non-finite Gramians, each with what is wrong", () => {
    const smallest = (message: string): [number, number] => {
      const m = /not positive semi-definite: smallest eigenvalue (\S+) < -(\S+) \(0\.0001 × the largest entry\)/.exec(
        message,
      );
      assert.ok(m !== null, message);
      return [Number(m[1]), Number(m[2])];
    };
    const near = ([value, bound]: [number, number], wantValue: number, wantBound: number) =>
      assert.ok(
        Math.abs(value / wantValue - 1) < 1e-12 && Math.abs(bound / wantBound - 1) < 1e-12,
        `${value} ${bound}`,
      );
    near(
      smallest(
        verdict([
          [1, 3],
          [3, 1],
        ]),
      ),
      -2,
      3e-4,
    );
    near(
      smallest(
        verdict([
          [0, 1],
          [1, 0],
        ]),
      ),
      -1,
      1e-4,
    ); // zero diagonal, non-zero coupling
    near(
      smallest(
        verdict([
          [1e160, 2e160],
          [2e160, 1e160],
        ]),
      ),
      -1e160,
      2e156,
    ); // no overflow
    assert.match(
      verdict([
        [1, 0.5],
        [0.2, 1],
      ]),
      /not symmetric: \[0\]\[1\] = 0\.5 but \[1\]\[0\] = 0\.2/,
    );
    assert.match(
      verdict([
        [-1, 0],
        [0, 1],
      ]),
      /entry \[0\]\[0\] = -1 < 0/,
    );
    assert.match(
      verdict([
        [1, Number.NaN],
        [Number.NaN, 1],
      ]),
      /entry \[0\]\[1\]: expected a finite number \(got NaN\)/,
    );
    assert.match(
      verdict([
        [Infinity, 0],
        [0, 1],
      ]),
      /entry \[0\]\[0\]: expected a finite number \(got Infinity\)/,
    );
    const short = checkGramian([[1, 0]], [0, 1], 2);
    assert.ok(
      E.isLeft(short) && short.left.message === "invalid Gramian: expected 2 rows (got 1)",
      JSON.stringify(short),
    );
    const ragged = checkGramian([[1, 0], [0]], [0, 1], 2);
    assert.ok(
      E.isLeft(ragged) && ragged.left.message === "invalid Gramian: row 1: expected 2 entries (got 1)",
      JSON.stringify(ragged),
    );
  });

  it("checks only the present tasks (an absent task's row may hold anything finite) and symmetrises", () => {
    const r = checkGramian(
      [
        [2, 99, 1],
        [99, -5, 99],
        [1.5, 99, 3],
      ],
      [0, 2],
      3,
      0.5,
    );
    assert.ok(E.isRight(r));
    assert.deepEqual(r.right, {
      present: [0, 2],
      gramian: [
        [2, 1.25],
        [1.25, 3],
      ],
    });
  });
});

describe("the contract's helpers", () => {
  it("symmetricEigen: eigenpairs of a known matrix at ordinary, huge and tiny scales", () => {
    for (const scale of [1, 1e150, 1e-150]) {
      const { values, vectors } = symmetricEigen([
        [2 * scale, scale],
        [scale, 2 * scale],
      ]);
      assert.ok(
        Math.abs(values[0]! / scale - 1) < 1e-14 && Math.abs(values[1]! / scale - 3) < 1e-14,
        `scale ${scale}: ${values}`,
      );
      assert.ok(Math.abs(Math.abs(vectors[0]![1]!) - Math.SQRT1_2) < 1e-14, `scale ${scale}: eigenvector of 3`);
    }
  });

  it("gramianOf, scatterPresent and checkGradientInput agree with hand-computed values", () => {
    assert.deepEqual(gramianOf([[1, 2], null, [3, -1]]), [
      [5, 0, 1],
      [0, 0, 0],
      [1, 0, 10],
    ]);
    assert.deepEqual(scatterPresent([0.25, 0.75], [0, 2], 3), [0.25, 0, 0.75]);
    const checked = checkGradientInput({ losses: [1, null, 2], gradients: [[1, 2], null, [3, -1]] }, 3, "gramian");
    assert.ok(E.isRight(checked));
    assert.deepEqual(checked.right, {
      present: [0, 2],
      gramian: [
        [5, 1],
        [1, 10],
      ],
      gradientLength: 2,
    });
    const missing = checkGradientInput({ losses: [1, 2] }, 2, "gramian");
    assert.ok(
      E.isLeft(missing) && /needs the Gramian of the task gradients \(or the gradients\)/.test(missing.left.message),
    );
    const ragged = checkGradientInput({ losses: [1, 2], gradients: [[1, 2], [3]] }, 2, "gradients");
    assert.ok(E.isLeft(ragged) && /task 1: expected 2 entries like the others \(got 1\)/.test(ragged.left.message));
  });
});
