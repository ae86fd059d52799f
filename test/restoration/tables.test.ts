/**
 * `npm run experiment -- --tables`: docs/results.md shows exactly the tables that the committed
 * per-run files under docs/data/ rebuild (scripts/experiment/tables.ts), and a page that differs
 * is caught and rewritten.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { before, describe, it } from "node:test";

import {
  rebuildFigures,
  rebuildTables,
  tableRegion,
  writeTables,
  type RebuiltTable,
} from "../../scripts/experiment/tables.js";

const repo = resolve(import.meta.dirname, "..", "..");
const page = readFileSync(join(repo, "docs", "results.md"), "utf8");

describe("docs/results.md's tables are rebuilt from the committed per-run files", () => {
  let tables: RebuiltTable[] = [];
  before(async () => {
    tables = await rebuildTables(join(repo, "docs", "data"));
  });

  it("rebuilds the gradient-aware section, the third round's primary comparison, its sweeps and setting iv", () => {
    const ids = tables.map((t) => t.id);
    for (const id of [
      "round2-gradient-B",
      "round3-B-preregistered",
      "round3-B-tau",
      "round3-B-ema",
      "round3-iv",
      "round3-B-plateau",
      "round3-B-rellog",
    ])
      assert.ok(ids.includes(id), `${id} among ${ids.join(", ")}`);
  });

  it("the page shows each rebuilt table verbatim, between its markers", () => {
    for (const table of tables) assert.equal(tableRegion(page, table.id), table.markdown, table.id);
  });

  it("the learning-curve figure in docs/img is the one the committed curves draw", () => {
    const figures = rebuildFigures(join(repo, "docs", "data"));
    assert.deepEqual(
      figures.map((f) => f.name),
      ["results-round3-B-plateau.svg"],
    );
    for (const figure of figures)
      assert.equal(readFileSync(join(repo, "docs", "img", figure.name), "utf8"), figure.svg, figure.name);
  });

  it("a page with a changed digit differs, and writing the tables restores it", () => {
    const table = tables.find((t) => t.id === "round3-B-preregistered")!;
    const tampered = page.replace(table.markdown, table.markdown.replace("−0.294", "−0.295"));
    assert.notEqual(tampered, page);
    assert.notEqual(tableRegion(tampered, table.id), table.markdown);
    assert.equal(writeTables(tampered, tables), page);
  });
});
