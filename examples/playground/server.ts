/**
 * The playground's static file server: loopback only, read-only, and only the files under one
 * folder (the built site). Anything else — paths that climb out of the folder in any spelling,
 * encoded separators, NUL bytes, symbolic links leading out, folders — is a 404.
 */
import { createReadStream, realpathSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, isAbsolute, join, relative, resolve, sep } from "node:path";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".bin": "application/octet-stream",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * The file a request path names under `root`, or undefined when it names nothing servable.
 * `/` is `index.html`. The path is percent-decoded once; a decoded `/`, `\` or NUL, a `..`
 * segment, or a real path outside the root (a link) is refused rather than normalised away.
 */
export const resolveStaticPath = (root: string, requestPath: string): string | undefined => {
  const pathname = requestPath.split("?")[0]!.split("#")[0]!;
  if (!pathname.startsWith("/")) return undefined;
  const segments: string[] = [];
  for (const raw of pathname.slice(1).split("/")) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment.includes("/") || segment.includes("\\") || segment.includes("\0")) return undefined;
    if (segment === ".." || segment === ".") return undefined;
    if (segment === "") continue;
    segments.push(segment);
  }
  const realRoot = realpathSync(root);
  const candidate = segments.length === 0 ? join(realRoot, "index.html") : join(realRoot, ...segments);
  const inside = (path: string) => {
    const rel = relative(realRoot, path);
    return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) && !rel.split(sep).includes("..");
  };
  if (!inside(resolve(candidate))) return undefined;
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return undefined;
  }
  if (!inside(real)) return undefined;
  try {
    if (!statSync(real).isFile()) return undefined;
  } catch {
    return undefined;
  }
  return real;
};

/** Options of `startStaticServer`. */
export interface StaticServerOptions {
  /** The folder to serve (the built site). */
  readonly root: string;
  /** Port; 0 picks a free one. Default 8080. */
  readonly port?: number;
}

/** Starts the server on 127.0.0.1 and resolves with it and its URL once it listens. */
export const startStaticServer = (options: StaticServerOptions): Promise<{ server: Server; url: string }> => {
  const root = resolve(options.root);
  const server = createServer((request, response) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      response
        .writeHead(405, { "content-type": "text/plain; charset=utf-8", allow: "GET, HEAD" })
        .end("method not allowed\n");
      return;
    }
    const file = resolveStaticPath(root, request.url ?? "/");
    if (file === undefined) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    response.writeHead(200, {
      "content-type": CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    });
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    createReadStream(file).pipe(response);
  });
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 8080, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : options.port;
      done({ server, url: `http://127.0.0.1:${port}/` });
    });
  });
};
