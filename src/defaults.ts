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
/** Deadline of each S3 request for connecting, the first byte and every pause between bytes. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
