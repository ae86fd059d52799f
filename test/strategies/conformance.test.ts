import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as E from "fp-ts/Either";

import { formatDecodeErrors, unwrap, type Weighting } from "../../src/core/index.js";
import { WEIGHTING_CASES, type ConformanceCase } from "../support/weighting-cases.js";

/**
 * One conformance suite over every built-in strategy and combinator (optax-style: the same
 * checks for all), over the cases of test/support/weighting-cases.ts that carry `conformance`.
 * The expected names are written there by hand. For each, a state reached
 * after a few steps (with an absent task where there are several tasks) is encoded, and then:
 * every leaf replaced by a value of the wrong type, and every key removed, must be refused by
 * the state codec with a line that names that leaf's path. This is what makes a checkpoint
 * safe to load: no field of the state goes unchecked.
 */

interface Case extends ConformanceCase {
  readonly weighting: Weighting<unknown>;
}

const cases: Case[] = WEIGHTING_CASES.flatMap((c) =>
  c.conformance === undefined ? [] : [{ ...c.conformance, weighting: c.build() }],
);

/** Every leaf of a JSON value with its path (array indices included). */
const leaves = (value: unknown, path: string[] = []): Array<[string[], unknown]> => {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, String(i)]));
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [[path, value]];
};

/** Every object key (not array index) with its path. */
const keys = (value: unknown, path: string[] = []): string[][] => {
  if (Array.isArray(value)) return value.flatMap((v, i) => keys(v, [...path, String(i)]));
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([k, v]) => [[...path, k], ...keys(v, [...path, k])]);
  return [];
};

const setAt = (
  value: unknown,
  path: string[],
  replace: (parent: Record<string, unknown>, key: string) => void,
): unknown => {
  const copy = structuredClone(value) as Record<string, unknown>;
  let parent: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  replace(parent, last);
  return copy;
};

/** A value of a type no state field has: refused by every codec whatever the field holds. */
const WRONG = { wrong: "type" };

const stateAfter = (c: Case): unknown => {
  let state = unwrap(c.weighting.init(c.numTasks));
  for (const losses of c.losses) state = unwrap(c.weighting.step(state, losses)).state;
  return state;
};

describe("conformance: every strategy and combinator", () => {
  for (const c of cases) {
    describe(c.name, () => {
      it("is named as documented, and so is its state codec", () => {
        assert.equal(c.weighting.name, c.name);
        assert.equal(c.weighting.stateCodec.name, c.codecName);
      });

      it("its state round-trips through JSON and the codec, and the codec's `is` agrees", () => {
        const state = stateAfter(c);
        const json = JSON.parse(JSON.stringify(c.weighting.stateCodec.encode(state))) as unknown;
        const decoded = c.weighting.stateCodec.decode(json);
        assert.ok(E.isRight(decoded), E.isLeft(decoded) ? formatDecodeErrors(decoded.left).join("; ") : "");
        assert.deepEqual(decoded.right, state);
        assert.ok(c.weighting.stateCodec.is(state));
        assert.equal(c.weighting.numTasks(decoded.right), c.numTasks);
      });

      it("every leaf of its state is checked: a wrong-typed value is refused, naming its path", () => {
        const encoded = JSON.parse(JSON.stringify(c.weighting.stateCodec.encode(stateAfter(c)))) as unknown;
        const all = leaves(encoded);
        assert.ok(all.length >= 3, `${c.name}: a state with ${all.length} leaves`);
        for (const [path] of all) {
          const bad = setAt(encoded, path, (parent, key) => {
            parent[key] = WRONG;
          });
          const result = c.weighting.stateCodec.decode(bad);
          assert.ok(E.isLeft(result), `${c.name}: ${path.join(".")} = ${JSON.stringify(WRONG)} was accepted`);
          const lines = formatDecodeErrors(result.left);
          assert.ok(
            lines.some(
              (line) => line.startsWith(`${path.join(".")}: `) || line.startsWith(`${path.join(".")}.wrong: `),
            ),
            `${c.name}: ${path.join(".")}: no line names it in ${JSON.stringify(lines)}`,
          );
          assert.equal(c.weighting.stateCodec.is(bad), false, `${c.name}: is() accepted a wrong ${path.join(".")}`);
        }
      });

      it("every key of its state is required (or listed as optional)", () => {
        const encoded = JSON.parse(JSON.stringify(c.weighting.stateCodec.encode(stateAfter(c)))) as unknown;
        for (const path of keys(encoded)) {
          const joined = path.join(".");
          const bad = setAt(encoded, path, (parent, key) => {
            delete parent[key];
          });
          const result = c.weighting.stateCodec.decode(bad);
          if ((c.optional ?? []).includes(joined)) {
            assert.ok(E.isRight(result), `${c.name}: optional ${joined} was required`);
          } else {
            assert.ok(E.isLeft(result), `${c.name}: a state without ${joined} was accepted`);
          }
        }
      });
    });
  }
});
