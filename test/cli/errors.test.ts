/**
 * One error hierarchy: the kit's user-facing errors extend `KitError` (each keeping its class,
 * name and fields), the adapter's have the same `userMessage`, and the CLI turns them into
 * one-line usage errors in one place (src/cli/commands/shared.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { UsageError } from "../../src/cli/args.js";
import { asUsageError, userMessageOf } from "../../src/cli/commands/shared.js";
import {
  DatasetError,
  ImageFileError,
  KitError,
  NoCheckpointError,
  ParallelTrainingError,
  RunDirectoryBusyError,
  RunDirError,
  TrainSetupError,
} from "../../src/restoration/index.js";
import { AdapterError, NodeOnlyError, NoUsableBackendError } from "../../src/tfjs/index.js";

const kitErrors = (): [Error, new (...args: never[]) => Error, string][] => [
  [new TrainSetupError("runs/a already holds a run"), TrainSetupError, "TrainSetupError"],
  [new NoCheckpointError("ckpt: no checkpoint here"), NoCheckpointError, "TrainSetupError"],
  [
    new RunDirectoryBusyError("runs/a", { pid: 7, host: "h", since: "2026-01-01T00:00:00.000Z" }),
    RunDirectoryBusyError,
    "RunDirectoryBusyError",
  ],
  [new ParallelTrainingError("replica 1 exited at step 3"), ParallelTrainingError, "ParallelTrainingError"],
  [new DatasetError("data/x", "data/x: no such directory"), DatasetError, "DatasetError"],
  [new ImageFileError("a.png", "corrupt", "bad CRC"), ImageFileError, "ImageFileError"],
  [new RunDirError("runs/b: not a run directory"), RunDirError, "RunDirError"],
];

describe("the kit's errors", () => {
  it("extend KitError and Error, keep their class, name and fields, and show their message", () => {
    for (const [error, cls, name] of kitErrors()) {
      assert.ok(error instanceof KitError && error instanceof Error && error instanceof cls, name);
      assert.equal(error.name, name);
      assert.equal((error as KitError).userMessage, error.message);
    }
    assert.ok(new NoCheckpointError("x") instanceof TrainSetupError);
    const image = new ImageFileError("a.png", "corrupt", "bad CRC");
    assert.deepEqual(
      [image.file, image.reason, image.detail, image.message],
      ["a.png", "corrupt", "bad CRC", "a.png: corrupt (bad CRC)"],
    );
    assert.equal(new DatasetError("data/x", "m").file, "data/x");
    assert.equal(new RunDirectoryBusyError("runs/a", undefined).runDir, "runs/a");
  });

  it("the adapter's user-facing errors have the same userMessage; its other errors none", () => {
    assert.equal(
      new AdapterError("checkpoint", "ckpt/model/0000.bin: truncated").userMessage,
      "ckpt/model/0000.bin: truncated",
    );
    for (const kind of ["shape", "task-id", "option", "weighting"] as const)
      assert.equal(new AdapterError(kind, "m").userMessage, undefined, kind);
    assert.equal(
      new NoUsableBackendError("node", [], "no usable tfjs backend for 'node'").userMessage,
      "no usable tfjs backend for 'node'",
    );
    const nodeOnly = new NodeOnlyError("readImage");
    assert.equal(nodeOnly.userMessage, nodeOnly.message);
    assert.equal(new AdapterError("checkpoint", "m")._tag, "AdapterError");
  });
});

describe("the CLI's one handler (shared.ts)", () => {
  const usage = (error: unknown): string => {
    try {
      asUsageError(error);
    } catch (thrown) {
      if (thrown instanceof UsageError) return thrown.message;
      assert.equal(thrown, error, "anything else is rethrown as is");
      return "rethrown";
    }
    assert.fail("asUsageError returned");
  };

  it("turns kit errors and the adapter's user-facing errors into one-line usage errors with their message", () => {
    for (const [error] of kitErrors())
      if (!(error instanceof ParallelTrainingError)) assert.equal(usage(error), error.message, error.name);
    assert.equal(usage(new AdapterError("checkpoint", "ckpt: no checkpoint")), "ckpt: no checkpoint");
    assert.equal(usage(new NoUsableBackendError("node", [], "no usable tfjs backend")), "no usable tfjs backend");
  });

  it("rethrows everything else: a failed replica (train reports it, exit 1), the adapter's other errors, plain errors", () => {
    assert.equal(usage(new ParallelTrainingError("replica 1 exited")), "rethrown");
    assert.equal(usage(new AdapterError("shape", "expected [B,H,W,3]")), "rethrown");
    assert.equal(usage(new Error("boom")), "rethrown");
    assert.equal(usage("a string"), "rethrown");
    assert.equal(userMessageOf({ userMessage: "not an Error" }), undefined);
  });
});
