import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError, StoreUnavailableError } from '../../src/errors.js';
import { SHORT_BY_BYTES, startFaultProxy, type FaultProxy } from '../support/faultProxy.js';
import { createTestBucket, rawClient, s3Endpoint, testStore } from '../support/s3.js';
import { describeStoreContract } from '../../src/storage/contract/index.js';
import { startNotifyingS3 } from '../support/notifyingS3.js';

describeStoreContract({ describe, it, beforeAll, afterAll }, 'S3 (loopback server, with MinIO-style notifications)', async () => {
  const bucket = await createTestBucket();
  const front = await startNotifyingS3(s3Endpoint());
  return {
    store: testStore(bucket, { endpoint: front.endpoint }),
    cleanup: () => front.close(),
    remove: (key) => rawClient(front.endpoint).removeObject(bucket, key),
  };
});

describe('S3 store specifics', () => {
  let bucket: string;
  let proxy: FaultProxy;
  beforeAll(async () => {
    bucket = await createTestBucket();
    await rawClient().putObject(bucket, 'src/1.csv', Buffer.from('first_name\nA\n'));
  });
  afterAll(() => proxy?.close());

  it('writes the content type it is given', async () => {
    await testStore(bucket).put('out/output.csv', 'a\n', 'text/csv');
    const stat = await rawClient().statObject(bucket, 'out/output.csv');
    expect(stat.metaData['content-type']).toBe('text/csv');
  });

  it('retries a read that failed with a 500 or a cut connection, and succeeds', async () => {
    proxy = await startFaultProxy(s3Endpoint());
    const store = testStore(bucket, { endpoint: proxy.endpoint, retryBaseDelayMs: 1 });
    proxy.inject('error500', 2);
    expect((await store.get('src/1.csv'))?.toString()).toContain('first_name');
    proxy.inject('reset', 2);
    expect((await store.get('src/1.csv'))?.toString()).toContain('first_name');
    proxy.inject('reset', 1);
    expect((await store.list('src/')).map((o) => o.key)).toEqual(['src/1.csv']);
    await store.close();
  });

  it('gives up after its retries with an error naming the bucket and the key', async () => {
    const store = testStore(bucket, { endpoint: proxy.endpoint, retries: 2, retryBaseDelayMs: 1 });
    proxy.inject('error500', 10);
    const error = await store.get('src/1.csv').catch((e: unknown) => e);
    proxy.heal();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String((error as Error).message)).toMatch(new RegExp(`${bucket}.*src/1\\.csv`));
    await store.close();
  });

  it('aborts a request that stalls instead of waiting forever', async () => {
    const store = testStore(bucket, { endpoint: proxy.endpoint, requestTimeoutMs: 200, retries: 1, retryBaseDelayMs: 1 });
    proxy.inject('hang', 1);
    expect((await store.get('src/1.csv'))?.toString()).toContain('first_name');
    await store.close();
  });

  it('reports a server that is not there as unavailable', async () => {
    const store = testStore(bucket, { endpoint: 'http://127.0.0.1:9', retries: 1, retryBaseDelayMs: 1 });
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.list('src/')).rejects.toThrow(/cannot list src\//);
    await store.close();
  });

  it('reports a missing bucket on ping', async () => {
    const store = testStore('no-such-bucket-here');
    await expect(store.ping()).rejects.toThrow(/bucket does not exist/);
    await store.close();
  });
});

