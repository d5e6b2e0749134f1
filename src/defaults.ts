/**
 * Every default the library, the service and the command line use, defined once. Option docs
 * refer here; the service's environment schema takes its defaults from the same constants.
 */

// The library: where the files are and what they may be.

/** Folder of the user files in a bucket. The service's local mode uses `DEFAULT_LOCAL_SOURCE_PREFIX`. */
export const DEFAULT_SOURCE_PREFIX = 'source_data/';
/** Where the exported table is written. */
export const DEFAULT_OUTPUT_KEY = 'processed_data/output.csv';
/** Where the same table is written as Parquet by default: beside the CSV, `.csv` becoming `.parquet` (any other key gets `.parquet` added). */
export function parquetKeyBeside(csvKey: string): string {
  return `${csvKey.replace(/\.csv$/i, '')}.parquet`;
}
/** `processed_data/output.parquet`, beside the default CSV. */
export const DEFAULT_OUTPUT_PARQUET_KEY = parquetKeyBeside(DEFAULT_OUTPUT_KEY);
/** Image file extensions, without the dot, matched case-insensitively. */
export const DEFAULT_IMAGE_EXTENSIONS: readonly string[] = ['png', 'jpg', 'jpeg'];
/** Parallel CSV downloads during a sync, and keep-alive sockets to an S3 endpoint. */
export const DEFAULT_CONCURRENCY = 16;
/** Largest user CSV accepted, in bytes (a user file is about 60 bytes). */
export const DEFAULT_MAX_CSV_BYTES = 1_048_576;
/** How far back a birth date may lie, in years. */
export const DEFAULT_MAX_AGE_YEARS = 150;
/** A sync still running after this long is cancelled. */
export const DEFAULT_SYNC_TIMEOUT_MS = 120_000;
/** Time zone in which ages are counted. */
export const DEFAULT_TIME_ZONE = 'UTC';
/** Neutralise spreadsheet formulas in CSV text cells. */
export const DEFAULT_ESCAPE_FORMULAS = true;

// Keeping the table current (`start()`).

/** Full listings while a change stream is live, to repair lost events. */
export const DEFAULT_RECONCILE_INTERVAL_MS = 60_000;
/** Oldest the table may get when the store has no change stream: a background sync runs this often. */
export const DEFAULT_MAX_STALENESS_MS = 5_000;
/** Snapshots are written at most this often, and only after changes. */
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 10_000;

// The change log (NATS JetStream).

/** The JetStream stream of the bucket's events. */
export const DEFAULT_NATS_STREAM = 'DATALAKE';
/** The subject the store publishes its events to (MinIO's NATS target). */
export const DEFAULT_NATS_SUBJECT = 'minio.datalake';
/** With a live change log, full listings only repair what the store failed to publish: hourly. */
export const DEFAULT_RECONCILE_WITH_LOG_MS = 3_600_000;
/** A log message larger than this is no bucket event (one is a few KB): skipped unread. */
export const MAX_LOG_MESSAGE_BYTES = 262_144;

// Stores.

/** S3 region; set explicitly so the client never asks the server. */
export const DEFAULT_REGION = 'us-east-1';
/** Deadline of each S3 request for connecting, the first byte and every pause between bytes. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Extra attempts of an S3 request after a socket error, a timeout or a 5xx. */
export const DEFAULT_STORE_RETRIES = 3;
/** Delay before the first retry of an S3 request; doubles each time. */
export const DEFAULT_RETRY_BASE_DELAY_MS = 100;
/**
 * Parts of an S3 listing fetched at once, each a range of keys. At about 75 ms a page, a million
 * users (1.5 million keys, 1500 pages) take about 112 s one page after another.
 */
export const DEFAULT_LIST_CONCURRENCY = 8;

// Queries.

/** Rows per page when a request gives a cursor but no limit. */
export const DEFAULT_PAGE_ROWS = 1_000;

// The service.

/** Address the service listens on: this machine only, until told otherwise (containers set `0.0.0.0`). */
export const DEFAULT_HOST = '127.0.0.1';
/** HTTP port of the service. */
export const DEFAULT_PORT = 8080;
/** The service's bucket on S3/MinIO. */
export const DEFAULT_BUCKET = 'datalake';
/** Local mode: the folder that plays the bucket. */
export const DEFAULT_LOCAL_ROOT = '.';
/** Local mode serves the repository's own demo folder out of the box. */
export const DEFAULT_LOCAL_SOURCE_PREFIX = 'data/';
/** Schedule of the export (node-cron, UTC): every minute. */
export const DEFAULT_OUTPUT_CRON = '* * * * *';
/** Before the first load, the service's reads wait this long for it. */
export const DEFAULT_READY_TIMEOUT_MS = 10_000;
/** Export even when some CSVs could not be downloaded. */
export const DEFAULT_ALLOW_INCOMPLETE_EXPORT = false;
/** Export an empty table over an output that holds users. */
export const DEFAULT_ALLOW_EMPTY_EXPORT = false;
/** The service's log level. */
export const DEFAULT_LOG_LEVEL = 'info';
