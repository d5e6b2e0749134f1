import * as Minio from 'minio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMinioStore } from '../../src/storage/s3/MinioStore.js';
import { UserDataTransformer } from '../../src/UserDataTransformer.js';
import { eventually, instrument, type InstrumentedStore } from '../support/instrumented.js';
import { startNotifyingS3, type NotifyingS3 } from '../support/notifyingS3.js';
import { createTestBucket, rawClient } from '../support/s3.js';
import { S3_ACCESS_KEY, S3_SECRET_KEY } from '../support/s3server.js';

const P = 'source_data/';
const csv = (first: string) => `first_name,last_name,birthts\n${first},Last,${Date.UTC(1990, 0, 1)}\n`;
const QUIET_MS = 600_000;

/**
 * MinIO's bucket notification stream, over real HTTP: the S3 test server cannot stream
 * notifications, so a front that forwards to it adds MinIO's listen API (test/support/notifyingS3).
 */
describe('change events from bucket notifications', () => {
  let front: NotifyingS3;
  let bucket: string;
  let client: Minio.Client;
  let store: InstrumentedStore;
  let t: UserDataTransformer;
  const names = () => t.rows().map((r) => `${r.user_id}:${r.first_name}`);

  beforeEach(async () => {
    bucket = await createTestBucket();
    front = await startNotifyingS3((await import('../support/s3.js')).s3Endpoint());
    client = rawClient(front.endpoint);
    await client.putObject(bucket, `${P}1.csv`, Buffer.from(csv('One')));
    store = instrument(createMinioStore({ endpoint: front.endpoint, accessKey: S3_ACCESS_KEY, secretKey: S3_SECRET_KEY, bucket, retries: 0 }));
    t = new UserDataTransformer({ store, sourcePrefix: P });
  });
  afterEach(async () => {
    await t.stop();
    await store.close();
    await front.close();
  });

  it('applies writes and deletes within 1 s without a listing', async () => {
    t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS });
    await t.whenReady(5_000);
    await eventually(() => front.listeners === 1, 2_000, 'a notification listener');
    const listings = store.counts.lists;
    await client.putObject(bucket, `${P}2.csv`, Buffer.from(csv('Two')));
    await eventually(() => names().includes('2:Two'), 1_000, 'a written CSV');
    await client.putObject(bucket, `${P}2.png`, Buffer.from('img'));
    await eventually(() => t.rows().some((r) => r.img_path === `${P}2.png`), 1_000, 'an added image');
    await client.removeObject(bucket, `${P}1.csv`);
    await eventually(() => !names().includes('1:One'), 1_000, 'a deleted CSV');
    expect(store.counts.lists).toBe(listings);
  });

  it('reconnects after the stream drops, and repairs what it missed with a listing', async () => {
    const failures: (number | null)[] = [];
    t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: 1_500, observer: { watchFailed: (_e, retryInMs) => failures.push(retryInMs) } });
    await t.whenReady(5_000);
    await eventually(() => front.listeners === 1, 2_000, 'a notification listener');
    front.lose(1);
    await client.putObject(bucket, `${P}lost.csv`, Buffer.from(csv('Lost')));
    front.disconnectListeners();
    await eventually(() => failures.length > 0, 3_000, 'the drop noticed');
    await eventually(() => front.listeners === 1, 5_000, 'the stream reopened');
    await client.putObject(bucket, `${P}3.csv`, Buffer.from(csv('Three')));
    await eventually(() => names().includes('3:Three'), 2_000, 'events after the reconnect');
    await eventually(() => names().includes('lost:Lost'), 5_000, 'the lost write, from a listing');
  });
});

const real = {
  endpoint: process.env.TEST_MINIO_ENDPOINT,
  accessKey: process.env.TEST_MINIO_ACCESS_KEY,
  secretKey: process.env.TEST_MINIO_SECRET_KEY,
  bucket: process.env.TEST_MINIO_BUCKET ?? 'udt-test',
};

/** Against a real MinIO when TEST_MINIO_ENDPOINT, TEST_MINIO_ACCESS_KEY and TEST_MINIO_SECRET_KEY are set. */
describe.skipIf(!real.endpoint || !real.accessKey || !real.secretKey)('change events from a real MinIO', () => {
  it('applies a write within 1 s without a listing', async () => {
    const options = { endpoint: real.endpoint!, accessKey: real.accessKey!, secretKey: real.secretKey!, bucket: real.bucket };
    const url = new URL(options.endpoint);
    const direct = new Minio.Client({
      endPoint: url.hostname,
      port: Number(url.port) || undefined,
      useSSL: url.protocol === 'https:',
      ...options,
      pathStyle: true,
    });
    if (!(await direct.bucketExists(real.bucket))) await direct.makeBucket(real.bucket);
    const prefix = `udt-${Date.now()}/`;
    const store = instrument(createMinioStore(options));
    const t = new UserDataTransformer({ store, sourcePrefix: prefix });
    try {
      t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS });
      await t.whenReady(10_000);
      await new Promise((resolve) => setTimeout(resolve, 500)); // let the listen request reach the server
      const listings = store.counts.lists;
      await direct.putObject(real.bucket, `${prefix}1.csv`, Buffer.from(csv('Real')));
      await eventually(() => t.rows().some((r) => r.first_name === 'Real'), 1_000, 'the write');
      expect(store.counts.lists).toBe(listings);
      await direct.removeObject(real.bucket, `${prefix}1.csv`);
    } finally {
      await t.stop();
      await store.close();
    }
  });
});
