import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, ObjectRejectedError } from '../../src/errors.js';
import type { ObjectStore } from '../../src/storage/ObjectStore.js';

export interface ContractContext {
  store: ObjectStore;
  cleanup(): Promise<void>;
}

/** The behaviour every ObjectStore must share; each backend's test file runs it. */
export function describeStoreContract(name: string, create: () => Promise<ContractContext>): void {
  describe(`${name}: ObjectStore contract`, () => {
    let ctx: ContractContext;
    let store: ObjectStore;
    // A fresh prefix per run keeps cases independent even on a shared bucket.
    const run = `run-${randomBytes(4).toString('hex')}/`;
    beforeAll(async () => {
      ctx = await create();
      store = ctx.store;
    });
    afterAll(async () => {
      await ctx.store.close();
      await ctx.cleanup();
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('lists nothing under an unused prefix', async () => {
      expect(await store.list(`${run}nothing-here/`)).toEqual([]);
    });

    it('returns null for a missing key', async () => {
      expect(await store.get(`${run}missing.csv`)).toBeNull();
    });

    it('round-trips bytes exactly, including non-ASCII and binary', async () => {
      const body = Buffer.concat([Buffer.from('first_name\nÉmilie, Łukasz\n'), randomBytes(64)]);
      await store.put(`${run}rt/blob.bin`, body, 'application/octet-stream');
      expect((await store.get(`${run}rt/blob.bin`))?.equals(body)).toBe(true);
    });

    it('lists keys under the prefix only, at any depth, with size and etag', async () => {
      await store.put(`${run}ls/b.csv`, 'bb', 'text/csv');
      await store.put(`${run}ls/a.csv`, 'a', 'text/csv');
      await store.put(`${run}ls/deep/c.png`, 'ccc', 'image/png');
      await store.put(`${run}lsx/other.csv`, 'x', 'text/csv');
      const listed = await store.list(`${run}ls/`);
      expect(listed.map((o) => [o.key, o.size]).sort()).toEqual([
        [`${run}ls/a.csv`, 1],
        [`${run}ls/b.csv`, 2],
        [`${run}ls/deep/c.png`, 3],
      ]);
      for (const o of listed) {
        expect(o.etag).toMatch(/\S/);
        expect(o.lastModified).toBeInstanceOf(Date);
      }
    });

    it('changes the etag when the content changes, and keeps it when nothing happens', async () => {
      const key = `${run}etag/u.csv`;
      await store.put(key, 'first', 'text/csv');
      const [before] = await store.list(`${run}etag/`);
      const [again] = await store.list(`${run}etag/`);
      await store.put(key, 'second version', 'text/csv');
      const [after] = await store.list(`${run}etag/`);
      expect(again?.etag).toBe(before?.etag);
      expect(after?.etag).not.toBe(before?.etag);
      expect((await store.get(key))?.toString()).toBe('second version');
    });

    it('keeps keys with spaces and non-ASCII letters intact', async () => {
      const keys = [`${run}odd/user one.csv`, `${run}odd/Łódź-ünï.csv`, `${run}odd/a=b&c.csv`];
      for (const key of keys) await store.put(key, key, 'text/csv');
      expect((await store.list(`${run}odd/`)).map((o) => o.key).sort()).toEqual([...keys].sort());
      for (const key of keys) expect((await store.get(key))?.toString()).toBe(key);
    });

    it('lists more than 1000 keys without losing or repeating any, reporting progress', async () => {
      const count = 1_203;
      const limit = pLimit(32);
      const keys = Array.from({ length: count }, (_, i) => `${run}many/${String(i).padStart(5, '0')}.csv`);
      await Promise.all(keys.map((key) => limit(() => store.put(key, 'x', 'text/csv'))));
      const progress: number[] = [];
      const listed = (await store.list(`${run}many/`, { onProgress: (n) => progress.push(n) })).map((o) => o.key);
      expect(listed).toHaveLength(count);
      expect(new Set(listed).size).toBe(count);
      expect(listed.sort()).toEqual(keys);
      // Now and then, not per object: at least once, never backwards, ending at the full count.
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.length).toBeLessThan(count / 100);
      expect([...progress].sort((a, b) => a - b)).toEqual(progress);
      expect(progress.at(-1)).toBe(count);
    });

    it('hands on every listed object once, in batches, before the listing resolves', async () => {
      const batches: string[][] = [];
      let resolved = false;
      const listing = store.list(`${run}many/`, {
        onObjects: (objects) => {
          expect(resolved).toBe(false);
          batches.push(objects.map((o) => o.key));
        },
      });
      const listed = (await listing).map((o) => o.key);
      resolved = true;
      expect(batches.length).toBeGreaterThan(0);
      expect(batches.flat().sort()).toEqual(listed.sort());
    });

    it("stops a listing aborted half-way with the signal's reason", async () => {
      const controller = new AbortController();
      const reason = new Error('listing no longer wanted');
      const listing = store.list(`${run}many/`, { signal: controller.signal, onProgress: () => controller.abort(reason) });
      await expect(listing).rejects.toBe(reason);
    });

    it("rejects with the signal's reason when the signal is already aborted", async () => {
      await store.put(`${run}abort/a.csv`, 'a', 'text/csv');
      const reason = new Error('shutting down');
      const signal = AbortSignal.abort(reason);
      await expect(store.get(`${run}abort/a.csv`, { signal })).rejects.toBe(reason);
      await expect(store.list(`${run}abort/`, { signal })).rejects.toBe(reason);
    });

    it('refuses an object larger than maxBytes, and accepts one of exactly that size', async () => {
      const key = `${run}bounded/big.bin`;
      const body = randomBytes(20_000);
      await store.put(key, body, 'application/octet-stream');
      const error = await store.get(key, { maxBytes: 19_999 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ObjectRejectedError);
      expect((error as Error).message).toMatch(/19999-byte limit/);
      expect((await store.get(key, { maxBytes: 20_000 }))?.equals(body)).toBe(true);
    });

    it('fails a download whose length differs from the listed size, and checks the listed etag', async () => {
      const key = `${run}sized/u.csv`;
      await store.put(key, 'first_name\nAda\n', 'text/csv');
      const [listed] = await store.list(`${run}sized/`);
      const error = await store.get(key, { expectedSize: listed!.size + 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntegrityError);
      expect((error as Error).message).not.toContain('Ada');
      const body = await store.get(key, { expectedSize: listed!.size, expectedEtag: listed!.etag, maxBytes: listed!.size });
      expect(body?.toString()).toBe('first_name\nAda\n');
    });
  });
}
