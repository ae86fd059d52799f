/**
 * The adapter's internal entry: what the restoration kit (src/restoration/) needs from
 * src/tfjs/ beyond the public entry `index.ts`. NOT public API: it is not in package.json's
 * "exports" (no `art-mtl/tfjs/internal`), it is not built as an entry of its own, and its names
 * may change without notice.
 *
 * The kit imports the adapter only through `index.ts` (preferred, for any name exported there)
 * or this file; eslint.config.js enforces it. Add a name here only when the kit needs it and it
 * is not public.
 */

// The taped passes shared by the trainers and the data-parallel replica (train --workers).
export { subBatchLoss, taskGradients, weightedLossGradients } from "./step-passes.js";
// A model given as a LayersModel or a function, resolved to one forward and its variables (the replica).
export { resolveModel, type ResolvedModel } from "./model.js";
// A variable's name as checkpoints and exported models match it (without the per-instance prefix).
export { withoutInstance } from "./checkpoint/save-load.js";
