/**
 * The kit's internal entry: what the CLI (src/cli/) needs from src/restoration/ beyond the public
 * entry `index.ts`. NOT public API: it is not in package.json's "exports" (no
 * `art-mtl/restoration/internal`), it is not built as an entry of its own, and its names may
 * change without notice.
 *
 * The CLI imports the kit only through `index.ts` (preferred, for any name exported there) or this
 * file; eslint.config.js enforces it. Add a name here only when the CLI needs it and it is not
 * public.
 */

// The terminal progress bar of train, eval and restore.
export { ProgressBar, type ProgressOptions } from "./train/progress.js";
// Atomic JSON writes (write a temporary file, then rename) for the files the CLI writes.
export { writeJsonAtomic } from "./train/run-dir.js";
