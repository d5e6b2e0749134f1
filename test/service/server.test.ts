import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type Backend } from '../support/backends.js';
import { startService, type RunningService } from '../support/service.js';

const NOW = Date.UTC(2026, 10, 22, 12);
const P = 'source_data/';
const born = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d);
const csv = (first: string, last: string, birthts: number) => `first_name, last_name, birthts\n${first}, ${last}, ${birthts}\n`;

// Ages on 2026-11-22: 1001 → 30 (birthday today), 1002 → 29 (tomorrow), 20 → 66, zoe → 18.
async function seed(b: Backend) {
  await b.write(`${P}1001.csv`, csv('Ivan', 'Ivanov', born(1996, 11, 22)));
  await b.write(`${P}1002.csv`, csv('Zoë', '"Smith, Jr"', born(1996, 11, 23)));
  await b.write(`${P}20.csv`, csv('Old', 'Timer', born(1960, 1, 1)));
  await b.write(`${P}zoe.csv`, csv('Zoe', 'Young', born(2008, 2, 29)));
  await b.write(`${P}1001.png`, Buffer.from([1]));
  await b.write(`${P}zoe.jpg`, Buffer.from([2]));
}

async function get(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined, text };
}

/** Status of a conditional GET. Not fetch(): it adds `cache-control: no-cache` to conditional requests. */
function conditionalStatus(url: string, etag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { 'if-none-match': etag } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

const ids = (body: unknown) => (body as { user_id: string }[]).map((u) => u.user_id);

describe.each(BACKENDS)('HTTP service on $name', ({ create }) => {
  let b: Backend;
  let svc: RunningService;
  beforeEach(async () => {
    b = await create();
    await seed(b);
    svc = await startService(b.store, { sourcePrefix: P, nowMs: NOW });
  });
  afterEach(async () => {
    await svc.close();
    await b.cleanup();
  });

  it('GET /data answers every user, sorted numeric-aware, in the documented shape', async () => {
    const { status, body, headers } = await get(`${svc.url}/data`);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/application\/json/);
    expect(body).toEqual([
      { user_id: '20', first_name: 'Old', last_name: 'Timer', birthts: born(1960, 1, 1), img_path: null },
      { user_id: '1001', first_name: 'Ivan', last_name: 'Ivanov', birthts: born(1996, 11, 22), img_path: `${P}1001.png` },
      { user_id: '1002', first_name: 'Zoë', last_name: 'Smith, Jr', birthts: born(1996, 11, 23), img_path: null },
      { user_id: 'zoe', first_name: 'Zoe', last_name: 'Young', birthts: born(2008, 2, 29), img_path: `${P}zoe.jpg` },
    ]);
  });

  it.each([
    ['is_image_exists=true', ['1001', 'zoe']],
    ['is_image_exists=FALSE', ['20', '1002']],
    ['is_image_exists=1&min_age=30', ['1001']],
    ['is_image_exists=0', ['20', '1002']],
    ['min_age=30', ['20', '1001']],
    ['max_age=29', ['1002', 'zoe']],
    ['min_age=29&max_age=30', ['1001', '1002']],
    ['min_age=18&max_age=18', ['zoe']],
    ['min_age=67', []],
  ])('GET /data?%s filters inclusively', async (query, expected) => {
    const { status, body } = await get(`${svc.url}/data?${query}`);
    expect(status).toBe(200);
    expect(ids(body)).toEqual(expected);
  });

  it('GET /stats averages completed years of the matching users', async () => {
    expect((await get(`${svc.url}/stats`)).body).toEqual({ average_age: (30 + 29 + 66 + 18) / 4, count: 4 });
    expect((await get(`${svc.url}/stats?is_image_exists=true`)).body).toEqual({ average_age: 24, count: 2 });
    expect((await get(`${svc.url}/stats?min_age=100`)).body).toEqual({ average_age: null, count: 0 });
  });

  it.each([
    ['is_image_exists=yes', 'invalid_parameter', /is_image_exists must be true, false, 1 or 0 \(got "yes"\)/],
    ['is_image_exists=', 'invalid_parameter', /is_image_exists/],
    ['min_age=abc', 'invalid_parameter', /min_age must be a non-negative integer.*"abc"/],
    ['min_age=-1', 'invalid_parameter', /min_age must be a non-negative integer.*"-1"/],
    ['max_age=1.5', 'invalid_parameter', /max_age must be a non-negative integer.*"1.5"/],
    ['max_age=', 'invalid_parameter', /max_age must be a non-negative integer/],
    ['min_age=99999999999999999999', 'invalid_parameter', /min_age is too large/],
    ['min_age=40&max_age=30', 'invalid_parameter', /^min_age \(40\) must not be greater than max_age \(30\)$/],
    ['min_age=1&min_age=2', 'repeated_parameter', /"min_age" was given more than once/],
    ['min_ag=30', 'unknown_parameter', /unknown query parameter "min_ag"; accepted: is_image_exists, min_age, max_age/],
  ])('GET /data and /stats reject %s with 400 naming the parameter', async (query, code, message) => {
    for (const path of ['/data', '/stats']) {
      const { status, body } = await get(`${svc.url}${path}?${query}`);
      expect(status).toBe(400);
      expect(body).toEqual({ error: { code, message: expect.stringMatching(message) } });
    }
  });

  it('POST /data syncs, writes the output CSV and returns the report', async () => {
    await get(`${svc.url}/data`);
    await b.write(`${P}3.csv`, csv('New', 'Comer', born(1990, 6, 1)));
    await b.write(`${P}bad.csv`, 'first_name,last_name\nNo,Birth\n');
    const { status, body } = await get(`${svc.url}/data`, { method: 'POST' });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      users: 5,
      output: 'processed_data/output.csv',
      sync: {
        listed: 8,
        downloaded: 2,
        unchanged: 4,
        removed: 0,
        imagesWithoutInfo: 0,
        failed: [{ key: `${P}bad.csv`, reason: expect.stringContaining('missing column birthts') }],
      },
    });
    const written = (await b.store.get('processed_data/output.csv'))?.toString().split('\n');
    expect(written?.[0]).toBe('user_id,first_name,last_name,birthts,img_path');
    expect(written?.slice(1, 3)).toEqual([`3,New,Comer,${born(1990, 6, 1)},`, `20,Old,Timer,${born(1960, 1, 1)},`]);
    expect(written?.[4]).toBe(`1002,Zoë,"Smith, Jr",${born(1996, 11, 23)},`);
  });

  it('GET /health reports the store, the last sync and the last export', async () => {
    await get(`${svc.url}/data`, { method: 'POST' });
    const { status, body } = await get(`${svc.url}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', users: 4, lastSync: { failed: 0 }, lastExport: { trigger: 'api', ok: true, users: 4 } });
  });

  it('answers unknown routes with 404 and wrong methods with 405, in the error shape', async () => {
    expect(await get(`${svc.url}/users`)).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: expect.stringContaining('/users') } } });
    const wrong = await get(`${svc.url}/stats`, { method: 'DELETE' });
    expect(wrong).toMatchObject({ status: 405, body: { error: { code: 'method_not_allowed' } } });
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect((await get(`${svc.url}/data`, { method: 'PUT' })).headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS');
    const options = await get(`${svc.url}/data`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS');
    expect(await get(`${svc.url}/docs/`, { method: 'DELETE' })).toMatchObject({ status: 405, body: { error: { code: 'method_not_allowed' } } });
  });

  it('with MAX_STALENESS_MS=0 every read sees the store as it is now', async () => {
    expect(ids((await get(`${svc.url}/data`)).body)).toHaveLength(4);
    await b.remove(`${P}20.csv`);
    expect(ids((await get(`${svc.url}/data`)).body)).toEqual(['1001', '1002', 'zoe']);
  });

  it('serves the unfiltered list with an ETag that changes with the data and honours If-None-Match', async () => {
    const first = await get(`${svc.url}/data`);
    const etag = first.headers.get('etag')!;
    expect(await conditionalStatus(`${svc.url}/data`, etag)).toBe(304);
    await b.write(`${P}1001.csv`, csv('Ivana', 'Ivanova', born(1996, 11, 22)));
    expect(await conditionalStatus(`${svc.url}/data`, etag)).toBe(200);
    expect((await get(`${svc.url}/data`)).headers.get('etag')).not.toBe(etag);
  });
});

describe('HTTP service with a cache younger than MAX_STALENESS_MS', () => {
  it('answers from the cache until it is older than the limit or POST /data syncs', async () => {
    const b = await BACKENDS[0]!.create();
    await seed(b);
    const svc = await startService(b.store, { sourcePrefix: P, nowMs: NOW, maxStalenessMs: 60_000 });
    expect(ids((await get(`${svc.url}/data`)).body)).toHaveLength(4);
    await b.remove(`${P}20.csv`);
    expect(ids((await get(`${svc.url}/data`)).body)).toHaveLength(4);
    await get(`${svc.url}/data`, { method: 'POST' });
    expect(ids((await get(`${svc.url}/data`)).body)).toHaveLength(3);
    await svc.close();
    await b.cleanup();
  });
});

describe('HTTP service with an API key', () => {
  it('requires x-api-key on POST /data and leaves reads open', async () => {
    const b = await BACKENDS[0]!.create();
    await seed(b);
    const svc = await startService(b.store, { sourcePrefix: P, nowMs: NOW, apiKey: 's3cret' });
    expect(await get(`${svc.url}/data`, { method: 'POST' })).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect((await get(`${svc.url}/data`, { method: 'POST' })).headers.get('www-authenticate')).toBe('ApiKey header="x-api-key"');
    expect((await get(`${svc.url}/data`, { method: 'POST', headers: { 'x-api-key': 'wrong' } })).status).toBe(401);
    expect((await get(`${svc.url}/data`, { method: 'POST', headers: { 'x-api-key': 's3cret' } })).status).toBe(200);
    expect((await get(`${svc.url}/data`)).status).toBe(200);
    expect(await b.store.get('processed_data/output.csv')).not.toBeNull();
    await svc.close();
    await b.cleanup();
  });
});

describe('HTTP service when the store is down (S3)', () => {
  let b: Backend;
  let svc: RunningService;
  beforeEach(async () => {
    b = await BACKENDS[1]!.create();
    await seed(b);
    svc = await startService(b.store, { sourcePrefix: P, nowMs: NOW });
  });
  afterEach(async () => {
    b.proxy!.heal();
    await svc.close();
    await b.cleanup();
  });

  it('answers reads from the last good cache, marked stale', async () => {
    await get(`${svc.url}/data`);
    b.proxy!.inject('error500', Infinity);
    const { status, body, headers } = await get(`${svc.url}/data?min_age=30`);
    expect(status).toBe(200);
    expect(headers.get('x-data-stale')).toBe('true');
    expect(ids(body)).toEqual(['20', '1001']);
    expect((await get(`${svc.url}/stats`)).headers.get('x-data-stale')).toBe('true');
  });

  it('answers 503 to reads when nothing was ever cached', async () => {
    b.proxy!.inject('error500', Infinity);
    expect(await get(`${svc.url}/data`)).toMatchObject({
      status: 503,
      body: { error: { code: 'store_unavailable', message: expect.stringContaining('cannot list source_data/') } },
    });
    expect((await get(`${svc.url}/stats`)).status).toBe(503);
  });

  it('answers 503 to POST /data and leaves the previous output intact', async () => {
    await get(`${svc.url}/data`, { method: 'POST' });
    const before = (await b.store.get('processed_data/output.csv'))?.toString();
    await b.remove(`${P}20.csv`);
    b.proxy!.inject('error500', Infinity);
    expect(await get(`${svc.url}/data`, { method: 'POST' })).toMatchObject({ status: 503, body: { error: { code: 'store_unavailable' } } });
    b.proxy!.heal();
    expect((await b.store.get('processed_data/output.csv'))?.toString()).toBe(before);
    const health = await get(`${svc.url}/health`);
    expect(health.body).toMatchObject({ lastExport: { ok: false, trigger: 'api', error: expect.stringContaining('cannot list') } });
  });

  it('reports 503 on /health while the store is unreachable', async () => {
    b.proxy!.inject('error500', Infinity);
    expect(await get(`${svc.url}/health`)).toMatchObject({ status: 503, body: { status: 'unavailable', error: { code: 'store_unavailable' } } });
  });
});

describe('API documentation', () => {
  it('publishes an OpenAPI document generated from the validation schemas, and HTML docs', async () => {
    const b = await BACKENDS[0]!.create();
    const svc = await startService(b.store, { sourcePrefix: P });
    const { body } = await get(`${svc.url}/openapi.json`);
    const doc = body as { openapi: string; paths: Record<string, Record<string, { parameters?: { name: string; schema: { pattern?: string } }[] }>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/',
      '/data',
      '/health',
      '/health/live',
      '/health/ready',
      '/openapi.json',
      '/output.csv',
      '/output.parquet',
      '/stats',
      '/stats/ages',
      '/sync',
    ]);
    const params = doc.paths['/data']!.get!.parameters!;
    expect(params.map((p) => p.name)).toEqual(['is_image_exists', 'min_age', 'max_age', 'limit', 'cursor', 'format']);
    expect(doc.paths['/stats/ages']!.get!.parameters!.map((p) => p.name)).toEqual(['is_image_exists', 'min_age', 'max_age']);
    expect(params.find((p) => p.name === 'min_age')?.schema.pattern).toBe('^\\d+$');
    const docs = await fetch(`${svc.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger-ui/i);
    await svc.close();
    await b.cleanup();
  });
});
