import type { ChangeLog, LogPosition, SkipKind } from '../changelog/types.js';
import type { ChangeSummary } from './changes.js';

export interface RefreshObserver {
  /** A background sync failed; the table stays as it was. */
  syncFailed?(error: unknown): void;
  /** A batch of change events was applied. `received` events, `applied` after coalescing. */
  changesApplied?(summary: ChangeSummary, received: number, applied: number): void;
  /**
   * The snapshot was loaded (`dropped`: values that broke the rules of a freshly read file, left out
   * and read again by the next sync), or not: `missing` when there is none yet, else `error` says why.
   */
  snapshotLoaded?(
    result: { users: number; dropped: number; ageMs: number; durationMs: number } | { error: string; missing?: boolean; durationMs: number },
  ): void;
  snapshotSaved?(result: { users: number; bytes: number; durationMs: number } | { error: string; durationMs: number }): void;
  /** The change log was read again (`live`), or stopped being read (`error` says why). */
  changeLogChanged?(live: boolean, error?: Error): void;
  /** A log message (or one of its records) was skipped: not an event of this bucket and prefix, or malformed. */
  changeLogSkipped?(kind: SkipKind): void;
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
  /** Use the store's change events when it has them (and no `changeLog` is given). Default `true`. */
  watch: boolean;
  /**
   * A durable log of the bucket's changes (`createNatsChangeLog`) to follow instead of the store's
   * events: a restart resumes from the snapshot's place in it without listing. `stop()` closes it.
   * Default `null`.
   */
  changeLog: ChangeLog | null;
  /** Key of the cache snapshot in the store, or `null` for none. Default `null`; `defaultSnapshotKey()` gives one per source. */
  snapshotKey: string | null;
  /**
   * Signs the snapshots written (HMAC-SHA256) and makes loading take only snapshots signed with it:
   * whoever can write the store cannot then feed the service edited rows. Default `null`: unsigned,
   * and every loaded value is still held to the rules of a freshly read file.
   */
  snapshotSecret: string | null;
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
  /**
   * What is worth a person's attention although nothing failed, e.g. `no user files under data/`:
   * a source that is there but holds no users is served (empty), and said out loud here.
   */
  warnings: string[];
  /** Whether store change events are arriving (only while background refreshing runs). */
  watching?: boolean;
  /** With a change log: `stream` while it is read, `listing` while it is not; the position applied and the messages behind. */
  changeLog?: { name: string; mode: 'stream' | 'listing'; position: LogPosition | undefined; lag: number };
}

/** Observers are the caller's code: one that throws must not stop refreshing. */
export function safeObserver(observer: RefreshObserver): Required<RefreshObserver> {
  const guard =
    <A extends unknown[]>(call: ((...args: A) => void) | undefined) =>
    (...args: A) => {
      try {
        call?.(...args);
      } catch {
        // Ignored: the refresh goes on.
      }
    };
  return {
    syncFailed: guard(observer.syncFailed?.bind(observer)),
    changesApplied: guard(observer.changesApplied?.bind(observer)),
    snapshotLoaded: guard(observer.snapshotLoaded?.bind(observer)),
    snapshotSaved: guard(observer.snapshotSaved?.bind(observer)),
    watchFailed: guard(observer.watchFailed?.bind(observer)),
    changeLogChanged: guard(observer.changeLogChanged?.bind(observer)),
    changeLogSkipped: guard(observer.changeLogSkipped?.bind(observer)),
  };
}
