/**
 * The playground page: settings → a PlaygroundSession (session.ts) → live views. Training runs
 * in short slices between frames, so the page stays responsive; charts redraw every few steps,
 * samples and the PSNR table every few seconds.
 */
import * as tf from "@tensorflow/tfjs-core";

// The gradient functions (tfjs-layers or the tfjs umbrella would register them; the page needs neither).
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgl";
import "@tensorflow/tfjs-backend-webgpu";

import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

import { MIOIR_TASKS, type TaskName } from "../../../src/restoration/degradations/degradations.js";
import type { RgbImage } from "../../../src/restoration/image.js";
import { lineChart, PALETTE, smooth, type Series } from "../../../src/restoration/report/svg.js";
import { STRATEGIES, STRATEGY_NAMES } from "../../../src/strategies/registry.js";
import { registerWebGlTrainingKernels } from "../../../src/tfjs/backend/register-webgl.js";
import { registerWebGpuTrainingKernels } from "../../../src/tfjs/backend/register-webgpu.js";
import { registerWasmTrainingKernels } from "../../../src/tfjs/backend/register.js";
import { loadShippedWeights, runArchive, SHIPPED_MODEL } from "./files.js";
import { PlaygroundSession, type PlaygroundSettings, type TaskSample } from "./session.js";

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`playground: no #${id} in the page`);
  return element as T;
};

/** The elements `selector` matches under `root`, as an array (the DOM lib here has no iterable NodeList). */
const all = <T extends Element>(root: ParentNode, selector: string): T[] =>
  Array.from(root.querySelectorAll<T>(selector));

const status = $("status");
const say = (text: string) => (status.textContent = text);

// ---- backend ------------------------------------------------------------------------------
const BACKEND_ORDER = ["webgpu", "webgl", "wasm", "cpu"] as const;
let backendReady: Promise<string> | undefined;

/** Activates the chosen backend ("auto": the first that starts) and says why others were skipped. */
const chooseBackend = async (choice: string): Promise<string> => {
  const candidates = choice === "auto" ? [...BACKEND_ORDER] : [choice];
  const skipped: string[] = [];
  for (const name of candidates) {
    try {
      if (name === "webgpu" && !("gpu" in navigator))
        throw new Error("navigator.gpu is missing (this browser has no WebGPU)");
      if (name === "wasm") setWasmPaths(new URL("wasm/", location.href).href);
      if (!(await tf.setBackend(name))) throw new Error("it did not initialise");
      await tf.ready();
      // The training kernels and fixes each backend needs (docs/backends.md), as selectBackend does in Node.
      if (name === "webgl") registerWebGlTrainingKernels(tf);
      else if (name === "webgpu") registerWebGpuTrainingKernels(tf);
      else registerWasmTrainingKernels(tf, name);
      $("backend-info").textContent =
        `Running on ${name}.${skipped.length > 0 ? ` Skipped: ${skipped.join("; ")}.` : ""}`;
      return name;
    } catch (error) {
      skipped.push(`${name} (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`);
    }
  }
  $("backend-info").textContent = `No backend started: ${skipped.join("; ")}.`;
  throw new Error("no tfjs backend could start");
};

// ---- settings -----------------------------------------------------------------------------
const taskBox = $("tasks");
for (const task of MIOIR_TASKS) {
  const label = document.createElement("label");
  label.innerHTML = `<input type="checkbox" name="task" value="${task}" checked> ${task}`;
  taskBox.append(label);
}
const strategySelect = $<HTMLSelectElement>("strategy");
for (const name of STRATEGY_NAMES.filter((n) => n !== "equal")) {
  const option = document.createElement("option");
  option.value = name;
  option.textContent = `${name}: ${STRATEGIES[name].description}`;
  strategySelect.append(option);
}

