import * as E from "fp-ts/Either";
import * as t from "io-ts";

import type { TaskLosses, TwoPhaseWeighting } from "../../src/core/index.js";

/** The state of `recordingWeighting`: the task count and every loss vector `observe` received. */
export interface RecordingState {
  readonly numTasks: number;
  readonly seen: ReadonlyArray<TaskLosses>;
}

/**
 * A two-phase weighting that records what its `observe` receives (uniform weights over all
 * tasks), so a test can see exactly which losses a wrapper passes through.
 */
export const recordingWeighting: TwoPhaseWeighting<RecordingState> = {
  name: "recorder",
  init: (numTasks) => E.right({ numTasks, seen: [] }),
  step: (state, losses) => E.right({ state, weights: losses.map(() => 1 / losses.length), diagnostics: {} }),
  observe: (state, losses) => E.right({ ...state, seen: [...state.seen, losses] }),
  stateCodec: t.type({ numTasks: t.number, seen: t.array(t.array(t.union([t.number, t.null]))) }) as unknown as t.Type<
    RecordingState,
    unknown,
    unknown
  >,
  numTasks: (state) => state.numTasks,
};
