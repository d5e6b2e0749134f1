import type { Logger } from 'pino';
import { createLocalStore, createMinioStore, createNatsChangeLog, UserDataTransformer, type ObjectStore, type RefreshObserver } from '../index.js';
import { redactUrl } from '../util/redact.js';
import type { Config } from './config.js';
import { Exporter } from './exporter.js';
import { Metrics } from './metrics.js';

/** The service's parts below its HTTP app. */
export interface ServiceParts {
  store: ObjectStore;
  transformer: UserDataTransformer;
  exporter: Exporter;
  metrics: Metrics;
}

/**
 * The parts of the service below its app, built from its configuration; nothing runs until
 * `startRefreshing`. `store` replaces the one the configuration describes (tests put a fault
 * proxy in the way).
 */
export function buildParts(config: Config, logger: Logger, store: ObjectStore = createStore(config)): ServiceParts {
  const metrics = new Metrics();
  // A source with no users is said once when it becomes so, not at every sync.
  let warned = '';
  const transformer = new UserDataTransformer({
    store,
    sourcePrefix: config.sourcePrefix,
    concurrency: config.syncConcurrency,
    syncTimeoutMs: config.syncTimeoutMs,
    maxCsvBytes: config.maxCsvBytes,
    maxAgeYears: config.maxAgeYears,
    timeZone: config.timeZone,
    escapeFormulas: config.escapeFormulas,
    outputKey: config.outputKey,
    outputParquetKey: config.outputParquetKey,
    onSyncFailed: () => metrics.syncFailed(),
    onSync: (report) => {
      metrics.syncFinished(report);
      const { failed, missing, ...counts } = report;
      logger.info({ event: 'sync', ...counts, failed: failed.length, missing: missing.length }, report.complete ? 'synced' : 'synced, with files missing');
      const warning = transformer.status.warnings.join('; ');
      if (warning !== '' && warning !== warned) logger.warn({ event: 'empty_source', sourcePrefix: config.sourcePrefix }, warning);
      warned = warning;
    },
  });
  metrics.track(transformer);
  const exporter = new Exporter(transformer, {
    outputKey: config.outputKey,
    logger,
    allowIncomplete: config.allowIncompleteExport,
    allowEmpty: config.allowEmptyExport,
    deadlineMs: config.syncTimeoutMs,
    onExport: (trigger, ok, durationMs) => metrics.exportFinished(trigger, ok, durationMs),
  });
  return { store, transformer, exporter, metrics };
}

/** Starts keeping the table current, with everything it does logged and counted. */
export function startRefreshing(service: ServiceParts, config: Config, logger: Logger): void {
  const counted = service.metrics.observer();
  const skippedKinds = new Set<string>();
  const observer: RefreshObserver = {
    syncFailed: (error) => {
      logger.warn({ event: 'sync_failed', err: error }, 'background sync failed; answering from the cache');
    },
    changesApplied: (summary, received, applied) => {
      counted.changesApplied?.(summary, received, applied);
      logger.debug({ event: 'changes', received, applied, ...summary }, 'change events applied');
    },
    snapshotLoaded: (result) => {
      counted.snapshotLoaded?.(result);
      if (!('error' in result)) {
        logger.info({ event: 'snapshot_loaded', ...result }, 'cache loaded from the snapshot');
        if (result.dropped > 0)
          logger.warn(
            { event: 'snapshot_values_dropped', dropped: result.dropped },
            'snapshot values that break the rules were left out; their files are read again',
          );
      } else if (result.missing) logger.info({ event: 'snapshot_missing', ...result }, 'no snapshot yet (first start); starting cold');
      else logger.warn({ event: 'snapshot_ignored', ...result }, `snapshot not used (${result.error}); starting cold`);
    },
    snapshotSaved: (result) => {
      counted.snapshotSaved?.(result);
      if ('error' in result) logger.warn({ event: 'snapshot_save_failed', ...result }, 'snapshot not written');
      else logger.debug({ event: 'snapshot_saved', ...result }, 'snapshot written');
    },
    changeLogChanged: (live, error) => {
      counted.changeLogChanged?.(live, error);
      if (live) logger.info({ event: 'change_log_live' }, 'reading changes from the change log');
      else logger.warn({ event: 'change_log_down', reason: error && redactUrl(error.message) }, 'change log unavailable; listing instead until it is back');
    },
    changeLogSkipped: (kind) => {
      counted.changeLogSkipped?.(kind);
      // Once per kind: a stranger publishing to the subject must not flood the log.
      if (skippedKinds.has(kind)) return;
      skippedKinds.add(kind);
      logger.warn({ event: 'change_log_skipped', kind }, `change-log message skipped (${kind}); later ones of this kind are only counted in /metrics`);
    },
    watchFailed: (error, retryInMs) => {
      counted.watchFailed?.(error, retryInMs);
      if (retryInMs === null)
        logger.info({ event: 'watch_unsupported', reason: (error as Error).message }, 'the store has no change events; refreshing by listings');
      else logger.warn({ event: 'watch_failed', err: error, retryInMs }, 'change events unavailable; listing instead until they are back');
    },
  };
  service.transformer.start({
    changeLog: config.changeLog && createNatsChangeLog({ ...config.changeLog, bucket: bucketOf(config), prefix: config.sourcePrefix }),
    maxStalenessMs: config.maxStalenessMs,
    reconcileIntervalMs: config.reconcileIntervalMs,
    snapshotKey: config.snapshotKey,
    snapshotSecret: config.snapshotSecret,
    observer,
  });
}

/** The bucket whose events count: the S3 bucket, or in local mode the one the folder plays (`MINIO_BUCKET`). */
function bucketOf(config: Config): string {
  return config.store.kind === 's3' ? config.store.bucket : config.localBucket;
}

function createStore(config: Config): ObjectStore {
  const s = config.store;
  return s.kind === 's3'
    ? createMinioStore({
        endpoint: s.endpoint,
        accessKey: s.accessKey,
        secretKey: s.secretKey,
        bucket: s.bucket,
        region: s.region,
        maxSockets: config.syncConcurrency,
        requestTimeoutMs: s.requestTimeoutMs,
      })
    : createLocalStore({ root: s.root });
}
