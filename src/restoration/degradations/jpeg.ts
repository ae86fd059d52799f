/**
 * JPEG compression artefacts (MiOIR): encode at quality q ~ U{30, ..., 70} with a real
 * baseline JPEG encoder (jpeg-js) and decode again. The image is rounded to 8 bits on the way,
 * as any JPEG file is. Deviation: jpeg-js keeps chroma at full resolution (4:4:4), where
 * OpenCV subsamples it (4:2:0); the luma artefacts (8x8 blocks, ringing) are the same kind.
 */
import type { RgbImage } from "../image.js";
import { decodeJpeg, encodeJpeg } from "../io/jpeg.js";
import type { Degradation } from "./types.js";

/** JPEG parameters: the integer encoder quality (1 to 100). */
export type JpegParams = { readonly quality: number };

/** The inclusive integer range quality is drawn from. */
export const JPEG_QUALITY_RANGE: readonly [number, number] = [30, 70];

/** Encodes at `quality` and decodes back. */
export function jpegRoundTrip(clean: RgbImage, quality: number): RgbImage {
  return decodeJpeg(encodeJpeg(clean, quality), "in-memory JPEG");
}

/**
 * MiOIR JPEG degradation with a random integer quality in [30, 70] (unless given).
 *
 * @example
 * const { image, params } = addJpegArtifacts(clean, Rng.seeded(7)); // params.quality e.g. 52
 */
export const addJpegArtifacts: Degradation<JpegParams> = (clean, rng, params) => {
  const [lo, hi] = JPEG_QUALITY_RANGE;
  const quality = params?.quality ?? lo + rng.int(hi - lo + 1);
  return { image: jpegRoundTrip(clean, quality), params: { quality } };
};
