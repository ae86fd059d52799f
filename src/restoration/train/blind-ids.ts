/** Which samples a task-prompted model is shown blind (task id hidden) at each step: a stateless hash of (seed, step, sample). */

/**
 * The task ids a task-prompted model is shown at `step`: each sample's id, or -1 (hidden: the
 * blind path) for a share `blindRate` of them, drawn from (seed, step, sample) so a resumed run
 * hides the same samples.
 */
export function blindTaskIds(taskIds: ArrayLike<number>, blindRate: number, seed: number, step: number): number[] {
  return Array.from({ length: taskIds.length }, (_, b) =>
    blindRate > 0 && unitHash(seed, step, b) < blindRate ? -1 : (taskIds[b] as number),
  );
}

/** A uniform number in [0, 1) from three integers (a 32-bit integer hash; no state). */
const unitHash = (a: number, b: number, c: number): number => {
  let h =
    Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^
    Math.imul(b + 0x7f4a7c15, 0xc2b2ae35) ^
    Math.imul(c + 0x165667b1, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
};
