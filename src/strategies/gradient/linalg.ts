/** Small dense linear algebra for the gradient-aware solvers (K×K systems, K small). */
/**
 * Solves the dense system A x = rhs by Gaussian elimination with partial pivoting (A is copied);
 * a zero pivot (a singular direction) leaves that component at 0. Shared by the Newton steps of
 * CAGrad's and Nash-MTL's solvers.
 *
 * @example
 * solveDense([[2, 0], [0, 4]], [2, 2]) // [1, 0.5]
 */
export const solveDense = (matrix: ReadonlyArray<ReadonlyArray<number>>, rhs: ReadonlyArray<number>): number[] => {
  const n = rhs.length;
  const a = matrix.map((row, i) => [...row, rhs[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    if (p === 0) continue; // a singular direction: leave its component at 0
    for (let r = col + 1; r < n; r++) {
      const factor = a[r]![col]! / p;
      if (factor === 0) continue;
      for (let k = col; k <= n; k++) a[r]![k] = a[r]![k]! - factor * a[col]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= a[r]![k]! * x[k]!;
    x[r] = a[r]![r]! === 0 ? 0 : s / a[r]![r]!;
  }
  return x;
};
