import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Library from '../../src/index.js';
import { ageInYears } from '../../src/query/age.js';
import type * as Service from '../../src/service/index.js';
import type { ObjectStore } from '../../src/storage/ObjectStore.js';
import { BACKENDS, type Backend } from '../support/backends.js';
import { startService, type RunningService } from '../support/service.js';
import { NOW, PREFIX, makeUsers, rawGet, writeUsers, type SeedUser } from './helpers.js';

const USERS = makeUsers(120, 5);
const json = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
};

/** Reference for /stats/ages: every matching user's age, computed one by one. */
function agesOf(users: readonly SeedUser[], keep: (u: SeedUser, age: number) => boolean) {
  const counts = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const u of users) {
    const age = ageInYears(u.birthts, NOW);
    if (!keep(u, age)) continue;
    counts.set(age, (counts.get(age) ?? 0) + 1);
    sum += age;
    count++;
  }
  const ages = [...counts].sort(([a], [b]) => a - b).map(([age, n]) => ({ age, count: n }));
  return { count, average_age: count === 0 ? null : sum / count, ages };
}

describe('GET /stats/ages, /sync and /output.csv', () => {
  let b: Backend;
  let svc: RunningService;
  beforeAll(async () => {
    b = await BACKENDS[0]!.create();
    await writeUsers(b, USERS);
    await b.write(`${PREFIX}broken.csv`, 'first_name,last_name\nNo,Birth\n');
    svc = await startService(b.store, { sourcePrefix: PREFIX, nowMs: NOW });
  });
  afterAll(async () => {
    await svc.close();
    await b.cleanup();
  });

  it.each([
    ['', () => true],
    ['is_image_exists=true', (u: SeedUser) => u.image],
    ['is_image_exists=false&min_age=25&max_age=60', (u: SeedUser, age: number) => !u.image && age >= 25 && age <= 60],
    ['min_age=50&max_age=50', (_u: SeedUser, age: number) => age === 50],
    ['min_age=150', () => false],
  ])('/stats/ages?%s counts each age as a row-by-row computation does, and agrees with /stats', async (query, keep) => {
    const { status, body } = await json(`${svc.url}/stats/ages?${query}`);
    expect(status).toBe(200);
    expect(body).toEqual(agesOf(USERS, keep));
    const stats = (await json(`${svc.url}/stats?${query}`)).body as { count: number; average_age: number | null };
    expect(body).toMatchObject({ count: stats.count, average_age: stats.average_age });
  });

  it('/stats/ages applies the same parameter rules as /stats', async () => {
    expect(await json(`${svc.url}/stats/ages?min_age=9&max_age=3`)).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_parameter', message: 'min_age (9) must not be greater than max_age (3)' } },
    });
    expect((await json(`${svc.url}/stats/ages?limit=3`)).body).toMatchObject({ error: { code: 'unknown_parameter' } });
  });

  it('/sync reports the last sync with its times, report and failing files', async () => {
    await fetch(`${svc.url}/stats`);
    const { status, body } = await json(`${svc.url}/sync`);
    expect(status).toBe(200);
    const at = new Date(NOW).toISOString();
    expect(body).toEqual({
      running: false,
      lastSync: {
        startedAt: at,
        finishedAt: at,
        durationMs: expect.any(Number),
        report: expect.objectContaining({
          users: USERS.length,
          failed: [{ key: `${PREFIX}broken.csv`, reason: expect.stringContaining('missing column birthts') }],
        }),
      },
    });
    expect((await json(`${svc.url}/sync?verbose=1`)).body).toEqual({
      error: { code: 'unknown_parameter', message: 'unknown query parameter "verbose"; this route takes none' },
    });
  });

  it('/output.csv answers 404 before the first export, then the exported bytes', async () => {
    expect(await json(`${svc.url}/output.csv`)).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found', message: expect.stringContaining('processed_data/output.csv') } },
    });
    expect((await fetch(`${svc.url}/data`, { method: 'POST' })).status).toBe(200);
    const res = await rawGet(`${svc.url}/output.csv`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const stored = await b.store.get('processed_data/output.csv');
    expect(res.body.equals(stored!)).toBe(true);
    expect(res.body.toString().split('\n')).toHaveLength(USERS.length + 2);
  });

  it('answers 405 with Allow on the new routes', async () => {
    for (const path of ['/stats/ages', '/sync', '/output.csv', '/']) {
      const res = await fetch(`${svc.url}${path}`, { method: 'DELETE' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    }
  });
});

