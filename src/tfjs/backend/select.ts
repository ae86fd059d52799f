/**
 * Picks and initialises a tfjs backend for Node: native TensorFlow (GPU, then CPU), WebGPU through
 * Dawn, WebAssembly (with the training kernels of this module), or the pure-JS cpu backend.
 *
 * Every backend package is optional and loaded with a dynamic `import()` whose specifier is not a
 * literal, so neither TypeScript nor the bundler needs it; a missing package becomes a skip reason.
 */
import { createRequire, dirname, isNodeBuild, join } from "../../platform/node.js";
import { registerWebGpuTrainingKernels } from "./register-webgpu.js";
import { registerWasmTrainingKernels, type TrainingKernelRegistration } from "./register.js";
import type { LogFn, Tf } from "./types.js";

/** A concrete backend choice. */
export type ConcreteBackendChoice = "node-gpu" | "node" | "webgpu" | "wasm" | "cpu";

/** What `selectBackend` accepts: a concrete backend or "auto". */
export type BackendChoice = "auto" | ConcreteBackendChoice;

/** The order "auto" tries backends in (fastest first). */
export const AUTO_BACKEND_ORDER: readonly ConcreteBackendChoice[] = ["node-gpu", "node", "webgpu", "wasm", "cpu"];

/** Options of `selectBackend`. */
export interface SelectBackendOptions {
  /** Receives one line per decision (which backend was picked, why others were skipped). */
  readonly log?: LogFn;
  /** For "auto": the candidates, in order. Default `AUTO_BACKEND_ORDER`. */
  readonly order?: readonly ConcreteBackendChoice[];
  /**
   * wasm only: where the `.wasm` binaries are (a directory with a trailing slash, or a per-file
   * map as for `setWasmPaths`). Default: the `dist/` folder of the installed package, found with
   * Node's module resolution.
   */
  readonly wasmPaths?: string | Readonly<Record<string, string>>;
  /**
   * wasm only: number of XNNPACK threads. Values > 1 also force tfjs' multithreading flag on,
   * which tfjs switches off in Node because its worker bootstrap does not work there; see
   * docs/backends.md. When the threaded start fails, wasm is started single-threaded (and a note says so).
   */
  readonly wasmThreads?: number;
  /**
   * wasm and webgpu: register the training kernels and replacements of this module (default
   * true): `registerWasmTrainingKernels` or `registerWebGpuTrainingKernels`.
   */
  readonly registerTrainingKernels?: boolean;
  /**
   * Backend packages the caller imported itself — statically, so that a bundler (esbuild, vite,
   * webpack) includes them: `{ wasm: await import("@tensorflow/tfjs-backend-wasm") }` or
   * `import * as wasm from …`. Used instead of importing the package by name, which a bundled page
   * cannot do. Without it, a backend already registered (the page imported its package) is used
   * as it is, and only an unregistered one is imported by name.
   */
  readonly backendModules?: { readonly wasm?: object; readonly webgpu?: object; readonly cpu?: object };
}

/** A backend that was not picked, and why. */
export interface SkippedBackend {
  readonly choice: ConcreteBackendChoice;
  readonly reason: string;
}

/** Outcome of `selectBackend`. */
export interface BackendSelection {
  /** The backend choice that was initialised. */
  readonly choice: ConcreteBackendChoice;
  /** The tfjs backend name now active (`tf.getBackend()`), e.g. "tensorflow", "webgpu", "wasm", "cpu". */
  readonly backendName: string;
  /** Candidates tried before it, with the reason each was skipped. */
  readonly skipped: readonly SkippedBackend[];
  /** Extra facts worth logging (kernels registered, reading caveats, ...). */
  readonly notes: readonly string[];
  /** What registering the training kernels did (wasm and webgpu, unless `registerTrainingKernels: false`). */
  readonly registration?: TrainingKernelRegistration;
}

/** Raised by a loader when its backend cannot be used; the message is the skip reason. */
class BackendUnavailable extends Error {}

