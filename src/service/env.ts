import cron from 'node-cron';
import { z } from 'zod';
import { asFolder, isRelativeKey, sourcePrefixProblem } from '../converters/keys.js';
import {
  checkTimeZone,
  DEFAULT_ALLOW_EMPTY_EXPORT,
  DEFAULT_ALLOW_INCOMPLETE_EXPORT,
  DEFAULT_BUCKET,
  DEFAULT_CONCURRENCY,
  DEFAULT_ESCAPE_FORMULAS,
  DEFAULT_HOST,
  DEFAULT_LOCAL_ROOT,
  DEFAULT_LOCAL_SOURCE_PREFIX,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_AGE_YEARS,
  DEFAULT_MAX_CSV_BYTES,
  DEFAULT_MAX_STALENESS_MS,
  DEFAULT_OUTPUT_CRON,
  DEFAULT_OUTPUT_KEY,
  DEFAULT_PORT,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_NATS_STREAM,
  DEFAULT_NATS_SUBJECT,
  DEFAULT_RECONCILE_INTERVAL_MS,
  DEFAULT_RECONCILE_WITH_LOG_MS,
  DEFAULT_REGION,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SOURCE_PREFIX,
  DEFAULT_SYNC_TIMEOUT_MS,
  DEFAULT_TIME_ZONE,
} from '../index.js';

/** Empty variables (`API_KEY=` in an .env file) count as unset. */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const withDefault = (fallback: string) => z.preprocess((v) => (v === '' || v === undefined ? fallback : v), z.string());
const integer = (fallback: number, min: number, max: number) =>
  withDefault(String(fallback))
    .pipe(z.string().regex(/^\d+$/, `must be a whole number from ${min} to ${max}`))
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const boolean = (fallback: boolean) =>
  withDefault(String(fallback))
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }))
    .transform((v) => v === 'true' || v === '1');
/** A store key, or `off`. */
const key = (fallback: string) =>
  withDefault(fallback).refine((v) => v === 'off' || isRelativeKey(v), 'must be a relative key such as processed_data/output.csv');

const DAY_MS = 86_400_000;

