import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('the built package', () => {
  it('ships type declarations next to the entry point', () => {
    expect(existsSync('dist/index.js')).toBe(true);
    expect(existsSync('dist/index.d.ts')).toBe(true);
  });

  it('loads danfojs-node only when a DataFrame is asked for', async () => {
    const probe = `
      import { createRequire } from 'node:module';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('danfojs-node'));
      const lib = await import('user-data-transformer');
      await import('user-data-transformer/service');
      const t = new lib.UserDataTransformer({ store: lib.createLocalStore({ root: process.argv[1] }), sourcePrefix: 'data/' });
      await t.sync();
      t.toCsv(); t.averageAge(); await t.exportOutput();
      const before = loaded();
      t.aggregate();
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const root = await mkdtemp(join(tmpdir(), 'udt-lazy-'));
    await cp('data', join(root, 'data'), { recursive: true });
    try {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe, root]);
      expect(existsSync(join(root, 'processed_data/output.csv'))).toBe(true);
      expect(JSON.parse(stdout)).toEqual({ before: false, after: true });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('is importable by its package name and works on the demo data', async () => {
    const { stdout } = await run(process.execPath, ['examples/quickstart.mjs', '.'], { env: { ...process.env, TZ: 'UTC' } });
    const out = JSON.parse(stdout) as {
      users: number;
      failed: unknown[];
      matching: number;
      columns: string[];
      stats: { averageAge: number; count: number };
      firstRows: { user_id: string }[];
    };
    expect(out.users).toBe(150);
    expect(out.failed).toEqual([]);
    expect(out.columns).toEqual(['user_id', 'first_name', 'last_name', 'birthts', 'img_path']);
    expect(out.matching).toBe(out.stats.count);
    expect(out.stats.averageAge).toBeGreaterThanOrEqual(30);
    expect(out.stats.averageAge).toBeLessThanOrEqual(60);
    expect(out.firstRows.map((r) => r.user_id)).toEqual(['1001', '1002', '1003']);
  });

  it('keeps the Parquet thread for the next file, yet never holds the process open', async () => {
    const probe = `
      const { encodeParquet } = await import('user-data-transformer');
      const rows = Array.from({ length: 5_000 }, (_, i) => ({ user_id: String(i), first_name: 'A', last_name: 'B', birthts: i, img_path: null, extra: {} }));
      const first = await encodeParquet(rows);
      const again = await encodeParquet(rows);
      console.log(JSON.stringify({ same: Buffer.from(first).equals(Buffer.from(again)) }));`;
    // The idle thread stops on its own after 10 s; the process must not wait for that (killed at 8 s).
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { timeout: 8_000 });
    expect(JSON.parse(stdout)).toEqual({ same: true });
  });
});
