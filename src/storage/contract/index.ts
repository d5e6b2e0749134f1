import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { IntegrityError, ObjectRejectedError, StoreUnavailableError } from '../../errors.js';
import type { ObjectStore } from '../ObjectStore.js';
import type { ContractContext, TestApi } from './types.js';
import { describeWatchContract } from './watch.js';

/**
 * The behaviour every `ObjectStore` must share, as a test suite any store can run: the two stores
 * of this package run it, and a store of your own can too (`user-data-transformer/store-contract`).
 * It asserts with `node:assert` and takes the test functions of your runner, so it works under
 * vitest, mocha or `node:test`:
 *
 * ```ts
 * import { describe, it, before, after } from 'node:test';
 * import { describeStoreContract } from 'user-data-transformer/store-contract';
 * describeStoreContract({ describe, it, beforeAll: before, afterAll: after }, 'my store', async () => ({ store: createMyStore(), cleanup: async () => {} }));
 * ```
 */
export type { ContractContext, TestApi } from './types.js';

/** Runs the contract, and the change-event contract for a store with `watch`. */
export function describeStoreContract(test: TestApi, name: string, create: () => Promise<ContractContext>): void {
  test.describe(`${name}: ObjectStore contract`, () => {
    const ctx = {} as ContractContext;
    // A fresh prefix per run keeps cases independent even on a shared bucket.
    const run = `run-${randomBytes(4).toString('hex')}/`;
    test.beforeAll(async () => {
      Object.assign(ctx, await create());
    });
    test.afterAll(async () => {
      await ctx.store.close();
      await ctx.cleanup();
    });
    describeBasics(test, () => ctx.store, run);
    describeLimits(test, () => ctx.store, run);
    describeWatchContract(test, () => ctx, run);
  });
}

function describeBasics(test: TestApi, store: () => ObjectStore, run: string): void {
  test.it('answers ping', async () => {
    assert.equal(await store().ping(), undefined);
  });

  test.it('lists nothing under an unused prefix, and returns null for a missing key', async () => {
    await store().put(`${run}np/a.txt`, 'a', 'text/plain');
    assert.deepEqual(await store().list(`${run}np/nothing-`), []);
    assert.equal(await store().get(`${run}missing.csv`), null);
  });

  test.it('lists nothing, or fails as unavailable, under a folder that does not exist', async () => {
    const listed = await store()
      .list(`${run}no-such-folder/`)
      .catch((error: unknown) => (error instanceof StoreUnavailableError ? 'unavailable' : error));
    assert.ok(listed === 'unavailable' || (Array.isArray(listed) && listed.length === 0), `got ${String(listed)}`);
  });

  test.it('round-trips bytes exactly, including non-ASCII and binary', async () => {
    const body = Buffer.concat([Buffer.from('first_name\nÉmilie, Łukasz\n'), randomBytes(64)]);
    await store().put(`${run}rt/blob.bin`, body, 'application/octet-stream');
    assert.ok((await store().get(`${run}rt/blob.bin`))?.equals(body));
  });

  test.it('lists keys under the prefix only, at any depth, with size, etag and time', async () => {
    await store().put(`${run}ls/b.csv`, 'bb', 'text/csv');
    await store().put(`${run}ls/a.csv`, 'a', 'text/csv');
    await store().put(`${run}ls/deep/c.png`, 'ccc', 'image/png');
    await store().put(`${run}lsx/other.csv`, 'x', 'text/csv');
    const listed = await store().list(`${run}ls/`);
    const shown = listed.map((o): [string, number] => [o.key, o.size]).sort(([a], [b]) => (a < b ? -1 : 1));
    assert.deepEqual(shown, [
      [`${run}ls/a.csv`, 1],
      [`${run}ls/b.csv`, 2],
      [`${run}ls/deep/c.png`, 3],
    ]);
    for (const o of listed) {
      assert.match(o.etag, /\S/);
      assert.ok(o.lastModified instanceof Date && !Number.isNaN(o.lastModified.getTime()));
    }
  });

  test.it('changes the etag when the content changes, and keeps it when nothing happens', async () => {
    const key = `${run}etag/u.csv`;
    await store().put(key, 'first', 'text/csv');
    const [before] = await store().list(`${run}etag/`);
    const [again] = await store().list(`${run}etag/`);
    await store().put(key, 'second version', 'text/csv');
    const [after] = await store().list(`${run}etag/`);
    assert.equal(again?.etag, before?.etag);
    assert.notEqual(after?.etag, before?.etag);
    assert.equal((await store().get(key))?.toString(), 'second version');
  });

  test.it('keeps keys with spaces and non-ASCII letters intact', async () => {
    const keys = [`${run}odd/user one.csv`, `${run}odd/Łódź-ünï.csv`, `${run}odd/a=b&c.csv`];
    for (const key of keys) await store().put(key, key, 'text/csv');
    assert.deepEqual((await store().list(`${run}odd/`)).map((o) => o.key).sort(), [...keys].sort());
    for (const key of keys) assert.equal((await store().get(key))?.toString(), key);
  });

  test.it('lists more than 1000 keys without losing or repeating any, reporting progress now and then', async () => {
    const count = 1_203;
    const keys = Array.from({ length: count }, (_, i) => `${run}many/${String(i).padStart(5, '0')}.csv`);
    for (let i = 0; i < count; i += 32) await Promise.all(keys.slice(i, i + 32).map((key) => store().put(key, 'x', 'text/csv')));
    const progress: number[] = [];
    const listed = (await store().list(`${run}many/`, { onProgress: (n) => progress.push(n) })).map((o) => o.key);
    assert.equal(listed.length, count);
    assert.equal(new Set(listed).size, count);
    assert.deepEqual(listed.sort(), keys);
    assert.ok(progress.length > 0 && progress.length < count / 100, `progress reported ${progress.length} times`);
    assert.deepEqual(
      [...progress].sort((a, b) => a - b),
      progress,
    );
    assert.equal(progress.at(-1), count);
  });

  test.it('hands on every listed object once, in batches, before the listing resolves', async () => {
    const batches: string[][] = [];
    let resolved = false;
    const listing = store().list(`${run}many/`, {
      onObjects: (objects) => {
        assert.equal(resolved, false);
        batches.push(objects.map((o) => o.key));
      },
    });
    const listed = (await listing).map((o) => o.key);
    resolved = true;
    assert.ok(batches.length > 0);
    assert.deepEqual(batches.flat().sort(), listed.sort());
  });
}