describe('S3 store under a failing network', () => {
  const body = 'first_name,last_name,birthts\nAda,Lovelace,0\n';
  const md5 = createHash('md5').update(body).digest('hex');
  let bucket: string;
  let proxy: FaultProxy;
  beforeAll(async () => {
    bucket = await createTestBucket();
    for (let i = 0; i < 20; i++) await rawClient().putObject(bucket, `src/${i}.csv`, Buffer.from(body));
  });
  beforeEach(async () => {
    proxy = await startFaultProxy(s3Endpoint());
  });
  afterEach(() => proxy.close());

  it('gives up on a server that stalls after warming up, also on reused connections, and recovers when it heals', async () => {
    const timeoutMs = 300;
    const attempts = 3;
    const store = testStore(bucket, { endpoint: proxy.endpoint, maxSockets: 2, requestTimeoutMs: timeoutMs, retries: attempts - 1, retryBaseDelayMs: 1 });
    for (let i = 0; i < 4; i++) expect((await store.get(`src/${i}.csv`))?.toString()).toBe(body);
    expect(proxy.connections).toBe(1); // the warm-up went over one keep-alive connection
    proxy.stallAfter(0);
    const started = performance.now();
    const results = await Promise.allSettled([0, 1, 2, 3].map((i) => store.get(`src/${i}.csv`)));
    const elapsedMs = performance.now() - started;
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
      expect(String((r as PromiseRejectedResult).reason.message)).toMatch(/nothing received for 300 ms/);
    }
    // Two sockets serve four calls of three attempts each: about 6 deadlines in a row, not forever.
    expect(elapsedMs).toBeLessThan(timeoutMs * attempts * 2 * 3);
    proxy.heal();
    const healed = await Promise.all([0, 1, 2, 3].map((i) => store.get(`src/${i}.csv`)));
    expect(healed.map(String)).toEqual([body, body, body, body]);
    await store.close();
  }, 10_000);

  it('releases the socket of every 5xx answer with a body, so a small pool keeps moving', async () => {
    // A long deadline: only releasing the sockets, not timing them out, lets this finish.
    const store = testStore(bucket, { endpoint: proxy.endpoint, maxSockets: 1, requestTimeoutMs: 30_000, retries: 0 });
    proxy.inject('error503body', Infinity);
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.get(`src/${i}.csv`)));
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof StoreUnavailableError)).toBe(true);
    proxy.heal();
    expect((await store.get('src/0.csv'))?.toString()).toBe(body);
    expect(proxy.connections).toBe(1); // every error body was read off and its connection reused
    await store.close();
  }, 8_000);

  it('fails a body cut short behind a matching Content-Length, without retrying it', async () => {
    const store = testStore(bucket, { endpoint: proxy.endpoint, retryBaseDelayMs: 1 });
    proxy.inject('short', Infinity, 'src/5.csv');
    const plain = await store.get('src/5.csv');
    expect(plain?.length).toBe(body.length - SHORT_BY_BYTES); // nothing at the HTTP level shows it
    const sized = await store.get('src/5.csv', { expectedSize: body.length }).catch((e: unknown) => e);
    expect(sized).toBeInstanceOf(IntegrityError);
    expect((sized as Error).message).toMatch(/bytes arrived but the listing said/);
    const hashed = await store.get('src/5.csv', { expectedEtag: md5 }).catch((e: unknown) => e);
    expect(hashed).toBeInstanceOf(IntegrityError);
    expect(proxy.requests.filter((r) => r.url.includes('src/5.csv'))).toHaveLength(3);
    await store.close();
  });

  it('detects a body whose MD5 differs from the expected etag', async () => {
    const store = testStore(bucket, { endpoint: proxy.endpoint });
    const [listed] = await store.list('src/7.csv');
    expect(listed?.etag).toBe(md5);
    await rawClient().putObject(bucket, 'src/7.csv', Buffer.from(body.replace('Ada', 'Eve')));
    const error = await store.get('src/7.csv', { expectedEtag: listed!.etag, expectedSize: listed!.size }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toMatch(/MD5 [0-9a-f]{32} differs from the listed etag/);
    expect((error as Error).message).not.toContain('Eve');
    await rawClient().putObject(bucket, 'src/7.csv', Buffer.from(body));
    await store.close();
  });

  it('retries GETs whose connections are cut now and then', async () => {
    const store = testStore(bucket, { endpoint: proxy.endpoint, maxSockets: 4, retries: 3, retryBaseDelayMs: 1 });
    proxy.resetEvery(3);
    const bodies = await Promise.all(Array.from({ length: 20 }, (_, i) => store.get(`src/${i}.csv`, { expectedEtag: md5 })));
    expect(bodies.every((b) => b?.toString() === body)).toBe(true);
    expect(proxy.resets).toBeGreaterThanOrEqual(6);
    await store.close();
  });

  it('ends a hanging download or listing at once when its signal aborts, and frees its socket', async () => {
    const store = testStore(bucket, { endpoint: proxy.endpoint, maxSockets: 1, requestTimeoutMs: 30_000 });
    proxy.stallAfter(0);
    for (const call of [(signal: AbortSignal) => store.get('src/1.csv', { signal }), (signal: AbortSignal) => store.list('src/', { signal })]) {
      const controller = new AbortController();
      const reason = new Error('no longer needed');
      const pending = call(controller.signal);
      setTimeout(() => controller.abort(reason), 50);
      await expect(pending).rejects.toBe(reason);
    }
    proxy.heal();
    expect((await store.get('src/1.csv'))?.toString()).toBe(body); // the pool's one socket is free again
    await store.close();
  }, 5_000);
});
