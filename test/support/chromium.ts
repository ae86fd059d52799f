/**
 * Headless Chromium for browser tests: Debian's `chromium` driven by puppeteer-core (which
 * downloads nothing), with SwiftShader giving WebGL and WebGPU on a CPU-only machine.
 *
 * Where no chromium is installed the tests skip with the reason, except under CI=true, where
 * they fail: .ci/run installs it, so a missing browser there is a broken set-up, not a skip.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { Browser } from "puppeteer-core";

/** The flags that give WebGPU and WebGL on SwiftShader in headless mode. */
export const CHROMIUM_GPU_FLAGS: readonly string[] = [
  "--enable-unsafe-webgpu",
  "--enable-unsafe-swiftshader",
  "--use-webgpu-adapter=swiftshader",
  "--use-angle=swiftshader",
  "--no-sandbox",
  "--disable-dev-shm-usage",
];

/** The chromium binary, or undefined with the reason. */
export const findChromium = (): { path?: string; reason?: string } => {
  const fromEnv = process.env["CHROMIUM_PATH"];
  if (fromEnv !== undefined && fromEnv !== "")
    return existsSync(fromEnv) ? { path: fromEnv } : { reason: `CHROMIUM_PATH=${fromEnv} does not exist` };
  for (const candidate of ["/usr/bin/chromium", "/usr/bin/chromium-browser"])
    if (existsSync(candidate)) return { path: candidate };
  const which = spawnSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" });
  const found = which.stdout.trim();
  if (which.status === 0 && found !== "") return { path: found };
  return { reason: "no chromium (apt-get install -y chromium)" };
};

/**
 * `skip` for node:test: false when chromium is there; the reason when it is not (outside CI);
 * under CI=true a missing chromium throws, so the test fails.
 */
export const chromiumSkip = (): false | string => {
  const found = findChromium();
  if (found.path !== undefined) return false;
  if (process.env["CI"] === "true") throw new Error(`CI=true but ${found.reason}: .ci/run should have installed it`);
  return found.reason!;
};

/** Launches headless chromium with the GPU flags. */
export const launchChromium = async (extraArgs: readonly string[] = []): Promise<Browser> => {
  const found = findChromium();
  if (found.path === undefined) throw new Error(found.reason);
  const puppeteer = await import("puppeteer-core");
  return puppeteer.launch({
    executablePath: found.path,
    headless: true,
    args: [...CHROMIUM_GPU_FLAGS, ...extraArgs],
    protocolTimeout: 600_000,
  });
};
