import { DEFAULT_LOCAL_SOURCE_PREFIX, DEFAULT_OUTPUT_KEY, DEFAULT_SNAPSHOT_KEY, DEFAULT_SOURCE_PREFIX, UdtError } from '../index.js';
import { ENV_SCHEMA, type Env } from './env.js';

export { ENV_SCHEMA, ENV_VARIABLES, type Env } from './env.js';

export interface Config {
  host: string;
  port: number;
  store:
    | { kind: 's3'; endpoint: string; accessKey: string; secretKey: string; bucket: string; region: string; requestTimeoutMs: number }
    | { kind: 'local'; root: string };
  sourcePrefix: string;
  outputKey: string;
  /** `null` when the scheduled export is off. */
  outputCron: string | null;
  maxStalenessMs: number;
  reconcileIntervalMs: number;
  /** `null` when snapshots are off. */
  snapshotKey: string | null;
  readyTimeoutMs: number;
  syncConcurrency: number;
  syncTimeoutMs: number;
  maxCsvBytes: number;
  maxAgeYears: number;
  timeZone: string;
  escapeFormulas: boolean;
  allowIncompleteExport: boolean;
  /** Origins CORS allows; `null`: CORS off. */
  corsOrigins: string[] | '*' | null;
  apiKey: string | null;
  logLevel: Env['LOG_LEVEL'];
}

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
    const lines = problems.map(({ name, message }) => `${name}=${JSON.stringify(redact(source[name] ?? ''))}: ${message}`);
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
    sourcePrefix: sourcePrefix(env),
    outputKey: env.OUTPUT_KEY,
    outputCron: env.OUTPUT_CRON === 'off' ? null : env.OUTPUT_CRON,
    maxStalenessMs: env.MAX_STALENESS_MS,
    reconcileIntervalMs: env.RECONCILE_INTERVAL_MS,
    snapshotKey: env.SNAPSHOT_KEY === 'off' ? null : env.SNAPSHOT_KEY,
    readyTimeoutMs: env.READY_TIMEOUT_MS,
    syncConcurrency: env.SYNC_CONCURRENCY,
    syncTimeoutMs: env.SYNC_TIMEOUT_MS,
    maxCsvBytes: env.MAX_CSV_BYTES,
    maxAgeYears: env.MAX_AGE_YEARS,
    timeZone: env.AGE_TIMEZONE,
    escapeFormulas: env.CSV_ESCAPE_FORMULAS,
    allowIncompleteExport: env.ALLOW_INCOMPLETE_EXPORT,
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
  const prefix = sourcePrefix({ MINIO_ENDPOINT: given('MINIO_ENDPOINT'), SOURCE_PREFIX: given('SOURCE_PREFIX') });
  for (const [name, fallback] of [
    ['OUTPUT_KEY', DEFAULT_OUTPUT_KEY],
    ['SNAPSHOT_KEY', DEFAULT_SNAPSHOT_KEY],
  ] as const) {
    const value = given(name) ?? fallback;
    if (prefix !== '' && value.startsWith(prefix) && !value.slice(prefix.length).includes('/')) {
      problems.push({ name, message: `must not be directly under SOURCE_PREFIX (${prefix}), where it would be read back as a user` });
    }
  }
  if ((given('OUTPUT_KEY') ?? DEFAULT_OUTPUT_KEY) === (given('SNAPSHOT_KEY') ?? DEFAULT_SNAPSHOT_KEY)) {
    problems.push({ name: 'SNAPSHOT_KEY', message: 'must differ from OUTPUT_KEY: each write would replace the other' });
  }
  return problems;
}

/** The source prefix, as a folder: `data` means `data/`, since user files are named by folder. */
function sourcePrefix(env: { MINIO_ENDPOINT?: string; SOURCE_PREFIX?: string }): string {
  const raw = env.SOURCE_PREFIX ?? (env.MINIO_ENDPOINT ? DEFAULT_SOURCE_PREFIX : DEFAULT_LOCAL_SOURCE_PREFIX);
  return raw === '' || raw.endsWith('/') ? raw : `${raw}/`;
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

/** A value as it may be shown: user and password inside a URL replaced, so logs never carry them. */
export function redact(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1[redacted]@');
}