function describeLimits(test: TestApi, store: () => ObjectStore, run: string): void {
  test.it("stops a listing aborted half-way with the signal's reason", async () => {
    const controller = new AbortController();
    const reason = new Error('listing no longer wanted');
    const listing = store().list(`${run}many/`, { signal: controller.signal, onProgress: () => controller.abort(reason) });
    await assert.rejects(listing, (error) => error === reason);
  });

  test.it("rejects with the signal's reason when the signal is already aborted", async () => {
    await store().put(`${run}abort/a.csv`, 'a', 'text/csv');
    const reason = new Error('shutting down');
    const signal = AbortSignal.abort(reason);
    await assert.rejects(store().get(`${run}abort/a.csv`, { signal }), (error) => error === reason);
    await assert.rejects(store().list(`${run}abort/`, { signal }), (error) => error === reason);
  });

  test.it('refuses an object larger than maxBytes, and accepts one of exactly that size', async () => {
    const key = `${run}bounded/big.bin`;
    const body = randomBytes(20_000);
    await store().put(key, body, 'application/octet-stream');
    await assert.rejects(store().get(key, { maxBytes: 19_999 }), (error) => error instanceof ObjectRejectedError && /19999-byte limit/.test(error.message));
    assert.ok((await store().get(key, { maxBytes: 20_000 }))?.equals(body));
  });

  test.it('fails a download whose length differs from the listed size, and checks the listed etag', async () => {
    const key = `${run}sized/u.csv`;
    await store().put(key, 'first_name\nAda\n', 'text/csv');
    const [listed] = await store().list(`${run}sized/`);
    assert.ok(listed);
    await assert.rejects(store().get(key, { expectedSize: listed.size + 1 }), (error) => error instanceof IntegrityError && !error.message.includes('Ada'));
    const body = await store().get(key, { expectedSize: listed.size, expectedEtag: listed.etag, maxBytes: listed.size });
    assert.equal(body?.toString(), 'first_name\nAda\n');
  });
}
