import * as E from "fp-ts/Either";
import type * as t from "io-ts";

import { formatDecodeErrors } from "../../src/core/index.js";

/**
 * What a codec says about `value`, one line per error: a consistency check's own message, else
 * the structural `path: expected TYPE (got VALUE)` line; [] when the value is accepted.
 */
export const codecLines = (codec: t.Decoder<unknown, unknown>, value: unknown): string[] => {
  const result = codec.decode(value);
  return E.isLeft(result) ? result.left.map((error) => error.message ?? formatDecodeErrors([error]).join("; ")) : [];
};

/**
 * The `InvalidConfig` error expected for these lines, written out here (not built with the
 * library's `invalidConfig`), so a test also pins the message's format.
 */
export const expectedInvalidConfig = (errors: string[]) => ({
  _tag: "InvalidConfig",
  errors,
  message: `invalid config:\n  ${errors.join("\n  ")}`,
});
