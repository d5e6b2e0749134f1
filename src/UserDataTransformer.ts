import { DEFAULT_CONCURRENCY, DEFAULT_IMAGE_EXTENSIONS, DEFAULT_OUTPUT_KEY, DEFAULT_SOURCE_PREFIX } from './defaults.js';
import { describeError, requiredOption, OptionError } from './errors.js';
import { resolveColumns, project } from './format/columns.js';
import { toCsv, type CsvOptions } from './format/csv.js';
import { toDataFrame, type DataFrame } from './format/dataframe.js';
import type { SyncProgress, SyncReport, UserFilters, UserRow } from './model.js';
import { selectPage, type Page, type PageOptions } from './query/page.js';
import { EMPTY_TABLE, ageHistogram, averageAge, buildTable, selectRows, type UserTable } from './query/table.js';
import type { ObjectStore } from './storage/ObjectStore.js';
import { runSync, type SyncState } from './sync/sync.js';

export interface UserDataTransformerOptions {
  /** Where user files live and the output goes. Required. */
  store: ObjectStore;
  /** Key prefix of the user files, e.g. `source_data/`. Default `source_data/`. */
  sourcePrefix?: string;
  /** Image file extensions, without the dot, matched case-insensitively. Default `png`, `jpg`, `jpeg`. */
  imageExtensions?: readonly string[];
  /** Parallel CSV downloads during a sync. Default 16. */
  concurrency?: number;
  /** Clock in ms since the epoch; ages and future-date checks use it. Default `Date.now`. */
  now?: () => number;
  /** Called after every successful sync with its report, e.g. to log it. Default: nothing. */
  onSync?: (report: SyncReport) => void;
}

export interface QueryOptions extends UserFilters {
  /** Output columns, in order: any of the defaults plus extra CSV columns. Default `user_id, first_name, last_name, birthts, img_path`. */
  columns?: readonly string[];
}

export interface LastSync {
  /** When the sync started, ms since the epoch. */
  startedAtMs: number;
  /** When it finished, ms since the epoch. */
  atMs: number;
  report: SyncReport;
}

export interface FreshnessResult {
  /** `true` when the data comes from the cache because a sync just failed. */
  stale: boolean;
  /** Why the sync failed, when `stale`. */
  error?: string;
}

const DEFAULT_OPTIONS = { sourcePrefix: DEFAULT_SOURCE_PREFIX, imageExtensions: DEFAULT_IMAGE_EXTENSIONS, concurrency: DEFAULT_CONCURRENCY, now: Date.now };

/**
 * Keeps an in-memory table of the users under a store prefix and answers queries over it.
 * Construction does no I/O: call `sync()` (or `ensureFresh()`) to load.
 */
export class UserDataTransformer {
  readonly store: ObjectStore;
  readonly sourcePrefix: string;
  readonly concurrency: number;
  readonly #imageExtensions: ReadonlySet<string>;
  readonly #now: () => number;
  readonly #onSync: ((report: SyncReport) => void) | undefined;
  readonly #state: SyncState = { entries: new Map(), dirty: false };
  #table: UserTable = EMPTY_TABLE;
  #inflight: Promise<SyncReport> | undefined;
  #lastSync: LastSync | undefined;
  #lastFailure: { atMs: number; error: string } | undefined;

  constructor(options: UserDataTransformerOptions) {
    if (!options?.store) throw requiredOption('UserDataTransformer', 'store');
    const o = { ...DEFAULT_OPTIONS, ...definedOnly(options) };
    if (!Number.isInteger(o.concurrency) || o.concurrency < 1) {
      throw new OptionError(`UserDataTransformer: concurrency must be a positive integer, got ${String(o.concurrency)}`);
    }
    this.store = options.store;
    this.sourcePrefix = o.sourcePrefix;
    this.concurrency = o.concurrency;
    this.#imageExtensions = new Set(o.imageExtensions.map((e) => e.replace(/^\./, '').toLowerCase()));
    this.#now = o.now;
    this.#onSync = options.onSync;
  }

  /**
   * Brings the cache up to date with the store, downloading only what changed. Calls made while a
   * sync runs join it instead of starting another; with `fresh: true` a call that finds one running
   * waits for it and then syncs again, so its answer reflects the store as of the call.
   * Throws `StoreUnavailableError` when the listing fails; the cache then stays as it was.
   */
  async sync(options: { onProgress?: (progress: SyncProgress) => void; fresh?: boolean } = {}): Promise<SyncReport> {
    if (options.fresh && this.#inflight) await this.#inflight.catch(() => undefined);
    this.#inflight ??= this.#runSync(options.onProgress).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #runSync(onProgress?: (progress: SyncProgress) => void): Promise<SyncReport> {
    const startedAtMs = this.#now();
    const ctx = {
      store: this.store,
      prefix: this.sourcePrefix,
      imageExtensions: this.#imageExtensions,
      concurrency: this.concurrency,
      nowMs: startedAtMs,
      onProgress,
    };
    try {
      const report = await runSync(this.#state, ctx).catch((error: unknown) => {
        this.#lastFailure = { atMs: this.#now(), error: describeError(error) };
        throw error;
      });
      this.#lastFailure = undefined;
      this.#lastSync = { startedAtMs, atMs: this.#now(), report };
      this.#notifySync(report);
      return report;
    } finally {
      // Also after a failure part-way: whatever did change must reach the table.
      if (this.#state.dirty) {
        this.#table = buildTable(this.#state.entries, this.#table);
        this.#state.dirty = false;
      }
    }
  }

