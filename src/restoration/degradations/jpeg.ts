/**
 * JPEG compression artefacts (MiOIR): quality q ~ U{30, ..., 70}, baseline JPEG, the image
 * rounded to 8 bits on the way as any JPEG file is.
 *
 * Two implementations of the same round trip:
 * - `addJpegArtifacts` (the registry's `jpeg` task) uses `jpegArtifactsModel`, the lossy part
 *   of JPEG computed directly (DCT, IJG-scaled standard tables, rounding), thousands of 64x64
 *   crops per second; the tests check it against jpeg-js's real encoder and decoder.
 * - `addJpegArtifactsJpegJs` runs jpeg-js's encoder and decoder (about 15 crops per second,
 *   since jpeg-js rebuilds its Huffman tables on every call); use it to produce real files.
 *
 * Deviation from OpenCV-made data: jpeg-js and the model keep chroma at full resolution (4:4:4),
 * where OpenCV subsamples it (4:2:0); the luma artefacts (8x8 blocks, ringing) are the same kind.
 */
import type { RgbImage } from "../image.js";
import { decodeJpeg, encodeJpeg } from "../io/jpeg.js";
import { jpegArtifactsModel } from "./jpeg-model.js";
import type { Degradation } from "./types.js";

/** JPEG parameters: the integer encoder quality (1 to 100). */
export type JpegParams = { readonly quality: number };

/** The inclusive integer range quality is drawn from. */
export const JPEG_QUALITY_RANGE: readonly [number, number] = [30, 70];

/** Encodes at `quality` with jpeg-js and decodes back with jpeg-js. */
export function jpegRoundTrip(clean: RgbImage, quality: number): RgbImage {
  return decodeJpeg(encodeJpeg(clean, quality), "in-memory JPEG");
}

const drawQuality = (rng: { int(n: number): number }): number =>
  JPEG_QUALITY_RANGE[0] + rng.int(JPEG_QUALITY_RANGE[1] - JPEG_QUALITY_RANGE[0] + 1);

/**
 * MiOIR JPEG degradation (fast model) with a random integer quality in [30, 70] (unless given).
 *
 * @example
 * const { image, params } = addJpegArtifacts(clean, Rng.seeded(7)); // params.quality e.g. 52
 */
export const addJpegArtifacts: Degradation<JpegParams> = (clean, rng, params) => {
  const quality = params?.quality ?? drawQuality(rng);
  return { image: jpegArtifactsModel(clean, quality), params: { quality } };
};

/** The same degradation through jpeg-js's real encoder and decoder (slow; same draws from `rng`). */
export const addJpegArtifactsJpegJs: Degradation<JpegParams> = (clean, rng, params) => {
  const quality = params?.quality ?? drawQuality(rng);
  return { image: jpegRoundTrip(clean, quality), params: { quality } };
};
