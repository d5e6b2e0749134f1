import { asFolder, writeKeyProblem } from '../converters/keys.js';
import {
  DEFAULT_LOCAL_SOURCE_PREFIX,
  DEFAULT_OUTPUT_KEY,
  DEFAULT_RECONCILE_INTERVAL_MS,
  DEFAULT_RECONCILE_WITH_LOG_MS,
  DEFAULT_SOURCE_PREFIX,
  UdtError,
  defaultSnapshotKey,
  parquetKeyBeside,
} from '../index.js';
import { redactUrl } from '../util/redact.js';
import { ENV_SCHEMA, type Env } from './env.js';

export { ENV_SCHEMA, ENV_VARIABLES, type Env } from './env.js';

export interface Config {
  host: string;
  port: number;
  store:
    | { kind: 's3'; endpoint: string; accessKey: string; secretKey: string; bucket: string; region: string; requestTimeoutMs: number }
    | { kind: 'local'; root: string };
  /** Local mode: the bucket name the folder plays, for the change log's events (`MINIO_BUCKET`). */
  localBucket: string;
  sourcePrefix: string;
  outputKey: string;
  /** Where the export also goes as Parquet; `null`: no Parquet. */
  outputParquetKey: string | null;
  /** `null` when the scheduled export is off. */
  outputCron: string | null;
  maxStalenessMs: number;
  reconcileIntervalMs: number;
  /** The change log to follow, or `null` for none (`NATS_URL` unset). */
  changeLog: { url: string; stream: string; subject: string } | null;
  /** `null` when snapshots are off. */
  snapshotKey: string | null;
  /** `null`: snapshots are unsigned. */
  snapshotSecret: string | null;
  readyTimeoutMs: number;
  syncConcurrency: number;
  syncTimeoutMs: number;
  maxCsvBytes: number;
  maxAgeYears: number;
  timeZone: string;
  escapeFormulas: boolean;
  allowIncompleteExport: boolean;
  allowEmptyExport: boolean;
  /** Origins CORS allows; `null`: CORS off. */
  corsOrigins: string[] | '*' | null;
  apiKey: string | null;
  logLevel: Env['LOG_LEVEL'];
}

