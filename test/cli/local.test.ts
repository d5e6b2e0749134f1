import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserDataTransformer } from '../../src/UserDataTransformer.js';
import { libraryView, makeUserFolder, runCli, tempDir } from './support.js';

/** The built command over a folder of generated users, checked against the library on the same folder. */
describe('udt on a local folder', () => {
  let dir: string;
  let lib: UserDataTransformer;

  beforeAll(async () => {
    dir = await makeUserFolder({ count: 80, seed: 7 });
    lib = await libraryView(dir);
  });
  afterAll(() => rm(path.dirname(dir), { recursive: true, force: true }));

  it('stats --json prints the GET /stats body with the library’s numbers', async () => {
    const all = await runCli(['stats', '--source', dir, '--json']);
    expect(all).toMatchObject({ code: 0, stderr: '' });
    const expected = lib.averageAge();
    expect(all.stdout).toBe(`{"average_age":${expected.averageAge},"count":${expected.count}}\n`);
    expect(expected.count).toBe(80);

    const filtered = await runCli(['stats', '--source', dir, '--json', '--image', '--min-age', '30', '--max-age', '60']);
    const want = lib.averageAge({ imageExists: true, minAge: 30, maxAge: 60 });
    expect(JSON.parse(filtered.stdout)).toEqual({ average_age: want.averageAge, count: want.count });
    expect(want.count).toBeGreaterThan(0);
    expect(want.count).toBeLessThan(80);
  });

  it('stats says average_age null when nobody matches, and summarises for people without --json', async () => {
    const none = await runCli(['stats', '--source', dir, '--json', '--min-age', '150']);
    expect(none.stdout).toBe('{"average_age":null,"count":0}\n');
    const human = await runCli(['stats', '--source', dir, '--no-image']);
    const want = lib.averageAge({ imageExists: false });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`users        ${want.count}\n`);
    expect(human.stdout).toContain(`average age  ${want.averageAge!.toFixed(2)} years`);
  });

  it('query writes CSV by default: the library’s CSV of the matching users', async () => {
    const { code, stdout, stderr } = await runCli(['query', '--source', dir, '--no-image', '--max-age', '50']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(lib.toCsv({ imageExists: false, maxAge: 50 }));
    const rows = Papa.parse<Record<string, string>>(stdout.trim(), { header: true }).data;
    expect(rows.length).toBe(lib.rows({ imageExists: false, maxAge: 50 }).length);
    expect(rows.every((r) => r.img_path === '')).toBe(true);
  });

  it('query --format json and ndjson give the same users as objects', async () => {
    const json = await runCli(['query', '--source', dir, '--format', 'json', '--image']);
    const expected = lib.query({ imageExists: true });
    expect(JSON.parse(json.stdout)).toEqual(expected);
    const ndjson = await runCli(['query', '--source', dir, '--format', 'ndjson', '--image']);
    const lines = ndjson.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(expected);
    expect(expected.every((r) => typeof r.img_path === 'string')).toBe(true);
  });

  it('query --columns picks and orders the columns', async () => {
    const { stdout } = await runCli(['query', '--source', dir, '--columns', 'last_name,user_id', '--min-age', '40', '--max-age', '45']);
    expect(stdout).toBe(lib.toCsv({ columns: ['last_name', 'user_id'], minAge: 40, maxAge: 45 }));
    expect(stdout.split('\n')[0]).toBe('last_name,user_id');
  });

  it('sync prints a short report, and the full one with --json', async () => {
    const human = await runCli(['sync', '--source', dir]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^synced 80 users from .+ in \d+ ms\n/);
    expect(human.stdout).toContain('downloaded 80, unchanged 0');
    expect(human.stdout).toContain('images without a user 1');
    expect(human.stdout).toContain('no failed files');
    const json = await runCli(['sync', '--source', dir, '--json']);
    const report = JSON.parse(json.stdout) as Record<string, unknown>;
    const { durationMs: _a, ...expected } = lib.lastSync!.report;
    const { durationMs: _b, ...actual } = report;
    expect(actual).toEqual(expected);
  });

  it('export --out writes the output CSV of every user, and nothing else beside it', async () => {
    const outDir = await tempDir();
    const out = path.join(outDir, 'users.csv');
    const { code, stdout } = await runCli(['export', '--source', dir, '--out', out, '--image']);
    // export has no filters: --image is refused, not silently ignored.
    expect(code).toBe(2);
    expect(stdout).toBe('');

    const done = await runCli(['export', '--source', dir, '--out', out]);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^exported 80 users \(\d+ bytes\) to .*users\.csv\n$/);
    expect(await readFile(out, 'utf8')).toBe(lib.toCsv());
    expect((await readdir(outDir)).sort()).toEqual(['users.csv']);
    await rm(outDir, { recursive: true, force: true });
  });

  it('export --key writes beside the source folder, as the service does; without --out or --key it writes processed_data/output.csv', async () => {
    const keyed = await runCli(['export', '--source', dir, '--key', 'exports/today.csv']);
    expect(keyed.code).toBe(0);
    expect(await readFile(path.join(dir, '../exports/today.csv'), 'utf8')).toBe(lib.toCsv());
    const byDefault = await runCli(['export', '--source', dir]);
    expect(byDefault.code).toBe(0);
    expect(byDefault.stdout).toContain('to processed_data/output.csv');
    expect(await readFile(path.join(dir, '../processed_data/output.csv'), 'utf8')).toBe(lib.toCsv());
    // Written below the source folder, the outputs are never read back as users.
    const again = await runCli(['stats', '--source', dir, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ count: 80 });
  });
});

describe('udt on a folder with unusable files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeUserFolder({
      count: 10,
      seed: 3,
      extra: { 'broken.csv': 'first_name,last_name\nAnn,Lee\n', 'future.csv': `first_name,last_name,birthts\nZed,Zee,${Date.UTC(2999, 0, 1)}\n` },
    });
  });
  afterAll(() => rm(path.dirname(dir), { recursive: true, force: true }));

  it('sync lists each failed file with its key and reason', async () => {
    const lib = await libraryView(dir);
    const { code, stdout } = await runCli(['sync', '--source', dir]);
    expect(code).toBe(0);
    expect(stdout).toContain('synced 10 users');
    expect(stdout).toContain('2 failed files:\n');
    for (const { key, reason } of lib.lastSync!.report.failed) expect(stdout).toContain(`  ${key}: ${reason}\n`);
    const json = JSON.parse((await runCli(['sync', '--source', dir, '--json'])).stdout) as { failed: { key: string }[] };
    expect(json.failed.map((f) => f.key).sort()).toEqual(['users/broken.csv', 'users/future.csv']);
  });

  it('stats and query still answer, and warn on stderr that files were left out', async () => {
    const stats = await runCli(['stats', '--source', dir, '--json']);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ count: 10 });
    expect(stats.stderr).toMatch(/^udt: warning: 2 files could not be used and are left out; 'udt sync' lists them\n$/);
    const query = await runCli(['query', '--source', dir, '--format', 'ndjson']);
    expect(query.stdout.trim().split('\n')).toHaveLength(10);
    expect(query.stderr).toBe(stats.stderr);
  });
});
