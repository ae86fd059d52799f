import type { Weighting } from "../weighting.js";
import type { ArtOptions } from "./config.js";
import { initArt, stepArt } from "./rule.js";
import { ArtStateCodec, type ArtState } from "./state.js";

export * from "./config.js";
export * from "./state.js";
export * from "./rule.js";

/**
 * Art as a `Weighting`: options without K, K given at `init`.
 *
 * @example
 * const weighting = art({ preset: "paper", tau: 3 });
 * const state = weighting.init(7);            // Either<ConfigError, ArtState>
 */
export const art = (options: Omit<ArtOptions, "numTasks"> = {}): Weighting<ArtState> => ({
  name: "art",
  init: (numTasks) => initArt({ ...options, numTasks }),
  step: stepArt,
  stateCodec: ArtStateCodec,
  numTasks: (state) => state.config.numTasks,
});

/** Art with the official preset (the authors' released rule; `releasedEmaBug: true` for their code exactly as released). */
export const artOfficial = (options: Omit<ArtOptions, "numTasks" | "preset"> = {}): Weighting<ArtState> =>
  art({ ...options, preset: "official" });
