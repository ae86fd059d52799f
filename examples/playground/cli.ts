/**
 * `npm run playground`: builds the page and serves it on 127.0.0.1.
 *
 *   npm run playground                     # build, serve on http://127.0.0.1:8080/
 *   npm run playground -- --port 0         # any free port
 *   npm run playground -- --build-only     # just the static site (examples/playground/dist)
 *   npm run playground -- --out DIR        # build into DIR
 */
import { parseArgs } from "node:util";

import { buildPlayground } from "./build.js";
import { startStaticServer } from "./server.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8080" },
    out: { type: "string" },
    "build-only": { type: "boolean", default: false },
  },
  strict: true,
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`playground: --port: expected 0..65535 (got ${JSON.stringify(values.port)})`);
  process.exit(2);
}
const built = await buildPlayground(values.out);
console.log(
  `built ${built.outDir} (bundle ${(built.bundleBytes / 1e6).toFixed(1)} MB) in ${built.seconds.toFixed(1)} s`,
);
if (!values["build-only"]) {
  const { url } = await startStaticServer({ root: built.outDir, port });
  console.log(`Art playground: ${url}  (loopback only; Ctrl+C stops it)`);
}
