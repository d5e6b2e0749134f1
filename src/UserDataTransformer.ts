import { withDeadline } from './util/async.js';
import { definedOnly } from './util/objects.js';
import { writeOutputs, type ExportWritten } from './output.js';
import { resolveOptions, type ResolvedOptions, type TransformerSettings, type UserDataTransformerOptions } from './options.js';
import { describeError } from './errors.js';
import { resolveColumns, project } from './format/columns.js';
import { encodeCsv, type CsvOptions } from './format/csv.js';
import { encodeParquet } from './format/parquet.js';
import { toDataFrame, type DataFrame } from './format/dataframe.js';
import { type SyncReport, type UserFilters, type UserRow } from './model.js';
import { selectPage, type Page, type PageOptions } from './query/page.js';
import { ageHistogram, averageAge, selectRows, type UserTable } from './query/table.js';
import type { ObjectStore } from './storage/ObjectStore.js';
import { Refresher, type RefreshOptions, type RefreshStatus } from './sync/refresher.js';
import { Syncer, type LastSync, type SyncOptions } from './sync/syncer.js';

export type { TransformerSettings, UserDataTransformerOptions } from './options.js';
export type { LastSync, SyncOptions } from './sync/syncer.js';
export type { RefreshOptions, RefreshStatus } from './sync/refresher.js';

export interface QueryOptions extends UserFilters {
  /** Output columns, in order: any of the defaults plus extra CSV columns. Default `user_id, first_name, last_name, birthts, img_path`. */
  columns?: readonly string[];
}

export interface ExportOptions {
  /** Write even when the table is empty and the existing output holds users. Default `false`. */
  allowEmpty?: boolean;
  /**
   * Where to write the same table as Parquet; `null`: no Parquet. Default: the `outputParquetKey`
   * option when the CSV goes to the default `outputKey`, else `null`.
   */
  parquetKey?: string | null;
  /** Once aborted, nothing more is built or written (the promise rejects with the reason). */
  signal?: AbortSignal;
}

export interface FreshnessResult {
  /** `true` when the data comes from the cache because a sync just failed. */
  stale: boolean;
  /** Why the sync failed, when `stale`. */
  error?: string;
}

/**
 * Keeps an in-memory table of the users under a store prefix and answers queries over it.
 * Construction does no I/O: call `sync()` to load once, or `start()` to keep the table current in
 * the background (change events, periodic reconciling listings, a snapshot for warm restarts).
 *
 * @example
 * ```ts
 * const transformer = new UserDataTransformer({ store: createLocalStore({ root: '.' }), sourcePrefix: 'data/' });
 * await transformer.sync();
 * transformer.averageAge({ imageExists: true, minAge: 30, maxAge: 40 }); // { averageAge: 34.9…, count: 13 }
 * ```
 */
export class UserDataTransformer {
  readonly store: ObjectStore;
  readonly sourcePrefix: string;
  readonly concurrency: number;
  /** The options in use, every default applied. */
  readonly options: TransformerSettings;
  readonly #o: ResolvedOptions;
  readonly #syncer: Syncer;
  #refresher: Refresher | undefined;

