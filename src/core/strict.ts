import * as t from "io-ts";

/**
 * Like `t.partial(props)` but rejects keys it does not know, so a typo such as `{ tua: 2 }`
 * is reported (`tua: unknown key`) instead of silently ignored. Encoding drops unknown keys.
 *
 * @example
 * strictPartial({ tau: t.number }).decode({ tua: 2 }) // Left: "tua: unknown key (got 2)"
 */
export const strictPartial = <P extends t.Props>(
  props: P,
  name: string,
): t.Type<t.TypeOfPartialProps<P>, t.OutputOfPartialProps<P>, unknown> => {
  const inner = t.exact(t.partial(props));
  return new t.Type(
    name,
    (u): u is t.TypeOfPartialProps<P> => inner.is(u),
    (u, context) => {
      if (typeof u === "object" && u !== null && !Array.isArray(u)) {
        const unknownKeys = Object.keys(u).filter((key) => !Object.prototype.hasOwnProperty.call(props, key));
        if (unknownKeys.length > 0) {
          const errors: t.Errors = unknownKeys.map((key) => ({
            value: (u as Record<string, unknown>)[key],
            context: [...context, { key, type: t.never, actual: (u as Record<string, unknown>)[key] }],
            message: `unknown key (known: ${Object.keys(props).join(", ")})`,
          }));
          return t.failures(errors);
        }
      }
      return inner.validate(u, context);
    },
    (a) => inner.encode(a),
  );
};