/** The knobs of the selected strategy, built from its registry flags (Art: tau, rate, lcr, gcw, ...). */
const CHOICES: Readonly<Record<string, readonly string[]>> = {
  lcr: ["", "none", "raw", "ema"],
  gcw: ["", "none", "raw", "log", "relative-log"],
  preset: ["", "paper", "official"],
};
const renderKnobs = () => {
  const knobs = $("knobs");
  knobs.textContent = "";
  const flags = STRATEGIES[strategySelect.value as keyof typeof STRATEGIES].flags as Readonly<
    Record<string, { key: string; kind: string }>
  >;
  for (const [flag, spec] of Object.entries(flags)) {
    if (spec.kind === "numbers") continue;
    const id = `knob-${flag}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = `${spec.key} (blank: default)`;
    let input: HTMLInputElement | HTMLSelectElement;
    if (spec.kind === "boolean") {
      input = document.createElement("input");
      input.type = "checkbox";
    } else if (CHOICES[spec.key] !== undefined) {
      input = document.createElement("select");
      for (const value of CHOICES[spec.key]!) input.append(new Option(value === "" ? "(default)" : value, value));
    } else {
      input = document.createElement("input");
      input.type = spec.kind === "number" ? "number" : "text";
      if (spec.kind === "number") input.step = "any";
    }
    input.id = id;
    input.dataset["key"] = spec.key;
    input.dataset["kind"] = spec.kind;
    knobs.append(label, input);
  }
};
strategySelect.addEventListener("change", renderKnobs);
renderKnobs();

const readSettings = (): PlaygroundSettings => {
  const number = (id: string) => Number($<HTMLInputElement>(id).value);
  const options: Record<string, unknown> = {};
  for (const input of all<HTMLInputElement | HTMLSelectElement>($("knobs"), "input, select")) {
    const key = input.dataset["key"]!;
    if (input instanceof HTMLInputElement && input.type === "checkbox") {
      if (input.checked) options[key] = true;
    } else if (input.value !== "") {
      options[key] = input.dataset["kind"] === "number" ? Number(input.value) : input.value;
    }
  }
  const pretrained = $<HTMLSelectElement>("start").value === "pretrained";
  const tasks = pretrained
    ? [...SHIPPED_MODEL.tasks]
    : all<HTMLInputElement>(document, 'input[name="task"]:checked').map((box) => box.value as TaskName);
  if (tasks.length === 0) throw new RangeError("pick at least one task");
  return {
    tasks,
    weighting: { name: strategySelect.value, options },
    model: pretrained
      ? SHIPPED_MODEL.model
      : { kind: "srresnet", width: number("width"), blocks: number("blocks"), taskPrompt: true },
    perTask: number("perTask"),
    patchSize: number("patch"),
    lr: number("lr"),
    seed: number("seed"),
  };
};

// ---- views --------------------------------------------------------------------------------
const RUN_STYLES = [{ dashed: false }, { dashed: true }];

const drawCharts = (session: PlaygroundSession) => {
  const tasks = session.settings.tasks;
  $("loss").innerHTML = tasks
    .map((task, k) => {
      const series: Series[] = session.runs.map((run, i) => ({
        label: run.label,
        color: PALETTE[k % PALETTE.length]!,
        dashed: RUN_STYLES[i]!.dashed,
        x: run.log.map((r) => r.step),
        y: smooth(
          run.log.map((r) => r.taskLosses[k] ?? null),
          0.9,
        ),
      }));
      return lineChart(series, {
        title: `${task}: L1`,
        xLabel: "step",
        yLabel: "L1",
        logY: true,
        width: 250,
        height: 190,
      });
    })
    .join("");
  const weighted = session.runs[1]!;
  const perTask = (values: (k: number) => (number | null)[], smoothing: number): Series[] =>
    tasks.map((task, k) => ({
      label: task,
      color: PALETTE[k % PALETTE.length]!,
      dashed: k % 2 === 1,
      x: weighted.log.map((r) => r.step),
      y: smooth(values(k), smoothing),
    }));
  const charts = [
    lineChart(
      perTask((k) => weighted.log.map((r) => r.weights[k] ?? null), 0.8),
      {
        title: `${weighted.config.weighting.name}: task weights`,
        xLabel: "step",
        yLabel: "weight",
        width: 380,
        height: 250,
        yMin: 0,
      },
    ),
  ];
  const hasSignals = weighted.signals.some((d) => d.s !== null);
  if (hasSignals) {
    charts.push(
      lineChart(
        perTask((k) => weighted.signals.map((d) => d.s?.[k] ?? null), 0.8),
        { title: "Art's s (local convergence)", xLabel: "step", yLabel: "s", width: 380, height: 250 },
      ),
    );
    charts.push(
      lineChart(
        perTask((k) => weighted.signals.map((d) => d.r?.[k] ?? null), 0.8),
        { title: "Art's r (global correction)", xLabel: "step", yLabel: "r", width: 380, height: 250 },
      ),
    );
  }
  $("weights").innerHTML =
    charts.join("") + (hasSignals ? "" : `<p class="note">${weighted.config.weighting.name} reports no s or r.</p>`);
};

const toCanvas = (image: RgbImage, label: string): HTMLCanvasElement => {
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  const context = canvas.getContext("2d")!;
  const pixels = context.createImageData(image.width, image.height);
  for (let i = 0, j = 0; i < image.data.length; i += 3, j += 4) {
    pixels.data[j] = Math.round(Math.min(1, Math.max(0, image.data[i]!)) * 255);
    pixels.data[j + 1] = Math.round(Math.min(1, Math.max(0, image.data[i + 1]!)) * 255);
    pixels.data[j + 2] = Math.round(Math.min(1, Math.max(0, image.data[i + 2]!)) * 255);
    pixels.data[j + 3] = 255;
  }
  context.putImageData(pixels, 0, 0);
  return canvas;
};

const drawSamples = (session: PlaygroundSession, samples: readonly TaskSample[]) => {
  const grid = $("samples");
  grid.textContent = "";
  for (const sample of samples) {
    const figure = document.createElement("figure");
    figure.className = "sample-row";
    const names = ["input", ...session.runs.map((r) => r.label), "clean"];
    [sample.input, ...sample.outputs, sample.clean].forEach((image, i) =>
      figure.append(toCanvas(image, `${sample.task}: ${names[i]}`)),
    );
    const caption = document.createElement("figcaption");
    caption.textContent = `${sample.task}: ${names.join(" / ")}`;
    figure.append(caption);
    grid.append(figure);
  }
  const table = $<HTMLTableElement>("psnr");
  const caption = table.caption;
  table.textContent = "";
  if (caption !== null) table.append(caption);
  const head = table.createTHead().insertRow();
  for (const title of ["task", "input", ...session.runs.map((r) => r.label), "best"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = title;
    head.append(th);
  }
  const body = table.createTBody();
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const rows = [
    ...samples.map((s) => ({ name: s.task as string, values: [s.inputPsnr, ...s.psnrs] })),
    {
      name: "mean",
      values: [
        mean(samples.map((s) => s.inputPsnr)),
        ...session.runs.map((_, i) => mean(samples.map((s) => s.psnrs[i]!))),
      ],
    },
  ];
  for (const row of rows) {
    const tr = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = row.name;
    tr.append(th);
    const best = row.values.indexOf(Math.max(...row.values));
    row.values.forEach((value, i) => {
      const td = tr.insertCell();
      td.textContent = `${value.toFixed(2)}${i === best ? " ▲" : ""}`;
      if (i === best) td.className = "best";
    });
    tr.insertCell().textContent = ["input", ...session.runs.map((r) => r.label)][best]!;
  }
};

// ---- the loop -----------------------------------------------------------------------------
let session: PlaygroundSession | undefined;
let running = false;
/** The training loop while it runs (a pause takes effect at the end of its current slice). */
let looping: Promise<void> | undefined;
let lastSamples = 0;
let lastCharts = 0;
const runButton = $<HTMLButtonElement>("run");

const updateButtons = () => {
  runButton.textContent = running ? "Pause" : session === undefined ? "Train" : "Resume";
  // Downloads only once the loop has stopped: a checkpoint must not read weights mid-update.
  const idle = !running && looping === undefined && session !== undefined && session.step > 0;
  for (const id of ["download-mixed", "download-weighted"]) $<HTMLButtonElement>(id).disabled = !idle;
};

const setRunning = (on: boolean) => {
  running = on;
  updateButtons();
};

const refresh = async (force = false) => {
  if (session === undefined) return;
  const now = performance.now();
  if (force || session.step - lastCharts >= 5) {
    drawCharts(session);
    lastCharts = session.step;
  }
  if (force || now - lastSamples > 4000) {
    drawSamples(session, await session.samples());
    lastSamples = performance.now();
  }
  showStatus(running ? "Training" : "Pausing");
  playgroundState.updates++;
};

/** The status line; "Paused" only once the loop has stopped (downloads are enabled then too). */
const showStatus = (what: "Training" | "Pausing" | "Paused") => {
  if (session === undefined) return;
  say(
    `${what} on ${tf.getBackend()}: step ${session.step}, ${session.stepsPerSecond.toFixed(2)} steps/s (both runs), ${tf.memory().numTensors} tensors`,
  );
};

const loop = async () => {
  try {
    while (running && session !== undefined) {
      const sliceEnd = performance.now() + 200;
      do await session.trainStep();
      while (running && performance.now() < sliceEnd);
      await refresh();
      await new Promise((done) => requestAnimationFrame(() => done(undefined)));
    }
    await refresh(true);
    looping = undefined;
    showStatus("Paused");
  } catch (error) {
    // E.g. a weighting that rejects a non-finite loss: stop and say so.
    running = false;
    say(`Error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    looping = undefined;
    updateButtons();
  }
};

