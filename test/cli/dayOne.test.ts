import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../support/process.js';
import { CLI, cleanEnv, makeUserFolder, runCli } from './support.js';
import { spawn } from 'node:child_process';

/** What a person meets on the first day with the command line. */
describe('udt on the first day', () => {
  let dir: string;
  let parent: string;
  beforeAll(async () => {
    dir = await makeUserFolder({ count: 12, seed: 4 });
    parent = path.dirname(dir);
  });
  afterAll(() => rm(parent, { recursive: true, force: true }));

  it('says 0 user files out loud, and where they are when a folder below has them', async () => {
    const result = await runCli(['stats', '--source', parent, '--json'], { cwd: parent });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ average_age: null, count: 0 });
    expect(result.stderr).toBe(`udt: warning: 0 user files in ${parent}; 12 in users: did you mean --source users?\n`);
    const empty = path.join(parent, 'empty');
    await mkdir(empty);
    expect((await runCli(['sync', '--source', empty])).stderr).toBe(`udt: warning: 0 user files in ${empty}\n`);
  });

  it('gives img_path as the key the service gives for the same files, and refuses --out into the source folder', async () => {
    const rows = JSON.parse((await runCli(['query', '--source', dir, '--format', 'json', '--image'])).stdout) as { img_path: string }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.img_path).toMatch(/^users\/\d+\.(png|jpg|jpeg)$/);
    const refused = await runCli(['export', '--source', dir, '--out', path.join(dir, 'all.csv')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is directly in the source folder');
  });

  it('never replaces an output that holds users with an empty one, unless --allow-empty', async () => {
    const out = path.join(parent, 'out.csv');
    expect((await runCli(['export', '--source', dir, '--out', out])).code).toBe(0);
    const full = await readFile(out, 'utf8');
    const emptied = path.join(parent, 'emptied');
    await mkdir(emptied, { recursive: true });
    const refused = await runCli(['export', '--source', emptied, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the source has no users');
    expect(await readFile(out, 'utf8')).toBe(full);
    const keyed = await runCli(['export', '--source', emptied, '--key', 'processed_data/output.csv']);
    expect(keyed.code).toBe(0); // nothing there yet: an empty output is fine
    const forced = await runCli(['export', '--source', emptied, '--out', out, '--allow-empty']);
    expect(forced.code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe('user_id,first_name,last_name,birthts,img_path\n');
  });

  it('escapes control characters of file names it prints, and refuses names that hold them', async () => {
    const hostile = path.join(parent, 'hostile');
    await mkdir(hostile);
    await writeFile(path.join(hostile, '1.csv'), `first_name,last_name,birthts\nAnn\u0007,Lee,${Date.UTC(1990, 0, 1)}\n`);
    await writeFile(path.join(hostile, '\u001b[31mred.csv'), `first_name,last_name,birthts\nBo,Ek,${Date.UTC(1990, 0, 1)}\n`);
    const result = await runCli(['sync', '--source', hostile]);
    expect(result.stdout + result.stderr).not.toContain('\u0007');
    expect(result.stdout + result.stderr).not.toContain('\u001b');
    expect(result.stdout).toContain('hostile/1.csv: first_name contains the control character U+0007');
    expect(result.stdout).toContain('hostile/\\x1b[31mred.csv: the file name contains the control character U+001B');
  });

  it('never prints credentials given in --endpoint, on success or failure', async () => {
    const env = cleanEnv({ MINIO_ACCESS_KEY: 'key', MINIO_SECRET_KEY: 'secret' });
    const failed = await runCli(['sync', '--source', 's3://bucket/p/', '--endpoint', 'http://alice:hunter2@127.0.0.1:9'], { env });
    expect(failed.code).toBe(1);
    expect(failed.stderr).not.toContain('hunter2');
    const bad = await runCli(['sync', '--source', 's3://bucket/p/', '--endpoint', 'ftp://alice:hunter2@host'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toContain('hunter2');
    expect(bad.stderr).toContain('[redacted]');
  });

  it('serve --source serves the folder with the keys the other commands give', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'serve', '--source', dir], {
      env: cleanEnv({ PORT: String(port), OUTPUT_CRON: 'off', SNAPSHOT_KEY: 'off', LOG_LEVEL: 'silent' }),
      stdio: 'ignore',
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor('ready', async () => ((await fetch(`${url}/health/ready`)).ok ? true : undefined), 30_000);
      const served = (await (await fetch(`${url}/data?is_image_exists=true`)).json()) as { img_path: string }[];
      const printed = JSON.parse((await runCli(['query', '--source', dir, '--format', 'json', '--image'])).stdout) as unknown[];
      expect(served).toEqual(printed);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
