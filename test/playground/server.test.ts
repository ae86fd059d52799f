import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { startStaticServer } from "../../examples/playground/server.js";

/** A raw request: the path goes on the wire as written (fetch and URL would normalise `..`). */
const get = (
  port: number,
  path: string,
  method = "GET",
): Promise<{ status: number; body: string; type: string | undefined }> =>
  new Promise((done, fail) => {
    const req = request({ host: "127.0.0.1", port, path, method }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => done({ status: res.statusCode ?? 0, body, type: res.headers["content-type"] }));
    });
    req.on("error", fail);
    req.end();
  });

describe("playground static server", () => {
  const base = mkdtempSync(join(tmpdir(), "art-mtl-playground-"));
  const root = join(base, "site");
  let server: Server;
  let port = 0;
  before(async () => {
    mkdirSync(join(root, "sub"), { recursive: true });
    writeFileSync(join(root, "index.html"), "<h1>index</h1>");
    writeFileSync(join(root, "app.js"), "console.log(1)");
    writeFileSync(join(root, "sub", "b.txt"), "bee");
    writeFileSync(join(base, "secret.txt"), "SECRET");
    symlinkSync(base, join(root, "link"));
    symlinkSync(join(base, "secret.txt"), join(root, "secret-link.txt"));
    ({ server } = await startStaticServer({ root, port: 0 }));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.close();
    rmSync(base, { recursive: true, force: true });
  });

  it("listens on the loopback address only", () => {
    assert.equal((server.address() as AddressInfo).address, "127.0.0.1");
  });

  it("serves the built files with their content types", async () => {
    assert.deepEqual(await get(port, "/"), { status: 200, body: "<h1>index</h1>", type: "text/html; charset=utf-8" });
    assert.equal((await get(port, "/app.js?v=2")).body, "console.log(1)");
    assert.equal((await get(port, "/app.js")).type, "text/javascript; charset=utf-8");
    assert.equal((await get(port, "/sub/b.txt")).body, "bee");
    assert.equal((await get(port, "/sub//b.txt")).body, "bee");
  });

  const climbs = [
    "/../secret.txt",
    "/sub/../../secret.txt",
    "/sub/../index.html",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/..%2fsecret.txt",
    "/..%2Fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/sub%2f..%2f..%2fsecret.txt",
    "/..%5csecret.txt",
    "/%5c..%5csecret.txt",
    "/..\\secret.txt",
    "/%252e%252e/secret.txt",
    "/index.html%00.js",
    "/link/secret.txt",
    "/secret-link.txt",
    "/sub",
    "/missing.js",
    "/%e0%a4%a",
    "//../secret.txt",
  ];
  for (const path of climbs) {
    it(`refuses ${path} with 404`, async () => {
      const response = await get(port, path);
      assert.equal(response.status, 404);
      assert.doesNotMatch(response.body, /SECRET/);
    });
  }

  it("refuses writes", async () => {
    assert.equal((await get(port, "/index.html", "POST")).status, 405);
  });
});
