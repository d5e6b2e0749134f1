import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { createLocalStore } from '../../src/storage/LocalStore.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('local folder', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'udt-local-'));
  return { store: createLocalStore({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
});

describe('local folder store specifics', () => {
  it('keeps keys with + and % intact (the S3 test server cannot)', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'udt-local-'));
    const store = createLocalStore({ root });
    await store.put('d/a+b.csv', 'plus', 'text/csv');
    await store.put('d/pct%41.csv', 'pct', 'text/csv');
    expect((await store.list('d/')).map((o) => o.key)).toEqual(['d/a+b.csv', 'd/pct%41.csv']);
    expect((await store.get('d/pct%41.csv'))?.toString()).toBe('pct');
    await rm(root, { recursive: true });
  });

  it('refuses keys that climb out of the root', async () => {
    const store = createLocalStore({ root: tmpdir() });
    await expect(store.get('../etc/passwd')).rejects.toThrow(/not a relative path/);
    await expect(store.put('a/../../x', 'x', 'text/plain')).rejects.toThrow(/not a relative path/);
  });

  it('writes through a temp file that never shows up in a listing or stays behind', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'udt-local-'));
    const store = createLocalStore({ root });
    await store.put('out/output.csv', 'a,b\n', 'text/csv');
    await store.put('out/output.csv', 'a,b\n1,2\n', 'text/csv');
    expect(await readdir(path.join(root, 'out'))).toEqual(['output.csv']);
    expect((await store.list('out/')).map((o) => o.key)).toEqual(['out/output.csv']);
    await rm(root, { recursive: true });
  });

  it('treats a prefix that names a partial file name like S3 does', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'udt-local-'));
    await mkdir(path.join(root, 'src'), { recursive: true });
    await writeFile(path.join(root, 'src', '10.csv'), 'x');
    await writeFile(path.join(root, 'src', '2.csv'), 'x');
    const store = createLocalStore({ root });
    expect((await store.list('src/1')).map((o) => o.key)).toEqual(['src/10.csv']);
    await rm(root, { recursive: true });
  });

  it('reports a missing root as unavailable, not as an empty bucket', async () => {
    const store = createLocalStore({ root: path.join(tmpdir(), 'udt-does-not-exist-' + Date.now()) });
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.list('data/')).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('names the missing option', () => {
    expect(() => createLocalStore({ root: '' })).toThrow(/missing required option `root`/);
  });
});
