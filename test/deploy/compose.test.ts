/**
 * The deployment files repeat names and numbers the code owns (variables, bucket, prefix, port,
 * health path, entry point). Nothing at run time would notice a mismatch: a misspelt variable is
 * silently ignored and the service starts on defaults. These tests make such drift fail here, and
 * check the stack's safe defaults: required secrets, loopback ports, no root account in the app.
 */
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, loadConfig } from '../../src/service/config.js';
import {
  HEALTH_PATH,
  SAMPLE_SECRETS,
  composeReferences,
  envExample,
  envExampleText,
  environmentOf,
  healthcheckCommand,
  initScript,
  isPinned,
  portMappings,
  rawCompose,
  readText,
  resolveCompose,
  sampleEnv,
} from './support.js';

const compose = resolveCompose(sampleEnv);

const { minio, init, app } = compose.services;
const appEnv = environmentOf(app!);
const config = loadConfig(appEnv);

const script = initScript(init!);
const bucketMade = /\bmc\s+mb\b[^\n]*?\s([\w.-]+)\/([\w.-]+)\/?[ \t]*$/m.exec(script);
const seeded = /\bmc\s+(?:mirror|cp)\b[^\n]*?\s(\/\S*)\s+([\w.-]+)\/([\w.-]+)\/(\S*)[ \t]*$/m.exec(script);
const aliasSet = /\bmc\s+alias\s+set\s+([\w.-]+)\s+(\S+)/.exec(script);

/** Variables compose stops without: the secrets. */
const requiredNames = [
  ...new Set(
    composeReferences()
      .filter((r) => r.required)
      .map((r) => r.name),
  ),
].sort();

describe('docker-compose.yml and the service configuration', () => {
  it('has the four services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'init', 'minio', 'nats']);
  });

  it('feeds the app the bucket events through NATS JetStream: MinIO publishes, the init job subscribes the source folder', () => {
    const nats = compose.services.nats!;
    expect(String(nats.command)).toMatch(/-js/);
    expect((nats.volumes ?? []).map(String).some((v) => v.endsWith(':/data'))).toBe(true);
    const minioEnv = environmentOf(minio!);
    expect(minioEnv).toMatchObject({ MINIO_NOTIFY_NATS_ENABLE_PRIMARY: 'on', MINIO_NOTIFY_NATS_JETSTREAM_PRIMARY: 'on' });
    expect(minioEnv.MINIO_NOTIFY_NATS_QUEUE_DIR_PRIMARY).toMatch(/^\/data\//);
    // MinIO publishes where the app reads: one address, one subject.
    expect(config.changeLog).not.toBeNull();
    expect(new URL(config.changeLog!.url).host).toBe(minioEnv.MINIO_NOTIFY_NATS_ADDRESS_PRIMARY);
    expect(config.changeLog!.subject).toBe(minioEnv.MINIO_NOTIFY_NATS_SUBJECT_PRIMARY);
    // The init job subscribes puts and deletes under the source prefix to that target.
    const script = String(init!.command);
    expect(script).toMatch(
      new RegExp(
        `mc event add \\S+/${config.store.kind === 's3' ? config.store.bucket : ''} arn:minio:sqs::PRIMARY:nats --event put,delete --prefix ${config.sourcePrefix}`,
      ),
    );
    expect(portMappings(nats)).toEqual([]);
  });

  it('passes the app only variables the service reads', () => {
    const unknown = Object.keys(appEnv).filter((name) => !ENV_VARIABLES.includes(name));
    expect(unknown).toEqual([]);
  });

  it('gives the app an environment loadConfig accepts, pointed at MinIO', () => {
    expect(config.store.kind).toBe('s3');
    if (config.store.kind !== 's3') return;
    const endpoint = new URL(config.store.endpoint);
    expect(Object.keys(compose.services)).toContain(endpoint.hostname);
    expect(portMappings(compose.services[endpoint.hostname]!).map((p) => p.target)).toContain(Number(endpoint.port));
    expect(config.outputKey).toBe('processed_data/output.csv');
    expect(config.apiKey).toBe(SAMPLE_SECRETS.get('API_KEY'));
  });

  it('reads the bucket and prefix the init job creates and uploads to', () => {
    expect(bucketMade, 'init runs `mc mb <alias>/<bucket>`').not.toBeNull();
    expect(seeded, 'init runs `mc mirror <dir> <alias>/<bucket>/<prefix>`').not.toBeNull();
    expect(aliasSet, 'init runs `mc alias set <alias> <url> ...`').not.toBeNull();
    const [, mbAlias, bucket] = bucketMade!;
    const [, source, seedAlias, seedBucket, prefix] = seeded!;
    expect([mbAlias, seedAlias]).toEqual([aliasSet![1], aliasSet![1]]);
    expect(config.store.kind === 's3' && config.store.bucket).toBe(bucket);
    expect(seedBucket).toBe(bucket);
    expect(config.sourcePrefix).toBe(prefix!.endsWith('/') ? prefix : `${prefix}/`);
    expect(config.store.kind === 's3' && config.store.endpoint.replace(/\/$/, '')).toBe(aliasSet![2]!.replace(/\/$/, ''));

    // The folder mirrored is ./data, mounted read-only.
    const mount = (init!.volumes ?? []).map(String).find((v) => v.split(':')[1] === source!.replace(/\/$/, ''));
    expect(mount).toMatch(/^\.\/data\/?:[^:]+:ro$/);
  });

  it('orders start-up: NATS healthy, then MinIO healthy, then the init job done, then the app', () => {
    expect(healthcheckCommand(minio!.healthcheck)).not.toBe('');
    expect(healthcheckCommand(compose.services.nats!.healthcheck)).not.toBe('');
    expect(minio!.depends_on).toEqual({ nats: { condition: 'service_healthy' } });
    expect(init!.depends_on).toEqual({ minio: { condition: 'service_healthy' } });
    expect(app!.depends_on).toEqual({ init: { condition: 'service_completed_successfully' }, nats: { condition: 'service_healthy' } });
  });

  it('publishes and health-checks the port the service listens on', () => {
    const ports = portMappings(app!);
    expect(ports.map((p) => p.target)).toEqual([config.port]);
    expect(ports.every((p) => Number.isInteger(p.published) && p.published > 0)).toBe(true);
    const probe = healthcheckCommand(app!.healthcheck);
    expect(probe).toContain(`:${config.port}${HEALTH_PATH}`);
    // The runtime image is node:*-slim, which has neither.
    expect(probe).not.toMatch(/\b(curl|wget)\b/);
  });

  it('keeps MinIO data in a named volume', () => {
    const volume = (minio!.volumes ?? []).map(String).find((v) => v.endsWith(':/data'));
    expect(volume).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(volume!.split(':')[0]);
  });

  it('pins every image to a tag other than latest', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image) expect(isPinned(service.image), `${name}: ${service.image}`).toBe(true);
      else expect(service.build, `${name} has neither image nor build`).toBeDefined();
    }
  });
});

