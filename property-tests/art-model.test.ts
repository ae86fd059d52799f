import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as E from "fp-ts/Either";

import { ArtStateCodec, stepArt, type ArtState } from "../src/core/index.js";
import { assertAllClose } from "../test/support/all-close.js";
import { anyConfig, lossVector, type GeneratedConfig } from "./arbitraries.js";
import { ReferenceArt } from "./reference.js";
import { initOrThrow } from "./run.js";

// Model-based test: random command sequences run against the core (the real system) and the
// independent float64 reference (the model), with checkpoint/resume and bad steps mixed in.

interface Real {
  state: ArtState;
}
interface Model {
  reference: ReferenceArt;
  config: GeneratedConfig;
}

class StepCommand implements fc.Command<Model, Real> {
  constructor(readonly losses: (number | null)[]) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const result = stepArt(real.state, this.losses);
    if (E.isLeft(result)) throw new Error(result.left.message);
    const expected = model.reference.step(this.losses);
    assertAllClose(result.right.weights, expected, { rtol: 1e-12, atol: 1e-300 }, "weights");
    real.state = result.right.state;
  }
  toString = () => `step(${JSON.stringify(this.losses)})`;
}

class CheckpointCommand implements fc.Command<Model, Real> {
  check = () => true;
  run(_model: Model, real: Real): void {
    const decoded = ArtStateCodec.decode(JSON.parse(JSON.stringify(ArtStateCodec.encode(real.state))));
    if (E.isLeft(decoded)) throw new Error("checkpoint did not decode");
    assert.deepEqual(decoded.right, real.state);
    real.state = decoded.right;
  }
  toString = () => "checkpoint-and-resume";
}

class BadStepCommand implements fc.Command<Model, Real> {
  constructor(
    readonly losses: (number | null)[],
    readonly at: number,
    readonly bad: number,
  ) {}
  check = () => true;
  run(_model: Model, real: Real): void {
    const poisoned = this.losses.map((l, k) => (k === this.at % this.losses.length ? this.bad : l));
    const before = JSON.stringify(real.state);
    const result = stepArt(real.state, poisoned);
    assert.ok(E.isLeft(result), "bad step accepted");
    assert.equal(JSON.stringify(real.state), before);
  }
  toString = () => `badStep(${this.bad} at ${this.at})`;
}

describe("Art against an independent float64 reference (fc.commands)", () => {
  it("every command sequence agrees with the reference to 1e-12", () => {
    fc.assert(
      fc.property(
        anyConfig().chain((config) =>
          fc.record({
            config: fc.constant(config),
            commands: fc.commands(
              [
                lossVector(config.numTasks, config.gcw).map((l) => new StepCommand(l)),
                lossVector(config.numTasks, config.gcw).map((l) => new StepCommand(l)),
                fc.constant(new CheckpointCommand()),
                fc
                  .tuple(
                    lossVector(config.numTasks, config.gcw),
                    fc.nat(),
                    fc.constantFrom(NaN, Infinity, -Infinity, -1, 0),
                  )
                  .map(([l, at, bad]) => new BadStepCommand(l, at, bad)),
              ],
              { maxCommands: 60 },
            ),
          }),
        ),
        ({ config, commands }) => {
          const setup = () => ({
            model: { reference: new ReferenceArt(config.numTasks, config), config },
            real: { state: initOrThrow(config) },
          });
          fc.modelRun(setup, commands);
        },
      ),
    );
  });
});
