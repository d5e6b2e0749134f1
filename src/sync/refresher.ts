import { DEFAULT_MAX_STALENESS_MS, DEFAULT_RECONCILE_INTERVAL_MS, DEFAULT_SNAPSHOT_INTERVAL_MS } from '../defaults.js';
import type { ResolvedOptions } from '../options.js';
import type { ChangeEvent, Watcher } from '../storage/ObjectStore.js';
import { ChangeBatcher } from './batcher.js';
import { safeObserver, type RefreshObserver, type RefreshOptions } from './refreshOptions.js';
import { SnapshotKeeper } from './snapshotKeeper.js';
import { SupersededError, type Syncer } from './syncer.js';

const WATCH_RETRY_FIRST_MS = 1_000;
/** The longest delay `setTimeout` takes (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
const WATCH_RETRY_MAX_MS = 30_000;

/** The background loop behind `UserDataTransformer.start()`. */
export type { RefreshObserver, RefreshOptions, RefreshStatus } from './refreshOptions.js';

export class Refresher {
  readonly #syncer: Syncer;
  readonly #o: RefreshOptions;
  readonly #lib: ResolvedOptions;
  readonly #report: Required<RefreshObserver>;
  readonly #snapshots: SnapshotKeeper;
  readonly #batcher: ChangeBatcher;
  #timer: NodeJS.Timeout | undefined;
  #watcher: Watcher | undefined;
  #watchLive = false;
  /** When the current change stream was established; `-Infinity` before any. */
  #watchOpenedAtMs = -Infinity;
  #watchRetryMs = WATCH_RETRY_FIRST_MS;
  #lastAttemptMs = -Infinity;
  /** When the last successful full sync started: it covers changes up to then. */
  #lastFullSyncStartMs = -Infinity;
  #stopped = false;
  /** The work in progress (boot, a tick, a batch), which `stop()` waits for. */
  readonly #running = new Set<Promise<unknown>>();
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
      snapshotSecret: options.snapshotSecret ?? null,
      snapshotIntervalMs: options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS,
      observer: options.observer ?? {},
    };
    this.#report = safeObserver(this.#o.observer);
    this.#snapshots = new SnapshotKeeper(syncer, lib, this.#o, this.#report);
    this.#batcher = new ChangeBatcher((batch, received) => this.#track(this.#apply(batch, received)));
    this.#ready = new Promise((resolve) => (this.#markReady = resolve));
  }

  get status(): { watching: boolean } {
    return { watching: this.#watchLive };
  }

  start(): void {
    void this.#track(this.#boot());
  }

  async #boot(): Promise<void> {
    try {
      // The snapshot loads as an exclusive pass: a sync asked for meanwhile waits for it.
      if (await this.#snapshots.load()) this.#markReady();
      this.#openWatch();
      await this.#fullSync();
    } finally {
      this.#schedule();
    }
  }

  whenReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no table loaded within ${timeoutMs} ms`)), timeoutMs);
      void this.#ready.then(() => (clearTimeout(timer), resolve()));
    });
  }

  /** Stops every timer and stream, and waits for the boot, a tick, a batch and a snapshot write in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#batcher.close();
    await this.#watcher?.close().catch(() => undefined);
    this.#watchLive = false;
    this.#syncer.cancel('the transformer was stopped');
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
    await this.#snapshots.stop();
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#running.add(work);
    void work.finally(() => this.#running.delete(work)).catch(() => undefined);
    return work;
  }

  async #fullSync(): Promise<void> {
    if (this.#stopped) return;
    const startedMs = this.#lib.now();
    this.#lastAttemptMs = startedMs;
    try {
      await this.#syncer.sync();
      this.#lastFullSyncStartMs = startedMs;
      this.#markReady();
      this.#snapshots.changed();
    } catch (error) {
      // Abandoned for a newer sync (an export's): that one brings the table up to date.
      if (!(error instanceof SupersededError)) this.#report.syncFailed(error);
    }
  }

  /** Sleeps until the next full sync is due; with live events, confirms the table current meanwhile. */
  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    const interval = this.#watchLive ? this.#o.reconcileIntervalMs : this.#o.maxStalenessMs;
    const nowMs = this.#lib.now();
    // A held-back future birth date wakes the loop the moment it passes (timers take at most ~24 days).
    const birthDueMs = Math.min(this.#syncer.nextBirthMs + 1 - nowMs, MAX_TIMER_MS);
    const waitMs = Math.max(0, Math.min(this.#lastAttemptMs + interval - nowMs, this.#o.maxStalenessMs, birthDueMs));
    this.#timer = setTimeout(() => void this.#track(this.#tick()), waitMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    try {
      const nowMs = this.#lib.now();
      const interval = this.#watchLive ? this.#o.reconcileIntervalMs : this.#o.maxStalenessMs;
      if (nowMs - this.#lastAttemptMs >= interval) await this.#fullSync();
      else if (this.#syncer.nextBirthMs < nowMs) await this.#syncer.recheckBirthDates().catch((error: unknown) => this.#report.syncFailed(error));
      // Events keep the table current only from a listing that started after the stream opened.
      else if (this.#watchLive && !this.#syncer.lastFailure && this.#lastFullSyncStartMs >= this.#watchOpenedAtMs) this.#syncer.confirmCurrent(nowMs);
      // Exports sync too, outside this loop: whatever changed the table gets saved.
      this.#snapshots.changed();
    } finally {
      this.#schedule();
    }
  }

  #openWatch(): void {
    const store = this.#lib.store;
    if (!this.#o.watch || !store.watch || this.#stopped) return;
    try {
      this.#watcher = store.watch(this.#lib.sourcePrefix, {
        onOpen: () => this.#onWatchOpen(),
        onChange: (event: ChangeEvent) => this.#batcher.add(event),
        onError: (error) => this.#onWatchError(error),
      });
    } catch (error) {
      this.#onWatchError(error);
    }
  }

  /** Events flow from now on; what changed before is found by a listing that starts now. */
  #onWatchOpen(): void {
    if (this.#stopped) return;
    const reopened = this.#watchOpenedAtMs !== -Infinity;
    this.#watchLive = true;
    this.#watchOpenedAtMs = this.#lib.now();
    this.#watchRetryMs = WATCH_RETRY_FIRST_MS;
    if (reopened) this.#dueNow();
  }

  /** Events may have been lost: reconcile now, and reopen the stream with backoff. */
  #onWatchError(error: unknown): void {
    if (this.#stopped) return;
    this.#watchLive = false;
    const unsupported = (error as { code?: unknown } | undefined)?.code === 'watch_unsupported';
    const retryInMs = this.#watchRetryMs;
    this.#watchRetryMs = Math.min(this.#watchRetryMs * 2, WATCH_RETRY_MAX_MS);
    this.#report.watchFailed(error, unsupported ? null : retryInMs);
    const old = this.#watcher;
    this.#watcher = undefined;
    void old?.close().catch(() => undefined);
    this.#dueNow();
    // A store that has no change stream at all is listed from now on, without asking again.
    if (unsupported) return;
    setTimeout(() => this.#openWatch(), retryInMs).unref();
  }

  /** A full listing is due at once (it repairs whatever a stream missed). */
  #dueNow(): void {
    this.#lastAttemptMs = -Infinity;
    this.#schedule();
  }

  async #apply(batch: ChangeEvent[], received: number): Promise<void> {
    if (this.#stopped) return;
    try {
      const summary = await this.#syncer.applyChanges(batch);
      this.#report.changesApplied(summary, received, batch.length);
      this.#snapshots.changed();
    } catch (error) {
      // Abandoned for a newer sync (an export's): that one brings the table up to date.
      if (!(error instanceof SupersededError)) this.#report.syncFailed(error);
    }
  }
}
