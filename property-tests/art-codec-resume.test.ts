import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as E from "fp-ts/Either";

import { ArtStateCodec, formatDecodeErrors, type ArtState } from "../src/core/index.js";
import { anyConfig, configAndSequence, configSequenceAnd } from "./arbitraries.js";
import { initOrThrow, runSequence } from "./run.js";

const roundTrip = (state: ArtState): ArtState => {
  const json = JSON.stringify(ArtStateCodec.encode(state));
  const decoded = ArtStateCodec.decode(JSON.parse(json));
  if (E.isLeft(decoded)) throw new Error(formatDecodeErrors(decoded.left).join("\n"));
  return decoded.right;
};

describe("Art state codec and resume", () => {
  it("encode -> JSON -> decode round-trips every reachable state exactly", () => {
    fc.assert(
      fc.property(configAndSequence(), ({ config, sequence }) => {
        const initial = initOrThrow(config);
        assert.deepEqual(roundTrip(initial), initial);
        for (const out of runSequence(initial, sequence)) {
          const json = JSON.stringify(ArtStateCodec.encode(out.state));
          assert.ok(!/NaN|Infinity/.test(json), "the JSON holds no NaN/Infinity");
          assert.deepEqual(roundTrip(out.state), out.state);
        }
      }),
    );
  });

  it("resuming from a decoded checkpoint gives exactly the weights of never stopping", () => {
    fc.assert(
      fc.property(
        configSequenceAnd(anyConfig(), (_, sequence) => ({ cut: fc.nat({ max: sequence.length }) })),
        ({ config, sequence, cut }) => {
          const straight = runSequence(initOrThrow(config), sequence);
          const head = runSequence(initOrThrow(config), sequence.slice(0, cut));
          const checkpoint = roundTrip(head.length === 0 ? initOrThrow(config) : head[head.length - 1]!.state);
          const tail = runSequence(checkpoint, sequence.slice(cut));
          [...head, ...tail].forEach((out, t) => assert.deepEqual(out.weights, straight[t]!.weights, `step ${t}`));
        },
      ),
    );
  });

  it("a corrupted checkpoint is rejected with a line naming the path, what was expected and the value", () => {
    fc.assert(
      fc.property(
        configAndSequence(),
        fc.constantFrom(
          "nan-ema",
          "negative-min",
          "wrong-count",
          "bad-tau",
          "unseen-with-values",
          "unseen-without-values",
        ),
        ({ config, sequence }, corruption) => {
          const outs = runSequence(initOrThrow(config), sequence);
          const encoded = JSON.parse(JSON.stringify(ArtStateCodec.encode(outs[outs.length - 1]!.state)));
          const seenIndex = encoded.tasks.findIndex((t: { seen: boolean }) => t.seen);
          const k = Math.max(0, seenIndex);
          const official = config.preset === "official";
          const kind = encoded.tasks[k].seen ? "seen" : "official-preset";
          const fields = ["ema", "min", "prev"] as const;
          // The lines each corruption must produce (all of them): path, expectation, value.
          let expected: string[];
          switch (corruption) {
            case "nan-ema":
              encoded.tasks[k].ema = NaN;
              expected = [`tasks.${k}.ema: expected Finite (got NaN)`];
              break;
            case "negative-min":
              encoded.tasks[k].min = -1;
              expected = [`tasks.${k}.min: expected a number > 0 for a ${kind} task (got -1)`];
              break;
            case "wrong-count":
              encoded.tasks.push(encoded.tasks[0]);
              expected = [`tasks: expected ${config.numTasks} entries (got ${config.numTasks + 1})`];
              break;
            case "bad-tau":
              encoded.config.tau = Infinity;
              expected = ["config.tau: expected PositiveFinite (got Infinity)"];
              break;
            case "unseen-with-values": {
              const values = { ...encoded.tasks[k] };
              encoded.tasks[k].seen = false;
              if (official) {
                // The official preset starts every task from 0.1, so an unseen task with values
                // is a valid state: it must decode, unchanged.
                const decoded = ArtStateCodec.decode(encoded);
                assert.ok(E.isRight(decoded), E.isLeft(decoded) ? formatDecodeErrors(decoded.left).join("\n") : "");
                assert.deepEqual(decoded.right.tasks[k], { ...values, seen: false });
                return;
              }
              expected = fields.map(
                (f) => `tasks.${k}.${f}: expected null for an unseen task (got ${String(values[f])})`,
              );
              break;
            }
            case "unseen-without-values":
              // The mirror image: an unseen task without values is valid only in the paper preset.
              encoded.tasks[k] = { seen: false, ema: null, min: null, prev: null };
              if (!official) {
                const decoded = ArtStateCodec.decode(encoded);
                assert.ok(E.isRight(decoded), E.isLeft(decoded) ? formatDecodeErrors(decoded.left).join("\n") : "");
                assert.deepEqual(decoded.right.tasks[k], { seen: false, ema: null, min: null, prev: null });
                return;
              }
              expected = fields.map(
                (f) => `tasks.${k}.${f}: expected a number > 0 for a official-preset task (got null)`,
              );
              break;
          }
          const decoded = ArtStateCodec.decode(encoded);
          assert.ok(E.isLeft(decoded), `${corruption} was accepted`);
          const lines = formatDecodeErrors(decoded.left);
          for (const needle of expected) {
            assert.ok(
              lines.some((l) => l.includes(needle)),
              `${corruption}: no line says "${needle}":\n${lines.join("\n")}`,
            );
          }
        },
      ),
    );
  });
});