  constructor(options: UserDataTransformerOptions) {
    const o = resolveOptions(options);
    this.options = o;
    this.#o = o;
    this.store = o.store;
    this.sourcePrefix = o.sourcePrefix;
    this.concurrency = o.concurrency;
    this.#syncer = new Syncer({
      now: o.now,
      timeoutMs: o.syncTimeoutMs,
      onSync: o.onSync,
      onSyncFailed: o.onSyncFailed,
      context: (overrides) => ({
        store: o.store,
        prefix: o.sourcePrefix,
        imageExtensions: o.imageExtensionSet,
        concurrency: o.concurrency,
        dateKey: o.dateKey,
        maxCsvBytes: o.maxCsvBytes,
        maxAgeYears: o.maxAgeYears,
        nowMs: o.now(),
        ...overrides,
      }),
    });
  }

  /**
   * Brings the cache up to date with the store, downloading only what changed. Calls made while a
   * sync runs join it instead of starting another; with `fresh: true` a call that finds one running
   * waits for it and then syncs again, so its answer reflects the store as of the call. A sync that
   * outlives `syncTimeoutMs` is cancelled. Throws `StoreUnavailableError` when the listing fails or
   * the deadline passes; whatever was fetched before that is kept.
   *
   * @example
   * ```ts
   * const report = await transformer.sync({ onProgress: ({ phase, done, total }) => console.error(phase, done, total) });
   * console.log(report.users, report.downloaded, report.failed); // failed: [{ key, reason }]
   * await transformer.sync({ fresh: true }); // reflects the store as of this call, even if a sync was running
   * ```
   */
  sync(options: SyncOptions = {}): Promise<SyncReport> {
    return this.#syncer.sync(options);
  }

  /**
   * Keeps the table current in the background until `stop()`: loads the snapshot (if configured),
   * syncs, then applies the store's change events and reconciles with full listings. Reads never
   * wait for any of it; `whenReady()` resolves once a table is loaded. Calling it twice is an error.
   *
   * @example
   * ```ts
   * transformer.start({ maxStalenessMs: 5_000, snapshotKey: defaultSnapshotKey({ sourcePrefix: 'data/' }) });
   * await transformer.whenReady(10_000);
   * console.log(transformer.status); // { loaded: true, dataAgeMs: 12, stale: false, complete: true, warnings: [], watching: true }
   * await transformer.stop();
   * ```
   */
  start(options: Partial<RefreshOptions> = {}): void {
    if (this.#refresher) throw new Error('UserDataTransformer: start() was already called');
    this.#refresher = new Refresher(this.#syncer, this.#o, options);
    this.#refresher.start();
  }

  /** Whether `start()` was called: the table is then kept current in the background. */
  get started(): boolean {
    return this.#refresher !== undefined;
  }

  /**
   * Stops background refreshing and watching; waits for a running snapshot write.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => void transformer.stop().then(() => transformer.store.close()));
   * ```
   */
  async stop(): Promise<void> {
    await this.#refresher?.stop();
  }

  /**
   * Resolves once a table is loaded (from a snapshot or a sync); rejects after `timeoutMs`.
   *
   * @example
   * ```ts
   * transformer.start();
   * await transformer.whenReady(10_000).catch(() => console.error('no table yet; reads would answer 503 not_ready'));
   * ```
   */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.#syncer.currentAtMs !== undefined) return Promise.resolve();
    if (!this.#refresher) {
      // Not started: the first load is a sync of its own, which the caller waits for only so long.
      const load = this.sync().then(() => undefined);
      return withDeadline(load, timeoutMs, () => new Error(`no table loaded within ${timeoutMs} ms`));
    }
    return this.#refresher.whenReady(timeoutMs);
  }

  /**
   * How current the table is: its age, whether the last refresh failed, whether rows are missing.
   *
   * @example
   * ```ts
   * const { dataAgeMs, stale, error } = transformer.status;
   * if (stale) console.warn(`answering from a table ${dataAgeMs} ms old: ${error}`);
   * ```
   */
  get status(): RefreshStatus {
    const s = this.#syncer;
    const nowMs = this.options.now();
    return {
      loaded: s.currentAtMs !== undefined,
      dataAgeMs: s.currentAtMs === undefined ? null : Math.max(0, nowMs - s.currentAtMs),
      stale: s.lastFailure !== undefined,
      error: s.lastFailure?.error,
      complete: s.complete,
      warnings: this.#warnings(),
      ...this.#refresher?.status,
    };
  }

  /** See `RefreshStatus.warnings`. */
  #warnings(): string[] {
    const last = this.#syncer.lastSync;
    if (!last || this.table.rows.length > 0) return [];
    const where = this.sourcePrefix === '' ? 'the top of the store' : this.sourcePrefix;
    const failed = last.report.failed.length;
    return [failed === 0 ? `no user files under ${where}` : `no usable user files under ${where}: ${failed} could not be used (see the sync report)`];
  }

  /**
   * Syncs when the last successful sync is older than `maxAgeMs` (or there was none). If that sync
   * fails but an earlier one succeeded, the cached table is kept and the result says it is stale,
   * and for the next `maxAgeMs` further calls report the same without trying again; with nothing
   * cached the error is thrown.
   *
   * @example
   * ```ts
   * const { stale, error } = await transformer.ensureFresh(5_000); // syncs only when the last sync is older than 5 s
   * if (stale) console.warn(`the store failed (${error}); the cached table answers`);
   * ```
   */
  async ensureFresh(maxAgeMs: number): Promise<FreshnessResult> {
    const nowMs = this.options.now();
    const last = this.#syncer.lastSync;
    if (last && maxAgeMs > 0 && nowMs - last.atMs < maxAgeMs) return { stale: false };
    // After a failure, reads within the same window answer from the cache at once instead of each
    // waiting out the store's retries again.
    const failure = this.#syncer.lastFailure;
    if (last && failure && maxAgeMs > 0 && nowMs - failure.atMs < maxAgeMs) return { stale: true, error: failure.error };
    try {
      await this.sync();
      return { stale: false };
    } catch (error) {
      if (!this.#syncer.lastSync) throw error;
      return { stale: true, error: describeError(error) };
    }
  }

  /** The last successful sync: when it started and finished (ms since the epoch) and its report. */
  get lastSync(): LastSync | undefined {
    return this.#syncer.lastSync;
  }

  /**
   * Whether every listed CSV has a usable version or a reported reason: `false` while some download
   * failed (in the last full sync, or in a batch of change events since) for a user with no earlier version.
   */
  get complete(): boolean {
    return this.#syncer.complete;
  }

  /** The CSV keys that make the table incomplete (see `complete`). */
  get missing(): string[] {
    return this.#syncer.missing;
  }

  /** Whether a sync is running right now. */
  get syncing(): boolean {
    return this.#syncer.running;
  }

  /** The current table; its `version` changes whenever its content does. */
  get table(): UserTable {
    return this.#syncer.table;
  }

  /** Today's date key (`yyyymmdd`) in the configured time zone: the day ages are counted on. */
  todayKey(): number {
    return this.#o.dateKey(this.#o.now());
  }

  /**
   * Rows matching the filters, in `user_id` order. The rows are the cache's own: treat them as read-only.
   *
   * @example
   * ```ts
   * const withImage = transformer.rows({ imageExists: true, where: (row) => row.last_name.startsWith('S') });
   * withImage[0]?.img_path; // e.g. 'data/1003.png'
   * ```
   */
  rows(filters: UserFilters = {}): UserRow[] {
    const table = this.table;
    return selectRows(table, filters, this.todayKey()).map((i) => table.rows[i]!);
  }

  /**
   * Matching rows as plain objects holding just the chosen columns.
   *
   * @example
   * ```ts
   * transformer.query({ minAge: 30, maxAge: 40, columns: ['user_id', 'first_name'] });
   * // [{ user_id: '1002', first_name: 'Élodie' }, …]
   * ```
   */
  query(options: QueryOptions = {}): Record<string, string | number | null>[] {
    const columns = resolveColumns(options.columns, this.table.rows);
    return this.rows(options).map((row) => project(row, columns));
  }

  /**
   * Matching rows as a danfojs DataFrame. danfojs-node is an optional peer dependency, loaded on the
   * first call; without it this throws `MissingPeerError` saying how to install it.
   *
   * @example
   * ```ts
   * const df = transformer.aggregate({ imageExists: true, minAge: 30, maxAge: 60 }); // needs danfojs-node
   * console.log(df.shape, df.columns); // [n, 5] ['user_id', 'first_name', 'last_name', 'birthts', 'img_path']
   * ```
   */
  aggregate(options: QueryOptions = {}): DataFrame {
    return toDataFrame(this.rows(options), resolveColumns(options.columns, this.table.rows));
  }

  /**
   * Matching rows as RFC 4180 CSV with a header line; spreadsheet formulas neutralised unless turned off.
   *
   * @example
   * ```ts
   * const csv = transformer.toCsv({ imageExists: false, delimiter: ';', newline: '\r\n' });
   * const raw = transformer.toCsv({ escapeFormulas: false }); // cells such as =1+1 as they are
   * ```
   */
  toCsv(options: QueryOptions & CsvOptions = {}): string {
    const csvOptions = { escapeFormulas: this.options.escapeFormulas, ...definedOnly(options) };
    return encodeCsv(this.rows(options), resolveColumns(options.columns, this.table.rows), csvOptions);
  }

  /**
   * Matching rows as a JSON array of objects.
   *
   * @example
   * ```ts
   * const body = transformer.toJson({ maxAge: 29, columns: ['user_id', 'birthts'] }); // '[{"user_id":"1004","birthts":…},…]'
   * ```
   */
  toJson(options: QueryOptions = {}): string {
    return JSON.stringify(this.query(options));
  }

  /**
   * Matching rows as a Parquet file: `user_id`, `first_name`, `last_name` as UTF-8 text, `birthts`
   * a timestamp (milliseconds, UTC), `img_path` text or null, extra columns optional text; raw
   * values (formula escaping is a CSV concern), Snappy-compressed. Asynchronous because the writer
   * loads on first use and more than 2,048 rows are encoded on a thread of their own, leaving the event loop free.
   *
   * @example
   * ```ts
   * await writeFile('adults.parquet', await transformer.toParquet({ minAge: 18 }));
   * ```
   */
  toParquet(options: QueryOptions = {}): Promise<Uint8Array> {
    return encodeParquet(this.rows(options), resolveColumns(options.columns, this.table.rows));
  }

  /**
   * Mean age in completed years of the matching users, with their count; `averageAge` is `null` when none match.
   *
   * @example
   * ```ts
   * const { averageAge, count } = transformer.averageAge({ imageExists: true, minAge: 30, maxAge: 40 });
   * console.log(count === 0 ? 'nobody matches' : averageAge!.toFixed(1));
   * ```
   */
  averageAge(filters: UserFilters = {}): { averageAge: number | null; count: number } {
    return averageAge(this.table, filters, this.todayKey());
  }

  /**
   * Matching users per completed year of age, youngest first; only ages someone has.
   *
   * @example
   * ```ts
   * transformer.ageHistogram({ minAge: 30, maxAge: 35 }); // [{ age: 30, count: 5 }, { age: 31, count: 2 }, …]
   * ```
   */
  ageHistogram(filters: UserFilters = {}): { age: number; count: number }[] {
    return ageHistogram(this.table, filters, this.todayKey());
  }

  /**
   * One page of the matching rows in `user_id` order: at most `limit` rows after the user `after`,
   * the number matching in all, and whether more follow. Pass the last row's `user_id` as `after`
   * for the next page: every user is visited once even if others come and go in between.
   *
   * @example
   * ```ts
   * let page = transformer.page({ minAge: 30, limit: 100 });
   * const all = [...page.rows];
   * while (page.hasMore) {
   *   page = transformer.page({ minAge: 30, limit: 100, after: page.rows.at(-1)!.user_id });
   *   all.push(...page.rows);
   * }
   * console.log(all.length === page.total);
   * ```
   */
  page(options: UserFilters & PageOptions): Page {
    return selectPage(this.table, options, this.todayKey(), options);
  }

  /**
   * Exports the table: writes every user, unfiltered, as CSV
   * (`user_id,first_name,last_name,birthts,img_path`) to `key` with content type `text/csv`, and the
   * same rows as Parquet to `parquetKey` (see `toParquet`; by default `processed_data/output.parquet`
   * beside the default CSV). Each object is replaced whole or not at all; when the Parquet write fails
   * after the CSV's, `PartialExportError` (code `partial_export`) says which is new. An empty table
   * never replaces an output that holds users (`EmptySourceError`, code `empty_source`) unless
   * `allowEmpty` is set: an emptied or mistaken source must not wipe the last good output.
   *
   * @example
   * ```ts
   * await transformer.sync();
   * const { key, users, bytes, parquet } = await transformer.exportOutput(); // processed_data/output.csv and .parquet
   * await transformer.exportOutput('exports/users.csv', { parquetKey: 'exports/users.parquet' });
   * ```
   */
  async exportOutput(key: string = this.options.outputKey, options: ExportOptions = {}): Promise<ExportWritten> {
    const { outputKey, outputParquetKey, escapeFormulas } = this.options;
    const parquetKey = options.parquetKey !== undefined ? options.parquetKey : key === outputKey ? outputParquetKey : null;
    const plan = { csvKey: key, parquetKey, escapeFormulas, allowEmpty: options.allowEmpty ?? false, sourcePrefix: this.sourcePrefix, signal: options.signal };
    return writeOutputs(this.store, this.table.rows, plan);
  }
}
