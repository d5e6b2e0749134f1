import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../support/faultProxy.js';
import { createTestBucket, rawClient, s3Endpoint } from '../support/s3.js';
import { S3_ACCESS_KEY, S3_SECRET_KEY } from '../support/s3server.js';
import { cleanEnv, runCli } from './support.js';

const PREFIX = 'source_data/';
const csv = (first: string) => Buffer.from(`first_name,last_name,birthts\n${first},Last,${Date.UTC(1990, 0, 1)}\n`);

/** Downloads that fail (the store answers 500 for two CSVs) make a run incomplete; the tool says so. */
describe('udt when some CSVs cannot be downloaded', () => {
  let proxy: FaultProxy;
  let bucket: string;
  const env = () => cleanEnv({ MINIO_ACCESS_KEY: S3_ACCESS_KEY, MINIO_SECRET_KEY: S3_SECRET_KEY });
  const flags = () => ['--source', `s3://${bucket}/${PREFIX}`, '--endpoint', proxy.endpoint];

  beforeAll(async () => {
    bucket = await createTestBucket();
    const client = rawClient();
    for (const i of [1, 2, 3, 4]) await client.putObject(bucket, `${PREFIX}${i}.csv`, csv(`U${i}`));
    proxy = await startFaultProxy(s3Endpoint());
  });
  afterAll(() => proxy.close());

  it('sync reports the run incomplete and exits with 1', async () => {
    proxy.inject('error500', Infinity, `${PREFIX}3.csv`);
    const result = await runCli(['sync', ...flags()], { env: env() });
    proxy.heal();
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^incomplete: 1 user CSV could not be downloaded/m);
    expect(result.stderr).toMatch(/the sync is incomplete: 1 user CSV could not be downloaded/);
  });

  it('export writes nothing from an incomplete run unless told to', async () => {
    proxy.inject('error500', Infinity, `${PREFIX}3.csv`);
    const refused = await runCli(['export', ...flags(), '--key', 'processed_data/out.csv'], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/nothing was written/);
    await expect(rawClient().statObject(bucket, 'processed_data/out.csv')).rejects.toThrow();
    const forced = await runCli(['export', ...flags(), '--key', 'processed_data/out.csv', '--allow-incomplete'], { env: env() });
    proxy.heal();
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/exported 3 users/);
  });

  it('stats answers from what it has and warns on stderr', async () => {
    proxy.inject('error500', Infinity, `${PREFIX}3.csv`);
    const result = await runCli(['stats', ...flags(), '--json'], { env: env() });
    proxy.heal();
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ count: 3 });
    expect(result.stderr).toMatch(/1 user CSV could not be downloaded; the answer lacks that user/);
  });
});
