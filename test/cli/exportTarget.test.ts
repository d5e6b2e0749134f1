import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUserFolder, runCli } from './support.js';

describe('udt export --out to something that is not a regular file', () => {
  let dir: string;
  let scratch: string;
  beforeAll(async () => {
    dir = await makeUserFolder({ count: 5, seed: 3 });
    scratch = await mkdtemp(path.join(tmpdir(), 'udt-fifo-'));
  });
  afterAll(async () => {
    await rm(path.dirname(dir), { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it('writes into a FIFO instead of replacing it with a file', async () => {
    const fifo = path.join(scratch, 'pipe');
    await promisify(execFile)('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    let received = '';
    reader.stdout.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const done = new Promise((resolve) => reader.once('exit', resolve));
    const result = await runCli(['export', '--out', fifo, '--source', dir]);
    await done;
    expect(result.code).toBe(0);
    expect((await stat(fifo)).isFIFO()).toBe(true);
    expect(received.split('\n')[0]).toBe('user_id,first_name,last_name,birthts,img_path');
    expect(received.trimEnd().split('\n')).toHaveLength(6);
  });
});
