// What vite's client types (`/// <reference types="vite/client" />`) declare for `?url` imports,
// for the repository's type check of main.ts (vite itself reads no .d.ts).
declare module "*?url" {
  const url: string;
  export default url;
}