const start = async () => {
  try {
    // A pause lets the current slice finish; never run two loops on one session.
    await looping;
    backendReady ??= chooseBackend($<HTMLSelectElement>("backend").value);
    await backendReady;
    if (session === undefined) {
      const settings = readSettings();
      say("Building the models…");
      session = new PlaygroundSession(tf, settings);
      if ($<HTMLSelectElement>("start").value === "pretrained") {
        say("Loading the shipped model…");
        await loadShippedWeights(tf, session, new URL("pretrained/all-in-one/checkpoint/", location.href).href);
      }
      for (const element of all<HTMLInputElement>($("controls"), "fieldset input, fieldset select"))
        element.disabled = true;
      await refresh(true);
    }
    setRunning(true);
    looping = loop();
  } catch (error) {
    setRunning(false);
    say(`Error: ${error instanceof Error ? error.message : String(error)}`);
  }
};

runButton.addEventListener("click", () => (running ? setRunning(false) : void start()));
document.addEventListener("keydown", (event) => {
  // Space toggles training, unless the focus is on a control that uses it.
  if (event.code === "Space" && (event.target === document.body || event.target === runButton)) {
    event.preventDefault();
    runButton.click();
  }
});
$("reset").addEventListener("click", async () => {
  setRunning(false);
  await looping;
  session?.dispose();
  session = undefined;
  backendReady = undefined;
  lastCharts = 0;
  lastSamples = 0;
  for (const element of all<HTMLInputElement>($("controls"), "fieldset input, fieldset select"))
    element.disabled = false;
  for (const id of ["loss", "weights", "samples"]) $(id).textContent = "";
  $("start").dispatchEvent(new Event("change"));
  setRunning(false);
  say("Reset. Choose settings and press Train.");
});
$("start").addEventListener("change", () => {
  const pretrained = $<HTMLSelectElement>("start").value === "pretrained";
  for (const id of ["width", "blocks"]) $<HTMLSelectElement>(id).disabled = pretrained;
  for (const box of all<HTMLInputElement>(document, 'input[name="task"]')) box.disabled = pretrained;
});

const download = async (index: number) => {
  if (session === undefined) return;
  const run = session.runs[index]!;
  const blob = new Blob([await runArchive(run)], { type: "application/x-tar" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `${run.config.name}-step${session.step}.tar`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  say(`Saved ${link.download}: tar -xf it, then art-mtl eval --checkpoint ${run.config.name}/checkpoint`);
};
$("download-mixed").addEventListener("click", () => void download(0));
$("download-weighted").addEventListener("click", () => void download(1));

/** What the headless test reads (no behaviour hangs on it). */
const playgroundState = {
  updates: 0,
  get step() {
    return session?.step ?? 0;
  },
  get backend() {
    return session === undefined ? "" : tf.getBackend();
  },
  /** Live tensors (-1 before a session exists: tf.memory() needs an initialised backend). */
  get tensors() {
    return session === undefined ? -1 : tf.memory().numTensors;
  },
};
(globalThis as { playground?: unknown }).playground = playgroundState;
setRunning(false);
say("Ready. Choose settings and press Train (or Space).");
