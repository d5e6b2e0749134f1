import { DEFAULT_MAX_STALENESS_MS, DEFAULT_RECONCILE_INTERVAL_MS } from '../defaults.js';
import type { ResolvedOptions } from '../options.js';
import type { ChangeEvent, Watcher } from '../storage/ObjectStore.js';
import { ChangeBatcher } from './batcher.js';
import type { ChangeSummary } from './changes.js';
import { SnapshotKeeper } from './snapshotKeeper.js';
import type { Syncer } from './syncer.js';

export interface RefreshObserver {
  /** A background sync failed; the table stays as it was. */
  syncFailed?(error: unknown): void;
  /** A batch of change events was applied. `received` events, `applied` after coalescing. */
  changesApplied?(summary: ChangeSummary, received: number, applied: number): void;
  snapshotLoaded?(result: { users: number; ageMs: number; durationMs: number } | { error: string; durationMs: number }): void;
  snapshotSaved?(result: { users: number; bytes: number; durationMs: number } | { error: string; durationMs: number }): void;
  /**
   * The change stream failed or could not start; full listings cover for it until it is back,
   * `retryInMs` from now (`null`: the store has no change stream; not retried).
   */
  watchFailed?(error: unknown, retryInMs: number | null): void;
}

export interface RefreshOptions {
  /** Without a live change stream, a full sync runs when the table is this old. Default 5 000 ms. */
  maxStalenessMs: number;
  /** With a live change stream, a full (reconciling) sync runs this often. Default 60 000 ms. */
  reconcileIntervalMs: number;
  /** Use the store's change events when it has them. Default `true`. */
  watch: boolean;
  /** Key of the cache snapshot in the store, or `null` for none. Default `null`. */
  snapshotKey: string | null;
  /** Snapshots are written at most this often, after changes only. Default 10 000 ms. */
  snapshotIntervalMs: number;
  observer: RefreshObserver;
}

export interface RefreshStatus {
  /** Whether a table is loaded (from a snapshot or a sync). */
  loaded: boolean;
  /** Milliseconds since the table was last known to match the store; `null` before the first load. */
  dataAgeMs: number | null;
  /** Whether the last refresh failed (the table is served from the cache). */
  stale: boolean;
  error?: string;
  /** `false` when the last sync could not download some CSVs (see `SyncReport.complete`). */
  complete: boolean;
  /** Whether store change events are arriving (only while background refreshing runs). */
  watching?: boolean;
}

const WATCH_RETRY_FIRST_MS = 1_000;
const WATCH_RETRY_MAX_MS = 30_000;

/** The background loop behind `UserDataTransformer.start()`. */
export class Refresher {
  readonly #syncer: Syncer;
  readonly #o: RefreshOptions;
  readonly #lib: ResolvedOptions;
  readonly #snapshots: SnapshotKeeper;
  readonly #batcher: ChangeBatcher;
  #timer: NodeJS.Timeout | undefined;
  #watcher: Watcher | undefined;
  #watchLive = false;
  #watchRetryMs = WATCH_RETRY_FIRST_MS;
  #lastAttemptMs = -Infinity;
  #lastFullSyncMs = -Infinity;
  #stopped = false;
  readonly #ready: Promise<void>;
  #markReady!: () => void;

