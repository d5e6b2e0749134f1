import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type Backend } from '../support/backends.js';
import { startService, type RunningService } from '../support/service.js';
import { NOW, PREFIX, makeUsers, nextLink, rawGet, writeUsers } from './helpers.js';

const HEADER = 'user_id,first_name,last_name,birthts,img_path';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8';
/** More users than one streamed chunk, so large answers are written in several pieces. */
const USERS = makeUsers(2_600, 3);

describe('GET /data formats and compression', () => {
  let b: Backend;
  let svc: RunningService;
  let json: { user_id: string }[];
  beforeAll(async () => {
    b = await BACKENDS[0]!.create();
    await writeUsers(b, USERS);
    svc = await startService(b.store, { sourcePrefix: PREFIX, nowMs: NOW, maxStalenessMs: 60_000 });
    json = (await (await fetch(`${svc.url}/data`)).json()) as { user_id: string }[];
  });
  afterAll(async () => {
    await svc.close();
    await b.cleanup();
  });

  it('answers CSV for Accept: text/csv, with the output file columns and quoting', async () => {
    const res = await rawGet(`${svc.url}/data`, { accept: 'text/csv' });
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.body.toString()).toBe(svc.transformer.toCsv());
    expect(res.body.toString().split('\n')[0]).toBe(HEADER);
    expect(res.body.toString()).toContain('"Smith, Jr"');
    expect(res.body.toString()).toContain('"O""Brien"');
  });

  it('starts every CSV page with the header line, and the pages add up to the whole list', async () => {
    let url: string | null = `${svc.url}/data?limit=700&min_age=20`;
    const lines: string[] = [];
    let pages = 0;
    while (url) {
      const res = await rawGet(url, { accept: 'text/csv' });
      const text = res.body.toString();
      expect(text.split('\n')[0]).toBe(HEADER);
      lines.push(...text.split('\n').slice(1, -1));
      const next = nextLink(res.headers.link as string | undefined, svc.url);
      if (next) expect(new URL(next).searchParams.get('format')).toBe('csv');
      url = next;
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    expect(lines).toEqual(svc.transformer.toCsv({ minAge: 20 }).split('\n').slice(1, -1));
  });

  it('answers NDJSON, one object per line, for Accept: application/x-ndjson, also when streamed', async () => {
    for (const query of ['', '?min_age=0', '?limit=50']) {
      const res = await rawGet(`${svc.url}/data${query}`, { accept: 'application/x-ndjson' });
      expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      const text = res.body.toString();
      expect(text.endsWith('\n')).toBe(true);
      const rows = text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown);
      expect(rows).toEqual(query === '?limit=50' ? json.slice(0, 50) : json);
    }
  });

  it('streams large filtered answers as one valid document in every format', async () => {
    const expected = svc.transformer.rows({ minAge: 0 }).length;
    expect(expected).toBeGreaterThan(2_000);
    const asJson = (await rawGet(`${svc.url}/data?min_age=0`)).body.toString();
    expect(JSON.parse(asJson)).toEqual(json);
    const csv = (await rawGet(`${svc.url}/data?min_age=0&format=csv`)).body.toString();
    expect(csv).toBe(svc.transformer.toCsv({ minAge: 0 }));
  });

  it('lets format= override the Accept header', async () => {
    const csv = await rawGet(`${svc.url}/data?format=csv&limit=2`, { accept: 'application/json' });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const nd = await rawGet(`${svc.url}/data?format=ndjson&limit=2`, { accept: 'image/png' });
    expect(nd.status).toBe(200);
    expect(nd.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const js = await rawGet(`${svc.url}/data?format=json&limit=2`, { accept: 'text/csv' });
    expect(JSON.parse(js.body.toString())).toEqual(json.slice(0, 2));
  });

  it('answers 406 in the error shape when Accept admits none of the formats, and JSON to a browser', async () => {
    const refused = await rawGet(`${svc.url}/data?limit=2`, { accept: 'image/png' });
    expect(refused.status).toBe(406);
    expect(JSON.parse(refused.body.toString())).toEqual({ error: { code: 'not_acceptable', message: expect.stringContaining('text/csv') } });
    const browser = await rawGet(`${svc.url}/data?limit=2`, { accept: BROWSER_ACCEPT });
    expect(browser.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(browser.headers.vary).toMatch(/Accept/);
  });

  it('compresses large answers with gzip or brotli as asked, and leaves small ones alone', async () => {
    const plain = await rawGet(`${svc.url}/data`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const gz = await rawGet(`${svc.url}/data`, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.body.length).toBeLessThan(plain.body.length / 3);
    expect(gunzipSync(gz.body).toString()).toBe(plain.body.toString());
    const br = await rawGet(`${svc.url}/data`, { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).toString()).toBe(plain.body.toString());
    // Compressed by the middleware: a page, a filtered answer, NDJSON.
    for (const [query, accept] of [
      ['?limit=500', 'application/json'],
      ['?min_age=30', 'application/json'],
      ['?limit=500', 'application/x-ndjson'],
    ] as const) {
      const res = await rawGet(`${svc.url}/data${query}`, { accept, 'accept-encoding': 'br;q=0.5, gzip' });
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(res.body).toString()).toBe((await rawGet(`${svc.url}/data${query}`, { accept })).body.toString());
    }
    const small = await rawGet(`${svc.url}/data?limit=1`, { 'accept-encoding': 'gzip, br' });
    expect(small.body.length).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('keeps ETag and 304 working for the unfiltered answer in every coding', async () => {
    const tags = new Set<string>();
    for (const coding of ['identity', 'gzip', 'br']) {
      const first = await rawGet(`${svc.url}/data`, { 'accept-encoding': coding });
      const etag = first.headers.etag!;
      tags.add(etag);
      const again = await rawGet(`${svc.url}/data`, { 'accept-encoding': coding, 'if-none-match': etag });
      expect(again.status).toBe(304);
      expect(again.body.length).toBe(0);
    }
    expect(tags.size).toBe(3);
    const csv = await rawGet(`${svc.url}/data`, { accept: 'text/csv', 'accept-encoding': 'gzip' });
    expect(tags.has(csv.headers.etag!)).toBe(false);
  });
});

describe('GET /data streamed through compression', () => {
  /** Enough rows for a dozen and more chunks: every one of them waits for the zlib stream to drain. */
  const MANY = makeUsers(16_000, 5);
  let b: Backend;
  let svc: RunningService;
  beforeAll(async () => {
    b = await BACKENDS[0]!.create();
    await writeUsers(b, MANY);
    svc = await startService(b.store, { sourcePrefix: PREFIX, nowMs: NOW, maxStalenessMs: 60_000 });
  }, 60_000);
  afterAll(async () => {
    await svc.close();
    await b.cleanup();
  });

  it('streams a large filtered answer over gzip whole, without piling up drain listeners', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      for (const accept of ['application/json', 'text/csv']) {
        const res = await rawGet(`${svc.url}/data?min_age=0&format=${accept === 'text/csv' ? 'csv' : 'json'}`, {
          'accept-encoding': 'gzip',
        });
        expect(res.headers['content-encoding']).toBe('gzip');
        const text = gunzipSync(res.body).toString();
        const expected = svc.transformer.rows({ minAge: 0 }).length;
        expect(expected).toBeGreaterThan(12_000);
        expect(accept === 'text/csv' ? text.split('\n').length - 2 : (JSON.parse(text) as unknown[]).length).toBe(expected);
      }
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });
});
