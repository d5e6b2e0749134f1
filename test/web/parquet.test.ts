import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type Backend } from '../support/backends.js';
import { readParquet } from '../support/duckdb.js';
import { startService, type RunningService } from '../support/service.js';
import { NOW, PREFIX, makeUsers, nextLink, rawGet, writeUsers } from './helpers.js';

const PARQUET = 'application/vnd.apache.parquet';

/** Names a CSV has to quote or escape, letters beyond Latin, a birth before 1970, no image. */
const TRICKY = [
  { id: '900001', first: '=HYPERLINK("http://x","y")', last: 'Smith, "Jr"', birthts: Date.UTC(1940, 1, 29), image: false },
  { id: '900002', first: 'Жанна', last: '李小龍', birthts: Date.UTC(1969, 11, 31, 23), image: true },
  { id: '900003', first: 'Zoë', last: 'Ørsted-Ñúñez', birthts: Date.UTC(1999, 6, 1), image: false },
];

describe('Parquet over HTTP', () => {
  let b: Backend;
  let svc: RunningService;
  const json = async (query: string) => (await (await fetch(`${svc.url}/data${query}`)).json()) as Record<string, unknown>[];
  beforeAll(async () => {
    b = await BACKENDS[0]!.create();
    await writeUsers(b, [...makeUsers(2_600, 5), ...TRICKY]);
    svc = await startService(b.store, { sourcePrefix: PREFIX, nowMs: NOW, maxStalenessMs: 60_000 });
  });
  afterAll(async () => {
    await svc.close();
    await b.cleanup();
  });

  it('GET /data?format=parquet answers the rows of GET /data as Parquet, with an ETag', async () => {
    const res = await rawGet(`${svc.url}/data?format=parquet`, { 'accept-encoding': 'gzip, br' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(PARQUET);
    expect(res.headers['content-encoding']).toBeUndefined();
    const back = await readParquet(res.body);
    expect(back.types).toEqual({ user_id: 'VARCHAR', first_name: 'VARCHAR', last_name: 'VARCHAR', birthts: 'TIMESTAMP', img_path: 'VARCHAR' });
    expect(back.rows).toEqual(await json(''));
    expect(back.rows.find((r) => r.user_id === '900001')).toMatchObject({ first_name: '=HYPERLINK("http://x","y")', img_path: null });
    const again = await rawGet(`${svc.url}/data?format=parquet`, { 'if-none-match': res.headers.etag! });
    expect(again.status).toBe(304);
  });

  it(`answers Accept: ${PARQUET} with the filtered rows`, async () => {
    const res = await rawGet(`${svc.url}/data?min_age=30&max_age=60&is_image_exists=false`, { accept: PARQUET });
    expect(res.headers['content-type']).toBe(PARQUET);
    const expected = await json('?min_age=30&max_age=60&is_image_exists=false');
    expect(expected.length).toBeGreaterThan(100);
    expect((await readParquet(res.body)).rows).toEqual(expected);
  });

  it('pages Parquet like the other formats: each page a file, the Link keeps format=parquet, pages add up', async () => {
    let url: string | null = `${svc.url}/data?limit=1000&format=parquet&min_age=25`;
    const rows: Record<string, unknown>[] = [];
    let pages = 0;
    while (url) {
      const res = await rawGet(url);
      expect(res.headers['x-total-count']).toBeDefined();
      rows.push(...(await readParquet(res.body)).rows);
      url = nextLink(res.headers.link as string | undefined, svc.url);
      if (url) expect(new URL(url).searchParams.get('format')).toBe('parquet');
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    expect(rows).toEqual(await json('?min_age=25'));
  });

  it('POST /data writes output.parquet beside output.csv; GET /output.parquet serves it; it is at most 0.7 × the CSV', async () => {
    const post = await fetch(`${svc.url}/data`, { method: 'POST' });
    expect(post.status).toBe(200);
    expect(await post.json()).toMatchObject({ output: 'processed_data/output.csv', parquet: 'processed_data/output.parquet' });
    const stored = (await b.store.get('processed_data/output.parquet'))!;
    const served = await rawGet(`${svc.url}/output.parquet`);
    expect(served.headers['content-type']).toBe(PARQUET);
    expect(served.body.equals(stored)).toBe(true);
    expect((await rawGet(`${svc.url}/output.parquet`, { 'if-none-match': served.headers.etag! })).status).toBe(304);
    expect((await rawGet(`${svc.url}/output.csv`, { 'if-none-match': served.headers.etag! })).status).toBe(200);
    expect((await readParquet(stored)).rows).toEqual(await json(''));
    const csv = (await b.store.get('processed_data/output.csv'))!;
    expect(stored.length).toBeLessThanOrEqual(0.7 * csv.length);
  });

  it('GET /output.parquet answers one byte range with 206, as an engine reading the footer first asks', async () => {
    const whole = await rawGet(`${svc.url}/output.parquet`);
    const size = whole.body.length;
    expect(whole.headers['accept-ranges']).toBe('bytes');
    const tail = await rawGet(`${svc.url}/output.parquet`, { range: 'bytes=-8' });
    expect(tail.status).toBe(206);
    expect(tail.headers['content-range']).toBe(`bytes ${size - 8}-${size - 1}/${size}`);
    expect(tail.body.subarray(4).toString()).toBe('PAR1');
    const footerBytes = tail.body.readUInt32LE(0);
    const footer = await rawGet(`${svc.url}/output.parquet`, { range: `bytes=${size - 8 - footerBytes}-${size - 9}` });
    expect(footer.body.equals(whole.body.subarray(size - 8 - footerBytes, size - 8))).toBe(true);
    // The parts add up to the file, and a part of the CSV is never compressed under the client.
    const parts = await Promise.all(['bytes=0-99', `bytes=100-${size - 1}`].map((range) => rawGet(`${svc.url}/output.parquet`, { range })));
    expect(Buffer.concat(parts.map((p) => p.body)).equals(whole.body)).toBe(true);
    const csvPart = await rawGet(`${svc.url}/output.csv`, { range: 'bytes=0-4095', 'accept-encoding': 'gzip' });
    expect([csvPart.status, csvPart.headers['content-encoding'], csvPart.body.length]).toEqual([206, undefined, 4096]);
    expect(csvPart.body.toString()).toMatch(/^user_id,first_name,/);
  });

  it('GET /output.parquet sends the whole file for several ranges or an If-Range of another version, and 416 past its end', async () => {
    const whole = await rawGet(`${svc.url}/output.parquet`);
    const size = whole.body.length;
    const several = await rawGet(`${svc.url}/output.parquet`, { range: 'bytes=0-1,10-20' });
    expect([several.status, several.body.equals(whole.body)]).toEqual([200, true]);
    const stale = await rawGet(`${svc.url}/output.parquet`, { range: 'bytes=0-3', 'if-range': '"another-version"' });
    expect([stale.status, stale.body.length]).toEqual([200, size]);
    const current = await rawGet(`${svc.url}/output.parquet`, { range: 'bytes=0-3', 'if-range': whole.headers.etag! });
    expect([current.status, current.body.toString()]).toEqual([206, 'PAR1']);
    const past = await rawGet(`${svc.url}/output.parquet`, { range: `bytes=${size}-` });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${size}`);
    expect((JSON.parse(past.body.toString()) as { error: { code: string } }).error.code).toBe('range_not_satisfiable');
  });

  it('documents the Parquet answers and /output.parquet in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, unknown> }>; parameters?: { name: string; schema: { enum?: string[] } }[] }>
      >;
    };
    expect(Object.keys(doc.paths['/data']!.get!.responses['200']!.content!)).toContain(PARQUET);
    expect(doc.paths['/data']!.get!.parameters!.find((p) => p.name === 'format')!.schema.enum).toContain('parquet');
    expect(Object.keys(doc.paths['/output.parquet']!.get!.responses['200']!.content!)).toEqual([PARQUET]);
  });
});

describe('OUTPUT_PARQUET_KEY off', () => {
  it('writes no Parquet, says so in the POST answer, and /output.parquet is 404', async () => {
    const b = await BACKENDS[0]!.create();
    const svc = await startService(b.store, { sourcePrefix: PREFIX, nowMs: NOW, outputParquetKey: null });
    try {
      await writeUsers(b, TRICKY);
      expect(await (await fetch(`${svc.url}/data`, { method: 'POST' })).json()).toMatchObject({ users: 3, parquet: null });
      expect(await b.store.get('processed_data/output.parquet')).toBeNull();
      const res = await fetch(`${svc.url}/output.parquet`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/OUTPUT_PARQUET_KEY is off/);
    } finally {
      await svc.close();
      await b.cleanup();
    }
  });
});