/** `selectBackend` found no candidate that initialises (e.g. an explicit choice whose package is not installed). */
export class NoUsableBackendError extends Error {
  constructor(
    /** The choice that was asked for. */
    readonly choice: BackendChoice,
    /** Each candidate tried and why it was skipped. */
    readonly skipped: readonly SkippedBackend[],
    message: string,
  ) {
    super(message);
    this.name = "NoUsableBackendError";
  }

  /** The one line to show the user: the message. */
  get userMessage(): string {
    return this.message;
  }
}

/** Starts one backend; `auto` is true when "auto" is trying candidates (a loader may then be pickier). */
type Loader = (
  tf: Tf,
  options: SelectBackendOptions,
  auto: boolean,
) => Promise<{ backendName: string; notes: string[]; registration?: TrainingKernelRegistration }>;

/**
 * A backend package's module: the one the caller handed in (`backendModules`); none when the
 * backend is registered already and nothing from the module is `needed`; else imported by name
 * (which a bundled page cannot do: then the message says what to pass instead).
 */
async function backendModule(
  tf: Tf,
  name: "wasm" | "webgpu",
  specifier: string,
  options: SelectBackendOptions,
  needed: boolean,
): Promise<Record<string, unknown> | undefined> {
  const given = options.backendModules?.[name];
  if (given !== undefined) return given as Record<string, unknown>;
  const registered = tf.engine().registryFactory[name] !== undefined;
  if (registered && !needed) return undefined;
  try {
    return await importOptional(specifier);
  } catch (err) {
    if (!(err instanceof BackendUnavailable)) throw err;
    const pass = `pass backendModules: { ${name}: await import("${specifier}") }`;
    if (registered)
      throw new BackendUnavailable(`${err.message}; it is registered, but its options need the module: ${pass}`);
    // A bundled page cannot import a package by a name computed at run time.
    if (!isNodeBuild)
      throw new BackendUnavailable(`${err.message} (in a bundled page, import it yourself and ${pass})`);
    throw err;
  }
}

/** `import()` of an optional package; the specifier travels through a variable so no types are needed. */
async function importOptional(specifier: string, label = specifier): Promise<Record<string, unknown>> {
  const dynamicSpecifier: string = specifier;
  try {
    return (await import(dynamicSpecifier)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message : String(err);
    if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && message.includes(specifier)) {
      throw new BackendUnavailable(`${label}: package not installed`);
    }
    throw new BackendUnavailable(`${label}: failed to load (${firstLine(message)})`);
  }
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).slice(0, 300);
}

/** Makes `tf.setBackend(name)` succeed or explains why not. */
async function activate(tf: Tf, backendName: string, label: string): Promise<void> {
  if (tf.engine().registryFactory[backendName] === undefined) {
    throw new BackendUnavailable(
      `${label}: package loaded but backend '${backendName}' was not registered (a second copy of @tensorflow/tfjs-core?)`,
    );
  }
  let ok = false;
  try {
    ok = await tf.setBackend(backendName);
  } catch (err) {
    throw new BackendUnavailable(
      `${label}: initialisation failed (${firstLine(err instanceof Error ? err.message : String(err))})`,
    );
  }
  if (!ok)
    throw new BackendUnavailable(`${label}: initialisation failed (tf.setBackend('${backendName}') returned false)`);
}

/** Native TensorFlow through tfjs-node(-gpu); both register the backend name "tensorflow". */
function nativeLoader(packageName: string): Loader {
  return async (tf) => {
    await importOptional(packageName);
    await activate(tf, "tensorflow", packageName);
    return { backendName: "tensorflow", notes: [] };
  };
}

