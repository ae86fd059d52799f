// pngjs's browser build (a browserify bundle of the same library) has no types of its own.
declare module "pngjs/browser.js" {
  import type { PNG } from "pngjs";
  const pngjs: { readonly PNG: typeof PNG };
  export default pngjs;
}
