/**
 * ms per training step of a small conv net on the pure-JS cpu backend and on wasm (with the
 * training kernels of src/tfjs/backend), measured side by side in one process.
 *
 * Net: 4 conv layers 3x3 (3→32→32→32→3 channels, ReLU between), L1 loss, one Adam step;
 * batch 4, 48x48 inputs. Usage:
 *   npx tsx bench/wasm-vs-cpu.ts [--cpu-steps 2] [--wasm-steps 20] [--batch 4] [--size 48] [--channels 32]
 * Both backends run single-threaded in this process, so besides wall-clock ms/step the process CPU
 * time per step is printed: on a shared machine it is the steadier number. The speed-up on the
 * last line, `wasm-speedup-over-cpu=<x>`, is the ratio of the wall-clock medians. The default run
 * takes about 1.5 minutes on an idle 2-core machine, nearly all of it the single cpu step.
 */
import * as tf from "@tensorflow/tfjs-core";

import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers tfjs-core's gradients

import { selectBackend } from "../src/tfjs/backend/index.js";

interface BenchConfig {
  readonly cpuSteps: number;
  readonly wasmSteps: number;
  readonly batch: number;
  readonly size: number;
  readonly channels: number;
}

function parseArgs(argv: readonly string[]): BenchConfig {
  const value = (flag: string, fallback: number): number => {
    const at = argv.indexOf(flag);
    const raw = at >= 0 ? argv[at + 1] : undefined;
    const parsed = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${flag} needs a positive number`);
    return parsed;
  };
  return {
    cpuSteps: value("--cpu-steps", 1),
    wasmSteps: value("--wasm-steps", 20),
    batch: value("--batch", 4),
    size: value("--size", 48),
    channels: value("--channels", 32),
  };
}

/** Builds the net on the active backend and returns a function running one Adam step (awaiting the loss). */
function buildTrainer(config: BenchConfig): { step: () => Promise<number>; dispose: () => void } {
  const { batch, size, channels } = config;
  const widths = [3, channels, channels, channels, 3];
  const filters = widths
    .slice(1)
    .map((out, i) =>
      tf.tidy(() =>
        tf.variable(
          tf.randomNormal(
            [3, 3, widths[i] as number, out],
            0,
            Math.sqrt(2 / (9 * (widths[i] as number))),
            "float32",
            10 + i,
          ),
        ),
      ),
    );
  const input = tf.randomUniform([batch, size, size, 3], 0, 1, "float32", 1);
  const target = tf.randomUniform([batch, size, size, 3], 0, 1, "float32", 2);
  const optimizer = tf.train.adam(1e-3);
  const step = async (): Promise<number> => {
    const loss = optimizer.minimize(
      () =>
        tf.tidy(() => {
          let h = input as tf.Tensor4D;
          filters.forEach((f, i) => {
            const conv = tf.conv2d(h, f as tf.Tensor4D, 1, "same");
            h = i < filters.length - 1 ? tf.relu(conv) : conv;
          });
          return tf.mean(tf.abs(tf.sub(h, target))) as tf.Scalar;
        }),
      true,
    );
    if (loss === null) throw new Error("minimize returned no loss");
    const value = (await loss.data())[0] as number; // waits for the step to finish
    loss.dispose();
    return value;
  };
  return {
    step,
    dispose: () => {
      optimizer.dispose();
      tf.dispose([input, target, ...filters]);
    },
  };
}

/** Median wall-clock and process-CPU ms per step over `steps` timed steps. */
interface StepTimes {
  readonly wallMs: number;
  readonly cpuMs: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * Times `steps` training steps on `backend`. wasm gets one untimed warm-up step (XNNPACK operator
 * setup, Adam slots); cpu does not, since one of its steps costs a minute and has nothing to set up.
 */
async function measure(backend: "cpu" | "wasm", steps: number, config: BenchConfig): Promise<StepTimes> {
  await selectBackend(tf, backend);
  const trainer = buildTrainer(config);
  try {
    if (backend === "wasm") await trainer.step();
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < steps; i++) {
      const startWall = performance.now();
      const startCpu = process.cpuUsage();
      await trainer.step();
      const used = process.cpuUsage(startCpu);
      wall.push(performance.now() - startWall);
      cpu.push((used.user + used.system) / 1000);
    }
    return { wallMs: median(wall), cpuMs: median(cpu) };
  } finally {
    trainer.dispose();
  }
}

const config = parseArgs(process.argv.slice(2));
console.log(
  `net: 4 conv 3x3 (3-${config.channels}-${config.channels}-${config.channels}-3), batch ${config.batch}, ${config.size}x${config.size}, L1 + Adam`,
);
const report = (name: string, t: StepTimes, steps: number): void =>
  console.log(
    `${name}: ${t.wallMs.toFixed(1)} ms/step wall, ${t.cpuMs.toFixed(1)} ms/step process CPU (median of ${steps})`,
  );
const onWasm = await measure("wasm", config.wasmSteps, config);
report("wasm", onWasm, config.wasmSteps);
const onCpu = await measure("cpu", config.cpuSteps, config);
report("cpu", onCpu, config.cpuSteps);
console.log(`cpu-time ratio (cpu/wasm): ${(onCpu.cpuMs / onWasm.cpuMs).toFixed(1)}`);
console.log(`wasm-speedup-over-cpu=${(onCpu.wallMs / onWasm.wallMs).toFixed(1)}`);