/**
 * WebGPU in Node through Dawn (the `webgpu` npm package): its `create(flags)` returns a
 * `navigator.gpu`-like object and `globals` holds the `GPUBufferUsage`-style constants, both of
 * which the tfjs WebGPU backend looks up globally, so they must be installed before that backend
 * is imported. When the backend cannot be used, `navigator` is put back as it was.
 *
 * Under "auto", a software adapter (`isFallbackAdapter`, e.g. SwiftShader, Vulkan on the CPU) is
 * skipped: it trains far slower than wasm. Asking for "webgpu" explicitly accepts it (the tests
 * run WebGPU that way).
 */
const webgpuLoader: Loader = async (tf, options, auto) => {
  const globalScope = globalThis as { navigator?: { gpu?: unknown } };
  const hadNavigator = Object.prototype.hasOwnProperty.call(globalThis, "navigator");
  const navigatorBefore = Object.getOwnPropertyDescriptor(globalThis, "navigator");
  const gpuBefore =
    globalScope.navigator === undefined ? undefined : Object.getOwnPropertyDescriptor(globalScope.navigator, "gpu");
  let installed = false;
  const restoreNavigator = (): void => {
    if (!installed) return;
    if (hadNavigator && navigatorBefore !== undefined) {
      Object.defineProperty(globalThis, "navigator", navigatorBefore);
      const nav = globalScope.navigator as object;
      if (gpuBefore === undefined) Reflect.deleteProperty(nav, "gpu");
      else Object.defineProperty(nav, "gpu", gpuBefore);
    } else {
      Reflect.deleteProperty(globalThis, "navigator");
    }
  };
  try {
    if (globalScope.navigator?.gpu === undefined) {
      const dawn = await importOptional("webgpu", "webgpu (Dawn for Node)");
      const create = dawn["create"];
      if (typeof create !== "function")
        throw new BackendUnavailable("webgpu (Dawn for Node): package has no create() export");
      const gpu = (create as (flags: string[]) => unknown)([]);
      const constants = dawn["globals"];
      if (typeof constants === "object" && constants !== null) Object.assign(globalThis, constants);
      installed = true;
      if (globalScope.navigator === undefined) {
        Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
      } else {
        // Node >= 21 has a built-in navigator without `gpu`.
        Object.defineProperty(globalScope.navigator, "gpu", { value: gpu, configurable: true, writable: true });
      }
    }
    const gpu = globalScope.navigator?.gpu as { requestAdapter?: () => Promise<unknown> } | undefined;
    const adapter = (typeof gpu?.requestAdapter === "function" ? await gpu.requestAdapter() : null) as
      AdapterLike | null | undefined;
    if (adapter === null || adapter === undefined)
      throw new BackendUnavailable("webgpu: no WebGPU adapter (no GPU or no driver)");
    const description = describeAdapter(adapter);
    if (auto && isSoftwareAdapter(adapter)) {
      throw new BackendUnavailable(
        `webgpu: only a software adapter (${description}), slower than wasm; select 'webgpu' explicitly to use it`,
      );
    }
    await backendModule(tf, "webgpu", "@tensorflow/tfjs-backend-webgpu", options, false);
    await activate(tf, "webgpu", "@tensorflow/tfjs-backend-webgpu");
    const notes = [
      `webgpu: adapter ${description}`,
      "webgpu: dataSync()/arraySync() do not work in Node; read tensors with `await t.data()`",
    ];
    if (options.registerTrainingKernels === false) return { backendName: "webgpu", notes };
    const registration = registerWebGpuTrainingKernels(tf, "webgpu");
    if (registration.replacedKernels.length > 0)
      notes.push(`webgpu: replaced shipped kernels (wrong above rank 4): ${registration.replacedKernels.join(", ")}`);
    if (registration.addedGradients.length > 0)
      notes.push(`gradients added: ${registration.addedGradients.join(", ")}`);
    return { backendName: "webgpu", notes, registration };
  } catch (err) {
    restoreNavigator();
    throw err;
  }
};

