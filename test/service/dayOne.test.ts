import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultSnapshotKey } from '../../src/index.js';
import { startServiceProcess, waitFor, type ServiceProcess } from '../support/process.js';

/** What a person meets on the first day with the service, through the real process and its socket. */
const csv = (first: string) => `first_name,last_name,birthts\n${first},Last,${Date.UTC(1990, 0, 1)}\n`;
let root: string;
let service: ServiceProcess | undefined;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'udt-day-one-'));
});
afterEach(async () => {
  await service?.stop();
  service = undefined;
  await rm(root, { recursive: true, force: true });
});

async function users(n: number, folder = 'data'): Promise<void> {
  await mkdir(path.join(root, folder), { recursive: true });
  for (let i = 1; i <= n; i++) await writeFile(path.join(root, folder, `${i}.csv`), csv(`U${i}`));
}

const status = async (url: string) => (await fetch(url)).status;
const json = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string }; warnings?: string[] } };
};

describe('the service on the first day', () => {
  it('never becomes ready on a mistyped LOCAL_ROOT, says why, and never creates it', async () => {
    const typo = path.join(root, 'no-such-root');
    service = await startServiceProcess({ LOCAL_ROOT: typo, OUTPUT_CRON: '* * * * * *' });
    await waitFor('health', async () => ((await status(`${service!.url}/health`)) === 503 ? true : undefined), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // a scheduled export and a snapshot attempt or two
    expect(await status(`${service.url}/health/ready`)).toBe(503);
    const health = await json(`${service.url}/health`);
    expect(health.body.error?.message).toContain('no-such-root');
    expect((await json(`${service.url}/data`, { method: 'POST' })).status).toBe(503);
    expect(existsSync(typo)).toBe(false);
  });

  it('serves an empty source, saying so in /health, /health/ready and one log warning', async () => {
    await mkdir(path.join(root, 'data'));
    service = await startServiceProcess({ LOCAL_ROOT: root, MAX_STALENESS_MS: '200' });
    await waitFor('ready', async () => ((await status(`${service!.url}/health/ready`)) === 200 ? true : undefined), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // a few more syncs: still one warning
    for (const route of ['/health', '/health/ready']) expect((await json(`${service.url}${route}`)).body.warnings).toEqual(['no user files under data/']);
    const warnings = service.logLines().filter((l) => l.event === 'empty_source');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, msg: 'no user files under data/' });
    await users(2);
    await waitFor('users', async () => ((await json(`${service!.url}/health`)).body.warnings?.length === 0 ? true : undefined), 5_000);
  });

  it('keeps the output when the source vanishes or empties: 503 store_unavailable, then 503 empty_source', async () => {
    await users(3);
    service = await startServiceProcess({ LOCAL_ROOT: root, MAX_STALENESS_MS: '200' });
    await waitFor('ready', async () => ((await status(`${service!.url}/health/ready`)) === 200 ? true : undefined), 10_000);
    expect((await json(`${service.url}/data`, { method: 'POST' })).body).toMatchObject({ users: 3 });
    const output = path.join(root, 'processed_data/output.csv');
    const published = await readFile(output, 'utf8');

    await rename(path.join(root, 'data'), path.join(root, 'moved-away'));
    const vanished = await json(`${service.url}/data`, { method: 'POST' });
    expect(vanished).toMatchObject({ status: 503, body: { error: { code: 'store_unavailable', message: expect.stringContaining('data/ does not exist') } } });
    expect((await json(`${service.url}/health`)).status).toBe(503);
    expect(await readFile(output, 'utf8')).toBe(published);

    await mkdir(path.join(root, 'data'));
    const emptied = await json(`${service.url}/data`, { method: 'POST' });
    expect(emptied).toMatchObject({ status: 503, body: { error: { code: 'empty_source', message: expect.stringContaining('ALLOW_EMPTY_EXPORT') } } });
    expect(await readFile(output, 'utf8')).toBe(published);
  });

  it('stops with one clear line on a bad SOURCE_PREFIX or a busy port, never saying it listens', async () => {
    for (const prefix of ['./data', '/data', '../data']) {
      const bad = await startServiceProcess({ LOCAL_ROOT: root, SOURCE_PREFIX: prefix });
      expect(await bad.exited).toBe(1);
      expect(bad.output).toContain(`SOURCE_PREFIX="${prefix}": must be a folder inside the store`);
      expect(bad.output).not.toContain('listening');
    }
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((blocker.address() as { port: number }).port);
      await users(1);
      const busy = await startServiceProcess({ LOCAL_ROOT: root, PORT: port });
      expect(await busy.exited).toBe(1);
      const lines = busy.logLines();
      expect(lines.filter((l) => l.event === 'listening')).toEqual([]);
      expect(lines.filter((l) => l.level === 60)).toEqual([
        expect.objectContaining({ event: 'listen_failed', msg: expect.stringContaining(`127.0.0.1:${port}`) }),
      ]);
    } finally {
      blocker.close();
    }
  });

  it('listens on loopback by default, warns when POST /data is open elsewhere, and keeps keys out of the access log', async () => {
    await users(1);
    service = await startServiceProcess({ LOCAL_ROOT: root, HOST: '' });
    await waitFor('ready', async () => ((await status(`${service!.url}/health/ready`)) === 200 ? true : undefined), 10_000);
    expect(service.logLines().find((l) => l.event === 'listening')).toMatchObject({ host: '127.0.0.1' });
    expect(service.logLines().some((l) => l.event === 'open_export')).toBe(false);
    await fetch(`${service.url}/stats?api_key=sekrit-value`);
    await fetch(`${service.url}/stats?token=another-sekrit&min_age=1`);
    await waitFor(
      'the access log',
      async () => (service!.logLines().filter((l) => (l.req as { url?: string })?.url?.startsWith('/stats')).length === 2 ? true : undefined),
      3_000,
    );
    expect(service.output).not.toContain('sekrit');
    expect(service.output).toContain('api_key=[redacted]');
    // Probes are logged at debug: none of them shows at the default level.
    expect(service.logLines().filter((l) => (l.req as { url?: string })?.url?.startsWith('/health'))).toEqual([]);
    expect(service.logLines().find((l) => l.event === 'snapshot_missing')).toMatchObject({ level: 30 });
    await service.stop();

    service = await startServiceProcess({ LOCAL_ROOT: root, HOST: '0.0.0.0' });
    await waitFor('listening', async () => (service!.logLines().some((l) => l.event === 'listening') ? true : undefined), 10_000);
    expect(service.logLines().find((l) => l.event === 'open_export')).toMatchObject({ level: 40, msg: expect.stringContaining('API_KEY') });
  });

  it('refuses a snapshot bomb within 10 s and under 400 MB', async () => {
    await users(3);
    // 1.5 GB of zeros as concatenated gzip members: 1.5 MB on disk, behind an honest-looking header.
    const member = gzipSync(Buffer.alloc(16 * 1_048_576));
    const bomb = Buffer.concat(Array.from({ length: 96 }, () => member));
    const scope = { sourcePrefix: 'data/', imageExtensions: ['jpeg', 'jpg', 'png'], maxCsvBytes: 1_048_576, maxAgeYears: 150 };
    const head = { createdAtMs: Date.now(), users: 3, payloadBytes: 1_000, scope };
    const key = defaultSnapshotKey({ sourcePrefix: 'data/' });
    await mkdir(path.dirname(path.join(root, key)), { recursive: true });
    await writeFile(path.join(root, key), Buffer.concat([Buffer.from(`user-data-transformer/cache 2 -\n${JSON.stringify(head)}\n`), bomb]));
    const started = performance.now();
    service = await startServiceProcess({ LOCAL_ROOT: root });
    await waitFor('ready', async () => ((await status(`${service!.url}/health/ready`)) === 200 ? true : undefined), 10_000, 50);
    expect(performance.now() - started).toBeLessThan(10_000);
    const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${service.child.pid}/status`, 'utf8'))![1]);
    expect(peakKb / 1024).toBeLessThan(400);
    expect(service.logLines().find((l) => l.event === 'snapshot_ignored')?.msg).toMatch(/snapshot not used \(the payload inflates past the 1000 bytes/);
  });
});
