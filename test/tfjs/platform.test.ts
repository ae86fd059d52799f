/**
 * The browser twins (`X.browser.ts`, swapped in for `X.ts` by the browser builds) export exactly
 * what their Node modules export, with the same kinds of values, and the Node-side stand-ins
 * behave as documented: a no-op guard and the real built-ins in Node, `NodeOnlyError` in the twin.
 */
import assert from "node:assert/strict";
import { relative, resolve } from "node:path";
import { describe, it } from "node:test";

import { listBrowserTwins } from "../../scripts/browser-twins.mjs";
import { NodeOnlyError as PlatformNodeOnlyError } from "../../src/platform/errors.js";
import * as browserSide from "../../src/platform/node.browser.js";
import * as nodeSide from "../../src/platform/node.js";
import { NodeOnlyError } from "../../src/tfjs/errors.js";

const repo = resolve(import.meta.dirname, "..", "..");

describe("browser twins", () => {
  const twins = listBrowserTwins();

  it("exist for the platform module and the PNG codec (and each has its Node module)", () => {
    const names = twins.map(([node]) => relative(repo, node));
    for (const expected of ["src/platform/node.ts", "src/restoration/io/png-codec.ts"])
      assert.ok(names.includes(expected), `${expected} has a twin`);
  });

  for (const [nodeFile, browserFile] of twins) {
    it(`${relative(repo, browserFile)} exports what ${relative(repo, nodeFile)} exports`, async () => {
      const [a, b] = [await import(nodeFile), await import(browserFile)] as Record<string, unknown>[];
      const kinds = (m: Record<string, unknown>) =>
        Object.fromEntries(
          Object.keys(m)
            .sort()
            .map((k) => [k, typeof m[k]]),
        );
      assert.deepEqual(kinds(b as Record<string, unknown>), kinds(a as Record<string, unknown>));
    });
  }

  it("art-mtl/tfjs's NodeOnlyError is the platform layer's class (so instanceof holds for what the twin throws)", () => {
    assert.equal(NodeOnlyError, PlatformNodeOnlyError);
  });

  it("node.ts: the real built-ins, and a guard that lets everything through", () => {
    assert.equal(nodeSide.isNodeBuild, true);
    assert.equal(nodeSide.nodeOnly("readImage"), undefined);
    assert.equal(nodeSide.join("a", "b"), "a/b");
    assert.equal(typeof nodeSide.fsPromises.readFile, "function");
  });

  it("node.browser.ts: every stand-in throws NodeOnlyError, and the guard names the feature and the alternative", () => {
    assert.equal(browserSide.isNodeBuild, false);
    assert.throws(
      () => browserSide.nodeOnly("readImage", "use decodeImage(bytes, name)"),
      (e: unknown) =>
        e instanceof NodeOnlyError &&
        e.feature === "readImage" &&
        /^readImage needs Node\.js .*; use decodeImage\(bytes, name\)$/.test(e.message),
    );
    assert.throws(
      () => browserSide.readFileSync("x"),
      (e: unknown) => e instanceof NodeOnlyError && e.feature === "node:fs readFileSync",
    );
    assert.throws(
      () => browserSide.fsPromises.readFile("x"),
      (e: unknown) => e instanceof NodeOnlyError && e.feature === "node:fs/promises readFile",
    );
    assert.throws(() => new browserSide.Worker("x.js"), NodeOnlyError);
    assert.throws(() => browserSide.join("a", "b"), NodeOnlyError);
  });
});
