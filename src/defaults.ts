/**
 * Every default the library and the service share, defined once. Options documents refer here;
 * the service's environment schema takes its defaults from the same constants.
 */

/** Folder of the user files in a bucket. The service's local mode uses `data/` instead (see its config). */
export const DEFAULT_SOURCE_PREFIX = 'source_data/';
/** Where the exported table is written. */
export const DEFAULT_OUTPUT_KEY = 'processed_data/output.csv';
/** Image file extensions, without the dot, matched case-insensitively. */
export const DEFAULT_IMAGE_EXTENSIONS: readonly string[] = ['png', 'jpg', 'jpeg'];
/** Parallel CSV downloads during a sync, and keep-alive sockets to an S3 endpoint. */
export const DEFAULT_CONCURRENCY = 16;
/** S3 region; set explicitly so the client never asks the server. */
export const DEFAULT_REGION = 'us-east-1';
/** Largest user CSV accepted, in bytes (a user file is about 60 bytes). */
export const DEFAULT_MAX_CSV_BYTES = 1_048_576;
/** A sync still running after this long is cancelled. */
export const DEFAULT_SYNC_TIMEOUT_MS = 120_000;
/** Time zone in which ages are counted. */
export const DEFAULT_TIME_ZONE = 'UTC';
/** Full listings while a change stream is live, to repair lost events. */
export const DEFAULT_RECONCILE_INTERVAL_MS = 60_000;
/** Oldest the table may get when the store has no change stream: a background sync runs this often. */
export const DEFAULT_MAX_STALENESS_MS = 5_000;
/** Where the cache snapshot for warm restarts is kept, in the store itself. */
export const DEFAULT_SNAPSHOT_KEY = 'processed_data/.snapshot/cache.v1.json.gz';
/** Before the first load, the service's reads wait this long for it. */
export const DEFAULT_READY_TIMEOUT_MS = 10_000;
/** Deadline of each S3 request for connecting, the first byte and every pause between bytes. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
