import * as E from "fp-ts/Either";

import { initArt, stepArt, type ArtState, type ArtStep } from "../src/core/index.js";
import type { GeneratedConfig } from "./arbitraries.js";

/** Small helpers that run the core over a sequence, failing loudly if the core rejects valid input. */
export const initOrThrow = (config: GeneratedConfig): ArtState => {
  const result = initArt(config);
  if (E.isLeft(result)) throw new Error(`init rejected a valid config: ${result.left.message}`);
  return result.right;
};

export const stepOrThrow = (state: ArtState, losses: (number | null)[]): ArtStep => {
  const result = stepArt(state, losses);
  if (E.isLeft(result)) throw new Error(`step rejected valid losses ${JSON.stringify(losses)}: ${result.left.message}`);
  return result.right;
};

/** Runs a whole sequence; returns every step's output. */
export const runSequence = (state: ArtState, sequence: (number | null)[][]): ArtStep[] => {
  const outputs: ArtStep[] = [];
  let current = state;
  for (const losses of sequence) {
    const out = stepOrThrow(current, losses);
    outputs.push(out);
    current = out.state;
  }
  return outputs;
};
