import cliProgress from 'cli-progress';
import type { SyncProgress, SyncReport } from '../index.js';

/** `bar`: a redrawn bar on a terminal; `lines`: one line now and then, for logs; `off`: nothing. */
export type ProgressMode = 'bar' | 'lines' | 'off';

export interface ProgressReporter {
  update(progress: SyncProgress): void;
  /** The sync ended: with its report, or without one when it failed. */
  finish(report?: Pick<SyncReport, 'listed'>): void;
}

/** At most one progress line per this interval in `lines` mode, plus each phase's first and last. */
const LINE_INTERVAL_MS = 1_000;
const BAR_FPS = 10;
const BAR_WIDTH_CHARS = 24;

/**
 * `--progress` forces progress lines where stderr is not a terminal, `--no-progress` silences the
 * bar on one; by default a terminal gets the bar and anything else (a log, a pipe) nothing.
 */
export function progressMode(flag: boolean | undefined, stderrIsTTY: boolean): ProgressMode {
  if (flag === false) return 'off';
  if (stderrIsTTY) return 'bar';
  return flag ? 'lines' : 'off';
}

export function createReporter(mode: ProgressMode, stream: NodeJS.WriteStream, now: () => number = Date.now): ProgressReporter {
  if (mode === 'bar') return new BarReporter(stream, now);
  if (mode === 'lines') return new LineReporter((line) => stream.write(`${line}\n`), now);
  return { update: () => undefined, finish: () => undefined };
}

/** `1.5s`, `42s`, `3m05s`, `2h07m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The rate of `counted` downloads over `elapsedMs`, and the time `remaining` more take at it (`?` before there is a rate). */
export function rateAndEta(counted: number, remaining: number, elapsedMs: number): { rate: string; eta: string } {
  if (counted <= 0 || elapsedMs <= 0) return { rate: '?/s', eta: '?' };
  const perSecond = (counted / elapsedMs) * 1000;
  const rate = `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond)}/s`;
  return { rate, eta: formatDuration((remaining / perSecond) * 1000) };
}

/**
 * The download phase as seen so far. Its first report arrives when the first download finished, so
 * the rate counts from there (`firstDone` at `startedMs`), not from an unknown start.
 */
interface Downloads {
  startedMs: number;
  firstDone: number;
  done: number;
  total: number;
}

function startDownloads(nowMs: number, p: SyncProgress): Downloads {
  return { startedMs: nowMs, firstDone: p.done, done: p.done, total: p.total };
}

function rateOf(d: Downloads, nowMs: number): { rate: string; eta: string } {
  return rateAndEta(d.done - d.firstDone, d.total - d.done, nowMs - d.startedMs);
}

function downloadLine(d: Downloads, nowMs: number): string {
  const { rate, eta } = rateOf(d, nowMs);
  const percent = d.total === 0 ? 100 : Math.floor((d.done / d.total) * 100);
  return `${d.done}/${d.total} CSVs (${percent}%), ${rate}, ETA ${eta}`;
}

function downloadedLine(d: Downloads, nowMs: number): string {
  return `downloaded ${d.done}/${d.total} CSVs in ${formatDuration(nowMs - d.startedMs)} (${rateOf(d, nowMs).rate})`;
}

/** Progress for logs: plain lines, no control characters, a bounded number of them. */
class LineReporter implements ProgressReporter {
  readonly #write: (line: string) => void;
  readonly #now: () => number;
  readonly #startedMs: number;
  #lastLineMs: number;
  #downloads: Downloads | undefined;

  constructor(write: (line: string) => void, now: () => number) {
    this.#write = write;
    this.#now = now;
    this.#startedMs = this.#lastLineMs = now();
    write('sync: listing the source');
  }

  update(p: SyncProgress): void {
    const nowMs = this.#now();
    const due = nowMs - this.#lastLineMs >= LINE_INTERVAL_MS;
    if (p.phase === 'listing') {
      if (due) this.#line(`sync: listing, ${p.listed} objects so far`, nowMs);
      return;
    }
    if (!this.#downloads) {
      this.#downloads = startDownloads(nowMs, p);
      this.#line(`sync: listed ${p.listed} objects in ${formatDuration(nowMs - this.#startedMs)}; downloading ${p.total} CSVs`, nowMs);
    }
    this.#downloads.done = p.done;
    if (p.done === p.total) this.#line(`sync: ${downloadedLine(this.#downloads, nowMs)}`, nowMs);
    else if (due) this.#line(`sync: downloading ${downloadLine(this.#downloads, nowMs)}`, nowMs);
  }

  finish(report?: Pick<SyncReport, 'listed'>): void {
    if (report && !this.#downloads) {
      this.#write(`sync: listed ${report.listed} objects in ${formatDuration(this.#now() - this.#startedMs)}; nothing to download`);
    }
  }

  #line(text: string, nowMs: number): void {
    this.#write(text);
    this.#lastLineMs = nowMs;
  }
}

/** A bar redrawn in place on a terminal, cleared when the sync ends. */
class BarReporter implements ProgressReporter {
  readonly #bar: cliProgress.SingleBar;
  readonly #now: () => number;
  readonly #startedMs: number;
  #listed = 0;
  #downloads: Downloads | undefined;

  constructor(stream: NodeJS.WriteStream, now: () => number) {
    this.#now = now;
    this.#startedMs = now();
    this.#bar = new cliProgress.SingleBar({
      stream,
      fps: BAR_FPS,
      barsize: BAR_WIDTH_CHARS,
      format: (options, params) => this.#render(options, params.progress),
      clearOnComplete: true,
      hideCursor: false,
      // Leave the terminal's line wrapping alone (cut lines to its width instead), so an interrupted
      // run does not leave it switched off.
      linewrap: true,
    });
    this.#bar.start(0, 0);
  }

  update(p: SyncProgress): void {
    this.#listed = p.listed;
    if (p.phase === 'downloading' && !this.#downloads) {
      this.#downloads = startDownloads(this.#now(), p);
      this.#bar.setTotal(p.total);
    }
    if (this.#downloads) this.#downloads.done = p.done;
    this.#bar.update(p.done);
  }

  finish(): void {
    this.#bar.stop();
  }

  #render(options: cliProgress.Options, progress: number): string {
    const nowMs = this.#now();
    if (!this.#downloads) {
      // Not every store reports listing progress: show a count only once there is one.
      const count = this.#listed > 0 ? ` ${this.#listed} objects,` : '';
      return `listing the source:${count} ${formatDuration(nowMs - this.#startedMs)}`;
    }
    return `downloading [${cliProgress.Format.BarFormat(progress, options)}] ${downloadLine(this.#downloads, nowMs)}`;
  }
}