describe('GET /sync while a sync runs', () => {
  it('says running: true until it ends', async () => {
    const b = await BACKENDS[0]!.create();
    await writeUsers(b, USERS.slice(0, 3));
    // The real store, with its listing held back until the test lets it go.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const store: ObjectStore = { ...b.store, list: async (prefix, options) => (await held, b.store.list(prefix, options)) };
    const svc = await startService(store, { sourcePrefix: PREFIX, nowMs: NOW });
    expect((await json(`${svc.url}/sync`)).body).toEqual({ running: false, lastSync: null });
    const syncing = svc.transformer.sync();
    expect((await json(`${svc.url}/sync`)).body).toEqual({ running: true, lastSync: null });
    release();
    await syncing;
    expect((await json(`${svc.url}/sync`)).body).toMatchObject({ running: false, lastSync: { report: { users: 3 } } });
    await svc.close();
    await b.cleanup();
  });
});

describe('CORS', () => {
  const ORIGIN = 'https://dashboard.example';
  async function withService(corsOrigins: readonly string[] | '*' | undefined, run: (url: string) => Promise<void>) {
    const b = await BACKENDS[0]!.create();
    await writeUsers(b, USERS.slice(0, 5));
    const svc = await startService(b.store, { sourcePrefix: PREFIX, nowMs: NOW, corsOrigins });
    try {
      await run(svc.url);
    } finally {
      await svc.close();
      await b.cleanup();
    }
  }

  it('is off by default: no CORS headers, and preflights get no CORS answer', async () => {
    await withService(undefined, async (url) => {
      const res = await rawGet(`${url}/data?limit=2`, { origin: ORIGIN });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await rawGet(`${url}/data`, { origin: ORIGIN, 'access-control-request-method': 'POST' }, 'OPTIONS');
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
    });
  });

  it('with a list of origins, admits those and exposes the paging headers', async () => {
    await withService([ORIGIN], async (url) => {
      const res = await rawGet(`${url}/data?limit=2`, { origin: ORIGIN });
      expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
      expect(res.headers['access-control-expose-headers']).toBe('Link,X-Total-Count,X-Data-Stale,X-Data-Age-Ms,X-Data-Incomplete,ETag');
      expect(res.headers.vary).toMatch(/Origin/);
      const other = await rawGet(`${url}/data?limit=2`, { origin: 'https://elsewhere.example' });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await rawGet(
        `${url}/data`,
        { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' },
        'OPTIONS',
      );
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
      expect(preflight.headers['access-control-allow-headers']).toBe('x-api-key');
    });
  });

  it("with '*', admits any origin", async () => {
    await withService('*', async (url) => {
      const res = await rawGet(`${url}/stats`, { origin: 'https://anywhere.example' });
      expect(res.headers['access-control-allow-origin']).toBe('*');
    });
  });
});

describe('the built service', () => {
  it('serves the dashboard page and its assets from dist/', async () => {
    const dist = (await import(new URL('../../dist/service/index.js', import.meta.url).href)) as typeof Service;
    const lib = (await import(new URL('../../dist/index.js', import.meta.url).href)) as typeof Library;
    const transformer = new lib.UserDataTransformer({ store: lib.createLocalStore({ root: '/nonexistent-root' }), sourcePrefix: PREFIX });
    const logger = dist.createLogger('silent');
    const app = dist.createApp(transformer, {
      maxStalenessMs: 0,
      apiKey: null,
      exporter: new dist.Exporter(transformer, { outputKey: 'o.csv', logger }),
      logger,
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const page = await rawGet(`${base}/`);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      const html = page.body.toString();
      expect(html).toContain('<meta name="viewport"');
      for (const asset of [...html.matchAll(/(?:src|href)="(dashboard\/[^"]+)"/g)].map((m) => m[1]!)) {
        expect((await rawGet(`${base}/${asset}`)).status, asset).toBe(200);
      }
      expect((await rawGet(`${base}/dashboard/app.js`)).headers['content-type']).toMatch(/javascript/);
      expect((await rawGet(`${base}/dashboard/nope.js`)).status).toBe(404);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
