import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoFiles } from '../../scripts/generate-demo.mjs';
import { UserDataTransformer } from '../../src/UserDataTransformer.js';
import { createTestBucket, rawClient, s3Endpoint, testStore } from '../support/s3.js';
import { S3_ACCESS_KEY, S3_SECRET_KEY } from '../support/s3server.js';
import { cleanEnv, runCli } from './support.js';

const PREFIX = 'source_data/';
const USERS = 40;

/** A port nothing listens on: bound, noted and released. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('udt on an S3 bucket', () => {
  const client = rawClient();
  let bucket: string;
  let lib: UserDataTransformer;
  let source: string;
  const flags = () => ['--source', source, '--endpoint', s3Endpoint()];
  const env = () => cleanEnv({ MINIO_ACCESS_KEY: S3_ACCESS_KEY, MINIO_SECRET_KEY: S3_SECRET_KEY });
  const readObject = async (key: string) => {
    const chunks: Buffer[] = [];
    for await (const chunk of await client.getObject(bucket, key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString();
  };

  beforeAll(async () => {
    bucket = await createTestBucket();
    source = `s3://${bucket}/${PREFIX}`;
    for (const file of generateDemoFiles({ count: USERS, seed: 21 })) await client.putObject(bucket, PREFIX + file.name, file.body);
    await client.putObject(bucket, 'elsewhere/1.csv', Buffer.from('first_name,last_name,birthts\nOut,Side,0\n'));
    lib = new UserDataTransformer({ store: testStore(bucket), sourcePrefix: PREFIX });
    await lib.sync();
  });
  afterAll(() => lib.store.close());

  it('stats --json matches the library on the same prefix, credentials from the environment', async () => {
    const result = await runCli(['stats', ...flags(), '--json', '--image'], { env: env() });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const want = lib.averageAge({ imageExists: true });
    expect(result.stdout).toBe(`{"average_age":${want.averageAge},"count":${want.count}}\n`);
  });

  it('takes credentials from flags too, and a prefix without its slash', async () => {
    const args = ['query', '--source', `s3://${bucket}/source_data`, '--endpoint', s3Endpoint(), '--access-key', S3_ACCESS_KEY, '--secret-key', S3_SECRET_KEY];
    const result = await runCli([...args, '--format', 'json', '--min-age', '30'], { env: cleanEnv() });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(lib.query({ minAge: 30 }));
    expect(lib.query({ minAge: 30 }).some((r) => String(r.img_path).startsWith(PREFIX))).toBe(true);
  });

  it('sync --json reports the listing of the prefix only', async () => {
    const result = await runCli(['sync', ...flags(), '--json'], { env: env() });
    const report = JSON.parse(result.stdout) as { users: number; listed: number; failed: unknown[] };
    expect(report).toMatchObject({ users: USERS, listed: lib.lastSync!.report.listed, failed: [] });
  });

  it('export --key writes the output CSV into the bucket', async () => {
    const result = await runCli(['export', ...flags(), '--key', 'processed_data/cli.csv'], { env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`exported ${USERS} users`);
    expect(await readObject('processed_data/cli.csv')).toBe(lib.toCsv());
    // Directly under the source prefix it would come back as a user: refused before any I/O.
    const refused = await runCli(['export', ...flags(), '--key', `${PREFIX}out.csv`], { env: env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`must not be directly in ${PREFIX}`);
  });

  it('exits with 1 and one line when the store is down or the bucket is missing', async () => {
    const port = await closedPort();
    const down = await runCli(['stats', '--source', source, '--endpoint', `http://127.0.0.1:${port}`], { env: env() });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^udt: sync failed: s3 [^\n]*ECONNREFUSED[^\n]*\n$/);
    const missing = await runCli(['stats', '--source', `s3://no-such-bucket-${bucket}/x/`, '--endpoint', s3Endpoint()], { env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^udt: sync failed: [^\n]*NoSuchBucket[^\n]*\n$/);
  });
});
