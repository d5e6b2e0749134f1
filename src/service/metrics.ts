import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RefreshObserver, SyncReport, UserDataTransformer } from '../index.js';

const PREFIX = 'udt_';
/** Syncs take milliseconds on a warm cache and minutes cold on a big bucket. */
const SYNC_BUCKETS_S = [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
const HTTP_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/**
 * The service's Prometheus metrics, in a registry of its own (so several apps in one process, as in
 * tests, never clash). Process metrics (CPU, memory, event-loop lag) come from prom-client's defaults.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #syncDuration = this.#histogram('sync_duration_seconds', 'Duration of full syncs', ['outcome'], SYNC_BUCKETS_S);
  readonly #syncs = this.#counter('syncs_total', 'Full syncs by outcome (ok, incomplete, failed)', ['outcome']);
  readonly #objects = this.#counter('sync_objects_total', 'Objects listed, downloaded and failed by syncs', ['kind']);
  readonly #events = this.#counter('change_events_total', 'Store change events received, and applied after coalescing', ['kind']);
  readonly #watchFailures = this.#counter('change_stream_failures_total', 'Times the change stream (store events or change log) failed', []);
  readonly #skipped = this.#counter('change_log_skipped_total', 'Change-log messages or records skipped, by why', ['kind']);
  readonly #snapshots = this.#counter('snapshot_operations_total', 'Snapshot loads and saves by outcome', ['operation', 'outcome']);
  readonly #exports = this.#counter('exports_total', 'Exports of the output CSV by trigger and outcome', ['trigger', 'outcome']);
  readonly #exportDuration = this.#histogram('export_duration_seconds', 'Duration of exports (sync + write)', ['outcome'], SYNC_BUCKETS_S);
  readonly #http = this.#histogram('http_request_duration_seconds', 'HTTP requests by route and status', ['method', 'route', 'status'], HTTP_BUCKETS_S);

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  /** Gauges read from the transformer at every scrape. */
  track(transformer: UserDataTransformer): void {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name: PREFIX + name,
        help,
        registers: [this.registry],
        collect: function (this: Gauge) {
          this.set(read());
        },
      });
    gauge('users', 'Users in the table', () => transformer.table.rows.length);
    gauge('failed_files', 'Files the last sync could not use', () => transformer.lastSync?.report.failed.length ?? 0);
    gauge('change_log_streaming', 'With a change log: 1 while changes arrive from it, 0 while listings stand in (-1 without one)', () => {
      const log = transformer.status.changeLog;
      return log === undefined ? -1 : log.mode === 'stream' ? 1 : 0;
    });
    gauge('change_log_lag_messages', 'Change-log messages not yet applied (0 without a log)', () => transformer.status.changeLog?.lag ?? 0);
    gauge('change_log_position', 'The last change-log sequence applied (0 without a log)', () => transformer.status.changeLog?.position?.seq ?? 0);
    gauge('data_age_seconds', 'Seconds since the table was last known to match the store (-1 before the first load)', () => {
      const age = transformer.status.dataAgeMs;
      return age === null ? -1 : age / 1000;
    });
  }

  /** Feeds every full sync's report; wire it to the transformer's `onSync`. */
  syncFinished(report: SyncReport): void {
    const outcome = report.complete ? 'ok' : 'incomplete';
    this.#syncs.inc({ outcome });
    this.#syncDuration.observe({ outcome }, report.durationMs / 1000);
    this.#objects.inc({ kind: 'listed' }, report.listed);
    this.#objects.inc({ kind: 'downloaded' }, report.downloaded);
    this.#objects.inc({ kind: 'failed' }, report.failed.length);
  }

  /** Every failed full sync, whoever started it; wire it to the transformer's `onSyncFailed`. */
  syncFailed(): void {
    this.#syncs.inc({ outcome: 'failed' });
  }

  exportFinished(trigger: string, ok: boolean, durationMs: number): void {
    const outcome = ok ? 'ok' : 'failed';
    this.#exports.inc({ trigger, outcome });
    this.#exportDuration.observe({ outcome }, durationMs / 1000);
  }

  /** The parts of the background refresh that metrics count. */
  observer(): RefreshObserver {
    return {
      changesApplied: (_summary, received, applied) => {
        this.#events.inc({ kind: 'received' }, received);
        this.#events.inc({ kind: 'applied' }, applied);
      },
      snapshotLoaded: (r) => this.#snapshots.inc({ operation: 'load', outcome: 'error' in r ? 'ignored' : 'ok' }),
      snapshotSaved: (r) => this.#snapshots.inc({ operation: 'save', outcome: 'error' in r ? 'failed' : 'ok' }),
      watchFailed: () => this.#watchFailures.inc(),
      changeLogChanged: (live) => {
        if (!live) this.#watchFailures.inc();
      },
      changeLogSkipped: (kind) => this.#skipped.inc({ kind }),
    };
  }

  /** Times every request by its route pattern (not its URL, so label values stay few). */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const end = this.#http.startTimer();
      res.on('finish', () => {
        const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
        end({ method: req.method, route: String(route), status: String(res.statusCode) });
      });
      next();
    };
  }

  handler(): RequestHandler {
    return async (_req, res) => {
      res.type(this.registry.contentType).send(await this.registry.metrics());
    };
  }

  #counter(name: string, help: string, labelNames: string[]) {
    return new Counter({ name: PREFIX + name, help, labelNames, registers: [this.registry] });
  }

  #histogram(name: string, help: string, labelNames: string[], buckets: number[]) {
    return new Histogram({ name: PREFIX + name, help, labelNames, buckets, registers: [this.registry] });
  }
}
