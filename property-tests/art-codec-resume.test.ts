import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as E from "fp-ts/Either";
import { ArtStateCodec, formatDecodeErrors } from "../src/core/index.js";
import type { ArtState } from "../src/core/index.js";
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

  it("a corrupted checkpoint is rejected with a line naming the path and the value", () => {
    fc.assert(
      fc.property(
        configAndSequence(),
        fc.constantFrom("nan-ema", "negative-min", "wrong-count", "bad-tau", "unseen-with-values"),
        ({ config, sequence }, corruption) => {
          const outs = runSequence(initOrThrow(config), sequence);
          const encoded = JSON.parse(JSON.stringify(ArtStateCodec.encode(outs[outs.length - 1]!.state)));
          const seenIndex = encoded.tasks.findIndex((t: { seen: boolean }) => t.seen);
          const k = Math.max(0, seenIndex);
          switch (corruption) {
            case "nan-ema":
              encoded.tasks[k].ema = NaN;
              break;
            case "negative-min":
              encoded.tasks[k].min = -1;
              break;
            case "wrong-count":
              encoded.tasks.push(encoded.tasks[0]);
              break;
            case "bad-tau":
              encoded.config.tau = Infinity;
              break;
            case "unseen-with-values":
              encoded.tasks[k].seen = false;
              break;
          }
          const decoded = ArtStateCodec.decode(encoded);
          if (corruption === "unseen-with-values" && config.preset === "official") {
            // In the official preset an unseen task legitimately carries the initial values.
            return;
          }
          assert.ok(E.isLeft(decoded), `${corruption} was accepted`);
          const lines = formatDecodeErrors(decoded.left);
          assert.ok(lines.length > 0);
          if (corruption === "nan-ema") assert.ok(lines.some((l) => l.includes(`tasks.${k}.ema`) && l.includes("NaN")), lines.join("\n"));
          if (corruption === "bad-tau") assert.ok(lines.some((l) => l.includes("config.tau") && l.includes("Infinity")), lines.join("\n"));
        },
      ),
    );
  });
});
