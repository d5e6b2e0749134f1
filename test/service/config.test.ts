import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/service/config.js';

const s3 = { MINIO_ENDPOINT: 'http://localhost:9000', MINIO_ACCESS_KEY: 'ak', MINIO_SECRET_KEY: 'sk' };

describe('loadConfig', () => {
  it('runs on the local folder with documented defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      host: '127.0.0.1',
      port: 8080,
      store: { kind: 'local', root: '.' },
      localBucket: 'datalake',
      sourcePrefix: 'data/',
      outputKey: 'processed_data/output.csv',
      outputParquetKey: 'processed_data/output.parquet',
      outputCron: '* * * * *',
      maxStalenessMs: 5000,
      reconcileIntervalMs: 60_000,
      changeLog: null,
      snapshotKey: expect.stringMatching(/^processed_data\/\.snapshot\/data-[0-9a-f]{12}\.v2\.snap$/),
      snapshotSecret: null,
      readyTimeoutMs: 10_000,
      syncConcurrency: 16,
      syncTimeoutMs: 120_000,
      maxCsvBytes: 1_048_576,
      maxAgeYears: 150,
      timeZone: 'UTC',
      escapeFormulas: true,
      allowIncompleteExport: false,
      allowEmptyExport: false,
      corsOrigins: null,
      apiKey: null,
      logLevel: 'info',
    });
  });

  it('turns the Parquet output off with OUTPUT_PARQUET_KEY=off, and moves it with a key', () => {
    expect(loadConfig({ OUTPUT_PARQUET_KEY: 'off' }).outputParquetKey).toBeNull();
    expect(loadConfig({ OUTPUT_PARQUET_KEY: 'lake/users.parquet' }).outputParquetKey).toBe('lake/users.parquet');
    // Unset, it follows OUTPUT_KEY: beside the CSV, where a policy that lets the service write one lets it write the other.
    expect(loadConfig({ OUTPUT_KEY: 'exports/users.csv' }).outputParquetKey).toBe('exports/users.parquet');
  });

  it('gives each source prefix and its settings a snapshot key of its own, and checks SOURCE_PREFIX as strictly as OUTPUT_KEY', () => {
    const a = loadConfig({ SOURCE_PREFIX: 'team-a' }).snapshotKey;
    const b = loadConfig({ SOURCE_PREFIX: 'team-b' }).snapshotKey;
    const stricter = loadConfig({ SOURCE_PREFIX: 'team-a', MAX_AGE_YEARS: '120' }).snapshotKey;
    expect(new Set([a, b, stricter]).size).toBe(3);
    expect(loadConfig({ SOURCE_PREFIX: 'team-a/' }).snapshotKey).toBe(a);
    for (const bad of ['./data', '/data', '../data', 'a//b', 'a/./b']) {
      expect(() => loadConfig({ SOURCE_PREFIX: bad }), bad).toThrow(/SOURCE_PREFIX=.*must be a folder inside the store/);
    }
    expect(() => loadConfig({ SNAPSHOT_SECRET: 'short' })).toThrow(/SNAPSHOT_SECRET="\[redacted\]": must be at least 16/);
  });

  it('follows a change log with NATS_URL, and then reconciles hourly unless told otherwise', () => {
    expect(loadConfig({ NATS_URL: 'nats://u:p@nats:4222' })).toMatchObject({
      changeLog: { url: 'nats://u:p@nats:4222', stream: 'DATALAKE', subject: 'minio.datalake' },
      reconcileIntervalMs: 3_600_000,
    });
    expect(loadConfig({ NATS_URL: 'nats://nats:4222', RECONCILE_INTERVAL_MS: '60000', NATS_STREAM: 'S', NATS_SUBJECT: 'x.y' })).toMatchObject({
      changeLog: { stream: 'S', subject: 'x.y' },
      reconcileIntervalMs: 60_000,
    });
    expect(() => loadConfig({ NATS_URL: 'http://u:secret@nats:4222' })).toThrow(/NATS_URL="http:\/\/\[redacted\]@nats:4222": must be a URL such as nats/);
  });

  it('switches to S3 with its own prefix default when MINIO_ENDPOINT is set', () => {
    expect(loadConfig(s3)).toMatchObject({
      store: { kind: 's3', endpoint: 'http://localhost:9000', accessKey: 'ak', secretKey: 'sk', bucket: 'datalake', region: 'us-east-1' },
      sourcePrefix: 'source_data/',
    });
  });

  it('treats empty variables as unset and "off" as no schedule', () => {
    expect(loadConfig({ API_KEY: '', PORT: '', OUTPUT_CRON: 'off' })).toMatchObject({ apiKey: null, port: 8080, outputCron: null });
  });

  it('reads the freshness, safety and network settings', () => {
    expect(
      loadConfig({
        HOST: '127.0.0.1',
        SNAPSHOT_KEY: 'off',
        CORS_ORIGINS: 'https://a.example, https://b.example',
        AGE_TIMEZONE: 'Europe/Moscow',
        CSV_ESCAPE_FORMULAS: 'false',
        ALLOW_INCOMPLETE_EXPORT: 'TRUE',
        MAX_CSV_BYTES: '4096',
      }),
    ).toMatchObject({
      host: '127.0.0.1',
      snapshotKey: null,
      corsOrigins: ['https://a.example', 'https://b.example'],
      timeZone: 'Europe/Moscow',
      escapeFormulas: false,
      allowIncompleteExport: true,
      maxCsvBytes: 4096,
    });
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
  });

  it('never repeats a password given in a URL', () => {
    expect(() => loadConfig({ MINIO_ENDPOINT: 'ftp://admin:hunter2@host:21' })).toThrow(ConfigError);
    expect(() => loadConfig({ MINIO_ENDPOINT: 'ftp://admin:hunter2@host:21' })).not.toThrow(/hunter2|admin/);
  });

  it('reads SOURCE_PREFIX as a folder', () => {
    expect(loadConfig({ SOURCE_PREFIX: 'users' }).sourcePrefix).toBe('users/');
    expect(loadConfig({ SOURCE_PREFIX: 'a/b/' }).sourcePrefix).toBe('a/b/');
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT="eighty": must be a whole number/],
    [{ PORT: '70000' }, /PORT="70000": must be at most 65535/],
    [{ MINIO_ENDPOINT: 'localhost:9000', MINIO_ACCESS_KEY: 'a', MINIO_SECRET_KEY: 'b' }, /MINIO_ENDPOINT="localhost:9000": must be an http\(s\) URL/],
    [{ MINIO_ENDPOINT: 'http://m:9000' }, /MINIO_ACCESS_KEY="": is required when MINIO_ENDPOINT is set[\s\S]*MINIO_SECRET_KEY/],
    [{ OUTPUT_CRON: 'every minute' }, /OUTPUT_CRON="every minute": must be a cron expression/],
    [{ MAX_STALENESS_MS: '-5' }, /MAX_STALENESS_MS="-5"/],
    [{ AGE_TIMEZONE: 'Mars/Olympus' }, /AGE_TIMEZONE="Mars\/Olympus": must be an IANA time zone/],
    [{ CSV_ESCAPE_FORMULAS: 'maybe' }, /CSV_ESCAPE_FORMULAS="maybe": must be true or false/],
    [{ SNAPSHOT_KEY: 'data/cache.gz' }, /SNAPSHOT_KEY="data\/cache.gz": must not be directly in data\//],
    [
      { MINIO_ENDPOINT: 'ftp://admin:hunter2@host', MINIO_ACCESS_KEY: 'a', MINIO_SECRET_KEY: 'b' },
      /MINIO_ENDPOINT="ftp:\/\/\[redacted\]@host": must be an http/,
    ],
    [{ SYNC_CONCURRENCY: '0' }, /SYNC_CONCURRENCY="0": must be at least 1/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL="loud"/],
    [{ OUTPUT_KEY: '../etc/out.csv' }, /OUTPUT_KEY="..\/etc\/out.csv": must be a relative key/],
    [{ OUTPUT_KEY: '/abs/out.csv' }, /OUTPUT_KEY="\/abs\/out.csv": must be a relative key/],
    [{ OUTPUT_KEY: 'data/output.csv' }, /OUTPUT_KEY="data\/output.csv": must not be directly in data\//],
    [{ OUTPUT_PARQUET_KEY: '../out.parquet' }, /OUTPUT_PARQUET_KEY="..\/out.parquet": must be a relative key/],
    [{ OUTPUT_PARQUET_KEY: 'data/output.parquet' }, /OUTPUT_PARQUET_KEY="data\/output.parquet": must not be directly in data\//],
    [{ OUTPUT_PARQUET_KEY: 'processed_data/output.csv' }, /OUTPUT_PARQUET_KEY="processed_data\/output.csv": must differ from OUTPUT_KEY/],
    [{ SNAPSHOT_KEY: 'processed_data/output.parquet' }, /SNAPSHOT_KEY="processed_data\/output.parquet": must differ from OUTPUT_PARQUET_KEY/],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
