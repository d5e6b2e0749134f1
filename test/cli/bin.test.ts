import { readFile, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO, runCliAt, tempDir } from './support.js';

describe('the installed commands', () => {
  it('package.json links user-data-transformer and udt to the built entry, which starts with a shebang', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(Object.keys(pkg.bin).sort()).toEqual(['udt', 'user-data-transformer']);
    for (const target of Object.values(pkg.bin)) {
      expect(path.resolve(REPO, target)).toBe(CLI);
      expect((await readFile(CLI, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
    }
  });

  it('names itself after the link it was started by', async () => {
    const dir = await tempDir();
    for (const name of ['udt', 'user-data-transformer']) {
      const link = path.join(dir, name);
      await symlink(CLI, link);
      const result = await runCliAt(link, ['query', '--format', 'xml']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`Usage: ${name} query [options]`);
    }
    await rm(dir, { recursive: true, force: true });
  });
});
