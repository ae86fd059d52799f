/**
 * Numerically stable softmax over the present entries of `logits` (null = absent, weight 0).
 * The maximum is subtracted before exponentiating. Logits equal to +Infinity (an overflowed
 * score) share the whole mass equally, which is the limit of the softmax as they grow; so the
 * result is never NaN as long as no logit is NaN.
 *
 * A present entry's weight is floored at the smallest positive double (5e-324): when the
 * logits are so far apart that exp underflows, the task still keeps a non-zero weight, as the
 * rule promises ("present => > 0"). That moves no weight by more than 5e-324. A NaN logit
 * gives NaN weights (callers reject NaN scores before they get here).
 *
 * @example
 * softmaxPresent([0, null, 0]) // [0.5, 0, 0.5]
 */
export const softmaxPresent = (logits: ReadonlyArray<number | null>): number[] => {
  const weights = new Array<number>(logits.length);
  let max = -Infinity;
  for (let k = 0; k < logits.length; k++) {
    const z = logits[k];
    if (z !== null && z !== undefined && z > max) max = z;
  }
  let sum = 0;
  if (max === Infinity) {
    for (let k = 0; k < logits.length; k++) {
      const e = logits[k] === Infinity ? 1 : 0;
      weights[k] = e;
      sum += e;
    }
  } else {
    for (let k = 0; k < logits.length; k++) {
      const z = logits[k];
      const e = z === null || z === undefined ? 0 : Math.exp(z - max);
      weights[k] = e;
      sum += e;
    }
  }
  // The floor is for underflow only: a NaN logit (or no finite mass at all) is the caller's
  // bug and must stay visible as NaN rather than be papered over.
  const healthy = sum > 0 && sum < Infinity;
  for (let k = 0; k < logits.length; k++) {
    const w = (weights[k] as number) / sum;
    const z = logits[k];
    weights[k] = z === null || z === undefined ? 0 : healthy && w === 0 ? Number.MIN_VALUE : w;
  }
  return weights;
};

/** Uniform weights over the present tasks (plain mixed training). */
export const uniformOverPresent = (losses: ReadonlyArray<number | null>): number[] => {
  let present = 0;
  for (const loss of losses) if (loss !== null) present++;
  return losses.map((loss) => (loss === null ? 0 : 1 / present));
};
