import * as E from "fp-ts/Either";

/**
 * Returns the Right value or throws an Error carrying the Left's message: for scripts and
 * examples that prefer exceptions to Either.
 *
 * @example
 * const state = unwrap(initArt({ numTasks: 3 }));
 */
export const unwrap = <L extends { readonly message: string }, A>(either: E.Either<L, A>): A => {
  if (E.isLeft(either)) throw new Error(either.left.message);
  return either.right;
};
