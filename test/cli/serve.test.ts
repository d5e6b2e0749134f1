import { spawn, type ChildProcess } from 'node:child_process';
import { cp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, cleanEnv, runCli, tempDir } from './support.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(probe: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** `udt serve` is the service `npm start` runs, configured by the same environment variables. */
describe('udt serve', () => {
  let root: string;
  let child: ChildProcess;
  let url: string;
  let log = '';

  beforeAll(async () => {
    root = await tempDir();
    await cp(path.join(REPO, 'data'), path.join(root, 'data'), { recursive: true });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [CLI, 'serve'], {
      cwd: root,
      env: cleanEnv({ PORT: String(port), LOG_LEVEL: 'info', OUTPUT_CRON: 'off' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await waitFor(async () => (await fetch(`${url}/health`)).ok || Promise.reject(new Error(`not ready: ${log}`)));
  });
  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  it('answers GET /stats with exactly what `stats --json` prints for the same folder', async () => {
    const query = 'is_image_exists=true&min_age=30&max_age=60';
    const body = await (await fetch(`${url}/stats?${query}`)).text();
    const cli = await runCli(['stats', '--source', path.join(root, 'data'), '--json', '--image', '--min-age', '30', '--max-age', '60']);
    expect(cli.stdout).toBe(`${body}\n`);
    expect(JSON.parse(body)).toMatchObject({ count: expect.any(Number) });
    expect(log).toContain('"event":"listening"');
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
