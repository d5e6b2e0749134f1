import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('the built package', () => {
  it('ships type declarations next to the entry point', () => {
    expect(existsSync('dist/index.js')).toBe(true);
    expect(existsSync('dist/index.d.ts')).toBe(true);
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
});