/** The part of a `GPUAdapter` read here (`info` in current WebGPU; `isFallbackAdapter` on the adapter in older drafts). */
interface AdapterLike {
  readonly info?: {
    readonly vendor?: string;
    readonly architecture?: string;
    readonly description?: string;
    readonly isFallbackAdapter?: boolean;
  };
  readonly isFallbackAdapter?: boolean;
}

/** A CPU implementation of WebGPU (SwiftShader and the like). */
function isSoftwareAdapter(adapter: AdapterLike): boolean {
  return (
    adapter.info?.isFallbackAdapter === true ||
    adapter.isFallbackAdapter === true ||
    adapter.info?.architecture === "swiftshader"
  );
}

function describeAdapter(adapter: AdapterLike): string {
  const info = adapter.info;
  const parts = [info?.vendor, info?.architecture, info?.description].filter(
    (p): p is string => typeof p === "string" && p.length > 0,
  );
  const text = parts.length > 0 ? parts.join(" / ") : "unknown adapter";
  return isSoftwareAdapter(adapter) ? `${text}, software` : text;
}

/**
 * The directory holding the installed wasm binaries, via Node's resolver (works for ESM and CJS
 * callers). In a browser build there is none to find: the wasm package locates its binaries
 * next to its own script, or the caller passes `wasmPaths`.
 */
async function defaultWasmDirectory(): Promise<string | undefined> {
  if (!isNodeBuild) return undefined;
  try {
    const resolveFromCwd = createRequire(join(process.cwd(), "package.json"));
    return `${dirname(resolveFromCwd.resolve("@tensorflow/tfjs-backend-wasm"))}/`;
  } catch {
    return undefined; // Not resolvable from here: let the package locate its own binaries.
  }
}

const wasmLoader: Loader = async (tf, options) => {
  // In Node the module sets the binaries' folder (found by Node's resolver); in a page, only when asked.
  const wasm =
    (await backendModule(
      tf,
      "wasm",
      "@tensorflow/tfjs-backend-wasm",
      options,
      isNodeBuild || options.wasmPaths !== undefined || options.wasmThreads !== undefined,
    )) ?? {};
  const notes: string[] = [];
  if (Object.keys(wasm).length === 0)
    notes.push(
      "wasm: registered by the page; its binaries are where tfjs-backend-wasm looks (pass wasmPaths and backendModules.wasm to choose)",
    );
  const setWasmPaths = wasm["setWasmPaths"];
  const paths = options.wasmPaths ?? (await defaultWasmDirectory());
  if (paths !== undefined && typeof setWasmPaths === "function") {
    (setWasmPaths as (p: unknown) => void)(paths);
    notes.push(`wasm: binaries from ${typeof paths === "string" ? paths : JSON.stringify(paths)}`);
  }
  const threads = options.wasmThreads;
  if (threads !== undefined) {
    const setThreadsCount = wasm["setThreadsCount"];
    if (typeof setThreadsCount === "function") (setThreadsCount as (n: number) => void)(threads);
    if (threads > 1) tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  }
  try {
    await activate(tf, "wasm", "@tensorflow/tfjs-backend-wasm");
  } catch (err) {
    if (threads === undefined || threads <= 1) throw err;
    // The threaded binary cannot start its workers in Node (see docs/backends.md): fall back to one thread.
    notes.push(`wasm: ${threads} threads failed (${err instanceof Error ? err.message : String(err)}); using 1 thread`);
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    await activate(tf, "wasm", "@tensorflow/tfjs-backend-wasm");
  }
  const getThreadsCount = wasm["getThreadsCount"];
  if (typeof getThreadsCount === "function")
    notes.push(`wasm: ${String((getThreadsCount as () => number)())} thread(s)`);
  if (options.registerTrainingKernels === false) return { backendName: "wasm", notes };
  const registration = registerWasmTrainingKernels(tf, "wasm");
  const all = [...registration.addedKernels, ...registration.keptKernels];
  notes.push(`wasm: training kernels available: ${all.join(", ")}`);
  if (registration.replacedKernels.length > 0)
    notes.push(`wasm: replaced shipped kernels (wrong or slow): ${registration.replacedKernels.join(", ")}`);
  if (registration.addedGradients.length > 0) notes.push(`gradients added: ${registration.addedGradients.join(", ")}`);
  return { backendName: "wasm", notes, registration };
};

