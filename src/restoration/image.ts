/**
 * The image type of the restoration kit and small pure helpers on it.
 *
 * An `RgbImage` is height x width x 3 (HWC, interleaved RGB, row-major) float32 in [0, 1].
 * Helpers never mutate their input; they return a new image.
 *
 * @example
 * const img = createImage(4, 2);        // black 4x2
 * const flipped = flipHorizontal(img);
 * const bytes = toUint8(img);           // length 4 * 2 * 3
 */
export type RgbImage = {
  readonly width: number;
  readonly height: number;
  /** Interleaved RGB, row-major: the value of channel c at (x, y) is data[(y * width + x) * 3 + c]. */
  readonly data: Float32Array;
};

/** Thrown when a crop (random or explicit) asks for more pixels than the image has. */
export class ImageTooSmallError extends RangeError {
  constructor(
    readonly width: number,
    readonly height: number,
    readonly cropWidth: number,
    readonly cropHeight: number,
  ) {
    super(`image ${width}x${height} is too small to crop ${cropWidth}x${cropHeight}`);
    this.name = "ImageTooSmallError";
  }
}

const checkSize = (width: number, height: number): void => {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  }
};

/**
 * A new image of the given size, filled with `value` (black by default), or wrapping `data`
 * when given (it must hold width * height * 3 values; it is not copied).
 */
export function createImage(width: number, height: number, data?: Float32Array, value = 0): RgbImage {
  checkSize(width, height);
  const length = width * height * 3;
  if (data !== undefined) {
    if (data.length !== length)
      throw new RangeError(`image data has ${data.length} values, expected ${length} for ${width}x${height}x3`);
    return { width, height, data };
  }
  const fresh = new Float32Array(length);
  if (value !== 0) fresh.fill(value);
  return { width, height, data: fresh };
}

/** A deep copy. */
export function cloneImage(img: RgbImage): RgbImage {
  return { width: img.width, height: img.height, data: img.data.slice() };
}

/**
 * The `cropWidth` x `cropHeight` window whose top-left corner is (left, top).
 * Throws `ImageTooSmallError` when the window does not fit.
 */
export function cropImage(img: RgbImage, left: number, top: number, cropWidth: number, cropHeight: number): RgbImage {
  checkSize(cropWidth, cropHeight);
  if (left < 0 || top < 0 || left + cropWidth > img.width || top + cropHeight > img.height) {
    throw new ImageTooSmallError(img.width, img.height, left + cropWidth, top + cropHeight);
  }
  const out = new Float32Array(cropWidth * cropHeight * 3);
  const rowLength = cropWidth * 3;
  for (let y = 0; y < cropHeight; y++) {
    const start = ((top + y) * img.width + left) * 3;
    out.set(img.data.subarray(start, start + rowLength), y * rowLength);
  }
  return { width: cropWidth, height: cropHeight, data: out };
}

/** The image mirrored left-right. */
export function flipHorizontal(img: RgbImage): RgbImage {
  const { width, height, data } = img;
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const s = (row + x) * 3;
      const d = (row + width - 1 - x) * 3;
      out[d] = data[s] as number;
      out[d + 1] = data[s + 1] as number;
      out[d + 2] = data[s + 2] as number;
    }
  }
  return { width, height, data: out };
}

/**
 * The image rotated by k quarter turns counter-clockwise (as numpy's `rot90(img, k)`);
 * k may be any integer (negative turns clockwise).
 */
export function rot90(img: RgbImage, k: number): RgbImage {
  const turns = ((Math.trunc(k) % 4) + 4) % 4;
  if (turns === 0) return cloneImage(img);
  const { width, height, data } = img;
  const outWidth = turns === 2 ? width : height;
  const outHeight = turns === 2 ? height : width;
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Where source (x, y) lands after the counter-clockwise rotation.
      let ox: number;
      let oy: number;
      if (turns === 1) {
        ox = y;
        oy = width - 1 - x;
      } else if (turns === 2) {
        ox = width - 1 - x;
        oy = height - 1 - y;
      } else {
        ox = height - 1 - y;
        oy = x;
      }
      const s = (y * width + x) * 3;
      const d = (oy * outWidth + ox) * 3;
      out[d] = data[s] as number;
      out[d + 1] = data[s + 1] as number;
      out[d + 2] = data[s + 2] as number;
    }
  }
  return { width: outWidth, height: outHeight, data: out };
}

/** Every value clamped to [0, 1] (NaN becomes 0, so a bad value never leaks further). */
export function clip01(img: RgbImage): RgbImage {
  const out = new Float32Array(img.data.length);
  clip01InPlace(out, img.data);
  return { width: img.width, height: img.height, data: out };
}

/** Writes src clamped to [0, 1] into dst (they may be the same array); NaN becomes 0. */
export function clip01InPlace(dst: Float32Array, src: Float32Array = dst): void {
  for (let i = 0; i < src.length; i++) {
    const v = src[i] as number;
    dst[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
}

/**
 * 8-bit samples (interleaved RGB): round(clip(x, 0, 1) * 255), as BasicSR's `tensor2img`
 * (`(x * 255).round()` after clamping). Math.round sends exact halves up where numpy rounds
 * them to even; the two can only differ on values exactly halfway between two levels.
 */
export function toUint8(img: RgbImage): Uint8Array {
  const { data } = img;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    out[i] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
  }
  return out;
}

/** An image from 8-bit interleaved RGB samples (x / 255). */
export function fromUint8(width: number, height: number, rgb: Uint8Array | Uint8ClampedArray): RgbImage {
  checkSize(width, height);
  if (rgb.length !== width * height * 3)
    throw new RangeError(`expected ${width * height * 3} bytes for ${width}x${height} RGB, got ${rgb.length}`);
  const out = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) out[i] = (rgb[i] as number) / 255;
  return { width, height, data: out };
}
