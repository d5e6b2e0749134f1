import { setMaxListeners } from 'node:events';
import { StoreUnavailableError, describeError } from '../errors.js';

/** Why a full sync was abandoned: a newer one, asked to start afresh, took its place. */
export class SupersededError extends StoreUnavailableError {
  constructor() {
    super('this sync was abandoned for a newer one asked to start afresh', { code: 'sync_superseded' });
  }
}
import type { SyncProgress, SyncReport } from '../model.js';
import { tableBuild } from '../query/build.js';
import { EMPTY_TABLE, type UserTable } from '../query/table.js';
import { Pacer } from '../util/pacer.js';
import type { ChangeEvent } from '../storage/ObjectStore.js';
import { applyChanges, type ChangeSummary } from './changes.js';
import type { SyncState } from '../cache/entries.js';
import { raceAbort } from '../util/async.js';
import { recheckBirthDates, runSync, type SyncContext } from './fullSync.js';

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

export interface SyncerOptions {
  context: (overrides: Partial<SyncContext>) => SyncContext;
  now: () => number;
  timeoutMs: number;
  onSync: (report: SyncReport) => void;
  /** Told about every full sync that failed, whoever started it. */
  onSyncFailed?: (error: unknown) => void;
}

/**
 * Owns the cache and the table built from it, and runs everything that changes them one at a time:
 * full syncs (single flight, with an overall deadline), batches of change events and the loading of
 * a snapshot. A batch that overlapped a sync could store an older version over the sync's newer one;
 * a snapshot loaded under a running sync would swap the cache out from under it. The table is rebuilt
 * after every pass that changed a row, also after one that failed part-way.
 */
export class Syncer {
  readonly state: SyncState = { entries: new Map(), images: new Map(), dirty: false };
  #table: UserTable = EMPTY_TABLE;
  #inflight: Promise<SyncReport> | undefined;
  #lock: Promise<void> = Promise.resolve();
  #lastSync: LastSync | undefined;
  #lastFailure: { atMs: number; error: string } | undefined;
  /** CSVs that event batches could not download since the last full sync, for users with no row. */
  readonly #batchMissing = new Set<string>();
  /** When the table last matched the store, as far as anyone knows (ms since the epoch). */
  #currentAtMs: number | undefined;
  /** The deadlines of the passes in flight, so `cancel()` can end them. */
  readonly #running = new Set<AbortController>();
  readonly #o: SyncerOptions;
  /** The deadline of the full sync running now, if one is. */
  #listing: AbortController | undefined;