const cpuLoader: Loader = async (tf, options) => {
  if (tf.engine().registryFactory["cpu"] === undefined && options.backendModules?.cpu === undefined)
    await importOptional("@tensorflow/tfjs-backend-cpu");
  await activate(tf, "cpu", "@tensorflow/tfjs-backend-cpu");
  return { backendName: "cpu", notes: ["cpu: pure JavaScript, far too slow to train conv nets"] };
};

const LOADERS: Readonly<Record<ConcreteBackendChoice, Loader>> = {
  "node-gpu": nativeLoader("@tensorflow/tfjs-node-gpu"),
  node: nativeLoader("@tensorflow/tfjs-node"),
  webgpu: webgpuLoader,
  wasm: wasmLoader,
  cpu: cpuLoader,
};

/**
 * Selects and initialises a backend. "auto" tries `options.order` (default node-gpu, node,
 * webgpu, wasm, cpu) and keeps the first that initialises, logging the pick and why each earlier
 * candidate was skipped. An explicit choice that cannot be initialised throws with the reason.
 * Before selecting, makes sure tfjs-core's gradients are registered (plain `@tensorflow/tfjs-core`
 * does not register them; `@tensorflow/tfjs` and `@tensorflow/tfjs-layers` do).
 */
export async function selectBackend(
  tf: Tf,
  choice: BackendChoice = "auto",
  options: SelectBackendOptions = {},
): Promise<BackendSelection> {
  const log = options.log ?? (() => undefined);
  const candidates = choice === "auto" ? (options.order ?? AUTO_BACKEND_ORDER) : [choice];
  const gradientNote = await ensureGradientsRegistered(tf);
  const skipped: SkippedBackend[] = [];
  for (const candidate of candidates) {
    try {
      const { backendName, notes, registration } = await LOADERS[candidate](tf, options, choice === "auto");
      const allNotes = gradientNote === undefined ? notes : [gradientNote, ...notes];
      log(
        `backend: using ${candidate} (tf backend '${backendName}')${skipped.length > 0 ? `; skipped ${skipped.map((s) => s.choice).join(", ")}` : ""}`,
      );
      for (const note of allNotes) log(`backend: ${note}`);
      return {
        choice: candidate,
        backendName,
        skipped,
        notes: allNotes,
        ...(registration === undefined ? {} : { registration }),
      };
    } catch (err) {
      if (!(err instanceof BackendUnavailable)) throw err;
      skipped.push({ choice: candidate, reason: err.message });
      log(`backend: skipping ${candidate}: ${err.message}`);
    }
  }
  const reasons = skipped.map((s) => `${s.choice} (${s.reason})`).join("; ");
  throw new NoUsableBackendError(choice, skipped, `no usable tfjs backend for '${choice}': ${reasons}`);
}

/**
 * Registers tfjs-core's gradient functions when nobody has (the registry is global, so loading
 * `@tensorflow/tfjs` or `@tensorflow/tfjs-layers` registers them for every copy of tfjs-core).
 * Returns a note when it had to, undefined when they were there already.
 */
export async function ensureGradientsRegistered(tf: Tf): Promise<string | undefined> {
  if (tf.getGradient("Mean") !== undefined) return undefined;
  for (const specifier of ["@tensorflow/tfjs", "@tensorflow/tfjs-layers"]) {
    try {
      await importOptional(specifier);
    } catch {
      continue;
    }
    if (tf.getGradient("Mean") !== undefined) return `gradients registered by loading ${specifier}`;
  }
  return "gradients NOT registered: install @tensorflow/tfjs or @tensorflow/tfjs-layers, or training will fail";
}
