/**
 * Finds SwiftShader, the CPU implementation of Vulkan that Chromium ships, so the WebGPU tests can
 * run Dawn (the `webgpu` npm package) on a machine without a GPU.
 *
 * Debian's `chromium` package puts it in /usr/lib/chromium: libvk_swiftshader.so, its ICD file
 * vk_swiftshader_icd.json and a Vulkan loader libvulkan.so.1. A process that sets
 * `LD_LIBRARY_PATH=<dir>` and `VK_ICD_FILENAMES=<dir>/vk_swiftshader_icd.json` **when it starts**
 * (the dynamic loader reads LD_LIBRARY_PATH once) gets a WebGPU adapter from Dawn, so the tests run
 * WebGPU in a child process with `swiftShaderEnv`.
 *
 * Where it looks, in order: `$ART_MTL_SWIFTSHADER_DIR`, the files of the Debian package
 * `chromium-common` (`dpkg -L`), then known install folders.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** Folders SwiftShader is known to be installed in (Debian/Ubuntu chromium, Fedora, Chrome). */
export const KNOWN_SWIFTSHADER_DIRS: readonly string[] = [
  "/usr/lib/chromium",
  "/usr/lib/chromium-browser",
  "/usr/lib64/chromium-browser",
  "/opt/google/chrome",
];

const ICD = "vk_swiftshader_icd.json";

/** A SwiftShader install: the folder and its ICD file. */
export interface SwiftShader {
  readonly dir: string;
  readonly icd: string;
  /** How it was found (for messages). */
  readonly source: string;
}

/** Either an install, or why none was found. */
export type SwiftShaderLookup = { readonly found: SwiftShader } | { readonly missing: string };

/** The ICD file's library exists, and a Vulkan loader is next to it or known to the system. */
const usable = (dir: string): string | undefined => {
  const icd = join(dir, ICD);
  if (!existsSync(icd)) return `${icd} does not exist`;
  let library = "libvk_swiftshader.so";
  try {
    const parsed = JSON.parse(readFileSync(icd, "utf8")) as { ICD?: { library_path?: unknown } };
    if (typeof parsed.ICD?.library_path === "string") library = parsed.ICD.library_path;
  } catch (err) {
    return `${icd} is not valid JSON (${(err as Error).message})`;
  }
  const libraryPath = library.startsWith("/") ? library : join(dir, library);
  if (!existsSync(libraryPath)) return `${icd} names ${libraryPath}, which does not exist`;
  if (!existsSync(join(dir, "libvulkan.so.1")) && !systemHasVulkanLoader()) {
    return `no Vulkan loader: neither ${join(dir, "libvulkan.so.1")} nor a libvulkan.so.1 known to ldconfig`;
  }
  return undefined;
};

const systemHasVulkanLoader = (): boolean => {
  const ldconfig = spawnSync("ldconfig", ["-p"], { encoding: "utf8" });
  return ldconfig.status === 0 && /libvulkan\.so\.1\b/.test(ldconfig.stdout);
};

/** The folder of the swiftshader ICD among the files of `chromium-common`, if dpkg knows it. */
const fromDpkg = (): string | undefined => {
  const listing = spawnSync("dpkg", ["-L", "chromium-common"], { encoding: "utf8" });
  if (listing.status !== 0 || typeof listing.stdout !== "string") return undefined;
  const icd = listing.stdout.split("\n").find((line) => line.endsWith(`/${ICD}`));
  return icd === undefined ? undefined : dirname(icd);
};

/** Looks for SwiftShader (see the module note). Never throws. */
export const findSwiftShader = (env: NodeJS.ProcessEnv = process.env): SwiftShaderLookup => {
  const tried: string[] = [];
  const candidates: Array<{ dir: string; source: string }> = [];
  const override = env["ART_MTL_SWIFTSHADER_DIR"];
  if (override !== undefined && override !== "") candidates.push({ dir: override, source: "$ART_MTL_SWIFTSHADER_DIR" });
  const packaged = fromDpkg();
  if (packaged !== undefined) candidates.push({ dir: packaged, source: "dpkg -L chromium-common" });
  else tried.push("dpkg -L chromium-common lists no swiftshader ICD (is the Debian package chromium installed?)");
  for (const dir of KNOWN_SWIFTSHADER_DIRS) candidates.push({ dir, source: "known folder" });
  for (const { dir, source } of candidates) {
    const problem = usable(dir);
    if (problem === undefined) return { found: { dir, icd: join(dir, ICD), source } };
    if (source !== "known folder" || existsSync(dir)) tried.push(`${dir} (${source}): ${problem}`);
  }
  return {
    missing: `SwiftShader (Vulkan on the CPU, for WebGPU in Node) not found; install it with \`apt-get install -y chromium\` or set ART_MTL_SWIFTSHADER_DIR. Tried: ${tried.join("; ") || KNOWN_SWIFTSHADER_DIRS.join(", ")}`,
  };
};

/** The environment for a child process that should get SwiftShader as its (only) Vulkan driver. */
export const swiftShaderEnv = (found: SwiftShader, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => ({
  ...env,
  LD_LIBRARY_PATH: [found.dir, env["LD_LIBRARY_PATH"]].filter((p) => p !== undefined && p !== "").join(":"),
  VK_ICD_FILENAMES: found.icd,
  // Newer Vulkan loaders read this name; older ones the one above.
  VK_DRIVER_FILES: found.icd,
});

/** True under CI (`CI=true`, as .ci/run sets it): a missing requirement must fail, not skip. */
export const inCi = (env: NodeJS.ProcessEnv = process.env): boolean => env["CI"] === "true" || env["CI"] === "1";
