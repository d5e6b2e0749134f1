import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile, mkdir, symlink, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ObjectRejectedError, StoreUnavailableError } from '../../src/errors.js';
import { createLocalStore } from '../../src/storage/local/LocalStore.js';
import { describeStoreContract } from '../../src/storage/contract/index.js';

describeStoreContract({ describe, it, beforeAll, afterAll }, 'local folder', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'udt-local-'));
  return {
    store: createLocalStore({ root }),
    cleanup: () => rm(root, { recursive: true, force: true }),
    remove: (key) => rm(path.join(root, key)),
  };
});

describe('local folder store specifics', () => {
  it('keeps keys with + and % intact (the S3 test server cannot)', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'udt-local-'));
    const store = createLocalStore({ root });
    await store.put('d/a+b.csv', 'plus', 'text/csv');
    await store.put('d/pct%41.csv', 'pct', 'text/csv');
    expect((await store.list('d/')).map((o) => o.key).sort()).toEqual(['d/a+b.csv', 'd/pct%41.csv']);
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

describe('local folder store: links and special files', () => {
  let base: string;
  let root: string;
  let outside: string;
  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'udt-links-'));
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    await mkdir(path.join(root, 'data'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.csv'), 'first_name\nTOP-SECRET-VALUE\n');
  });
  afterEach(async () => {
    unblockFifoReaders(path.join(root, 'data', 'pipe.csv'));
    await rm(base, { recursive: true, force: true });
  });

  it('lists and reads a link to a file inside the root', async () => {
    await mkdir(path.join(root, 'archive'));
    await writeFile(path.join(root, 'archive', '1.csv'), 'first_name\nAda\n');
    await symlink(path.join('..', 'archive', '1.csv'), path.join(root, 'data', '1.csv'));
    const store = createLocalStore({ root });
    const [listed] = await store.list('data/');
    expect(listed).toMatchObject({ key: 'data/1.csv', size: 15 });
    expect((await store.get('data/1.csv', { expectedSize: 15 }))?.toString()).toBe('first_name\nAda\n');
  });

  it('refuses a link to a file outside the root without revealing the file or its path', async () => {
    await symlink(path.join(outside, 'secret.csv'), path.join(root, 'data', 'leak.csv'));
    const error = await createLocalStore({ root })
      .get('data/leak.csv')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectRejectedError);
    expect((error as Error).message).toMatch(/a link to a file outside the store root/);
    expect((error as Error).message).not.toContain('TOP-SECRET');
    expect((error as Error).message).not.toContain(outside);
  });

  it('refuses a link to /proc/self/environ and never shows its content', async () => {
    await symlink('/proc/self/environ', path.join(root, 'data', 'env.csv'));
    const error = await createLocalStore({ root })
      .get('data/env.csv')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectRejectedError);
    const message = (error as Error).message;
    expect(message.length).toBeLessThan(200);
    expect(message).not.toContain('/proc');
    for (const [name, value] of Object.entries(process.env)) {
      if (value && value.length > 3) expect(message).not.toContain(`${name}=${value}`);
    }
  });

  it('refuses a FIFO without waiting for a writer, and does not list it', async () => {
    execFileSync('mkfifo', [path.join(root, 'data', 'pipe.csv')]);
    const store = createLocalStore({ root });
    const error = await store.get('data/pipe.csv').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectRejectedError);
    expect((error as Error).message).toMatch(/not a regular file \(a FIFO\)/);
    expect(await store.list('data/')).toEqual([]);
  }, 3_000);

  it('refuses a file larger than maxBytes from its size alone', async () => {
    // Sparse: 4 GiB on paper, no disk used; reading it whole would take gigabytes of memory.
    const huge = path.join(root, 'data', 'huge.csv');
    await writeFile(huge, '');
    await truncate(huge, 4 * 1024 ** 3);
    const error = await createLocalStore({ root })
      .get('data/huge.csv', { maxBytes: 1024 * 1024 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectRejectedError);
    expect((error as Error).message).toMatch(/4294967296 bytes, more than the 1048576-byte limit/);
  }, 3_000);

  it('does not walk a linked folder that leads out of the root', async () => {
    await writeFile(path.join(root, 'data', 'own.csv'), 'x');
    await symlink(outside, path.join(root, 'data', 'elsewhere'));
    const store = createLocalStore({ root });
    expect((await store.list('data/')).map((o) => o.key)).toEqual(['data/own.csv']);
    expect((await store.list('')).map((o) => o.key)).toEqual(['data/own.csv']);
  });

  it('refuses to list a prefix whose folder is itself a link out of the root', async () => {
    await symlink(outside, path.join(root, 'linked'));
    const error = await createLocalStore({ root })
      .list('linked/')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/linked\/ is a link to a folder outside the store root/);
  });

  it('treats a link to nothing as a missing object', async () => {
    await symlink(path.join(root, 'nowhere.csv'), path.join(root, 'data', 'dangling.csv'));
    expect(await createLocalStore({ root }).get('data/dangling.csv')).toBeNull();
  });
});

