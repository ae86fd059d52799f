/**
 * The fenced code blocks of README.md and docs/ (not docs/data/, which holds generated results),
 * read by their info string: the language, then markers that say why a block is not run
 * (docs/testing.md, "Docs that run"). GitHub renders only the language, so markers do not
 * change how a page looks. test/package/doc-blocks.test.ts runs the blocks that have none.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** The languages a block is run in: TypeScript (a whole module, run with tsx) and shell (bash). */
export const RUNNABLE_LANGUAGES = ["ts", "sh"] as const;

/**
 * The markers, each a reason not to run a block:
 * - `fragment`: a piece shown in context (one line of a loop, a call on values defined in the
 *   prose, a type), not a module or a script of its own;
 * - `browser`: a whole module for a page (`document`, IndexedDB, URLs served by the page);
 * - `needs-data`: needs the real images of `../shared/data` (or a run trained from them);
 * - `slow`: runs longer than about 30 s (training, the demo, the test suite, a benchmark grid, a
 *   server that runs until stopped), or needs a clone of this repository (`npm run …`).
 */
export const MARKERS = ["fragment", "browser", "needs-data", "slow"] as const;
export type Marker = (typeof MARKERS)[number];

export interface DocBlock {
  /** The Markdown file, relative to the repository root, with `/` separators. */
  readonly file: string;
  /** The line of the opening fence (1-based); the code's first line is `line + 1`. */
  readonly line: number;
  /** The info string's first word ("ts", "sh", "json", "" for none). */
  readonly language: string;
  /** The info string's other words. */
  readonly markers: readonly string[];
  /** The block's text, without the fence's indentation, ending with a newline. */
  readonly code: string;
  /** The text of a ```text block that follows the block (only blank lines between): its output. */
  readonly output?: string;
}

/** README.md and every .md file under docs/ except docs/data/, sorted. */
export const docFiles = (repo: string): string[] => {
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((name) => {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) return path === join(repo, "docs", "data") ? [] : walk(path);
        return name.endsWith(".md") ? [path] : [];
      });
  return [join(repo, "README.md"), ...walk(join(repo, "docs"))].map((path) =>
    relative(repo, path).split("\\").join("/"),
  );
};

interface Fence {
  readonly line: number;
  readonly indent: number;
  readonly fence: string;
  readonly info: string;
  readonly lines: string[];
}

const opening = /^( {0,3})(`{3,}|~{3,})(.*)$/;

/** The fenced blocks of one Markdown text, in order (CommonMark fences, up to 3 spaces of indentation). */
const fencesOf = (text: string): Fence[] => {
  const lines = text.split("\n");
  const fences: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = opening.exec(lines[i] as string);
    if (open === null || (open[2]!.startsWith("`") && open[3]!.includes("`"))) continue;
    const [, spaces, fence, info] = open as unknown as [string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] as string;
      const trimmed = line.trim();
      if (trimmed.length >= fence.length && trimmed === (fence[0] as string).repeat(trimmed.length)) break;
      body.push(line.slice(Math.min(spaces.length, line.length - line.trimStart().length)));
    }
    fences.push({ line: i + 1, indent: spaces.length, fence, info: info.trim(), lines: body });
    i = j;
  }
  return fences;
};

/** The blocks of `file` (relative to `repo`), each with the ```text block that follows it, if any. */
export const blocksOf = (repo: string, file: string): DocBlock[] => {
  const text = readFileSync(join(repo, file), "utf8");
  const lines = text.split("\n");
  const fences = fencesOf(text);
  return fences.map((fence, i) => {
    const [language = "", ...markers] = fence.info.split(/\s+/).filter(Boolean);
    const next = fences[i + 1];
    const end = fence.line + fence.lines.length + 1; // the closing fence's line
    const between = next === undefined ? [] : lines.slice(end, next.line - 1);
    const output =
      next !== undefined && next.info === "text" && between.every((l) => l.trim() === "")
        ? next.lines.join("\n") + "\n"
        : undefined;
    return {
      file,
      line: fence.line,
      language,
      markers,
      code: fence.lines.join("\n") + "\n",
      ...(output === undefined ? {} : { output }),
    };
  });
};

/** Every block of README.md and docs/ (see `docFiles`). */
export const docBlocks = (repo: string): DocBlock[] => docFiles(repo).flatMap((file) => blocksOf(repo, file));

export const isRunnableLanguage = (language: string): language is (typeof RUNNABLE_LANGUAGES)[number] =>
  (RUNNABLE_LANGUAGES as readonly string[]).includes(language);

/** A ts or sh block with no marker: the test runs it. */
export const isRunnable = (block: DocBlock): boolean =>
  isRunnableLanguage(block.language) && block.markers.length === 0;

/** Where the block is, as an editor opens it: `docs/art.md:180`. */
export const where = (block: DocBlock): string => `${block.file}:${block.line}`;