/** Variables whose values are secrets: a message about them never repeats the value. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['API_KEY', 'MINIO_SECRET_KEY', 'SNAPSHOT_SECRET']);
// NATS_URL may carry user:password@: shown redacted like every URL (see `redactUrl`).

export class ConfigError extends UdtError {
  constructor(message: string) {
    super('invalid_config', 500, message);
  }
}

/** Reads the configuration; throws `ConfigError` naming each bad variable (credentials in URLs redacted). */
export function loadConfig(source: Record<string, string | undefined>): Config {
  const parsed = ENV_SCHEMA.safeParse(source);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => ({ name: String(i.path[0] ?? 'environment'), message: i.message }))),
    ...crossChecks(source),
  ];
  if (!parsed.success || problems.length > 0) {
    const shown = (name: string) => (SECRET_VARIABLES.has(name) && source[name] ? '[redacted]' : redactUrl(source[name] ?? ''));
    const lines = problems.map(({ name, message }) => `${name}=${JSON.stringify(shown(name))}: ${message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const env = parsed.data;
  return {
    host: env.HOST,
    port: env.PORT,
    store: env.MINIO_ENDPOINT
      ? {
          kind: 's3',
          endpoint: env.MINIO_ENDPOINT,
          accessKey: env.MINIO_ACCESS_KEY!,
          secretKey: env.MINIO_SECRET_KEY!,
          bucket: env.MINIO_BUCKET,
          region: env.MINIO_REGION,
          requestTimeoutMs: env.STORE_REQUEST_TIMEOUT_MS,
        }
      : { kind: 'local', root: env.LOCAL_ROOT },
    localBucket: env.MINIO_BUCKET,
    sourcePrefix: sourcePrefix(env),
    outputKey: env.OUTPUT_KEY,
    outputParquetKey: env.OUTPUT_PARQUET_KEY === 'off' ? null : (env.OUTPUT_PARQUET_KEY ?? parquetKeyBeside(env.OUTPUT_KEY)),
    outputCron: env.OUTPUT_CRON === 'off' ? null : env.OUTPUT_CRON,
    maxStalenessMs: env.MAX_STALENESS_MS,
    reconcileIntervalMs: env.RECONCILE_INTERVAL_MS ?? (env.NATS_URL ? DEFAULT_RECONCILE_WITH_LOG_MS : DEFAULT_RECONCILE_INTERVAL_MS),
    changeLog: env.NATS_URL ? { url: env.NATS_URL, stream: env.NATS_STREAM, subject: env.NATS_SUBJECT } : null,
    snapshotKey: snapshotKey(env),
    snapshotSecret: env.SNAPSHOT_SECRET ?? null,
    readyTimeoutMs: env.READY_TIMEOUT_MS,
    syncConcurrency: env.SYNC_CONCURRENCY,
    syncTimeoutMs: env.SYNC_TIMEOUT_MS,
    maxCsvBytes: env.MAX_CSV_BYTES,
    maxAgeYears: env.MAX_AGE_YEARS,
    timeZone: env.AGE_TIMEZONE,
    escapeFormulas: env.CSV_ESCAPE_FORMULAS,
    allowIncompleteExport: env.ALLOW_INCOMPLETE_EXPORT,
    allowEmptyExport: env.ALLOW_EMPTY_EXPORT,
    corsOrigins: corsOrigins(env.CORS_ORIGINS),
    apiKey: env.API_KEY ?? null,
    logLevel: env.LOG_LEVEL,
  };
}

/** Rules that involve several variables, over the raw values, so they are reported beside the others. */
function crossChecks(source: Record<string, string | undefined>): { name: string; message: string }[] {
  const problems: { name: string; message: string }[] = [];
  const given = (name: string) => (source[name] === '' ? undefined : source[name]);
  if (given('MINIO_ENDPOINT')) {
    for (const name of ['MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY'] as const) {
      if (!given(name)) problems.push({ name, message: 'is required when MINIO_ENDPOINT is set' });
    }
  }
  const env = { MINIO_ENDPOINT: given('MINIO_ENDPOINT'), SOURCE_PREFIX: given('SOURCE_PREFIX') };
  const prefix = sourcePrefix(env);
  const output = given('OUTPUT_KEY') ?? DEFAULT_OUTPUT_KEY;
  const snapshot = given('SNAPSHOT_KEY') ?? defaultSnapshotKey({ sourcePrefix: prefix });
  const parquet = given('OUTPUT_PARQUET_KEY') ?? parquetKeyBeside(output);
  const keys = [
    ['OUTPUT_KEY', output],
    ['OUTPUT_PARQUET_KEY', parquet],
    ['SNAPSHOT_KEY', snapshot],
  ] as const;
  for (const [name, value] of keys) {
    const problem = value === 'off' ? null : writeKeyProblem(value, prefix);
    if (problem) problems.push({ name, message: problem });
  }
  // Each later key against the earlier ones: the same key twice means each write replaces the other.
  keys.forEach(([name, value], i) => {
    const clash = keys.slice(0, i).find(([, earlier]) => earlier === value && value !== 'off');
    if (clash) problems.push({ name, message: `must differ from ${clash[0]}: each write would replace the other` });
  });
  return problems;
}

/** The source prefix, as a folder: `data` means `data/`, since user files are named by folder. */
function sourcePrefix(env: { MINIO_ENDPOINT?: string; SOURCE_PREFIX?: string }): string {
  return asFolder(env.SOURCE_PREFIX ?? (env.MINIO_ENDPOINT ? DEFAULT_SOURCE_PREFIX : DEFAULT_LOCAL_SOURCE_PREFIX));
}

/** `SNAPSHOT_KEY`, or one of its own for the source and the settings the snapshot depends on. */
function snapshotKey(env: Env): string | null {
  if (env.SNAPSHOT_KEY === 'off') return null;
  return env.SNAPSHOT_KEY ?? defaultSnapshotKey({ sourcePrefix: sourcePrefix(env), maxCsvBytes: env.MAX_CSV_BYTES, maxAgeYears: env.MAX_AGE_YEARS });
}

function corsOrigins(value: string | undefined): string[] | '*' | null {
  if (value === undefined) return null;
  if (value.trim() === '*') return '*';
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  return origins.length > 0 ? origins : null;
}