/** A reader stuck opening a FIFO (a store that blocks) is released by a writer showing up. */
function unblockFifoReaders(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // No reader waiting, or no FIFO: nothing to release.
  }
}

/** Threads of this process (Linux): the store's listing and reading threads show up here. */
function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

/** The thread count once it is down to `count`, or as it is after `withinMs`. */
async function settlesAt(count: number, withinMs: number): Promise<number> {
  for (let waited = 0; threadCount() > count && waited < withinMs; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  return threadCount();
}

describe('local folder store: listing and reading threads', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'udt-threads-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads files of every size exactly, many at once, with their bounds', async () => {
    await mkdir(path.join(root, 'd'));
    const sizes = [0, 1, 60, 4095, 65_535, 65_536, 70_000, 1_048_576, 3_000_001, ...Array.from({ length: 300 }, (_, i) => (i * 7919) % 20_000)];
    const bodies = sizes.map((size) => randomBytes(size));
    await Promise.all(bodies.map((body, i) => writeFile(path.join(root, 'd', `${i}.bin`), body)));
    const store = createLocalStore({ root });
    const limit = pLimit(64);
    const read = await Promise.all(bodies.map((body, i) => limit(() => store.get(`d/${i}.bin`, { expectedSize: body.length, maxBytes: body.length }))));
    read.forEach((got, i) => expect(got?.equals(bodies[i]!), `file ${i} of ${bodies[i]!.length} bytes`).toBe(true));
    await store.close();
  });

  it("rejects a read aborted after it started with the signal's reason, and reads the file again after", async () => {
    await writeFile(path.join(root, 'big.bin'), Buffer.alloc(8 * 1024 * 1024, 7));
    const store = createLocalStore({ root });
    const controller = new AbortController();
    const reason = new Error('no longer wanted');
    const reading = store.get('big.bin', { signal: controller.signal });
    controller.abort(reason);
    await expect(reading).rejects.toBe(reason);
    expect((await store.get('big.bin'))?.length).toBe(8 * 1024 * 1024);
    await store.close();
  });

  it.runIf(process.platform === 'linux')('stops its reading threads on close, and starts them again for the next read', async () => {
    await writeFile(path.join(root, 'a.csv'), 'x');
    const before = threadCount();
    const store = createLocalStore({ root });
    await Promise.all(Array.from({ length: 64 }, () => store.get('a.csv')));
    expect(threadCount()).toBeGreaterThan(before);
    await store.close();
    // Well within the 10 s after which idle reading threads stop by themselves.
    expect(await settlesAt(before, 1_000)).toBe(before);
    expect((await store.get('a.csv'))?.toString()).toBe('x');
    await store.close();
  });

  it.runIf(process.platform === 'linux')('keeps its listing threads for the next listing, and stops them on close', async () => {
    await writeFile(path.join(root, 'a.csv'), 'x');
    const before = threadCount();
    const store = createLocalStore({ root });
    expect(await store.list('')).toHaveLength(1);
    const kept = threadCount();
    expect(kept).toBeGreaterThan(before);
    expect(await store.list('')).toHaveLength(1);
    expect(threadCount()).toBe(kept);
    await store.close();
    expect(await settlesAt(before, 1_000)).toBe(before);
  });

  it.runIf(process.platform === 'linux')('leaves no thread behind when a listing is aborted', async () => {
    await mkdir(path.join(root, 'many'));
    await Promise.all(Array.from({ length: 5_000 }, (_, i) => writeFile(path.join(root, 'many', `${i}.csv`), 'x')));
    const before = threadCount();
    const controller = new AbortController();
    const reason = new Error('stop listing');
    const listing = createLocalStore({ root }).list('many/', { signal: controller.signal, onObjects: () => controller.abort(reason) });
    await expect(listing).rejects.toBe(reason);
    expect(await settlesAt(before, 5_000)).toBe(before);
  });
});
