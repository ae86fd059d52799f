/**
 * The models shipped in models/: they load (checksums verified), and they beat the degraded input
 * on every task, on fixed procedural crops (always) and on the real test set. On the real test images (Set14 + Set5, the frozen set of `npm run experiment`,
 * rebuilt here from ../shared/data) the scores are recomputed from the shipped weights and must
 * equal the committed eval.json; without the real images (a fresh clone) that part skips, and
 * under CI=true it fails instead (see fixtures.ts).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, describe, it } from "node:test";

import { createFrozenSet, listImageFiles } from "../../src/restoration/data/index.js";
import { metricJsonReviver } from "../../src/restoration/metrics/json.js";
import { expectedParameterCount } from "../../src/restoration/models/index.js";
import { PRETRAINED_MODELS, pretrainedCheckpoint, pretrainedRunDir } from "../../src/restoration/pretrained.js";
import { evaluateSession, loadTrainedSession, type EvalResult } from "../../src/restoration/train/index.js";
import { sharedDataDir } from "./fixtures.js";

const temp = mkdtempSync(join(tmpdir(), "art-mtl-shipped-"));
after(() => rmSync(temp, { recursive: true, force: true }));
const data = sharedDataDir();

/** The experiment's test set: Set14 + Set5 as "Set14-<file>", "Set5-<file>", frozen with seed 9000001 at 96x96. */
const frozenTestSet = async (tasks: readonly string[], name: string): Promise<string> => {
  const images = join(temp, `${name}-images`);
  mkdirSync(images, { recursive: true });
  for (const set of ["Set14", "Set5"])
    for (const file of listImageFiles(join(data as string, set)))
      symlinkSync(file, join(images, `${set}-${basename(file)}`));
  const dir = join(temp, `${name}-test`);
  await createFrozenSet(dir, { tasks: tasks as never, seed: 9_000_001, source: { folder: images }, maxSide: 96 });
  return dir;
};

describe("the shipped models", () => {
  for (const shipped of PRETRAINED_MODELS) {
    describe(shipped.name, () => {
      const committed = JSON.parse(
        readFileSync(join(pretrainedRunDir(shipped.name), "eval.json"), "utf8"),
        metricJsonReviver,
      ) as EvalResult;

      it("loads from the package with its checksums verified, task-prompted, with the formula's parameter count", async () => {
        const session = await loadTrainedSession(pretrainedCheckpoint(shipped.name), "wasm");
        assert.deepEqual([...session.config.tasks], [...shipped.tasks]);
        assert.equal(session.model.spec.taskPrompt, true);
        assert.equal(session.model.parameterCount, expectedParameterCount(session.model.spec, shipped.tasks.length));
        assert.equal(session.step, session.config.steps, "trained to the end of its config");
        session.model.dispose();
      });

      it("its committed evaluation beats the degraded input on every task", () => {
        assert.deepEqual(
          committed.tasks.map((t) => t.task),
          [...shipped.tasks],
        );
        for (const t of committed.tasks)
          assert.ok(t.psnr > t.inputPsnr, `${t.task}: ${t.psnr} dB vs input ${t.inputPsnr} dB`);
      });

      it("beats the input on every task of fixed procedural crops (no real images needed: runs on a fresh clone)", async () => {
        // Dead-leaves images the model never saw (it trained on photographs): 4 fixed 64x64 crops per task.
        const session = await loadTrainedSession(pretrainedCheckpoint(shipped.name), "wasm");
        const result = await evaluateSession(session, {
          data: "procedural",
          images: 4,
          size: 64,
          convention: "basicsr",
          checkpoint: "shipped",
          step: session.step,
        });
        session.model.dispose();
        assert.equal(result.tasks.length, shipped.tasks.length);
        for (const t of result.tasks)
          assert.ok(t.psnr > t.inputPsnr, `${t.task}: ${t.psnr.toFixed(2)} dB vs input ${t.inputPsnr.toFixed(2)} dB`);
      });

      it(
        "recomputed from the shipped weights on the real test set: the committed numbers, above the input on every task",
        { skip: data === undefined ? "needs ../shared/data (Set14, Set5)" : false },
        async () => {
          const session = await loadTrainedSession(pretrainedCheckpoint(shipped.name), "wasm");
          const testSet = await frozenTestSet(shipped.tasks, shipped.name);
          const result = await evaluateSession(session, {
            data: testSet,
            images: 1,
            size: 1,
            convention: "basicsr",
            checkpoint: "shipped",
            step: session.step,
          });
          session.model.dispose();
          result.tasks.forEach((t, k) => {
            const c = committed.tasks[k] as EvalResult["tasks"][number];
            assert.ok(t.psnr > t.inputPsnr, `${t.task}: ${t.psnr} dB vs input ${t.inputPsnr} dB`);
            assert.ok(Math.abs(t.psnr - c.psnr) < 1e-6, `${t.task}: recomputed ${t.psnr}, committed ${c.psnr}`);
            assert.ok(Math.abs(t.inputPsnr - c.inputPsnr) < 1e-9, `${t.task}: same inputs`);
          });
        },
      );
    });
  }
});
