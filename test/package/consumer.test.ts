import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquet } from '../support/duckdb.js';

/**
 * The package as a consumer gets it: `npm pack`, then `npm install` of the tarball into a fresh
 * project with no overrides, a strict TypeScript build of a consumer program against it, and runs
 * of that program without and with the optional danfojs-node peer. Installs use
 * `--prefer-offline`, so they are served from the cache `npm ci` filled.
 */
const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
const TSC = path.join(REPO, 'node_modules/typescript/bin/tsc');
const INSTALL_TIMEOUT_MS = 300_000;
const env = { ...process.env, SCARF_ANALYTICS: 'false', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

let work: string;
let consumer: string;
let tarball: string;

function npm(args: string[], cwd: string) {
  return run('npm', args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: INSTALL_TIMEOUT_MS });
}

function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOf(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

async function runConsumer(): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['dist/consumer.js', path.join(REPO)], { cwd: consumer, env: { ...env, TZ: 'UTC' } });
  return JSON.parse(stdout) as Record<string, unknown>;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'udt-consumer-'));
  // The build is already there (`npm test` builds first); packing must not rebuild it under the other tests.
  const { stdout } = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], REPO);
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, packed!.filename);
  writeFileSync(path.join(work, 'files.json'), JSON.stringify(packed!.files.map((f) => f.path)));
  consumer = path.join(work, 'app');
  mkdirSync(consumer);
  copyFileSync(path.join(REPO, 'test/package/consumer.ts'), path.join(consumer, 'consumer.ts'));
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        types: ['node'],
        skipLibCheck: false,
        outDir: 'dist',
      },
      files: ['consumer.ts'],
    }),
  );
  await npm(['install', '--prefer-offline', tarball, '@types/node@20'], consumer);
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('is built by npm pack itself on a fresh clone, with no dist/ yet', async () => {
    const clone = path.join(work, 'clone');
    mkdirSync(clone);
    const { stdout: tracked } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
    for (const file of tracked.split('\0').filter((f) => f !== '' && !f.startsWith('dist/') && existsSync(path.join(REPO, f)))) {
      mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
      copyFileSync(path.join(REPO, file), path.join(clone, file));
    }
    symlinkSync(path.join(REPO, 'node_modules'), path.join(clone, 'node_modules'));
    const { stdout } = await npm(['pack', '--dry-run', '--json'], clone);
    const [packed] = JSON.parse(stdout) as { files: { path: string }[] }[];
    const files = packed!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/service/main.js', 'dist/cli/main.js', 'dist/storage/contract/index.js']));
  });

  it('ships the build and its metadata, without build info, source maps or tests', () => {
    const files = JSON.parse(readFileSync(path.join(work, 'files.json'), 'utf8')) as string[];
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/service/index.js',
        'dist/service/index.d.ts',
      ]),
    );
    expect(files.filter((f) => /\.tsbuildinfo$|\.map$/.test(f))).toEqual([]);
    expect(files.filter((f) => !/^(dist\/|package\.json$|README\.md$|LICENSE$|CHANGELOG\.md$)/.test(f))).toEqual([]);
  });

  it('installs from the registry alone, without danfojs-node or TensorFlow', () => {
    const modules = path.join(consumer, 'node_modules');
    expect(existsSync(path.join(modules, 'user-data-transformer/dist/index.js'))).toBe(true);
    expect(existsSync(path.join(modules, 'danfojs-node'))).toBe(false);
    expect(existsSync(path.join(modules, '@tensorflow'))).toBe(false);
    console.log(`consumer install without danfojs-node: ${(sizeOf(modules) / 1e6).toFixed(1)} MB`);
  });

  it('typechecks a strict nodenext consumer without skipLibCheck, and runs it', async () => {
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: consumer, env });
    const out = await runConsumer();
    expect(out).toMatchObject({ users: 150, failed: 0, firstIds: [{ user_id: '1001' }, { user_id: '1002' }] });
    expect(out.withImage).toBeGreaterThan(0);
    expect(out.withImage).toBeLessThan(150);
    expect((out.stats as { count: number }).count).toBeGreaterThan(0);
    expect(out.csvLines).toBeGreaterThan(1);
    expect(out.paths).toEqual(expect.arrayContaining(['/data', '/stats', '/health']));
    expect(out.contractCases).toBeGreaterThanOrEqual(15);
    expect(out.typed).toEqual(['function', true, 'function']);
    const parquet = out.parquet as { file: string; rows: number; bigFile: string };
    expect((await readParquet(parquet.file)).rows).toHaveLength(parquet.rows);
    expect((await readParquet(parquet.bigFile)).rows).toHaveLength(12_345);
    // Without the optional peer, aggregate() says what to install, recipe included.
    expect(out.aggregate).toMatchObject({ ok: false, code: 'missing_dependency', dependency: 'danfojs-node' });
    const message = (out.aggregate as { message: string }).message;
    expect(message).toContain('npm install danfojs-node@1.2.0');
    expect(message).toContain('"@tensorflow/tfjs-node": "npm:@tensorflow/tfjs@3.21.0"');
    expect(message).toContain('"xlsx": "npm:xlsx@0.18.5"');
  });

  it(
    'builds a DataFrame once danfojs-node is installed with the documented recipe',
    async () => {
      const pkgFile = path.join(consumer, 'package.json');
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as Record<string, unknown>;
      pkg.overrides = { '@tensorflow/tfjs-node': 'npm:@tensorflow/tfjs@3.21.0', xlsx: 'npm:xlsx@0.18.5' };
      writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
      await npm(['install', '--prefer-offline', 'danfojs-node@1.2.0'], consumer);
      const out = await runConsumer();
      expect(out.aggregate).toMatchObject({ ok: true, columns: ['user_id', 'first_name', 'last_name', 'birthts', 'img_path'] });
      expect((out.aggregate as { rows: number }).rows).toBe((out.stats as { count: number }).count);
      console.log(`consumer install with danfojs-node: ${(sizeOf(path.join(consumer, 'node_modules')) / 1e6).toFixed(1)} MB`);
    },
    INSTALL_TIMEOUT_MS,
  );
});
