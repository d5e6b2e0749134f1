import type { LogPosition } from '../changelog/types.js';
import { describeError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotScope } from '../snapshot/codec.js';
import { snapshotScope } from '../snapshot/key.js';
import { raceAbort } from '../util/async.js';
import type { RefreshObserver, RefreshOptions } from './refreshOptions.js';
import type { Syncer } from './syncer.js';

/**
 * What loading found: `complete` when a snapshot was loaded whole and can be served as it is (one
 * with values left out waits for the sync that reads them again), and the change-log position it
 * recorded, if any.
 */
export interface LoadedSnapshot {
  complete: boolean;
  position: LogPosition | undefined;
}

const NOTHING_LOADED: LoadedSnapshot = { complete: false, position: undefined };

export type SnapshotReports = Pick<Required<RefreshObserver>, 'snapshotLoaded' | 'snapshotSaved'>;

/**
 * Loads the cache snapshot at start and writes it back after changes, at most once per interval.
 * A snapshot that cannot be used is reported and ignored (the caller then syncs cold); a failing
 * write is reported and never fails a sync or a read.
 */
export class SnapshotKeeper {
  readonly #syncer: Syncer;
  readonly #lib: ResolvedOptions;
  readonly #o: RefreshOptions;
  readonly #report: SnapshotReports;
  #savedVersion = -1;
  #lastSaveMs = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #saving: Promise<void> | undefined;
  #stopped = false;

  /** Where in the change log the cache stands, when one is followed: recorded with each snapshot. */
  readonly #position: () => LogPosition | undefined;

  constructor(
    syncer: Syncer,
    lib: ResolvedOptions,
    options: RefreshOptions,
    report: SnapshotReports,
    position: () => LogPosition | undefined = () => undefined,
  ) {
    this.#syncer = syncer;
    this.#position = position;
    this.#lib = lib;
    this.#o = options;
    this.#report = report;
  }

  /** Every setting that decides what the cache holds: a snapshot taken under others is not used. */
  get #scope(): SnapshotScope {
    const lib = this.#lib;
    return snapshotScope({ ...lib, imageExtensions: lib.imageExtensionSet });
  }

  /**
   * Loads the snapshot into the cache (see `LoadedSnapshot`). Runs as one of the syncer's exclusive
   * passes, so no sync can start under it (an export's, a request's) and be swapped out.
   */
  load(): Promise<LoadedSnapshot> {
    return this.#syncer.exclusive(() => this.#load());
  }

  async #load(): Promise<LoadedSnapshot> {
    const key = this.#o.snapshotKey;
    if (key === null) return NOTHING_LOADED;
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      // Every sync waits behind this load: it must end, whatever the store does.
      const signal = AbortSignal.timeout(this.#lib.syncTimeoutMs);
      const body = await raceAbort(this.#lib.store.get(key, { signal }), signal);
      if (body === null) {
        this.#report.snapshotLoaded({ error: `no snapshot at ${key} yet`, missing: true, durationMs: elapsed() });
        return NOTHING_LOADED;
      }
      const { state, createdAtMs, users, dropped, position } = await decodeSnapshot(body, {
        scope: this.#scope,
        secret: this.#o.snapshotSecret,
        nowMs: this.#lib.now(),
        dateKey: this.#lib.dateKey,
      });
      if (!(await this.#syncer.restore(state, createdAtMs))) throw new Error('a sync already loaded the cache');
      // Left out because a value broke the rules: a snapshot to write again, with those files read afresh.
      this.#savedVersion = dropped > 0 ? -1 : this.#syncer.table.version;
      this.#report.snapshotLoaded({ users, dropped, ageMs: Math.max(0, this.#lib.now() - createdAtMs), durationMs: elapsed() });
      return { complete: dropped === 0, position };
    } catch (error) {
      this.#report.snapshotLoaded({ error: describeError(error), durationMs: elapsed() });
      return NOTHING_LOADED;
    }
  }

  /** The table may have changed: schedule a write if it did, no sooner than the interval allows. */
  changed(): void {
    if (this.#stopped || this.#o.snapshotKey === null || this.#timer || this.#syncer.table.version === this.#savedVersion) return;
    const waitMs = Math.max(0, this.#lastSaveMs + this.#o.snapshotIntervalMs - this.#lib.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#saving ??= this.#save().finally(() => (this.#saving = undefined));
    }, waitMs);
    this.#timer.unref();
  }

  /** No more writes; waits for one in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#saving;
  }

  async #save(): Promise<void> {
    if (this.#stopped) return;
    const key = this.#o.snapshotKey!;
    const started = performance.now();
    const version = this.#syncer.table.version;
    try {
      // Read with the state, in the same turn: the snapshot holds every change up to this position.
      const options = { scope: this.#scope, secret: this.#o.snapshotSecret, position: this.#position() };
      const body = await encodeSnapshot(this.#syncer.state, options, this.#syncer.currentAtMs ?? this.#lib.now());
      await this.#lib.store.put(key, body, 'application/octet-stream');
      this.#savedVersion = version;
      this.#lastSaveMs = this.#lib.now();
      this.#report.snapshotSaved({ users: this.#syncer.table.rows.length, bytes: body.length, durationMs: Math.round(performance.now() - started) });
    } catch (error) {
      this.#report.snapshotSaved({ error: describeError(error), durationMs: Math.round(performance.now() - started) });
    }
    // Changes that landed while writing get their own write.
    this.changed();
  }
}
