import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, cleanEnv, makeUserFolder, runCli, tempDir } from './support.js';

const COMMANDS = ['sync', 'stats', 'query', 'export', 'serve'];

describe('udt help, version and exit codes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeUserFolder({ count: 5, seed: 9 });
  });
  afterAll(() => rm(path.dirname(dir), { recursive: true, force: true }));

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(await runCli(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('--help lists every command; each command has its own --help', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const name of COMMANDS) expect(top.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    for (const name of COMMANDS) {
      const help = await runCli([name, '--help']);
      expect(help).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout).toContain(`Usage: udt ${name} [options]`);
    }
    const query = await runCli(['query', '--help']);
    for (const flag of ['--source', '--endpoint', '--format', '--image', '--no-image', '--min-age', '--max-age', '--progress'])
      expect(query.stdout).toContain(flag);
  });

  it.concurrent.each([
    ['an unknown flag', ['stats', '--source', 'DIR', '--min-ag', '3'], "unknown option '--min-ag'", 'stats'],
    ['a non-number age', ['stats', '--source', 'DIR', '--min-age', 'abc'], "option '--min-age <years>' argument 'abc' is invalid", 'stats'],
    ['a negative age', ['query', '--source', 'DIR', '--max-age', '-1'], "argument '-1' is invalid", 'query'],
    [
      'min age above max age',
      ['query', '--source', 'DIR', '--min-age', '50', '--max-age', '40'],
      '--min-age (50) must not be greater than --max-age (40)',
      'query',
    ],
    ['an unknown format', ['query', '--source', 'DIR', '--format', 'xml'], 'Allowed choices are csv, json, ndjson', 'query'],
    ['an unknown column', ['query', '--source', 'DIR', '--columns', 'user_id,age'], 'unknown column age; available: user_id', 'query'],
    ['no --source', ['sync'], "required option '--source <dir|s3-url>' not specified", 'sync'],
    [
      '--out with --key',
      ['export', '--source', 'DIR', '--out', 'x.csv', '--key', 'a/x.csv'],
      "'--out <file>' cannot be used with option '--key <key>'",
      'export',
    ],
    ['a key read back as a user', ['export', '--source', 'DIR', '--key', 'users/out.csv'], 'must not be directly in users/', 'export'],
    ['a key leaving the store', ['export', '--source', 'DIR', '--key', '../out.csv'], 'must be a relative key', 'export'],
    [
      'an s3 source without endpoint or credentials',
      ['stats', '--source', 's3://datalake/source_data/'],
      'needs --endpoint (or MINIO_ENDPOINT), --access-key',
      'stats',
    ],
    ['an unsupported URL', ['stats', '--source', 'gs://datalake/x/'], '--source must be a folder or s3://BUCKET/PREFIX/', 'stats'],
    [
      'a bad endpoint',
      ['stats', '--source', 's3://b1/p/', '--endpoint', 'localhost:9000', '--access-key', 'a', '--secret-key', 'b'],
      '--endpoint must be an http(s) URL',
      'stats',
    ],
    ['--endpoint with a folder', ['stats', '--source', 'DIR', '--endpoint', 'http://127.0.0.1:9'], '--endpoint is for s3:// sources', 'stats'],
    ['a bad concurrency', ['sync', '--source', 'DIR', '--concurrency', '0'], 'must be a whole number from 1 to 256', 'sync'],
    ['an unknown command', ['stat', '--source', 'DIR'], "unknown command 'stat'", ''],
  ])('exits with 2 and the usage on stderr for %s', async (_what, args, message, command) => {
    const result = await runCli(args.map((a) => (a === 'DIR' ? dir : a)));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain(`Usage: udt ${command ? `${command} ` : ''}[options]`);
  });

  it('exits with 2 and the usage when no command is given', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: udt [options] [command]');
  });

  it('exits with 1 and a one-line reason, no stack, when the folder does not exist', async () => {
    const missing = path.join(dir, 'no-such-folder');
    for (const command of ['sync', 'stats', 'query', 'export']) {
      const result = await runCli([command, '--source', missing]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^udt: sync failed: local store: the folder no-such-folder\/ does not exist in [^\n]*\n$/);
    }
  });

  it('exits with 1 when the source is a file, not a folder', async () => {
    const result = await runCli(['stats', '--source', path.join(dir, '1001.csv')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^udt: sync failed: [^\n]*1001\.csv\/ is not a folder\n$/);
  });

  it('export --out that cannot be written exits with 1 and leaves the old file and no temp file', async () => {
    const outDir = await tempDir();
    const blocked = path.join(outDir, 'users.csv');
    // A folder where the file should go: the final rename fails after the temp file was written.
    await writeFile(path.join(outDir, 'keep.csv'), 'old content\n');
    await mkdir(path.join(blocked, 'inside'), { recursive: true });
    const result = await runCli(['export', '--source', dir, '--out', blocked]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^udt: cannot write .*users\.csv: [^\n]+\n$/);
    expect((await readdir(outDir)).sort()).toEqual(['keep.csv', 'users.csv']);
    expect(await readFile(path.join(outDir, 'keep.csv'), 'utf8')).toBe('old content\n');

    // A failed sync writes nothing at all: the existing file keeps its content.
    const missing = await runCli(['export', '--source', path.join(dir, 'gone'), '--out', path.join(outDir, 'keep.csv')]);
    expect(missing.code).toBe(1);
    expect(await readFile(path.join(outDir, 'keep.csv'), 'utf8')).toBe('old content\n');
    expect((await readdir(outDir)).sort()).toEqual(['keep.csv', 'users.csv']);
    await rm(outDir, { recursive: true, force: true });
  });

  it('takes S3 credentials from the environment, naming only what is still missing', async () => {
    const env = cleanEnv({ MINIO_ENDPOINT: 'http://127.0.0.1:9', MINIO_ACCESS_KEY: 'key' });
    const result = await runCli(['stats', '--source', 's3://datalake/'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: an s3:// source needs --secret-key (or MINIO_SECRET_KEY)\n');
  });
});
