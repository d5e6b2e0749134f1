import type { Logger } from 'pino';
import { describeError, EmptySourceError, PartialExportError, StoreUnavailableError, UdtError, type SyncReport, type UserDataTransformer } from '../index.js';
import { withDeadline } from '../util/async.js';
import type { ExportResult, ExportStatus, ExportTrigger } from './schemas.js';

/** A scheduled export reuses the table without listing when events confirmed it this recently. */
const SCHEDULE_FRESH_MS = 60_000;
/** How many missing keys an `incomplete_sync` answer lists. */
const MISSING_KEYS_SHOWN = 100;

/** The sync could not download every CSV, so writing now would publish a table that lacks users. */
export class IncompleteSyncError extends UdtError {
  constructor(missing: readonly string[]) {
    const shown = missing.slice(0, MISSING_KEYS_SHOWN);
    const more = missing.length > shown.length ? ` (the first ${shown.length} are listed)` : '';
    super(
      'incomplete_sync',
      503,
      `${missing.length} user CSV file${missing.length === 1 ? '' : 's'} could not be downloaded${more}; the previous output is kept. ` +
        'The next sync retries them; ALLOW_INCOMPLETE_EXPORT=true exports anyway.',
      { details: { missing: shown } },
    );
  }
}

export interface ExporterOptions {
  outputKey: string;
  logger: Logger;
  /** Export even when the sync could not download some CSVs. Default `false`. */
  allowIncomplete?: boolean;
  /** Let an export with no users replace an output that holds users. Default `false`. */
  allowEmpty?: boolean;
  /**
   * A run that has not finished after this long answers `503 store_unavailable` at once; the run
   * itself is cancelled by the sync's own deadline. Default: the transformer's `syncTimeoutMs`.
   */
  deadlineMs?: number;
  /** Told about every run, e.g. for metrics. */
  onExport?: (trigger: ExportTrigger, ok: boolean, durationMs: number) => void;
}

/**
 * An export is a sync followed by writing the output CSV. Runs never overlap, and at most one
 * waits: calls that arrive while a run is going share the next run, which starts after they all
 * arrived, so each caller's answer reflects the store as of its request, and a burst of 100
 * calls costs two syncs and two writes. Scheduled runs skip when one is in flight or queued.
 */
export class Exporter {
  readonly outputKey: string;
  readonly #transformer: UserDataTransformer;
  readonly #o: Required<Omit<ExporterOptions, 'onExport' | 'deadlineMs'>> & Pick<ExporterOptions, 'onExport'> & { deadlineMs: number };
  #current: Promise<ExportResult> | undefined;
  #next: Promise<ExportResult> | undefined;
  #last: ExportStatus | undefined;

  constructor(transformer: UserDataTransformer, options: ExporterOptions) {
    this.#transformer = transformer;
    this.outputKey = options.outputKey;
    this.#o = { allowIncomplete: false, allowEmpty: false, deadlineMs: transformer.options.syncTimeoutMs, ...options };
  }

  /** Whether a run is in flight or queued. */
  get busy(): boolean {
    return this.#current !== undefined || this.#next !== undefined;
  }

  /** Outcome of the most recent run, if any. */
  get lastExport(): ExportStatus | undefined {
    return this.#last;
  }