  #notifySync(report: SyncReport): void {
    try {
      this.#onSync?.(report);
    } catch {
      // A failing observer must not turn a good sync into a failed one.
    }
  }

  /**
   * Syncs when the last successful sync is older than `maxAgeMs` (or there was none). If that sync
   * fails but an earlier one succeeded, the cached table is kept and the result says it is stale,
   * and for the next `maxAgeMs` further calls report the same without trying again; with nothing
   * cached the error is thrown.
   */
  async ensureFresh(maxAgeMs: number): Promise<FreshnessResult> {
    const nowMs = this.#now();
    if (this.#lastSync && maxAgeMs > 0 && nowMs - this.#lastSync.atMs < maxAgeMs) return { stale: false };
    // After a failure, reads within the same window answer from the cache at once instead of each
    // waiting out the store's retries again.
    const failure = this.#lastFailure;
    if (this.#lastSync && failure && maxAgeMs > 0 && nowMs - failure.atMs < maxAgeMs) return { stale: true, error: failure.error };
    try {
      await this.sync();
      return { stale: false };
    } catch (error) {
      if (!this.#lastSync) throw error;
      return { stale: true, error: describeError(error) };
    }
  }

  /** The last successful sync: when it started and finished (ms since the epoch) and its report. */
  get lastSync(): LastSync | undefined {
    return this.#lastSync;
  }

  /** Whether a sync is running right now. */
  get syncing(): boolean {
    return this.#inflight !== undefined;
  }

  /** The current table; its `version` changes whenever its content does. */
  get table(): UserTable {
    return this.#table;
  }

  /** Rows matching the filters, in `user_id` order. The rows are the cache's own: treat them as read-only. */
  rows(filters: UserFilters = {}): UserRow[] {
    return selectRows(this.#table, filters, this.#now()).map((i) => this.#table.rows[i]!);
  }

  /** Matching rows as plain objects holding just the chosen columns. */
  query(options: QueryOptions = {}): Record<string, string | number | null>[] {
    const columns = resolveColumns(options.columns, this.#table.rows);
    return this.rows(options).map((row) => project(row, columns));
  }

  /**
   * Matching rows as a danfojs DataFrame. danfojs-node is an optional peer dependency, loaded on the
   * first call; without it this throws `MissingPeerError` saying how to install it.
   */
  aggregate(options: QueryOptions = {}): DataFrame {
    return toDataFrame(this.rows(options), resolveColumns(options.columns, this.#table.rows));
  }

  /** Matching rows as RFC 4180 CSV with a header line. */
  toCsv(options: QueryOptions & CsvOptions = {}): string {
    return toCsv(this.rows(options), resolveColumns(options.columns, this.#table.rows), options);
  }

  /** Matching rows as a JSON array of objects. */
  toJson(options: QueryOptions = {}): string {
    return JSON.stringify(this.query(options));
  }

  /** Mean age in completed years of the matching users, with their count; `averageAge` is `null` when none match. */
  averageAge(filters: UserFilters = {}): { averageAge: number | null; count: number } {
    return averageAge(this.#table, filters, this.#now());
  }

  /** Matching users per completed year of age, youngest first; only ages someone has. */
  ageHistogram(filters: UserFilters = {}): { age: number; count: number }[] {
    return ageHistogram(this.#table, filters, this.#now());
  }

  /**
   * One page of the matching rows in `user_id` order: at most `limit` rows after the user `after`,
   * the number matching in all, and whether more follow. Pass the last row's `user_id` as `after`
   * for the next page: every user is visited once even if others come and go in between.
   */
  page(options: UserFilters & PageOptions): Page {
    return selectPage(this.#table, options, this.#now(), options);
  }

  /**
   * Exports the table: writes every user, unfiltered, as CSV
   * (`user_id,first_name,last_name,birthts,img_path`) to `key` with content type `text/csv`. The
   * object is replaced whole or not at all.
   */
  async exportOutput(key: string = DEFAULT_OUTPUT_KEY): Promise<{ key: string; users: number; bytes: number }> {
    const body = Buffer.from(this.toCsv());
    await this.store.put(key, body, 'text/csv');
    return { key, users: this.#table.rows.length, bytes: body.length };
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
