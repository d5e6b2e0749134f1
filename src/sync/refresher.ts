import { DEFAULT_MAX_STALENESS_MS, DEFAULT_RECONCILE_INTERVAL_MS, DEFAULT_SNAPSHOT_INTERVAL_MS } from '../defaults.js';
import type { ResolvedOptions } from '../options.js';
import type { ChangeEvent } from '../storage/ObjectStore.js';
import { ChangeBatcher } from './batcher.js';
import { LogFollower } from './logFollower.js';
import { safeObserver, type RefreshObserver, type RefreshOptions, type RefreshStatus } from './refreshOptions.js';
import { SnapshotKeeper } from './snapshotKeeper.js';
import { StoreWatch } from './storeWatch.js';
import { SupersededError, type Syncer } from './syncer.js';

/** The longest delay `setTimeout` takes (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The background loop behind `UserDataTransformer.start()`. */
export type { RefreshObserver, RefreshOptions, RefreshStatus } from './refreshOptions.js';

/**
 * Keeps the table current in the background: the snapshot at start, then changes from a change log
 * (`changeLog`) or the store's own events, and full listings: every `maxStalenessMs` while no
 * change source is live, every `reconcileIntervalMs` while one is (to repair what it missed).
 */
export class Refresher {
  readonly #syncer: Syncer;
  readonly #o: RefreshOptions;
  readonly #lib: ResolvedOptions;
  readonly #report: Required<RefreshObserver>;
  readonly #snapshots: SnapshotKeeper;
  readonly #batcher: ChangeBatcher;
  readonly #watch: StoreWatch | undefined;
  readonly #log: LogFollower | undefined;
  #timer: NodeJS.Timeout | undefined;
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
      changeLog: options.changeLog ?? null,
      snapshotKey: options.snapshotKey ?? null,
      snapshotSecret: options.snapshotSecret ?? null,
      snapshotIntervalMs: options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS,
      observer: options.observer ?? {},
    };
    this.#report = safeObserver(this.#o.observer);
    this.#log = this.#o.changeLog ? this.#followLog(this.#o.changeLog) : undefined;
    this.#snapshots = new SnapshotKeeper(syncer, lib, this.#o, this.#report, () => this.#log?.status.position);
    this.#batcher = new ChangeBatcher((batch, received) => this.#track(this.#apply(batch, received).catch((e: unknown) => this.#failed(e))));
    // A change log replaces the store's own events: it is durable, they are hints.
    this.#watch = this.#o.watch && !this.#log ? this.#watchStore() : undefined;
    this.#ready = new Promise((resolve) => (this.#markReady = resolve));
  }

  get status(): Partial<Pick<RefreshStatus, 'watching' | 'changeLog'>> {
    const log = this.#log && { name: this.#o.changeLog!.name, ...this.#log.status };
    return { watching: (this.#watch?.live ?? false) || (this.#log?.live ?? false), ...(log && { changeLog: log }) };
  }

  start(): void {
    void this.#track(this.#boot());
  }

  async #boot(): Promise<void> {
    try {
      // The snapshot loads as an exclusive pass: a sync asked for meanwhile waits for it.
      const snapshot = await this.#snapshots.load();
      if (this.#log) {
        // A whole snapshot that knows its place in the log needs no listing: the log replays what followed.
        const how = await this.#log.start(snapshot.complete ? snapshot.position : undefined);
        if (how === 'replay') this.#lastAttemptMs = this.#lib.now();
      } else {
        if (snapshot.complete) this.#markReady();
        this.#watch?.open();
        await this.#fullSync();
      }
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
    await Promise.all([this.#watch?.close(), this.#log?.stop()]);
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
      this.#failed(error);
    }
  }

  /** Whether a change source keeps the table current: then full listings only reconcile. */
  get #live(): boolean {
    return (this.#watch?.live ?? false) || (this.#log?.live ?? false);
  }

  /** Sleeps until the next full sync is due; with live events, confirms the table current meanwhile. */
  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    const interval = this.#live ? this.#o.reconcileIntervalMs : this.#o.maxStalenessMs;
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
      const interval = this.#live ? this.#o.reconcileIntervalMs : this.#o.maxStalenessMs;
      if (nowMs - this.#lastAttemptMs >= interval) await this.#fullSync();
      else if (this.#syncer.nextBirthMs < nowMs) await this.#syncer.recheckBirthDates().catch((error: unknown) => this.#failed(error));
      else if (this.#current && !this.#syncer.lastFailure) this.#syncer.confirmCurrent(nowMs);
      // Exports sync too, outside this loop: whatever changed the table gets saved.
      this.#snapshots.changed();
    } finally {
      this.#schedule();
    }
  }

  /** Whether the change source is known to have brought every change so far. */
  get #current(): boolean {
    if (this.#log) return this.#log.current;
    // Store events keep the table current only from a listing that started after the stream opened.
    return (this.#watch?.live ?? false) && this.#lastFullSyncStartMs >= this.#watch!.openedAtMs;
  }

  /** A full listing is due at once (it repairs whatever a stream missed). */
  #dueNow(): void {
    this.#lastAttemptMs = -Infinity;
    this.#schedule();
  }

  async #apply(batch: ChangeEvent[], received: number): Promise<void> {
    if (this.#stopped) return;
    const summary = await this.#syncer.applyChanges(batch);
    this.#report.changesApplied(summary, received, batch.length);
    this.#snapshots.changed();
  }

  /** A failed background pass; one abandoned for a newer sync (an export's) did not fail. */
  #failed(error: unknown): void {
    if (!(error instanceof SupersededError)) this.#report.syncFailed(error);
  }

  #watchStore(): StoreWatch {
    const hooks = {
      onChange: (event: ChangeEvent) => this.#batcher.add(event),
      opened: (reopened: boolean) => {
        // Events flow from now on; what changed before is found by a listing that starts now.
        if (reopened && !this.#stopped) this.#dueNow();
      },
      failed: (error: unknown, retryInMs: number | null) => {
        if (this.#stopped) return;
        this.#report.watchFailed(error, retryInMs);
        this.#dueNow();
      },
    };
    return new StoreWatch(this.#lib.store, this.#lib.sourcePrefix, hooks, this.#lib.now);
  }

  #followLog(log: NonNullable<RefreshOptions['changeLog']>): LogFollower {
    return new LogFollower(log, {
      listNow: () => this.#fullSync(),
      apply: (batch, received) => this.#track(this.#apply(batch, received)),
      repair: (error) => {
        this.#failed(error);
        this.#dueNow();
      },
      caughtUp: () => {
        this.#syncer.confirmCurrent(this.#lib.now());
        this.#markReady();
      },
      liveChanged: (live, error) => {
        if (this.#stopped) return;
        this.#report.changeLogChanged(live, error);
        // Down: listings keep the table current until it is back; back: the reconcile rate again.
        if (!live) this.#dueNow();
        else this.#schedule();
      },
      skipped: (kind) => this.#report.changeLogSkipped(kind),
    });
  }
}
