import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { RgbImage } from "../../src/restoration/image.js";
import { renderReport, sampleGridHtml, type RunData } from "../../src/restoration/report/index.js";
import { finitePsnrMean, scoresMarkdown } from "../../src/restoration/train/evaluate.js";
import type { TaskScore } from "../../src/restoration/train/records.js";

const flat = (value: number, side = 4): RgbImage => ({
  width: side,
  height: side,
  data: new Float32Array(side * side * 3).fill(value),
});

describe("eval: images identical to their clean image", () => {
  it("finitePsnrMean leaves +Infinity out of the mean and counts it", () => {
    assert.deepEqual(finitePsnrMean([30, Infinity, 32]), { mean: 31, identical: 1 });
    assert.deepEqual(finitePsnrMean([Infinity, Infinity]), { mean: Infinity, identical: 2 });
    assert.deepEqual(finitePsnrMean([20, 22]), { mean: 21, identical: 0 });
  });

  it("the table prints the finite mean with the count beside it, for inputs and outputs, and says 'below input'", () => {
    const scores: TaskScore[] = [
      {
        task: "lowlight",
        count: 3,
        psnr: 24.5,
        ssim: 0.9,
        inputPsnr: 18.25,
        inputSsim: 0.8,
        identical: 0,
        inputIdentical: 1,
      },
      {
        task: "jpeg",
        count: 2,
        psnr: 30,
        ssim: 0.9,
        inputPsnr: 31.5,
        inputSsim: 0.91,
        identical: 1,
        inputIdentical: 0,
      },
    ];
    const table = scoresMarkdown(scores, { psnr: 27.25, ssim: 0.9 });
    assert.match(
      table,
      /\| lowlight \| 3 \| 18\.25 \(\+1 identical\) \| 0\.8000 \| 24\.50 \| 0\.9000 \| \+6\.25 dB \|/,
    );
    assert.match(
      table,
      /\| jpeg \| 2 \| 31\.50 \| 0\.9100 \| 30\.00 \(\+1 identical\) \| 0\.9000 \| −1\.50 dB \(below input\) \|/,
    );
    // The mean row: (18.25 + 31.5) / 2 = 24.875, printed 24.88; no Infinity anywhere.
    assert.match(table, /\| \*\*mean\*\* \| 5 \| 24\.88 \|/);
    assert.doesNotMatch(table, /Infinity/);
  });
});

describe("report: before/after pictures", () => {
  it("renders input, each run and clean as inline PNGs with PSNR and the difference to the input, 'below input' in words", () => {
    const html = sampleGridHtml({
      source: "test images",
      rows: [
        {
          task: "noise",
          name: "n1",
          input: flat(0.5),
          inputPsnr: 20,
          target: flat(0.6),
          outputs: [
            { label: "mixed", image: flat(0.55), psnr: 26 },
            { label: "art", image: flat(0.4), psnr: 19.5 },
          ],
        },
      ],
    });
    assert.equal((html.match(/<img src="data:image\/png;base64,/g) ?? []).length, 4, "input, two runs, clean");
    assert.match(html, /<th>mixed<\/th><th>art<\/th>/);
    assert.match(html, /26\.00 dB \(\+6\.00\)/);
    assert.match(html, /19\.50 dB \(−0\.50\)<br><b>below input<\/b>/);
    assert.equal((html.match(/below input/g) ?? []).length, 1);
  });

  it("renderReport includes the section only when given samples, and flags eval cells below the input", () => {
    const run: RunData = {
      name: "r",
      dir: "/tmp/r",
      weighting: "mixed",
      tasks: ["jpeg"],
      log: [],
      badLogLines: 0,
      evaluation: {
        checkpoint: "c",
        step: 1,
        data: "d",
        convention: "basicsr",
        cropBorder: 0,
        yChannel: false,
        tasks: [{ task: "jpeg", count: 1, psnr: 30, ssim: 0.9, inputPsnr: 31, inputSsim: 0.9 }],
        mean: { psnr: 30, ssim: 0.9 },
        seconds: 1,
      },
    };
    const without = renderReport([run], { generatedAt: new Date(0) });
    assert.doesNotMatch(without, /Before and after/);
    assert.match(without, /30\.00 \(below input\)/);
    const withSamples = renderReport([run], {
      generatedAt: new Date(0),
      samples: {
        source: "s",
        rows: [
          {
            task: "jpeg",
            name: "x",
            input: flat(0.5),
            inputPsnr: 31,
            target: flat(0.5),
            outputs: [{ label: "r", image: flat(0.5), psnr: 30 }],
          },
        ],
      },
    });
    assert.match(withSamples, /<h2>Before and after<\/h2>/);
  });
});
