/**
 * Evidence for docs/testing.md's "judged equivalent" rows of clampOntoSimplex
 * (src/strategies/combinators/clamp-weights.ts): a transcription of the function with one switch
 * per surviving Stryker mutant, run on 1,000,000 random inputs (ties, zero weights and bounds at
 * 1/p included) and compared with the unmutated transcription. Prints, per mutant, the first input
 * whose result differs by more than 1e-12 (relative), or "no difference found". Mutants with a
 * counterexample here are killed by tests in test/strategies/combinators.test.ts.
 * Run: node --import tsx scripts/clamp-mutant-search.ts (about 90 s). Keep it in step with the source.
 */
const base =
  (m: Record<string, boolean>) =>
  (weights: number[], present: boolean[], floor: number, ceiling: number): number[] => {
    const clamp = (x: number, lo: number, hi: number) =>
      m.c1 ? (x > hi ? hi : x) : m.c2 ? (x < lo ? lo : x) : x < lo ? lo : x > hi ? hi : x;
    const idx = present.flatMap((p, k) => (p ? [k] : []));
    const count = idx.length;
    const uniform = () => present.map((p) => (p ? 1 / count : 0));
    if (!m.noInfeasible && count * ceiling < 1) return uniform();
    const sorted = [...idx].sort((i, j) => (weights[i] as number) - (weights[j] as number) || (m.tie ? i + j : i - j));
    const ws = sorted.map((k) => weights[k] as number);
    const prefix = [0];
    for (const w of ws) prefix.push(prefix[prefix.length - 1]! + w);
    const slack = 1e-12;
    for (let a = 0; m.aLt ? a < count : a <= count; a++) {
      for (let b = a; b <= count; b++) {
        const mass = 1 - a * floor - (count - b) * ceiling;
        const out = new Map<number, number>();
        if (!m.noAB && a === b) {
          if (m.absTrue || (m.absGe ? Math.abs(mass) >= slack : Math.abs(mass) > slack)) continue;
        } else {
          const sum = prefix[b]! - prefix[a]!;
          if (!(sum > 0) || (m.massLe ? mass <= 0 : m.massFalse ? false : mass < 0)) continue;
          const share = (i: number) => mass * (ws[i]! / sum);
          const fl = m.t1 ? floor / (1 - slack) : m.t2 ? floor * (1 + slack) : floor * (1 - slack);
          const cl = m.t3 ? ceiling / (1 + slack) : m.t4 ? ceiling * (1 - slack) : ceiling * (1 + slack);
          if (
            (m.e1 ? share(a) <= fl : share(a) < fl) ||
            (m.ceilFalse ? false : m.e2 ? share(b - 1) >= cl : share(b - 1) > cl)
          )
            continue;
          const fa = m.t5 ? floor / (1 + slack) : m.t6 ? floor * (1 - slack) : floor * (1 + slack);
          if (!m.aCheckFalse && (m.aLe0 ? a <= 0 : a > 0) && (m.e3 ? share(a - 1) >= fa : share(a - 1) > fa)) continue;
          const cb = m.t7 ? ceiling / (1 - slack) : m.t8 ? ceiling * (1 + slack) : ceiling * (1 - slack);
          if (!m.bCheckFalse && b < count && (m.e4 ? share(b) <= cb : share(b) < cb)) continue;
          for (let i = a; i < b; i++) out.set(sorted[i]!, clamp(share(i), floor, ceiling));
        }
        for (let i = 0; i < a; i++) out.set(sorted[i]!, floor);
        for (let i = b; i < count; i++) out.set(sorted[i]!, ceiling);
        return present.map((p, k) => (p ? out.get(k)! : 0));
      }
    }
    return uniform();
  };
const variants = [
  "absGe",
  "t1",
  "t2",
  "t3",
  "t4",
  "t5",
  "t6",
  "t7",
  "t8",
  "e1",
  "e2",
  "e3",
  "e4",
  "aLe0",
  "c1",
  "c2",
  "noInfeasible",
  "tie",
  "aLt",
  "noAB",
  "absTrue",
  "massLe",
  "massFalse",
  "ceilFalse",
  "aCheckFalse",
  "bCheckFalse",
];
const orig = base({});
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed / 2147483648);
const found: Record<string, string> = {};
const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
for (let it = 0; it < 1000000 && Object.keys(found).length < variants.length; it++) {
  const k = 1 + Math.floor(rnd() * 6);
  const present = Array.from({ length: k }, () => rnd() < 0.8);
  if (!present.some((p) => p)) present[0] = true;
  const p = present.filter(Boolean).length;
  const kind = rnd();
  const raw = Array.from({ length: k }, () =>
    kind < 0.2 ? pick([0, 0.1, 0.2, 0.5, 1]) : kind < 0.3 ? pick([0, 1]) : rnd(),
  );
  const tot = raw.reduce((s, x, i) => s + (present[i] ? x : 0), 0);
  const w = raw.map((x, i) => (present[i] ? (tot > 0 ? x / tot : 0) : 0));
  const floor = rnd() < 0.3 ? pick([0, 0.05, 0.1, 0.2, 0.25, 1 / 3, 1 / p]) : rnd() / p;
  const ceiling =
    rnd() < 0.3
      ? pick([1, 0.5, 0.45, 0.6, 0.8, 1 / p, Math.max(floor, 0.3)])
      : Math.max(floor, 1 / k + rnd() * (1 - 1 / k));
  if (floor > ceiling) continue;
  const o = orig(w, present, floor, ceiling);
  for (const v of variants) {
    if (found[v]) continue;
    const r = base({ [v]: true })(w, present, floor, ceiling);
    if (r.some((x, i) => !(Object.is(x, o[i]) || Math.abs(x - o[i]!) <= 1e-12 * Math.max(1, Math.abs(o[i]!))))) {
      found[v] = JSON.stringify({ w, present, floor, ceiling, orig: o, mutant: r });
    }
  }
}
for (const v of variants) console.log(v, found[v] ?? "no difference found");