  constructor(options: SyncerOptions) {
    this.#o = options;
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
  /** Whether every listed CSV has a usable version or a reported reason: no download is missing. */
  get complete(): boolean {
    return (this.#lastSync?.report.complete ?? true) && this.#batchMissing.size === 0;
  }
  /** The keys whose download is missing: from the last full sync and the event batches since. */
  get missing(): string[] {
    return [...new Set([...(this.#lastSync?.report.missing ?? []), ...this.#batchMissing])].sort();
  }

  /** Records that the table is known to match the store as of `atMs` (e.g. a live change stream). */
  confirmCurrent(atMs: number): void {
    this.#currentAtMs = Math.max(this.#currentAtMs ?? atMs, Math.min(atMs, this.#o.now()));
  }

  /** Runs `work` when nothing else changes the cache, and holds everything else until it is done. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(work);
    this.#lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  sync(options: SyncOptions = {}): Promise<SyncReport> {
    const run = async () => {
      if (options.fresh && this.#inflight) {
        // A run already listing started before this call, so it cannot answer it; it may also be
        // stuck on a dead connection until its deadline. It is abandoned, never waited for. A run
        // still waiting for its turn starts after this call: joining it is enough.
        this.#listing?.abort(new SupersededError());
        await this.#inflight.catch(() => undefined);
      }
      return this.#join(options.onProgress);
    };
    return run();
  }

  /** Joins the run in flight, or starts one; callers of a run abandoned for a newer one get the newer one's answer. */
  async #join(onProgress?: (progress: SyncProgress) => void): Promise<SyncReport> {
    for (;;) {
      this.#inflight ??= this.exclusive(() => this.#run(onProgress)).finally(() => {
        this.#inflight = undefined;
      });
      try {
        return await this.#inflight;
      } catch (error) {
        if (!(error instanceof SupersededError)) throw error;
      }
    }
  }

  async #run(onProgress?: (progress: SyncProgress) => void): Promise<SyncReport> {
    const startedAtMs = this.#o.now();
    const { signal, done, controller } = this.#deadline();
    this.#listing = controller;
    try {
      const ctx = this.#o.context({ nowMs: startedAtMs, onProgress, signal });
      // A store call stuck on a dead connection must not hold the run: the deadline abandons it.
      const report = await raceAbort(runSync(this.state, ctx), signal);
      // The table first: whoever hears of this sync (readiness, `whenReady`) must find its rows.
      await this.#rebuild();
      this.#lastFailure = undefined;
      this.#batchMissing.clear();
      this.#lastSync = { startedAtMs, atMs: this.#o.now(), report };
      this.confirmCurrent(this.#lastSync.atMs);
      this.#notify(() => this.#o.onSync(report));
      return report;
    } catch (error) {
      // A run that failed part-way may have changed rows: they are served, as the cache holds them.
      await this.#rebuild();
      // Abandoned for a newer run, it did not fail: the store is not to blame.
      if (!(error instanceof SupersededError)) {
        this.#lastFailure = { atMs: this.#o.now(), error: describeError(error) };
        this.#notify(() => this.#o.onSyncFailed?.(error));
      }
      throw error;
    } finally {
      this.#listing = undefined;
      done();
    }
  }

  /** Applies change events (already coalesced) without a listing, under the same deadline as a sync. */
  applyChanges(events: readonly ChangeEvent[]): Promise<ChangeSummary> {
    return this.exclusive(async () => {
      const { signal, done } = this.#deadline();
      try {
        const summary = await raceAbort(applyChanges(this.state, this.#o.context({ nowMs: this.#o.now(), signal }), events), signal);
        await this.#rebuild();
        for (const key of summary.missing) this.#batchMissing.add(key);
        for (const key of summary.present) this.#batchMissing.delete(key);
        if (this.#lastSync && !this.#lastFailure) this.confirmCurrent(this.#o.now());
        return summary;
      } catch (error) {
        await this.#rebuild();
        throw error;
      } finally {
        done();
      }
    });
  }

  /** The earliest held-back birth date, ms since the epoch (`Infinity`: none): see `recheckBirthDates`. */
  get nextBirthMs(): number {
    return this.state.nextBirthMs ?? Infinity;
  }

  /** Applies the birth-date rules again now, without a listing (see `recheckBirthDates`). */
  recheckBirthDates(): Promise<void> {
    return this.exclusive(async () => {
      const { signal, done } = this.#deadline();
      try {
        await raceAbort(recheckBirthDates(this.state, this.#o.context({ nowMs: this.#o.now(), signal })), signal);
      } finally {
        done();
        await this.#rebuild();
      }
    });
  }

  /**
   * Loads a cache from elsewhere (a snapshot) as current as of `atMs`, only into a cache no sync has
   * filled. Call it inside `exclusive()`, so no pass runs under it.
   */
  async restore(state: Pick<SyncState, 'entries' | 'images'>, atMs: number): Promise<boolean> {
    if (this.#lastSync) return false;
    this.state.entries = state.entries;
    this.state.images = state.images;
    // Built afresh: the current table's order belongs to the cache being replaced.
    this.state.dirty = true;
    await this.#rebuild({ ...EMPTY_TABLE, version: this.#table.version });
    this.#currentAtMs = Math.min(atMs, this.#o.now());
    return true;
  }

  /**
   * Rebuilds the table if a row changed since the last build, in slices (see `Pacer`): reads go on
   * answering from the previous table meanwhile. Runs inside the pass that changed the cache, so
   * nothing changes it under the build; never cancelled, as the cache has already changed.
   */
  async #rebuild(previous = this.#table): Promise<void> {
    if (!this.state.dirty) return;
    this.#table = await new Pacer().drive(tableBuild(this.state.entries, previous));
    this.state.dirty = false;
  }

  /** Ends the passes in flight now, as their deadline would (e.g. when the owner shuts down). */
  cancel(reason: string): void {
    for (const controller of this.#running) controller.abort(new StoreUnavailableError(reason));
  }

  #deadline(): { signal: AbortSignal; done: () => void; controller: AbortController } {
    const controller = new AbortController();
    this.#running.add(controller);
    // Every download in flight listens for the deadline: as many listeners as the concurrency.
    setMaxListeners(0, controller.signal);
    const message = `the sync did not finish within ${this.#o.timeoutMs} ms; it was cancelled`;
    const timer = setTimeout(() => controller.abort(new StoreUnavailableError(message)), this.#o.timeoutMs);
    return {
      controller,
      signal: controller.signal,
      done: () => {
        clearTimeout(timer);
        this.#running.delete(controller);
        // Anything the run left behind (a download still waiting) stops now.
        if (!controller.signal.aborted) controller.abort(new StoreUnavailableError('the run is over'));
      },
    };
  }

  /** A failing observer must not turn a good sync into a failed one. */
  #notify(call: () => void): void {
    try {
      call();
    } catch {
      // The observer's problem; the sync's outcome stands.
    }
  }
}
