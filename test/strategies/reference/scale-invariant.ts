/**
 * An independent float64 transcription of the scale-invariant baseline as the FAMO repository's
 * `methods/weight_methods.py` runs it (`ScaleInvariantLinearScalarization`, method name
 * `scaleinvls`, inherited from the Nash-MTL code): the loss is sum_k w_k log(L_k) with task
 * weights w = 1, so autograd puts the coefficient w_k / L_k on each L_k (log's backward). The
 * `weights` it reports are the task weights (all 1), not these coefficients.
 */
export const scaleInvariantCoefficients = (losses: readonly number[]): { applied: number[]; weights: number[] } => {
  const applied = losses.map((L) => 1 * (1 / L));
  const total = applied.reduce((a, b) => a + b, 0);
  return { applied, weights: applied.map((c) => c / total) };
};
