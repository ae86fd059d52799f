import type { TaskLosses } from "../../../src/core/index.js";

/**
 * Closed forms of the strategies that have one, written from their definitions (not from
 * src/strategies), for the law suite's `values` law: each gives the weights at every step of a
 * sequence driven as the laws drive it (endEpoch every `epochLength` steps).
 */

/** Equal weighting: 1/K over the K present tasks, 0 for absent ones. */
export const equalClosedForm = (_numTasks: number, sequence: ReadonlyArray<TaskLosses>): number[][] =>
  sequence.map((losses) => {
    const present = losses.filter((l) => l !== null).length;
    return losses.map((l) => (l === null ? 0 : 1 / present));
  });

/** Scale-invariant weighting (SI) and GLS's gradient direction: w_k ∝ 1 / L_k over the present tasks. */
export const inverseLossClosedForm = (_numTasks: number, sequence: ReadonlyArray<TaskLosses>): number[][] =>
  sequence.map((losses) => {
    let total = 0;
    for (const l of losses) if (l !== null) total += 1 / l;
    return losses.map((l) => (l === null ? 0 : 1 / l / total));
  });

/**
 * DWA (Liu et al. 2019) on the simplex: uniform over the present tasks during epochs 0 and 1;
 * from epoch e >= 2, softmax over the present tasks of r_k / T with r_k = M_k(e-1) / M_k(e-2),
 * M_k(t) the mean loss of task k in epoch t (carried over from the epoch before when task k
 * was absent all epoch; r_k = 1 while either mean is unknown).
 */
export const dwaClosedForm =
  (temperature: number, epochLength: number) =>
  (numTasks: number, sequence: ReadonlyArray<TaskLosses>): number[][] => {
    const epochs = Math.ceil(sequence.length / epochLength);
    // means[t][k]: M_k(t) with the carry-over rule, null when task k was never seen up to t.
    const means: Array<Array<number | null>> = [];
    for (let t = 0; t < epochs; t++) {
      const row: Array<number | null> = [];
      for (let k = 0; k < numTasks; k++) {
        const values = sequence
          .slice(t * epochLength, (t + 1) * epochLength)
          .map((losses) => losses[k])
          .filter((l): l is number => l !== null && l !== undefined);
        const carried = t > 0 ? (means[t - 1]![k] ?? null) : null;
        row.push(values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : carried);
      }
      means.push(row);
    }
    return sequence.map((losses, i) => {
      const e = Math.floor(i / epochLength);
      const present = losses.filter((l) => l !== null).length;
      if (e < 2) return losses.map((l) => (l === null ? 0 : 1 / present));
      const ratio = (k: number) => {
        const last = means[e - 1]![k];
        const before = means[e - 2]![k];
        return last === null || last === undefined || before === null || before === undefined ? 1 : last / before;
      };
      const logits = losses.map((l, k) => (l === null ? null : ratio(k) / temperature));
      let max = -Infinity;
      for (const z of logits) if (z !== null && z > max) max = z;
      const e2 = logits.map((z) => (z === null ? 0 : Math.exp(z - max)));
      const total = e2.reduce((a, b) => a + b, 0);
      return e2.map((x) => x / total);
    });
  };