/** Every environment variable the service reads: the single source for parsing and the docs. */
export const ENV_SCHEMA = z.object({
  HOST: withDefault(DEFAULT_HOST).describe('address to listen on; 0.0.0.0 for every interface (the Docker image sets it)'),
  PORT: integer(DEFAULT_PORT, 0, 65_535).describe('HTTP port'),
  MINIO_ENDPOINT: optionalString
    .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://localhost:9000' }).optional())
    .describe('S3/MinIO endpoint URL; unset means the local folder store'),
  MINIO_ACCESS_KEY: optionalString.describe('access key, required with MINIO_ENDPOINT'),
  MINIO_SECRET_KEY: optionalString.describe('secret key, required with MINIO_ENDPOINT'),
  MINIO_BUCKET: withDefault(DEFAULT_BUCKET).describe('bucket'),
  MINIO_REGION: withDefault(DEFAULT_REGION).describe('region'),
  LOCAL_ROOT: withDefault(DEFAULT_LOCAL_ROOT).describe('local mode: the folder that plays the bucket'),
  SOURCE_PREFIX: optionalString
    .refine(
      (v) => v === undefined || sourcePrefixProblem(asFolder(v)) === null,
      'must be a folder inside the store such as data/ (relative; no ., .. or empty segments)',
    )
    .describe(`folder of the user files: ${DEFAULT_SOURCE_PREFIX} with MinIO, ${DEFAULT_LOCAL_SOURCE_PREFIX} in local mode; a trailing / is implied`),
  OUTPUT_KEY: key(DEFAULT_OUTPUT_KEY)
    .refine((v) => v !== 'off', 'must be a key')
    .describe('where the export is written'),
  OUTPUT_PARQUET_KEY: optionalString
    .refine((v) => v === undefined || v === 'off' || isRelativeKey(v), 'must be a relative key such as processed_data/output.parquet, or "off"')
    .describe('where the export is also written as Parquet, from the same table; "off" writes no Parquet. Default: OUTPUT_KEY with .parquet for .csv'),
  OUTPUT_CRON: withDefault(DEFAULT_OUTPUT_CRON)
    .refine((v) => v === 'off' || cron.validate(v), 'must be a cron expression such as "*/5 * * * *", or "off"')
    .describe('schedule of the export; "off" disables it'),
  MAX_STALENESS_MS: integer(DEFAULT_MAX_STALENESS_MS, 100, DAY_MS).describe('without change events, a background sync keeps the table at most this old'),
  RECONCILE_INTERVAL_MS: optionalString
    .pipe(z.string().regex(/^\d+$/, 'must be a whole number from 1000 to 86400000').transform(Number).pipe(z.number().int().min(1_000).max(DAY_MS)).optional())
    .describe(
      `with change events, a full listing repairs lost events this often; default ${DEFAULT_RECONCILE_INTERVAL_MS} ms, or ${DEFAULT_RECONCILE_WITH_LOG_MS} ms with NATS_URL`,
    ),
  NATS_URL: optionalString
    .refine((v) => v === undefined || /^(nats|tls):\/\/[^/\s]+$/.test(v), 'must be a URL such as nats://host:4222 (user:password@ allowed)')
    .describe('the change log: NATS JetStream with the bucket events (MinIO NATS target); unset: none'),
  NATS_STREAM: withDefault(DEFAULT_NATS_STREAM).describe('JetStream stream of the bucket events; created when missing'),
  NATS_SUBJECT: withDefault(DEFAULT_NATS_SUBJECT).describe('subject the store publishes its events to'),
  SNAPSHOT_KEY: optionalString
    .refine((v) => v === undefined || v === 'off' || isRelativeKey(v), 'must be a relative key such as processed_data/.snapshot/users.snap, or "off"')
    .describe(
      'cache snapshot for warm restarts, in the store; "off" disables it. Default: one key per source prefix and settings, under processed_data/.snapshot/',
    ),
  SNAPSHOT_SECRET: optionalString
    .refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters (run.sh writes a random one)')
    .describe('signs the snapshot (HMAC-SHA256); with it set, a snapshot that is unsigned or signed otherwise is ignored'),
  READY_TIMEOUT_MS: integer(DEFAULT_READY_TIMEOUT_MS, 0, 600_000).describe('before the first load, reads wait this long, then answer 503 not_ready'),
  SYNC_CONCURRENCY: integer(DEFAULT_CONCURRENCY, 1, 256).describe('parallel downloads'),
  SYNC_TIMEOUT_MS: integer(DEFAULT_SYNC_TIMEOUT_MS, 1_000, DAY_MS).describe('a sync still running after this long is cancelled'),
  STORE_REQUEST_TIMEOUT_MS: integer(DEFAULT_REQUEST_TIMEOUT_MS, 100, 600_000).describe(
    'S3: deadline for connect, first byte and each pause between bytes of a request',
  ),
  MAX_CSV_BYTES: integer(DEFAULT_MAX_CSV_BYTES, 64, 1_073_741_824).describe('a larger user CSV is refused without downloading it'),
  MAX_AGE_YEARS: integer(DEFAULT_MAX_AGE_YEARS, 1, 1_000).describe('a birth date further back than this is refused'),
  AGE_TIMEZONE: withDefault(DEFAULT_TIME_ZONE)
    .refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Moscow')
    .describe('ages count calendar dates in this time zone'),
  CSV_ESCAPE_FORMULAS: boolean(DEFAULT_ESCAPE_FORMULAS).describe('neutralise spreadsheet formulas in CSV text cells'),
  ALLOW_INCOMPLETE_EXPORT: boolean(DEFAULT_ALLOW_INCOMPLETE_EXPORT).describe('export even when some CSVs could not be downloaded'),
  ALLOW_EMPTY_EXPORT: boolean(DEFAULT_ALLOW_EMPTY_EXPORT).describe(
    'let an export with no users replace an output that holds users (refused with 503 empty_source otherwise)',
  ),
  CORS_ORIGINS: optionalString.describe('comma-separated origins allowed by CORS, or *; unset: CORS off'),
  API_KEY: optionalString.describe('when set, POST /data requires header x-api-key'),
  LOG_LEVEL: withDefault(DEFAULT_LOG_LEVEL)
    .pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .describe('log level'),
});

export type Env = z.infer<typeof ENV_SCHEMA>;

/** Names of every variable the service reads, for docs and the deployment drift test. */
export const ENV_VARIABLES: readonly string[] = Object.keys(ENV_SCHEMA.shape);

function isTimeZone(value: string): boolean {
  try {
    checkTimeZone(value);
    return true;
  } catch {
    return false;
  }
}
