/**
 * The law suite's assertions, without `node:assert`, so `art-mtl/laws` also bundles for a browser
 * (a law run in a page, next to the model it weights). Each throws `LawAssertionError` with the message
 * given; the runner reports that message with the counterexample.
 */

/** One assertion inside a law failed (the runner turns it into the law's failure; `checkWeightingLaws` then throws its `LawViolation`). */
export class LawAssertionError extends Error {
  override readonly name = "LawAssertionError";
}

/** Deep equality of JSON-like values as `assert.deepStrictEqual` sees them: `Object.is` on leaves (NaN equals NaN, 0 and -0 differ), same prototypes, same own keys. */
export const deepEqual = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every(
    (k) =>
      Object.prototype.hasOwnProperty.call(b, k) &&
      deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
};

/**
 * `ok`, `equal` (Object.is) and `deepStrictEqual` (see `deepEqual`), each throwing `LawAssertionError`.
 *
 * @example
 * check.ok(sum > 0.999, `weights sum to ${sum}`);
 */
export interface Check {
  ok(condition: unknown, message: string): asserts condition;
  equal(actual: unknown, expected: unknown, message: string): void;
  deepStrictEqual(actual: unknown, expected: unknown, message: string): void;
}

/** The assertions (typed as `Check` so TypeScript narrows after `check.ok`). */
export const check: Check = {
  ok(condition: unknown, message: string): asserts condition {
    if (!condition) throw new LawAssertionError(message);
  },
  equal(actual: unknown, expected: unknown, message: string): void {
    if (!Object.is(actual, expected)) throw new LawAssertionError(message);
  },
  deepStrictEqual(actual: unknown, expected: unknown, message: string): void {
    if (!deepEqual(actual, expected)) throw new LawAssertionError(message);
  },
};
