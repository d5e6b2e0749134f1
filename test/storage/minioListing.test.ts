import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptionError, StoreUnavailableError } from '../../src/errors.js';
import type { ObjectInfo } from '../../src/storage/ObjectStore.js';
import { compareKeys } from '../../src/storage/s3/keyRanges.js';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../support/faultProxy.js';
import { rawClient, testStore } from '../support/s3.js';
import { startS3Server, type S3TestServer } from '../support/s3server.js';

/** Numeric ids as the demo has them, a CSV and an image each: 10,000 keys, ten pages. */
const USERS = 5_000;
const FIRST_ID = 1001;
/** Parallel uploads: s3rver is single-threaded, so more would only queue. */
const UPLOAD_CONCURRENCY = 16;
/** What a page of AWS S3 takes, about. */
const PAGE_DELAY_MS = 75;
/** The acceptance bound: the listing's wall time over the sum of its pages' times. */
const MAX_OVERLAP_RATIO = 0.35;
/** ListObjectsV2 requests, as the proxy sees them. */
const LIST_REQUEST = 'list-type=2';

const shown = (objects: readonly ObjectInfo[]) => objects.map((o) => `${o.key} ${o.size} ${o.etag}`).sort();
const listRequests = (proxy: FaultProxy, from: number): ProxiedRequest[] => proxy.requests.slice(from).filter((r) => r.url.includes(LIST_REQUEST));

describe('S3 listing in parallel ranges, over real HTTP', () => {
  const bucket = 'listing';
  let server: S3TestServer;
  let proxy: FaultProxy;
  beforeAll(async () => {
    // A server of its own: these listings keep s3rver's one thread busy for seconds at a time,
    // which would hold up the requests of the other test files.
    server = await startS3Server();
    const client = rawClient(server.endpoint);
    await client.makeBucket(bucket, 'us-east-1');
    const limit = pLimit(UPLOAD_CONCURRENCY);
    const uploads: Promise<unknown>[] = [];
    for (let i = 0; i < USERS; i++) {
      const id = FIRST_ID + i;
      uploads.push(limit(() => client.putObject(bucket, `src/${id}.csv`, Buffer.from(`first_name\nUser ${id}\n`))));
      uploads.push(limit(() => client.putObject(bucket, `src/${id}.png`, Buffer.from(`png ${id}`))));
    }
    await Promise.all(uploads);
    proxy = await startFaultProxy(server.endpoint);
  }, 180_000);
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('finds s3rver honouring start-after with list-type=2', async () => {
    const client = rawClient(server.endpoint);
    const after = await client.listObjectsV2Query(bucket, 'src/', '', '', 1000, 'src/5');
    expect(after.objects[0]?.name).toBe('src/5000.csv');
    expect(after.objects.every((o) => o.name !== undefined && compareKeys(o.name, 'src/5') > 0)).toBe(true);
    const onKey = await client.listObjectsV2Query(bucket, 'src/', '', '', 3, 'src/5000.csv');
    expect(onKey.objects.map((o) => o.name)).toEqual(['src/5000.png', 'src/5001.csv', 'src/5001.png']);
  });

  it('lists exactly the objects of a serial listing, each once, batch by batch', async () => {
    const serialStore = testStore(bucket, { endpoint: proxy.endpoint, listConcurrency: 1 });
    const parallelStore = testStore(bucket, { endpoint: proxy.endpoint, listConcurrency: 8 });
    try {
      const before = proxy.requests.length;
      const serial = await serialStore.list('src/');
      const serialRequests = listRequests(proxy, before).length;
      const middle = proxy.requests.length;
      const batches: ObjectInfo[][] = [];
      const progress: number[] = [];
      const parallel = await parallelStore.list('src/', { onObjects: (b) => batches.push([...b]), onProgress: (n) => progress.push(n) });
      const parallelRequests = listRequests(proxy, middle);

      expect(serial).toHaveLength(2 * USERS);
      expect(serialRequests).toBe((2 * USERS) / 1000);
      expect(shown(parallel)).toEqual(shown(serial));
      expect(shown(batches.flat())).toEqual(shown(serial));
      expect(progress.at(-1)).toBe(2 * USERS);
      expect([...progress].sort((a, b) => a - b)).toEqual(progress);
      // Parts start with start-after. Each costs about a page more than its share of a serial
      // listing (its last page runs past its range, or finds it empty): a lot for ten pages.
      expect(parallelRequests.some((r) => r.url.includes('start-after='))).toBe(true);
      expect(parallelRequests.length).toBeLessThanOrEqual(4 * serialRequests);
    } finally {
      await serialStore.close();
      await parallelStore.close();
    }
  }, 60_000);

  it(`overlaps its pages: wall time at most ${MAX_OVERLAP_RATIO} × the sum of the page times at ${PAGE_DELAY_MS} ms a page`, async () => {
    const store = testStore(bucket, { endpoint: proxy.endpoint, listConcurrency: 8 });
    proxy.delayEach(PAGE_DELAY_MS, LIST_REQUEST);
    try {
      const before = proxy.requests.length;
      const started = performance.now();
      const listed = await store.list('src/');
      const wallMs = performance.now() - started;
      const pages = listRequests(proxy, before);
      const pageMs = pages.map((r) => (r.endedMs ?? NaN) - r.startedMs);
      const sumMs = pageMs.reduce((a, b) => a + b, 0);

      expect(listed).toHaveLength(2 * USERS);
      expect(pageMs.every((ms) => ms >= PAGE_DELAY_MS)).toBe(true);
      expect(wallMs, `${pages.length} pages, ${sumMs.toFixed(0)} ms in all, listed in ${wallMs.toFixed(0)} ms`).toBeLessThanOrEqual(MAX_OVERLAP_RATIO * sumMs);
    } finally {
      proxy.heal();
      await store.close();
    }
  }, 60_000);

  it('fails the whole listing when one part keeps failing, and lists it all once healed', async () => {
    const store = testStore(bucket, { endpoint: proxy.endpoint, listConcurrency: 8, retries: 1, retryBaseDelayMs: 1 });
    const received: ObjectInfo[] = [];
    try {
      // Only the parts split off the first one ask with start-after: the first part's pages pass.
      proxy.inject('error500', Infinity, 'start-after=');
      const error = await store.list('src/', { onObjects: (objects) => received.push(...objects) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/cannot list src\/: HTTP 500/);
      expect(received.length).toBeGreaterThan(0); // the first part's pages came; the listing is void all the same
      proxy.heal();
      expect(await store.list('src/')).toHaveLength(2 * USERS);
    } finally {
      proxy.heal();
      await store.close();
    }
  }, 60_000);

  it('refuses a listConcurrency that is not a positive integer', () => {
    for (const listConcurrency of [0, -1, 1.5, Number.NaN]) {
      expect(() => testStore(bucket, { endpoint: proxy.endpoint, listConcurrency })).toThrow(OptionError);
    }
  });
});
