import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserDataTransformer } from '../../src/UserDataTransformer.js';
import { readParquet } from '../support/duckdb.js';
import { CLI, cleanEnv, libraryView, makeUserFolder, runCli, tempDir } from './support.js';

describe('udt and Parquet', () => {
  let dir: string;
  let lib: UserDataTransformer;
  beforeAll(async () => {
    dir = await makeUserFolder({ count: 60, seed: 11 });
    lib = await libraryView(dir);
  });
  afterAll(() => rm(path.dirname(dir), { recursive: true, force: true }));

  it('export --format parquet --out FILE writes every user, as the library has them, typed', async () => {
    const out = path.join(await tempDir(), 'users.parquet');
    const done = await runCli(['export', '--source', dir, '--format', 'parquet', '--out', out]);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^exported 60 users \(\d+ bytes\) to .*users\.parquet\n$/);
    const back = await readParquet(out);
    expect(back.types.birthts).toBe('TIMESTAMP');
    expect(back.rows).toEqual(lib.query());
  });

  it('export without --out or --key writes output.csv and output.parquet into the store, as the service does', async () => {
    const done = await runCli(['export', '--source', dir]);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/to processed_data\/output\.csv, and as Parquet \(\d+ bytes\) to processed_data\/output\.parquet,/);
    const root = path.dirname(dir);
    expect(await readFile(path.join(root, 'processed_data/output.csv'), 'utf8')).toBe(lib.toCsv());
    expect((await readParquet(path.join(root, 'processed_data/output.parquet'))).rows).toEqual(lib.query());
    const keyed = await runCli(['export', '--source', dir, '--format', 'parquet', '--key', 'lake/users.parquet']);
    expect(keyed.code).toBe(0);
    expect((await readParquet(path.join(root, 'lake/users.parquet'))).rows).toEqual(lib.query());
  });

  it('query --format parquet --out FILE writes the matching users with the chosen columns', async () => {
    const out = path.join(await tempDir(), 'q.parquet');
    const done = await runCli(['query', '--source', dir, '--min-age', '30', '--no-image', '--columns', 'user_id,birthts', '--format', 'parquet', '--out', out]);
    expect(done.code).toBe(0);
    expect(done.stdout).toBe('');
    const expected = lib.query({ minAge: 30, imageExists: false, columns: ['user_id', 'birthts'] });
    expect(expected.length).toBeGreaterThan(5);
    expect((await readParquet(out)).rows).toEqual(expected);
  });

  it('query --format parquet refuses to write to a terminal, and writes the bytes when stdout is redirected', async () => {
    const work = await tempDir();
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} query --source ${JSON.stringify(dir)} --format parquet`;
    // `script` gives the command a terminal as stdout, as an interactive shell would.
    const onTerminal = await promisify(execFile)('script', ['-qec', command, '/dev/null'], { env: cleanEnv() }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(onTerminal.code).toBe(2);
    expect(onTerminal.stdout).toMatch(/Parquet is binary and stdout is a terminal: give --out FILE/);
    const file = path.join(work, 'piped.parquet');
    await promisify(execFile)('sh', ['-c', `${command} > ${JSON.stringify(file)}`], { env: cleanEnv() });
    expect((await readParquet(file)).rows).toEqual(lib.query());
  });

  it('never replaces a Parquet file with an empty export unless --allow-empty', async () => {
    const empty = path.join(await tempDir(), 'users');
    await mkdir(empty);
    const out = path.join(path.dirname(empty), 'kept.parquet');
    await writeFile(out, 'previous export');
    const refused = await runCli(['export', '--source', empty, '--format', 'parquet', '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/kept\.parquet still holds the previous users and is kept \(--allow-empty writes anyway\)/);
    expect(await readFile(out, 'utf8')).toBe('previous export');
    const forced = await runCli(['export', '--source', empty, '--format', 'parquet', '--out', out, '--allow-empty']);
    expect(forced.code).toBe(0);
    expect((await readParquet(out)).rows).toEqual([]);
    // It holds no users now: writing no users over it again loses nothing.
    expect((await runCli(['export', '--source', empty, '--out', out])).code).toBe(0);
  });

  it('takes the format from the name of --out or --key, and refuses a --format that contradicts it', async () => {
    const work = await tempDir();
    const byName = await runCli(['export', '--source', dir, '--out', path.join(work, 'users.parquet')]);
    expect(byName.code).toBe(0);
    expect((await readParquet(path.join(work, 'users.parquet'))).rows).toEqual(lib.query());
    const queried = await runCli(['query', '--source', dir, '--max-age', '40', '--out', path.join(work, 'young.parquet')]);
    expect(queried.code).toBe(0);
    expect((await readParquet(path.join(work, 'young.parquet'))).rows).toEqual(lib.query({ maxAge: 40 }));
    for (const args of [
      ['export', '--format', 'parquet', '--key', 'lake/users.csv'],
      ['export', '--format', 'csv', '--out', path.join(work, 'x.parquet')],
      ['query', '--format', 'json', '--out', path.join(work, 'x.csv')],
    ]) {
      const refused = await runCli([...args, '--source', dir]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/--format \w+ does not match .*, whose name says (csv|parquet)/);
    }
  });
});
