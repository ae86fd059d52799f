/**
 * A progress display for long work on stderr: on a terminal, one line rewritten in place
 * (`\r`, cut to the terminal width); otherwise (a log file, CI) plain lines every few seconds,
 * so logs stay readable.
 */

/** Where and how to draw. */
export interface ProgressOptions {
  readonly write: (text: string) => void;
  /** True when `write` goes to a terminal. */
  readonly isTTY: boolean;
  /** Terminal width (default 120). */
  readonly columns?: number;
  /** Seconds between plain lines when not a terminal (default 10). */
  readonly plainEvery?: number;
  /** Clock in ms (injected in tests). */
  readonly now?: () => number;
}

/** Formats seconds as 1h02m, 3m05s or 12s. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** A progress bar over `total` units that started at `start` (resumed runs start later). */
export class ProgressBar {
  private readonly startedAt: number;
  private lastPlain = -Infinity;
  private lastDraw = -Infinity;
  private drawn = false;
  private readonly now: () => number;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly start: number,
    private readonly options: ProgressOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
  }

  /** Shows `done` units and a detail text (e.g. losses and weights). */
  update(done: number, detail = ""): void {
    const t = this.now();
    const elapsed = (t - this.startedAt) / 1000;
    const rate = (done - this.start) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (this.total - done) / rate : NaN;
    const pct = ((100 * done) / this.total).toFixed(0).padStart(3);
    const head = `${this.label} ${done}/${this.total} ${pct}% ${formatDuration(elapsed)} eta ${formatDuration(eta)}`;
    if (this.options.isTTY) {
      // Redraw at most ~10 times a second, and always at the end.
      if (t - this.lastDraw < 100 && done < this.total) return;
      this.lastDraw = t;
      const width = 20;
      const filled = Math.round((width * done) / this.total);
      const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${head} ${detail}`;
      const columns = this.options.columns ?? 120;
      this.options.write(`\r${line.slice(0, columns - 1).padEnd(columns - 1)}`);
      this.drawn = true;
    } else if (t - this.lastPlain >= (this.options.plainEvery ?? 10) * 1000 || done >= this.total) {
      this.lastPlain = t;
      this.options.write(`${head} ${detail}\n`);
    }
  }

  /** Ends the bar (a newline after an in-place line). */
  finish(): void {
    if (this.options.isTTY && this.drawn) this.options.write("\n");
    this.drawn = false;
  }

  /** Writes a message on its own line without breaking the bar. */
  message(text: string): void {
    if (this.options.isTTY && this.drawn) this.options.write("\r\x1b[2K");
    this.options.write(text.endsWith("\n") ? text : text + "\n");
    this.lastDraw = -Infinity;
  }
}