  constructor(syncer: Syncer, lib: ResolvedOptions, options: Partial<RefreshOptions>) {
    this.#syncer = syncer;
    this.#lib = lib;
    this.#o = {
      maxStalenessMs: options.maxStalenessMs ?? DEFAULT_MAX_STALENESS_MS,
      reconcileIntervalMs: options.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS,
      watch: options.watch ?? true,
      snapshotKey: options.snapshotKey ?? null,
      snapshotIntervalMs: options.snapshotIntervalMs ?? 10_000,
      observer: options.observer ?? {},
    };
    this.#snapshots = new SnapshotKeeper(syncer, lib, this.#o);
    this.#batcher = new ChangeBatcher((batch, received) => this.#apply(batch, received));
    this.#ready = new Promise((resolve) => (this.#markReady = resolve));
  }

  get status(): { watching: boolean } {
    return { watching: this.#watchLive };
  }

  start(): void {
    void this.#boot();
  }

  async #boot(): Promise<void> {
    if (await this.#snapshots.load()) this.#markReady();
    this.#openWatch();
    await this.#fullSync();
    this.#schedule();
  }

  whenReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no table loaded within ${timeoutMs} ms`)), timeoutMs);
      void this.#ready.then(() => (clearTimeout(timer), resolve()));
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#batcher.close();
    await this.#watcher?.close().catch(() => undefined);
    await this.#snapshots.idle();
  }

  async #fullSync(): Promise<void> {
    this.#lastAttemptMs = this.#lib.now();
    try {
      await this.#syncer.sync();
      this.#lastFullSyncMs = this.#lib.now();
      this.#markReady();
      this.#snapshots.changed();
    } catch (error) {
      this.#o.observer.syncFailed?.(error);
    }
  }

  /** Sleeps until the next full sync is due; with live events, confirms the table current meanwhile. */
  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    const nowMs = this.#lib.now();
    const interval = this.#watchLive ? this.#o.reconcileIntervalMs : this.#o.maxStalenessMs;
    const dueMs = Math.max(this.#lastAttemptMs, this.#lastFullSyncMs) + interval;
    const waitMs = Math.max(0, Math.min(dueMs - nowMs, this.#o.maxStalenessMs));
    this.#timer = setTimeout(() => void this.#tick(), waitMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const nowMs = this.#lib.now();
    const interval = this.#watchLive ? this.#o.reconcileIntervalMs : this.#o.maxStalenessMs;
    if (nowMs - Math.max(this.#lastAttemptMs, this.#lastFullSyncMs) >= interval) await this.#fullSync();
    else if (this.#watchLive && !this.#syncer.lastFailure) this.#syncer.confirmCurrent(nowMs);
    // Exports sync too, outside this loop: whatever changed the table gets saved.
    this.#snapshots.changed();
    this.#schedule();
  }

  #openWatch(): void {
    const store = this.#lib.store;
    if (!this.#o.watch || !store.watch || this.#stopped) return;
    try {
      this.#watcher = store.watch(this.#lib.sourcePrefix, {
        onChange: (event: ChangeEvent) => {
          this.#watchLive = true;
          this.#watchRetryMs = WATCH_RETRY_FIRST_MS;
          this.#batcher.add(event);
        },
        onError: (error) => this.#onWatchError(error),
      });
      this.#watchLive = true;
    } catch (error) {
      this.#onWatchError(error);
    }
  }

  /** Events may have been lost: reconcile now, and reopen the stream with backoff. */
  #onWatchError(error: unknown): void {
    if (this.#stopped) return;
    this.#watchLive = false;
    const unsupported = (error as { code?: unknown } | undefined)?.code === 'watch_unsupported';
    const retryInMs = this.#watchRetryMs;
    this.#watchRetryMs = Math.min(this.#watchRetryMs * 2, WATCH_RETRY_MAX_MS);
    this.#o.observer.watchFailed?.(error, unsupported ? null : retryInMs);
    const old = this.#watcher;
    this.#watcher = undefined;
    void old?.close().catch(() => undefined);
    // Due at once: a full listing repairs whatever the stream lost.
    this.#lastAttemptMs = -Infinity;
    this.#lastFullSyncMs = -Infinity;
    clearTimeout(this.#timer);
    this.#schedule();
    // A store that has no change stream at all is listed from now on, without asking again.
    if (unsupported) return;
    setTimeout(() => this.#openWatch(), retryInMs).unref();
  }

  async #apply(batch: ChangeEvent[], received: number): Promise<void> {
    if (this.#stopped) return;
    try {
      const summary = await this.#syncer.applyChanges(batch);
      this.#o.observer.changesApplied?.(summary, received, batch.length);
      this.#snapshots.changed();
    } catch (error) {
      this.#o.observer.syncFailed?.(error);
    }
  }
}
