import { setMaxListeners } from 'node:events';
import { StoreUnavailableError, describeError } from '../errors.js';
import type { SyncProgress, SyncReport } from '../model.js';
import { EMPTY_TABLE, buildTable, type UserTable } from '../query/table.js';
import type { ChangeEvent } from '../storage/ObjectStore.js';
import { applyChanges, type ChangeSummary } from './changes.js';
import type { SyncState } from './entries.js';
import { runSync, type SyncContext } from './sync.js';

export interface LastSync {
  /** When the sync started, ms since the epoch. */
  startedAtMs: number;
  /** When it finished, ms since the epoch. */
  atMs: number;
  report: SyncReport;
}

export interface SyncOptions {
  onProgress?: (progress: SyncProgress) => void;
  /** Wait for a running sync, then run one that starts after this call. */
  fresh?: boolean;
}

/**
 * Owns the cache and the table built from it, and runs the passes that change them: full syncs
 * (single flight, with an overall deadline) and batches of change events. The table is rebuilt
 * after every pass that changed a row, also after one that failed part-way.
 */
export class Syncer {
  readonly state: SyncState = { entries: new Map(), images: new Map(), dirty: false };
  #table: UserTable = EMPTY_TABLE;
  #inflight: Promise<SyncReport> | undefined;
  #lastSync: LastSync | undefined;
  #lastFailure: { atMs: number; error: string } | undefined;
  /** When the table last matched the store, as far as anyone knows (ms since the epoch). */
  #currentAtMs: number | undefined;
  readonly #context: (overrides: Partial<SyncContext>) => SyncContext;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #onSync: (report: SyncReport) => void;

  constructor(options: {
    context: (overrides: Partial<SyncContext>) => SyncContext;
    now: () => number;
    timeoutMs: number;
    onSync: (report: SyncReport) => void;
  }) {
    this.#context = options.context;
    this.#now = options.now;
    this.#timeoutMs = options.timeoutMs;
    this.#onSync = options.onSync;
  }

  get table(): UserTable {
    return this.#table;
  }
  get lastSync(): LastSync | undefined {
    return this.#lastSync;
  }
  get lastFailure(): { atMs: number; error: string } | undefined {
    return this.#lastFailure;
  }
  get running(): boolean {
    return this.#inflight !== undefined;
  }
  /** When the table last matched the store: the end of the last sync, event batch or confirmation. */
  get currentAtMs(): number | undefined {
    return this.#currentAtMs;
  }

  /** Records that the table is known to match the store as of `atMs` (e.g. a live change stream). */
  confirmCurrent(atMs: number): void {
    this.#currentAtMs = Math.max(this.#currentAtMs ?? atMs, atMs);
  }

  sync(options: SyncOptions = {}): Promise<SyncReport> {
    const run = async () => {
      if (options.fresh && this.#inflight) await this.#inflight.catch(() => undefined);
      this.#inflight ??= this.#run(options.onProgress).finally(() => {
        this.#inflight = undefined;
      });
      return this.#inflight;
    };
    return run();
  }

  async #run(onProgress?: (progress: SyncProgress) => void): Promise<SyncReport> {
    const startedAtMs = this.#now();
    const controller = new AbortController();
    // Every download in flight listens for the deadline: as many listeners as the concurrency.
    setMaxListeners(0, controller.signal);
    const timer = setTimeout(() => controller.abort(this.#timeoutError()), this.#timeoutMs);
    try {
      const ctx = this.#context({ nowMs: startedAtMs, onProgress, signal: controller.signal });
      // A store call stuck on a dead connection must not hold the run: the deadline abandons it.
      const report = await raceAbort(runSync(this.state, ctx), controller.signal);
      this.#lastFailure = undefined;
      this.#lastSync = { startedAtMs, atMs: this.#now(), report };
      this.confirmCurrent(this.#lastSync.atMs);
      this.#notify(report);
      return report;
    } catch (error) {
      controller.abort(error);
      this.#lastFailure = { atMs: this.#now(), error: describeError(error) };
      throw error;
    } finally {
      clearTimeout(timer);
      this.rebuild();
    }
  }

  /** Applies change events (already coalesced) without a listing. */
  async applyChanges(events: readonly ChangeEvent[]): Promise<ChangeSummary> {
    // Never interleaved with a full sync: the sync's plan was made from an older listing.
    await this.#inflight?.catch(() => undefined);
    const summary = await applyChanges(this.state, this.#context({ nowMs: this.#now() }), events);
    this.rebuild();
    if (this.#lastSync) this.confirmCurrent(this.#now());
    return summary;
  }

  /** Rebuilds the table if a row changed since the last build. */
  rebuild(): void {
    if (!this.state.dirty) return;
    this.#table = buildTable(this.state.entries, this.#table);
    this.state.dirty = false;
  }

  /** Marks the cache as loaded from elsewhere (a snapshot) and current as of `atMs`. */
  restored(atMs: number): void {
    this.rebuild();
    this.#currentAtMs = atMs;
  }

  #timeoutError(): StoreUnavailableError {
    return new StoreUnavailableError(`the sync did not finish within ${this.#timeoutMs} ms; it was cancelled`);
  }

  #notify(report: SyncReport): void {
    try {
      this.#onSync(report);
    } catch {
      // A failing observer must not turn a good sync into a failed one.
    }
  }
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
