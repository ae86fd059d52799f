/**
 * Self-ensemble (geometric test-time augmentation, as EDSR's "+" results): a forward pass on each
 * of the 8 rotations and flips of the input, each mapped back and averaged. A trained CNN is not
 * exactly equivariant to them, so the 8 passes err differently and their mean errs less. It costs
 * 8 forward passes.
 */
import type { Tensor, Tensor4D, Tf } from "../../tfjs/index.js";
import type { Forward, PinnableForward } from "./inference.js";

/**
 * The passes: the 8 symmetries of a square (the dihedral group D4), or its 4 flips alone (no
 * transposition, so vertical stays vertical: what a degradation with a direction, such as rain
 * streaks within 45° of vertical, needs).
 */
export type SelfEnsemblePasses = 8 | 4;

/**
 * Symmetry `k` (0..7) of [B,H,W,C] as its steps, in order: bit 2 transposes, bit 0 flips
 * left-right, bit 1 flips top-bottom. Each step is its own inverse, so the symmetry is undone by
 * the same steps in reverse order.
 */
const stepsOf = (tf: Tf, k: number): ((x: Tensor4D) => Tensor4D)[] => [
  ...((k & 4) !== 0 ? [(x: Tensor4D) => tf.transpose(x, [0, 2, 1, 3])] : []),
  ...((k & 1) !== 0 ? [(x: Tensor4D) => tf.reverse(x, 2)] : []),
  ...((k & 2) !== 0 ? [(x: Tensor4D) => tf.reverse(x, 1)] : []),
];
const transform = (tf: Tf, x: Tensor4D, k: number): Tensor4D => stepsOf(tf, k).reduce((y, step) => step(y), x);
const untransform = (tf: Tf, y: Tensor4D, k: number): Tensor4D => stepsOf(tf, k).reduceRight((x, step) => step(x), y);

/**
 * The self-ensemble of a forward pass: `mean over k of T_k⁻¹(forward(T_k(x)))` over the 8
 * symmetries `T_k` of the square, or over its 4 flips when `passes` is 4. The transposed passes
 * see a non-square input transposed, which a convolutional model takes as any other size. A
 * forward pass with a pinnable global context stays pinnable: each symmetry's pass pins its own
 * context, measured on the sample transformed the same way, so a tiled image gets what its
 * whole would.
 *
 * @example
 * const restored = await restoreImage(tf, selfEnsemble(tf, forwardFor(session, "sr")), image, { tile: 256 });
 */
export function selfEnsemble(
  tf: Tf,
  forward: Forward | PinnableForward,
  passes: SelfEnsemblePasses = 8,
): PinnableForward {
  const average =
    (passOf: (k: number) => Forward): Forward =>
    (inputs: Tensor) =>
      tf.tidy(() => {
        const x = inputs as Tensor4D;
        let sum = passOf(0)(x) as Tensor4D;
        for (let k = 1; k < passes; k++)
          sum = tf.add(sum, untransform(tf, passOf(k)(transform(tf, x, k)) as Tensor4D, k));
        return tf.div(sum, passes);
      });
  const ensemble = average(() => forward);
  const pin = "pin" in forward ? forward.pin : undefined;
  if (pin === undefined) return ensemble;
  return Object.assign(ensemble, {
    pin: (sample: Tensor) => {
      const pins = Array.from({ length: passes }, (_, k) => {
        if (k === 0) return pin(sample);
        const moved = tf.tidy(() => transform(tf, sample as Tensor4D, k));
        try {
          return pin(moved);
        } finally {
          moved.dispose();
        }
      });
      return {
        forward: average((k) => (pins[k] as { readonly forward: Forward }).forward),
        dispose: () => pins.forEach((p) => p.dispose()),
      };
    },
  });
}

/**
 * The passes a task's self-ensemble takes: 4 (the flips) for rain, whose streaks lie within 45°
 * of vertical and would turn horizontal under a transposition, and for the blind path (no task:
 * it may be rain); 8 for every other task.
 */
export const selfEnsemblePassesFor = (task?: string): SelfEnsemblePasses =>
  task === undefined || task === "rain" ? 4 : 8;
