import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { startFaultProxy, type FaultProxy } from '../support/faultProxy.js';
import { createTestBucket, rawClient, s3Endpoint, testStore } from '../support/s3.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('S3 (loopback server)', async () => {
  const bucket = await createTestBucket();
  return { store: testStore(bucket), cleanup: async () => undefined };
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
