/**
 * The project's one numeric comparison for tests: |a - b| <= atol + rtol * |b| elementwise
 * (numpy's convention), NaN equal only to NaN, infinities equal only to themselves.
 */
export interface Tolerance {
  readonly rtol?: number;
  readonly atol?: number;
}

type Numbers = ArrayLike<number | null>;

/** The first index where `a` and `b` differ beyond tolerance, or -1 (lengths must match). */
export const firstMismatch = (a: Numbers, b: Numbers, { rtol = 1e-9, atol = 0 }: Tolerance = {}): number => {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === null || y === null) {
      if (x !== y) return i;
      continue;
    }
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (!(Number.isNaN(x) && Number.isNaN(y))) return i;
      continue;
    }
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (x !== y) return i;
      continue;
    }
    if (Math.abs(x - y) > atol + rtol * Math.abs(y)) return i;
  }
  return -1;
};

/** True when `a` and `b` agree elementwise within tolerance. */
export const allClose = (a: Numbers, b: Numbers, tolerance: Tolerance = {}): boolean =>
  firstMismatch(a, b, tolerance) === -1;

/** Throws a message naming the first differing index when `a` and `b` are not allClose. */
export const assertAllClose = (a: Numbers, b: Numbers, tolerance: Tolerance = {}, label = "values"): void => {
  const i = firstMismatch(a, b, tolerance);
  if (i === -1) return;
  const show = (v: Numbers) =>
    v.length > 16 ? `[${Array.from(v).slice(0, 16).join(", ")}, …]` : `[${Array.from(v).join(", ")}]`;
  throw new Error(
    `${label} differ at index ${i}: ${String(a[i])} vs ${String(b[i])} (rtol ${tolerance.rtol ?? 1e-9}, atol ${tolerance.atol ?? 0})\n  a = ${show(a)}\n  b = ${show(b)}`,
  );
};

/** Recursively freezes a value so that any mutation inside the code under test throws. */
export const deepFreeze = <T>(value: T): T => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
};

/**
 * Largest |a - b| over the largest |b| (the difference relative to the variable's scale, for
 * parameters and gradients whose small entries would make an elementwise rtol meaningless).
 */
export const relativeToScale = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) throw new RangeError(`relativeToScale: lengths ${a.length} and ${b.length}`);
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i] as number));
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
  }
  return scale === 0 ? diff : diff / scale;
};
