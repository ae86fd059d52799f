// The README's core example: Art as a pure state machine, with a checkpoint in the middle.
import { ArtStateCodec, initArt, stepArt, unwrap } from "art-mtl";
import { either as E } from "fp-ts"; // the "fp-ts/Either" subpath is a folder, which Node ESM cannot import

let state = unwrap(initArt({ taskNames: ["noise", "blur", "rain"] })); // paper preset: tau 3, rate 0.01
for (const losses of [
  [0.2, 0.4, null],
  [0.18, 0.41, 0.3],
  [0.17, 0.45, 0.28],
]) {
  const out = stepArt(state, losses); // Either<StepError, { state, weights, diagnostics }>
  if (E.isLeft(out)) throw new Error(out.left.message);
  console.log(out.right.weights.map((w) => w.toFixed(4)).join(" ")); // simplex; absent (null) → 0
  state = out.right.state; // a new readonly state; the previous one is untouched
}
const checkpoint = JSON.stringify(ArtStateCodec.encode(state)); // JSON-safe, exact round trip
const resumed = ArtStateCodec.decode(JSON.parse(checkpoint));
console.log(E.isRight(resumed) ? `resumed at step ${resumed.right.step}` : "bad checkpoint");
const bad = stepArt(state, [0.2, NaN, 0.3]); // Left, state kept: nothing is lost
console.log(E.isLeft(bad) ? bad.left.message : "unexpected"); // "task 1 (blur): invalid loss NaN: …"
