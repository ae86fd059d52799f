// The CommonJS build's stand-in for import.meta.url (tsup.config.ts injects it and defines
// import.meta.url as importMetaUrl): the file's URL where CommonJS gives __filename (Node),
// undefined elsewhere (a bundled page or worker, which has no file), so loading the package
// never throws; the code that uses it (finding a worker file, the shipped models) is Node-only
// and treats undefined as "not found". tsup's own shim reads __filename whenever `document` is
// undefined, which throws in a Web Worker.
export const importMetaUrl = /* @__PURE__ */ (() =>
  typeof __filename === "string" ? new URL(`file:${__filename}`).href : undefined)();
