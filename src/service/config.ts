import cron from 'node-cron';
import { z } from 'zod';
import { DEFAULT_CONCURRENCY, DEFAULT_OUTPUT_KEY, DEFAULT_REGION, DEFAULT_SOURCE_PREFIX } from '../defaults.js';
import { UdtError } from '../errors.js';

/** Empty variables (`API_KEY=` in an .env file) count as unset. */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const withDefault = (fallback: string) => z.preprocess((v) => (v === '' || v === undefined ? fallback : v), z.string());
const integer = (fallback: number, min: number, max: number) =>
  withDefault(String(fallback))
    .pipe(z.string().regex(/^\d+$/, `must be a whole number from ${min} to ${max}`))
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/** Every environment variable the service reads: the single source for parsing and the docs. */
export const ENV_SCHEMA = z
  .object({
    PORT: integer(8080, 0, 65_535).describe('HTTP port'),
    MINIO_ENDPOINT: optionalString
      .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://localhost:9000' }).optional())
      .describe('S3/MinIO endpoint URL; unset means the local folder store'),
    MINIO_ACCESS_KEY: optionalString.describe('access key, required with MINIO_ENDPOINT'),
    MINIO_SECRET_KEY: optionalString.describe('secret key, required with MINIO_ENDPOINT'),
    MINIO_BUCKET: withDefault('datalake').describe('bucket'),
    MINIO_REGION: withDefault(DEFAULT_REGION).describe('region'),
    LOCAL_ROOT: withDefault('.').describe('local mode: the folder that plays the bucket'),
    SOURCE_PREFIX: optionalString.describe(`folder of the user files: ${DEFAULT_SOURCE_PREFIX} with MinIO, data/ in local mode; a trailing / is implied`),
    OUTPUT_KEY: withDefault(DEFAULT_OUTPUT_KEY).describe('where the export is written'),
    OUTPUT_CRON: withDefault('* * * * *')
      .refine((v) => v === 'off' || cron.validate(v), 'must be a cron expression such as "*/5 * * * *", or "off"')
      .describe('schedule of the export; "off" disables it'),
    MAX_STALENESS_MS: integer(5_000, 0, 86_400_000).describe('reads sync first when the cache is older than this'),
    SYNC_CONCURRENCY: integer(DEFAULT_CONCURRENCY, 1, 256).describe('parallel downloads'),
    API_KEY: optionalString.describe('when set, POST /data requires header x-api-key'),
    LOG_LEVEL: withDefault('info')
      .pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
      .describe('log level'),
  })
  .superRefine((env, ctx) => {
    if (env.MINIO_ENDPOINT) {
      for (const name of ['MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required when MINIO_ENDPOINT is set' });
      }
    }
    if (env.OUTPUT_KEY.startsWith('/') || env.OUTPUT_KEY.split('/').some((s) => s === '..' || s === '.' || s === '')) {
      ctx.addIssue({ code: 'custom', path: ['OUTPUT_KEY'], message: 'must be a relative key such as processed_data/output.csv' });
    }
    const prefix = sourcePrefix(env);
    if (prefix !== '' && env.OUTPUT_KEY.startsWith(prefix) && !env.OUTPUT_KEY.slice(prefix.length).includes('/')) {
      ctx.addIssue({
        code: 'custom',
        path: ['OUTPUT_KEY'],
        message: `must not be directly under SOURCE_PREFIX (${prefix}), where it would be read back as a user`,
      });
    }
  });

/** Local mode serves the repository's own demo folder out of the box. */
const LOCAL_SOURCE_PREFIX = 'data/';

/** The source prefix, as a folder: `data` means `data/`, since user files are named by folder. */
function sourcePrefix(env: { MINIO_ENDPOINT?: string; SOURCE_PREFIX?: string }): string {
  const raw = env.SOURCE_PREFIX ?? (env.MINIO_ENDPOINT ? DEFAULT_SOURCE_PREFIX : LOCAL_SOURCE_PREFIX);
  return raw === '' || raw.endsWith('/') ? raw : `${raw}/`;
}

export type Env = z.infer<typeof ENV_SCHEMA>;

export interface Config {
  port: number;
  store: { kind: 's3'; endpoint: string; accessKey: string; secretKey: string; bucket: string; region: string } | { kind: 'local'; root: string };
  sourcePrefix: string;
  outputKey: string;
  /** `null` when the scheduled export is off. */
  outputCron: string | null;
  maxStalenessMs: number;
  syncConcurrency: number;
  apiKey: string | null;
  logLevel: Env['LOG_LEVEL'];
}

export class ConfigError extends UdtError {
  constructor(message: string) {
    super('invalid_config', 500, message);
  }
}

/** Reads the configuration; throws `ConfigError` naming each bad variable. */
export function loadConfig(source: Record<string, string | undefined>): Config {
  const parsed = ENV_SCHEMA.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? 'environment');
      return `${name}=${JSON.stringify(source[name] ?? '')}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const env = parsed.data;
  const s3 = env.MINIO_ENDPOINT !== undefined;
  return {
    port: env.PORT,
    store: s3
      ? {
          kind: 's3',
          endpoint: env.MINIO_ENDPOINT!,
          accessKey: env.MINIO_ACCESS_KEY!,
          secretKey: env.MINIO_SECRET_KEY!,
          bucket: env.MINIO_BUCKET,
          region: env.MINIO_REGION,
        }
      : { kind: 'local', root: env.LOCAL_ROOT },
    sourcePrefix: sourcePrefix(env),
    outputKey: env.OUTPUT_KEY,
    outputCron: env.OUTPUT_CRON === 'off' ? null : env.OUTPUT_CRON,
    maxStalenessMs: env.MAX_STALENESS_MS,
    syncConcurrency: env.SYNC_CONCURRENCY,
    apiKey: env.API_KEY ?? null,
    logLevel: env.LOG_LEVEL,
  };
}

/** Names of every variable the service reads, for docs and the deployment drift test. */
export const ENV_VARIABLES: readonly string[] = Object.keys(ENV_SCHEMA.shape);