  /** Runs now, or joins the one run queued behind the current one. Rejects with the run's error. */
  run(trigger: ExportTrigger): Promise<ExportResult> {
    if (this.#next) return this.#next;
    const current = this.#current;
    if (!current) return this.#start(trigger);
    this.#next = current
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        return this.#start(trigger);
      });
    return this.#next;
  }

  /** Runs unless another run is in flight or queued; then resolves to `null` and logs the skip. */
  async runIfIdle(trigger: ExportTrigger): Promise<ExportResult | null> {
    if (this.busy) {
      this.#o.logger.warn({ event: 'export_skipped', trigger }, 'export skipped: the previous one is still running');
      return null;
    }
    return this.run(trigger);
  }

  /** Resolves once nothing is running or queued. */
  async idle(): Promise<void> {
    while (this.busy) await (this.#next ?? this.#current)?.catch(() => undefined);
  }

  /**
   * Starts a run. Its caller gets an answer by the deadline at the latest; the run itself is told to
   * stop (it never writes after that) and stays the current one until it has really ended, so no
   * other run overlaps it.
   */
  #start(trigger: ExportTrigger): Promise<ExportResult> {
    const controller = new AbortController();
    const work = this.#export(trigger, controller.signal);
    const tracked: Promise<ExportResult> = work.finally(() => {
      if (this.#current === tracked) this.#current = undefined;
    });
    tracked.catch(() => undefined);
    this.#current = tracked;
    const ms = this.#o.deadlineMs;
    return withDeadline(
      work,
      ms,
      () => new StoreUnavailableError(`the export did not finish within ${ms} ms; nothing was written`),
      (error) => controller.abort(error),
    );
  }

  /**
   * `POST /data` always lists the store after the request arrived. A scheduled export whose table
   * change events keep current needs no listing of its own: with events live, the listings per hour
   * stay at the reconcile rate however often the schedule fires.
   */
  async #syncFor(trigger: ExportTrigger): Promise<SyncReport> {
    const t = this.#transformer;
    const status = t.status;
    const last = t.lastSync;
    if (trigger === 'schedule' && status.watching && !status.stale && last && status.dataAgeMs !== null && status.dataAgeMs <= SCHEDULE_FRESH_MS) {
      return last.report;
    }
    return t.sync({ fresh: true });
  }

  async #syncAndWrite(trigger: ExportTrigger, signal: AbortSignal) {
    const sync = await this.#syncFor(trigger);
    const complete = trigger === 'api' ? sync.complete : this.#transformer.complete;
    if (!complete && !this.#o.allowIncomplete) throw new IncompleteSyncError(trigger === 'api' ? sync.missing : this.#transformer.missing);
    // Past the deadline the caller was told nothing is written: keep it so, also while the files are built.
    signal.throwIfAborted();
    const out = await this.#transformer.exportOutput(this.outputKey, { allowEmpty: this.#o.allowEmpty, signal }).catch((error: unknown) => {
      if (!(error instanceof EmptySourceError)) throw error;
      throw new EmptySourceError(`${error.message}. ALLOW_EMPTY_EXPORT=true exports an empty table anyway.`);
    });
    return { sync, out };
  }

  async #export(trigger: ExportTrigger, signal: AbortSignal): Promise<ExportResult> {
    const started = performance.now();
    const log = this.#o.logger;
    try {
      const { sync, out } = await this.#syncAndWrite(trigger, signal);
      const durationMs = Math.round(performance.now() - started);
      this.#last = { trigger, finishedAt: new Date().toISOString(), ok: true, durationMs, users: out.users };
      this.#o.onExport?.(trigger, true, durationMs);
      const { downloaded, unchanged, removed, failed, complete } = sync;
      const counts = { downloaded, unchanged, removed, failed: failed.length, complete };
      log.info({ event: 'export', trigger, durationMs, users: out.users, bytes: out.bytes, parquetBytes: out.parquet?.bytes, ...counts }, 'output written');
      return { users: out.users, output: out.key, parquet: out.parquet?.key ?? null, sync };
    } catch (error) {
      const durationMs = Math.round(performance.now() - started);
      this.#last = { trigger, finishedAt: new Date().toISOString(), ok: false, durationMs, error: describeError(error) };
      this.#o.onExport?.(trigger, false, durationMs);
      const untouched = error instanceof PartialExportError ? 'the CSV is new, the Parquet file still the previous export' : 'the previous output is untouched';
      log.error({ event: 'export_failed', trigger, durationMs, err: error }, `export failed; ${untouched}`);
      throw error;
    }
  }
}
