import { randomBytes } from 'node:crypto';
import * as Minio from 'minio';
import { inject } from 'vitest';
import { createMinioStore, type MinioStoreOptions } from '../../src/storage/s3/MinioStore.js';
import { S3_ACCESS_KEY, S3_SECRET_KEY } from './s3server.js';

/** The loopback S3 server started by the global setup. */
export function s3Endpoint(): string {
  return inject('s3Endpoint');
}

export function rawClient(endpoint = s3Endpoint()): Minio.Client {
  const url = new URL(endpoint);
  return new Minio.Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: S3_ACCESS_KEY,
    secretKey: S3_SECRET_KEY,
    region: 'us-east-1',
    pathStyle: true,
  });
}

/** Creates a bucket with a unique name on the test server. */
export async function createTestBucket(): Promise<string> {
  const bucket = `t-${randomBytes(6).toString('hex')}`;
  await rawClient().makeBucket(bucket, 'us-east-1');
  return bucket;
}

export function testStore(bucket: string, overrides: Partial<MinioStoreOptions> = {}) {
  return createMinioStore({ endpoint: s3Endpoint(), accessKey: S3_ACCESS_KEY, secretKey: S3_SECRET_KEY, bucket, ...overrides });
}
