import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/service/config.js';
import { createLogger } from '../../src/service/logger.js';
import { buildService } from '../../src/server.js';
import { startRefreshing } from '../../src/service/wiring.js';
import type { ObjectStore } from '../../src/storage/ObjectStore.js';
import type { UserDataTransformer } from '../../src/UserDataTransformer.js';
import { BACKENDS, type Backend } from '../support/backends.js';
import { eventually } from '../support/instrumented.js';
import { testStore } from '../support/s3.js';

const P = 'source_data/';
const csv = (first: string) => `first_name,last_name,birthts\n${first},Last,${Date.UTC(1990, 0, 1)}\n`;

interface Started {
  url: string;
  transformer: UserDataTransformer;
  close(): Promise<void>;
}

/** The service wired exactly as `npm start` wires it, from environment variables, over `store`. */
async function startWired(store: ObjectStore, env: Record<string, string>): Promise<Started> {
  const config = loadConfig({ SOURCE_PREFIX: P, OUTPUT_CRON: 'off', SNAPSHOT_KEY: 'off', ...env });
  const logger = createLogger('silent');
  const service = buildService(config, logger, store);
  startRefreshing(service, config, logger);
  const server: Server = service.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    transformer: service.transformer,
    async close() {
      await service.transformer.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** An S3 store through the backend's fault proxy, with deadlines short enough for a test. */
function impatientStore(b: Backend): ObjectStore {
  const bucket = b.store.name.slice('s3://'.length, b.store.name.indexOf('@'));
  return testStore(bucket, { endpoint: b.proxy!.endpoint, retries: 0, requestTimeoutMs: 300 });
}

async function get(url: string, init?: RequestInit) {
  const started = performance.now();
  const res = await fetch(url, init);
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: text.startsWith('{') || text.startsWith('[') ? (JSON.parse(text) as unknown) : text,
    ms: performance.now() - started,
  };
}

describe('the service with background refresh (S3 through a fault proxy)', () => {
  let b: Backend;
  let svc: Started | undefined;
  afterEach(async () => {
    b.proxy?.heal();
    await svc?.close();
    await b.cleanup();
  });

  it('is not ready and answers 503 not_ready before the first load, then ready', async () => {
    b = await BACKENDS[1]!.create();
    await b.write(`${P}1.csv`, csv('One'));
    b.proxy!.inject('hang', Infinity, 'list-type');
    svc = await startWired(impatientStore(b), { MAX_STALENESS_MS: '200', READY_TIMEOUT_MS: '300', SYNC_TIMEOUT_MS: '1000' });
    expect(await get(`${svc.url}/health/live`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await get(`${svc.url}/health/ready`)).toMatchObject({ status: 503, body: { status: 'loading', error: { code: 'loading' } } });
    const read = await get(`${svc.url}/stats`);
    expect(read).toMatchObject({ status: 503, body: { error: { code: 'not_ready', message: expect.stringContaining('300 ms') } } });
    expect(read.headers.get('retry-after')).toBe('5');
    b.proxy!.heal();
    await eventually(async () => (await get(`${svc!.url}/health/ready`)).status === 200, 10_000, 'ready');
    expect((await get(`${svc.url}/stats`)).body).toEqual({ average_age: expect.any(Number), count: 1 });
  });

  it('answers reads from memory while the store hangs, with the data age; readiness reports the outage', async () => {
    b = await BACKENDS[1]!.create();
    await b.write(`${P}1.csv`, csv('One'));
    svc = await startWired(impatientStore(b), { MAX_STALENESS_MS: '200', SYNC_TIMEOUT_MS: '1000' });
    await eventually(async () => (await get(`${svc!.url}/health/ready`)).status === 200, 5_000, 'ready');
    b.proxy!.inject('error500', Infinity);
    await eventually(() => svc!.transformer.status.stale, 5_000, 'a failed background refresh');
    const stats = await get(`${svc.url}/stats`);
    expect(stats).toMatchObject({ status: 200, body: { count: 1 } });
    expect(stats.headers.get('x-data-stale')).toBe('true');
    expect(Number(stats.headers.get('x-data-age-ms'))).toBeGreaterThanOrEqual(0);
    b.proxy!.inject('hang', Infinity);
    const during = await get(`${svc.url}/data`);
    expect(during.status).toBe(200);
    expect(during.ms).toBeLessThan(1_000); // it did not wait on the hanging store
    expect(await get(`${svc.url}/health/ready`)).toMatchObject({ status: 503, body: { status: 'unavailable', error: { code: 'store_unavailable' } } });
    expect((await get(`${svc.url}/health`)).body).toMatchObject({ status: 'unavailable', ready: false, users: 1 });
  });

  it('reports the store unhealthy when listing fails although the bucket answers', async () => {
    b = await BACKENDS[1]!.create();
    await b.write(`${P}1.csv`, csv('One'));
    svc = await startWired(impatientStore(b), { MAX_STALENESS_MS: '200' });
    await eventually(async () => (await get(`${svc!.url}/health`)).status === 200, 5_000, 'healthy');
    b.proxy!.inject('error500', Infinity, 'list-type');
    await eventually(async () => (await get(`${svc!.url}/health`)).status === 503, 5_000, 'unhealthy');
    expect((await get(`${svc.url}/health`)).body).toMatchObject({
      status: 'unavailable',
      error: { code: 'store_unavailable', message: expect.stringMatching(/last refresh failed.*cannot list/) },
    });
    b.proxy!.heal();
    await eventually(async () => (await get(`${svc!.url}/health`)).status === 200, 5_000, 'healthy again');
  });

  it('picks up changes in the background without a request waiting for them', async () => {
    b = await BACKENDS[1]!.create();
    await b.write(`${P}1.csv`, csv('One'));
    svc = await startWired(b.store, { MAX_STALENESS_MS: '200' });
    await eventually(async () => (await get(`${svc!.url}/health/ready`)).status === 200, 5_000, 'ready');
    await b.write(`${P}2.csv`, csv('Two'));
    await eventually(async () => ((await get(`${svc!.url}/stats`)).body as { count: number }).count === 2, 3_000, 'the new user');
    const age = Number((await get(`${svc.url}/stats`)).headers.get('x-data-age-ms'));
    expect(age).toBeLessThan(1_000);
  });

  it('refuses to export an incomplete sync and keeps the previous output', async () => {
    b = await BACKENDS[1]!.create();
    for (let i = 1; i <= 4; i++) await b.write(`${P}${i}.csv`, csv(`U${i}`));
    svc = await startWired(b.store, { MAX_STALENESS_MS: '600000' });
    await eventually(async () => (await get(`${svc!.url}/health/ready`)).status === 200, 5_000, 'ready');
    expect((await get(`${svc.url}/data`, { method: 'POST' })).status).toBe(200);
    const before = (await b.store.get('processed_data/output.csv'))!.toString();
    for (let i = 5; i <= 7; i++) await b.write(`${P}${i}.csv`, csv(`U${i}`));
    b.proxy!.inject('error500', Infinity, '.csv');
    const refused = await get(`${svc.url}/data`, { method: 'POST' });
    b.proxy!.heal();
    expect(refused).toMatchObject({
      status: 503,
      body: {
        error: {
          code: 'incomplete_sync',
          message: expect.stringMatching(/^3 user CSV files could not be downloaded/),
          missing: [`${P}5.csv`, `${P}6.csv`, `${P}7.csv`],
        },
      },
    });
    expect((await b.store.get('processed_data/output.csv'))!.toString()).toBe(before);
    const read = await get(`${svc.url}/data`);
    expect(read.headers.get('x-data-incomplete')).toBe('true');
    expect(await get(`${svc.url}/data`, { method: 'POST' })).toMatchObject({ status: 200, body: { users: 7, sync: { complete: true } } });
  });

  it('answers POST /data within the sync deadline plus 2 s when the store stalls, and exports again once it heals', async () => {
    b = await BACKENDS[1]!.create();
    for (let i = 1; i <= 5; i++) await b.write(`${P}${i}.csv`, csv(`U${i}`));
    const bucket = b.store.name.slice('s3://'.length, b.store.name.indexOf('@'));
    // Per-request deadlines far beyond the sync's: only the sync deadline can end the wait.
    const patient = testStore(bucket, { endpoint: b.proxy!.endpoint, retries: 0, requestTimeoutMs: 60_000 });
    svc = await startWired(patient, { MAX_STALENESS_MS: '600000', SYNC_TIMEOUT_MS: '1500' });
    await eventually(async () => (await get(`${svc!.url}/health/ready`)).status === 200, 5_000, 'ready');
    b.proxy!.stallAfter(0);
    const stalled = await get(`${svc.url}/data`, { method: 'POST' });
    expect(stalled).toMatchObject({ status: 503, body: { error: { code: 'store_unavailable', message: expect.stringMatching(/did not finish within/) } } });
    expect(stalled.ms).toBeLessThan(1_500 + 2_000);
    const read = await get(`${svc.url}/stats`);
    expect(read).toMatchObject({ status: 200, body: { count: 5 } });
    expect(read.ms).toBeLessThan(1_000);
    b.proxy!.heal();
    const healed = await get(`${svc.url}/data`, { method: 'POST' });
    expect(healed).toMatchObject({ status: 200, body: { users: 5 } });
    expect(healed.ms).toBeLessThan(3_000);
  });

  it('after the store heals, POST /data succeeds within 5 s, abandoning a background sync stuck on a dead connection', async () => {
    b = await BACKENDS[1]!.create();
    for (let i = 1; i <= 5; i++) await b.write(`${P}${i}.csv`, csv(`U${i}`));
    const bucket = b.store.name.slice('s3://'.length, b.store.name.indexOf('@'));
    // Default sync deadline (2 minutes) and per-request deadlines of a minute: nothing ends the stuck run soon.
    const patient = testStore(bucket, { endpoint: b.proxy!.endpoint, retries: 0, requestTimeoutMs: 60_000 });
    svc = await startWired(patient, { MAX_STALENESS_MS: '300' });
    await eventually(async () => (await get(`${svc!.url}/health/ready`)).status === 200, 5_000, 'ready');
    b.proxy!.stallAfter(0);
    await eventually(() => svc!.transformer.syncing, 3_000, 'a background sync stuck on the stalled store');
    await new Promise((resolve) => setTimeout(resolve, 500));
    b.proxy!.heal();
    await b.write(`${P}6.csv`, csv('U6'));
    const healed = await get(`${svc.url}/data`, { method: 'POST' });
    expect(healed).toMatchObject({ status: 200, body: { users: 6 } });
    expect(healed.ms).toBeLessThan(5_000);
    // The abandoned run is no failure of the store: readiness stays.
    expect((await get(`${svc.url}/health/ready`)).status).toBe(200);
  });

  it('rejects query parameters on POST /data', async () => {
    b = await BACKENDS[0]!.create();
    await b.write(`${P}1.csv`, csv('One'));
    svc = await startWired(b.store, { MAX_STALENESS_MS: '600000' });
    expect(await get(`${svc.url}/data?min_age=abc`, { method: 'POST' })).toMatchObject({ status: 400, body: { error: { code: 'unknown_parameter' } } });
    expect(await b.store.get('processed_data/output.csv')).toBeNull();
  });

  it('serves Prometheus metrics about syncs, data, exports and requests', async () => {
    b = await BACKENDS[0]!.create();
    await b.write(`${P}1.csv`, csv('One'));
    svc = await startWired(b.store, { MAX_STALENESS_MS: '600000' });
    await eventually(async () => (await get(`${svc!.url}/health/ready`)).status === 200, 5_000, 'ready');
    await get(`${svc.url}/data`, { method: 'POST' });
    await get(`${svc.url}/stats`);
    const { status, text, headers } = await get(`${svc.url}/metrics`);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/plain/);
    expect(text).toMatch(/^udt_users 1$/m);
    expect(text).toMatch(/^udt_syncs_total\{outcome="ok"\} [1-9]/m);
    expect(text).toMatch(/^udt_sync_objects_total\{kind="downloaded"\} 1$/m);
    expect(text).toMatch(/^udt_exports_total\{trigger="api",outcome="ok"\} 1$/m);
    expect(text).toMatch(/^udt_data_age_seconds \d/m);
    expect(text).toMatch(/^udt_http_request_duration_seconds_count\{method="GET",route="\/stats",status="200"\} 1$/m);
    expect(text).toMatch(/^udt_process_resident_memory_bytes \d+/m);
  });
});
