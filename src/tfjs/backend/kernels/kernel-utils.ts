/**
 * Helpers shared by the composed kernels: turning the engine's `TensorInfo`s into tensors
 * and reading kernel attributes in a type-checked way.
 */
import type { ConvPadding, Tensor, TensorInfo, Tf } from "../types.js";

/** The part of a tfjs `KernelBackend` the wrappers need: reference counting of data ids. */
interface RefCountingBackend {
  incRef(dataId: object): void;
}

function isRefCounting(backend: unknown): backend is RefCountingBackend {
  return (
    typeof backend === "object" && backend !== null && typeof (backend as { incRef?: unknown }).incRef === "function"
  );
}

/**
 * Wraps a kernel input (a bare `TensorInfo`) in a tensor that shares its data, so tf ops can be
 * composed on it. `makeTensorFromTensorInfo` does not take a reference on the data, but disposing
 * the wrapper releases one; without the `incRef` here the caller's tensor would be freed under it
 * (and its later dispose would be skipped, showing up as leaked tensors). Create wrappers inside
 * `tf.tidy` so they are disposed.
 */
export function wrapKernelInput(tf: Tf, backend: unknown, info: TensorInfo | undefined, name: string): Tensor {
  if (info === undefined) throw new Error(`kernel input '${name}' is missing`);
  if (!isRefCounting(backend)) throw new Error("kernel backend does not reference-count its data");
  const wrapper = tf.engine().makeTensorFromTensorInfo(info);
  backend.incRef(info.dataId);
  return wrapper;
}

/** Normalises a `number | [number, number]` attribute to a pair. */
export function pairOf(value: unknown, name: string): [number, number] {
  if (typeof value === "number") return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "number")) {
    return [value[0] as number, value[1] as number];
  }
  if (value === undefined || value === null) return [1, 1];
  throw new Error(`kernel attribute '${name}' must be a number or a pair, got ${JSON.stringify(value)}`);
}

/** A 4-tuple attribute such as `filterShape` or `inputShape`. */
export function shape4Of(value: unknown, name: string): [number, number, number, number] {
  if (Array.isArray(value) && value.length === 4 && value.every((v) => typeof v === "number")) {
    return [value[0] as number, value[1] as number, value[2] as number, value[3] as number];
  }
  throw new Error(`kernel attribute '${name}' must be a 4-element shape, got ${JSON.stringify(value)}`);
}

/** The `pad` attribute of the conv kernels, passed through unchanged after a shape check. */
export function padOf(value: unknown): ConvPadding {
  if (value === "same" || value === "valid" || typeof value === "number") return value;
  if (Array.isArray(value) && value.length === 4) return value as ConvPadding;
  throw new Error(`kernel attribute 'pad' is not a valid padding: ${JSON.stringify(value)}`);
}

/** The optional `dimRoundingMode` attribute. */
export function roundingOf(value: unknown): "floor" | "round" | "ceil" | undefined {
  return value === "floor" || value === "round" || value === "ceil" ? value : undefined;
}

/**
 * Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor,
 * so callers can express "make this axis exactly this long" without case analysis.
 */
export function padOrCropSpatial(tf: Tf, x: Tensor, top: number, bottom: number, left: number, right: number): Tensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const cropTop = Math.max(0, -top);
  const cropBottom = Math.max(0, -bottom);
  const cropLeft = Math.max(0, -left);
  const cropRight = Math.max(0, -right);
  let y = x;
  if (cropTop + cropBottom + cropLeft + cropRight > 0) {
    y = tf.slice(y, [0, cropTop, cropLeft, 0], [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c]);
  }
  const padTop = Math.max(0, top);
  const padBottom = Math.max(0, bottom);
  const padLeft = Math.max(0, left);
  const padRight = Math.max(0, right);
  if (padTop + padBottom + padLeft + padRight > 0) {
    y = tf.pad(y, [
      [0, 0],
      [padTop, padBottom],
      [padLeft, padRight],
      [0, 0],
    ]);
  }
  return y;
}

/**
 * Inserts `stride - 1` zeros between neighbouring pixels of an NHWC tensor (the "fractionally
 * strided" input of a transposed convolution), built from reshape + pad so that it stays on
 * whatever backend is active.
 */
export function insertZerosBetweenPixels(tf: Tf, x: Tensor, strideH: number, strideW: number): Tensor {
  if (strideH === 1 && strideW === 1) return x;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const spread = tf.pad(tf.reshape(x, [n, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, strideH - 1],
    [0, 0],
    [0, strideW - 1],
    [0, 0],
  ]);
  const flat = tf.reshape(spread, [n, h * strideH, w * strideW, c]);
  return tf.slice(flat, [0, 0, 0, 0], [n, (h - 1) * strideH + 1, (w - 1) * strideW + 1, c]);
}
