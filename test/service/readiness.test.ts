import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iterateDemoFiles } from '../../scripts/generate-demo.mjs';
import { startServiceProcess, waitFor } from '../support/process.js';

const USERS = 20_000;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'udt-ready-'));
  await mkdir(path.join(root, 'data'));
  const files = [...iterateDemoFiles({ count: USERS, seed: 3 })];
  for (let i = 0; i < files.length; i += 256) await Promise.all(files.slice(i, i + 256).map((f) => writeFile(path.join(root, 'data', f.name), f.body)));
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('ready means right', () => {
  it('answers the first GET /data after /health/ready says ready with every user, while requests race the first load', async () => {
    const service = await startServiceProcess({ LOCAL_ROOT: root, SNAPSHOT_KEY: 'off', READY_TIMEOUT_MS: '60000' });
    try {
      // Requests that arrive before the first load wait for it; none may see a half-built table.
      const early = Array.from({ length: 4 }, async () => {
        await waitFor('the socket', async () => ((await fetch(`${service.url}/health/live`)).ok ? true : undefined), 30_000, 5);
        const res = await fetch(`${service.url}/data`);
        return { status: res.status, etag: res.headers.get('etag'), rows: res.status === 200 ? ((await res.json()) as unknown[]).length : -1 };
      });
      await waitFor('readiness', async () => ((await fetch(`${service.url}/health/ready`)).status === 200 ? true : undefined), 60_000, 5);
      const first = await fetch(`${service.url}/data`);
      expect(first.status).toBe(200);
      expect(((await first.json()) as unknown[]).length).toBe(USERS);
      expect(first.headers.get('etag')).not.toMatch(/-0"$/);
      for (const answer of await Promise.all(early)) {
        expect(answer.status).toBe(200);
        expect(answer.rows).toBe(USERS);
      }
      const stats = (await (await fetch(`${service.url}/stats`)).json()) as { count: number };
      expect(stats.count).toBe(USERS);
    } finally {
      await service.stop();
    }
  }, 120_000);
});
