import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestBucket, rawClient, s3Endpoint } from '../support/s3.js';
import { S3_ACCESS_KEY, S3_SECRET_KEY } from '../support/s3server.js';

const P = 'source_data/';
const csv = (first: string, last: string, birthts: number) => Buffer.from(`first_name, last_name, birthts\n${first}, ${last}, ${birthts}\n`);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The service started exactly as the README says: `npm start`, configured by environment. */
describe('end to end: npm start against an S3 server', () => {
  let child: ChildProcess;
  let url: string;
  let bucket: string;
  let log = '';
  const client = rawClient();
  const readObject = async (key: string) => {
    const chunks: Buffer[] = [];
    for await (const chunk of await client.getObject(bucket, key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString();
  };

  beforeAll(async () => {
    bucket = await createTestBucket();
    await client.putObject(bucket, `${P}1.csv`, csv('Ann', 'Lee', Date.UTC(1990, 0, 1)));
    await client.putObject(bucket, `${P}2.csv`, csv('Bo', 'Ek', Date.UTC(1980, 5, 15)));
    await client.putObject(bucket, `${P}2.png`, Buffer.from([0x89, 0x50]));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn('npm', ['start'], {
      detached: true, // its own process group, so the whole npm → node tree can be signalled
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        MINIO_ENDPOINT: s3Endpoint(),
        MINIO_ACCESS_KEY: S3_ACCESS_KEY,
        MINIO_SECRET_KEY: S3_SECRET_KEY,
        MINIO_BUCKET: bucket,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitFor('/health', async () => ((await fetch(`${url}/health`)).ok ? true : undefined));
  }, 120_000);

  afterAll(() => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  });

  it('publishes output.csv at boot, with no request needed', async () => {
    const output = await waitFor('output.csv', () => readObject('processed_data/output.csv'));
    expect(output).toBe(`user_id,first_name,last_name,birthts,img_path\n1,Ann,Lee,${Date.UTC(1990, 0, 1)},\n2,Bo,Ek,${Date.UTC(1980, 5, 15)},${P}2.png\n`);
  });

  it('sees changes in the bucket through POST /data, GET /data, GET /stats and the output', async () => {
    await client.putObject(bucket, `${P}10.csv`, csv('Cy', 'Nord', Date.UTC(2000, 1, 29)));
    await client.putObject(bucket, `${P}1.jpg`, Buffer.from([0xff, 0xd8]));
    await client.removeObject(bucket, `${P}2.csv`);

    const post = await fetch(`${url}/data`, { method: 'POST' });
    expect(post.status).toBe(200);
    expect(await post.json()).toMatchObject({
      users: 2,
      output: 'processed_data/output.csv',
      sync: { downloaded: 1, removed: 1, imagesWithoutInfo: 1, failed: [] },
    });

    const data = (await (await fetch(`${url}/data`)).json()) as { user_id: string; img_path: string | null }[];
    expect(data.map((u) => [u.user_id, u.img_path])).toEqual([
      ['1', `${P}1.jpg`],
      ['10', null],
    ]);
    const withImage = (await (await fetch(`${url}/data?is_image_exists=true`)).json()) as unknown[];
    expect(withImage).toHaveLength(1);

    const stats = (await (await fetch(`${url}/stats?is_image_exists=false`)).json()) as { average_age: number; count: number };
    expect(stats.count).toBe(1);
    expect(stats.average_age).toBeGreaterThanOrEqual(26);

    const output = await readObject('processed_data/output.csv');
    expect(output.split('\n').slice(1, 3)).toEqual([`1,Ann,Lee,${Date.UTC(1990, 0, 1)},${P}1.jpg`, `10,Cy,Nord,${Date.UTC(2000, 1, 29)},`]);
  });

  it('rejects a bad query with a 400 naming the parameter', async () => {
    const res = await fetch(`${url}/data?min_age=old`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/min_age/);
  });

  it('logs JSON lines and shuts down gracefully on SIGTERM', async () => {
    process.kill(-child.pid!, 'SIGTERM');
    await waitFor('the stopped log line', async () => (log.includes('"event":"stopped"') ? true : undefined), 20_000);
    const lines = log
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event?: string; listed?: number });
    const events = lines.map((l) => l.event);
    expect(lines.find((l) => l.event === 'listening')).toMatchObject({ host: '127.0.0.1' });
    expect(events).toContain('export');
    expect(lines.find((l) => l.event === 'sync')).toMatchObject({ listed: 3, downloaded: 2, failed: 0 });
    expect(events.filter((e) => e === 'shutdown' || e === 'stopped')).toEqual(['shutdown', 'stopped']);
    expect(log).not.toContain(S3_SECRET_KEY); // credentials never reach the log
  });
});

describe('start-up with a bad environment', () => {
  it('refuses to start, naming every bad variable, and exits non-zero', async () => {
    const child = spawn(process.execPath, ['dist/service/main.js'], {
      env: { ...process.env, PORT: 'eighty', MINIO_ENDPOINT: 'http://127.0.0.1:9', OUTPUT_CRON: 'sometimes' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/PORT="eighty"/);
    expect(stderr).toMatch(/MINIO_ACCESS_KEY="": is required when MINIO_ENDPOINT is set/);
    expect(stderr).toMatch(/OUTPUT_CRON="sometimes"/);
  });
});