describe('docker-compose.yml safe defaults', () => {
  it('requires the MinIO root account, the app user and the API key, refusing to start without any of them', () => {
    expect(requiredNames).toEqual([...SAMPLE_SECRETS.keys()].sort());
    // Never a weak fallback: every reference to a secret is a `${VAR:?message}` guard.
    for (const reference of composeReferences().filter((r) => SAMPLE_SECRETS.has(r.name))) {
      expect(reference.required && !reference.hasDefault, reference.name).toBe(true);
      expect(reference.argument, reference.name).toMatch(/run\.sh/);
    }
    for (const name of SAMPLE_SECRETS.keys()) {
      const missing = new Map(sampleEnv);
      missing.delete(name);
      expect(() => resolveCompose(missing), `${name} unset`).toThrow(new RegExp(`compose would stop: ${name} `));
      expect(() => resolveCompose(new Map([...sampleEnv, [name, '']])), `${name} empty`).toThrow(new RegExp(`compose would stop: ${name} `));
    }
  });

  it('gives the root account to MinIO and the init job only; the app uses its own MinIO user', () => {
    const holders = Object.entries(rawCompose.services)
      .filter(([, service]) => JSON.stringify(service).includes('MINIO_ROOT_'))
      .map(([name]) => name);
    expect(holders.sort()).toEqual(['init', 'minio']);
    expect(config.store.kind === 's3' && [config.store.accessKey, config.store.secretKey]).toEqual([
      SAMPLE_SECRETS.get('MINIO_APP_ACCESS_KEY'),
      SAMPLE_SECRETS.get('MINIO_APP_SECRET_KEY'),
    ]);
    const rootValues = [SAMPLE_SECRETS.get('MINIO_ROOT_USER')!, SAMPLE_SECRETS.get('MINIO_ROOT_PASSWORD')!];
    for (const value of Object.values(appEnv)) expect(rootValues).not.toContain(value);
    // The init job creates the app's user, so it holds the same pair the app does.
    const initEnv = environmentOf(init!);
    expect([initEnv.MINIO_APP_ACCESS_KEY, initEnv.MINIO_APP_SECRET_KEY]).toEqual([appEnv.MINIO_ACCESS_KEY, appEnv.MINIO_SECRET_KEY]);
  });

  it('publishes every port on 127.0.0.1 unless BIND_ADDRESS says otherwise', () => {
    const withoutBindAddress = new Map(sampleEnv);
    withoutBindAddress.delete('BIND_ADDRESS');
    for (const env of [sampleEnv, withoutBindAddress]) {
      const services = Object.entries(resolveCompose(env).services);
      const published = services.flatMap(([name, service]) => portMappings(service).map((p) => `${name}:${p.target} on ${p.hostIp ?? 'every address'}`));
      expect(published.length).toBeGreaterThanOrEqual(3);
      for (const line of published) expect(line).toMatch(/ on 127\.0\.0\.1$/);
    }
    const opened = resolveCompose(new Map([...sampleEnv, ['BIND_ADDRESS', '0.0.0.0']]));
    const hosts = Object.values(opened.services).flatMap((s) => portMappings(s).map((p) => p.hostIp));
    expect(new Set(hosts)).toEqual(new Set(['0.0.0.0']));
  });
});

describe('.env.example', () => {
  it('leaves every secret empty, so docker compose refuses to start on a copy of it', () => {
    for (const name of requiredNames) expect(envExample.get(name), name).toBe('');
    expect(() => resolveCompose(envExample)).toThrow(/compose would stop/);
  });

  it('has no usable credentials, not even in comments', () => {
    expect(envExampleText).not.toMatch(/minioadmin|minio123|password123|change-?me/i);
  });

  it('gives every other setting the value compose falls back to without it', () => {
    const defaults = composeReferences().filter((r) => r.hasDefault);
    expect(defaults.length).toBeGreaterThan(0);
    for (const reference of defaults) expect(envExample.get(reference.name), reference.name).toBe(reference.argument);
  });

  it('lists every variable compose uses, and nothing else', () => {
    const used = new Set(composeReferences().map((r) => r.name));
    expect([...envExample.keys()].sort()).toEqual([...used].sort());
  });

  it('is ignored by git as .env, so real credentials never get committed', async () => {
    expect((await readText('.gitignore')).split(/\r?\n/)).toContain('.env');
  });
});
