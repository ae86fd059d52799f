/** The shape every degradation shares. */
import type { Rng } from "../../core/random.js";
import type { RgbImage } from "../image.js";

/** A degraded image and the parameters that produced it (so a sample can be described or replayed). */
export type DegradationResult<P> = { readonly image: RgbImage; readonly params: P };

/**
 * A seeded degradation: float32 [0, 1] in, float32 [0, 1] out, same size as the input.
 * Parameters given in `params` are used as is; the others are drawn from `rng` in their
 * documented range. The input image is never modified.
 */
export type Degradation<P> = (clean: RgbImage, rng: Rng, params?: Partial<P>) => DegradationResult<P>;
