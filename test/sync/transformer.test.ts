import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as dfd from 'danfojs-node';
import { StoreUnavailableError } from '../../src/errors.js';
import { UserDataTransformer } from '../../src/UserDataTransformer.js';
import { BACKENDS, type Backend } from '../support/backends.js';

const NOW = Date.UTC(2026, 10, 22, 12);
const P = 'source_data/';
const csv = (first: string, last: string, birthts: number, extraHeader = '', extraValue = '') =>
  `first_name,last_name,birthts${extraHeader}\n${first},${last},${birthts}${extraValue}\n`;
const born = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d);

async function seed(b: Backend) {
  await b.write(`${P}10.csv`, csv('Ten', 'Tenner', born(1990, 1, 1)));
  await b.write(`${P}2.csv`, 'first_name, last_name, birthts\r\nTwo, "Smith, Jr", ' + born(2000, 11, 23) + '\r\n');
  await b.write(`${P}1.csv`, csv('One', 'Uno', born(1960, 5, 5)));
  await b.write(`${P}alice-smith.csv`, csv('Alice', 'Smith', born(1985, 2, 28), ',city', ',Oslo'));
  await b.write(`${P}2.png`, Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  await b.write(`${P}orphan.png`, Buffer.from([1]));
  await b.write(`${P}notes.txt`, 'not a user');
  await b.write(`other/99.csv`, csv('Out', 'Side', 0));
}

describe.each(BACKENDS)('UserDataTransformer on $name', ({ create }) => {
  let b: Backend;
  let t: UserDataTransformer;
  beforeEach(async () => {
    b = await create();
    await seed(b);
    t = new UserDataTransformer({ store: b.store, sourcePrefix: P, concurrency: 4, now: () => NOW });
  });
  afterEach(() => b.cleanup());

  it('loads every user once, sorted numeric-aware, with image paths', async () => {
    const report = await t.sync();
    expect(report).toMatchObject({ listed: 7, downloaded: 4, unchanged: 0, removed: 0, imagesWithoutInfo: 1, ignored: 1, users: 4, failed: [] });
    expect(b.takeDownloads().sort()).toEqual([`${P}1.csv`, `${P}10.csv`, `${P}2.csv`, `${P}alice-smith.csv`]);
    expect(t.query()).toEqual([
      { user_id: '1', first_name: 'One', last_name: 'Uno', birthts: born(1960, 5, 5), img_path: null },
      { user_id: '2', first_name: 'Two', last_name: 'Smith, Jr', birthts: born(2000, 11, 23), img_path: `${P}2.png` },
      { user_id: '10', first_name: 'Ten', last_name: 'Tenner', birthts: born(1990, 1, 1), img_path: null },
      { user_id: 'alice-smith', first_name: 'Alice', last_name: 'Smith', birthts: born(1985, 2, 28), img_path: null },
    ]);
  });

  it('downloads nothing when nothing changed', async () => {
    await t.sync();
    b.takeDownloads();
    const versionBefore = t.table.version;
    expect(await t.sync()).toMatchObject({ downloaded: 0, unchanged: 4, users: 4 });
    expect(b.takeDownloads()).toEqual([]);
    expect(t.table.version).toBe(versionBefore);
  });

  it('downloads only the CSV that changed and serves its new content', async () => {
    await t.sync();
    b.takeDownloads();
    await b.write(`${P}10.csv`, csv('Tenth', 'Tenner', born(1991, 1, 1)));
    expect(await t.sync()).toMatchObject({ downloaded: 1, unchanged: 3 });
    expect(b.takeDownloads()).toEqual([`${P}10.csv`]);
    expect(t.rows().find((r) => r.user_id === '10')?.first_name).toBe('Tenth');
  });

  it('drops a user whose CSV was deleted, even if the image stays', async () => {
    await t.sync();
    await b.remove(`${P}2.csv`);
    expect(await t.sync()).toMatchObject({ removed: 1, users: 3, imagesWithoutInfo: 2, downloaded: 0 });
    expect(t.rows().map((r) => r.user_id)).toEqual(['1', '10', 'alice-smith']);
  });

  it('flips image presence from the listing without downloading anything', async () => {
    await t.sync();
    b.takeDownloads();
    await b.write(`${P}10.jpg`, Buffer.from([0xff, 0xd8]));
    await b.remove(`${P}2.png`);
    const report = await t.sync();
    expect(report.downloaded).toBe(0);
    expect(b.takeDownloads()).toEqual([]);
    expect(t.rows({ imageExists: true }).map((r) => [r.user_id, r.img_path])).toEqual([['10', `${P}10.jpg`]]);
    expect(t.rows({ imageExists: false }).map((r) => r.user_id)).toEqual(['1', '2', 'alice-smith']);
  });

  it('reports a broken new CSV by key and reason, keeps everyone else, and does not fetch it again until it changes', async () => {
    await t.sync();
    await b.write(`${P}3.csv`, 'first_name,last_name,birthts\nThree,Drei,yesterday\n');
    b.takeDownloads();
    const report = await t.sync();
    expect(report.failed).toEqual([{ key: `${P}3.csv`, reason: 'birthts must be an integer number of milliseconds since 1970-01-01 UTC' }]);
    expect(t.rows().map((r) => r.user_id)).toEqual(['1', '2', '10', 'alice-smith']);
    expect(b.takeDownloads()).toEqual([`${P}3.csv`]);

    expect((await t.sync()).failed).toHaveLength(1);
    expect(b.takeDownloads()).toEqual([]);

    await b.write(`${P}3.csv`, csv('Three', 'Drei', born(1970, 3, 3)));
    expect((await t.sync()).failed).toEqual([]);
    expect(t.rows().map((r) => r.user_id)).toEqual(['1', '2', '3', '10', 'alice-smith']);
  });

  it('keeps serving the last good version of a user whose file breaks, and says so', async () => {
    await t.sync();
    await b.write(`${P}1.csv`, 'first_name,last_name\nOne,Uno\n');
    const report = await t.sync();
    expect(report.failed).toEqual([{ key: `${P}1.csv`, reason: expect.stringMatching(/missing column birthts.*serving the previous version/) }]);
    expect(t.rows().find((r) => r.user_id === '1')?.first_name).toBe('One');
  });

  it('runs one sync for concurrent callers: each object is downloaded once', async () => {
    const [a, c] = await Promise.all([t.sync(), t.sync()]);
    expect(a).toBe(c);
    expect(b.takeDownloads().sort()).toEqual([`${P}1.csv`, `${P}10.csv`, `${P}2.csv`, `${P}alice-smith.csv`]);
  });

  it('hands every successful sync report to onSync', async () => {
    const reports: number[] = [];
    const observed = new UserDataTransformer({ store: b.store, sourcePrefix: P, now: () => NOW, onSync: (r) => reports.push(r.downloaded) });
    await observed.sync();
    await observed.sync();
    expect(reports).toEqual([4, 0]);
  });

  it('reports progress up to the number of downloads', async () => {
    const seen: string[] = [];
    await t.sync({ onProgress: ({ phase, done, total }) => phase === 'downloading' && seen.push(`${done}/${total}`) });
    expect(seen).toEqual(['1/4', '2/4', '3/4', '4/4']);
  });

  it('filters by image and inclusive age bounds, and averages completed years', async () => {
    await t.sync();
    // Ages on 2026-11-22: 1 → 66, 2 → 25 (birthday tomorrow), 10 → 36, alice → 41.
    expect(t.rows({ minAge: 36, maxAge: 41 }).map((r) => r.user_id)).toEqual(['10', 'alice-smith']);
    expect(t.rows({ maxAge: 25 }).map((r) => r.user_id)).toEqual(['2']);
    expect(t.averageAge()).toEqual({ averageAge: (66 + 25 + 36 + 41) / 4, count: 4 });
    expect(t.averageAge({ imageExists: true })).toEqual({ averageAge: 25, count: 1 });
    expect(t.averageAge({ minAge: 90 })).toEqual({ averageAge: null, count: 0 });
    expect(t.rows({ where: (r) => r.last_name.startsWith('Smith') }).map((r) => r.user_id)).toEqual(['2', 'alice-smith']);
    expect(() => t.rows({ minAge: 40, maxAge: 30 })).toThrow(/minAge \(40\) must not be greater than maxAge \(30\)/);
    expect(() => t.rows({ minAge: -1 })).toThrow(/minAge must be a non-negative integer/);
  });

  it('builds a DataFrame with the chosen columns, extra CSV columns included', async () => {
    await t.sync();
    const df = t.aggregate({ columns: ['user_id', 'city'], minAge: 30 });
    expect(df.columns).toEqual(['user_id', 'city']);
    expect(df.values).toEqual([
      ['1', null],
      ['10', null],
      ['alice-smith', 'Oslo'],
    ]);
    const all = t.aggregate();
    expect(all.shape).toEqual([4, 5]);
    expect((all as unknown as dfd.DataFrame).column('birthts').values).toEqual([born(1960, 5, 5), born(2000, 11, 23), born(1990, 1, 1), born(1985, 2, 28)]);
    expect(() => t.aggregate({ columns: ['user_id', 'age'] })).toThrow(
      /unknown column age; available: user_id, first_name, last_name, birthts, img_path, city/,
    );
  });

  it('writes the full unfiltered output CSV back to the store', async () => {
    await t.sync();
    const result = await t.exportOutput();
    expect(result).toMatchObject({ key: 'processed_data/output.csv', users: 4 });
    const written = (await b.store.get('processed_data/output.csv'))?.toString();
    expect(written?.split('\n')).toEqual([
      'user_id,first_name,last_name,birthts,img_path',
      `1,One,Uno,${born(1960, 5, 5)},`,
      `2,Two,"Smith, Jr",${born(2000, 11, 23)},${P}2.png`,
      `10,Ten,Tenner,${born(1990, 1, 1)},`,
      `alice-smith,Alice,Smith,${born(1985, 2, 28)},`,
      '',
    ]);
    expect(JSON.parse(t.toJson({ columns: ['user_id'], imageExists: true }))).toEqual([{ user_id: '2' }]);
  });
});

describe('UserDataTransformer under storage faults (S3)', () => {
  let b: Backend;
  let t: UserDataTransformer;
  beforeEach(async () => {
    b = await BACKENDS[1]!.create();
    await seed(b);
    t = new UserDataTransformer({ store: b.store, sourcePrefix: P, concurrency: 4, now: () => NOW });
  });
  afterEach(() => b.cleanup());

  it('reports a failed download, keeps the previous version, and retries it on the next sync', async () => {
    await t.sync();
    await b.write(`${P}10.csv`, csv('Tenth', 'Tenner', born(1991, 1, 1)));
    b.proxy!.inject('error500', Infinity, '/source_data/10.csv');
    const report = await t.sync();
    b.proxy!.heal();
    expect(report.failed).toEqual([
      {
        key: `${P}10.csv`,
        reason: expect.stringMatching(
          /^download failed: s3 t-\w+: cannot get source_data\/10\.csv: .*500.*; serving the previous version from source_data\/10\.csv$/,
        ),
      },
    ]);
    expect(report.users).toBe(4);
    expect(t.rows().find((r) => r.user_id === '10')?.first_name).toBe('Ten');
    b.takeDownloads();
    expect(await t.sync()).toMatchObject({ downloaded: 1, failed: [] });
    expect(b.takeDownloads()).toEqual([`${P}10.csv`]);
    expect(t.rows().find((r) => r.user_id === '10')?.first_name).toBe('Tenth');
  });

  it('fails the whole sync when the listing fails, leaving the table as it was', async () => {
    await t.sync();
    await b.remove(`${P}1.csv`);
    b.proxy!.inject('error500', Infinity);
    await expect(t.sync()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(t.rows().map((r) => r.user_id)).toEqual(['1', '2', '10', 'alice-smith']);
    expect(await t.ensureFresh(0)).toEqual({ stale: true, error: expect.stringMatching(/cannot list source_data\//) });
    const empty = new UserDataTransformer({ store: b.store, sourcePrefix: P });
    await expect(empty.ensureFresh(0)).rejects.toBeInstanceOf(StoreUnavailableError);
    b.proxy!.heal();
    expect(await t.ensureFresh(0)).toEqual({ stale: false });
    expect(t.rows().map((r) => r.user_id)).toEqual(['2', '10', 'alice-smith']);
  });
});

describe('UserDataTransformer sync semantics', () => {
  let b: Backend;
  beforeEach(async () => {
    b = await BACKENDS[0]!.create();
    await seed(b);
  });
  afterEach(() => b.cleanup());

  /** The backend's store with a listing that waits until released, to hold a sync mid-flight. */
  function gatedStore() {
    let release: () => void = () => undefined;
    let listed: () => void = () => undefined;
    const listingDone = new Promise<void>((resolve) => (listed = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const store = {
      ...b.store,
      list: async (prefix: string) => {
        const result = await b.store.list(prefix);
        listed();
        await gate;
        return result;
      },
    };
    return { store, release, listingDone };
  }

  it('a fresh sync requested while another runs reflects changes made after that one listed, and answers its callers too', async () => {
    const { store, release, listingDone } = gatedStore();
    const t = new UserDataTransformer({ store, sourcePrefix: P, now: () => NOW });
    const first = t.sync();
    await listingDone;
    await b.write(`${P}3.csv`, csv('Late', 'Comer', born(1999, 9, 9)));
    const joined = t.sync();
    const fresh = t.sync({ fresh: true });
    release();
    // The run that had already listed is abandoned, never waited for: its callers get the fresh one's answer.
    expect((await first).users).toBe(5);
    expect((await joined).users).toBe(5);
    expect((await fresh).users).toBe(5);
    expect(t.rows().map((r) => r.user_id)).toContain('3');
  });

  it('finishes the sync and updates the table even if the progress callback throws', async () => {
    const t = new UserDataTransformer({
      store: b.store,
      sourcePrefix: P,
      now: () => NOW,
      onSync: () => {
        throw new Error('observer bug');
      },
    });
    const report = await t.sync({
      onProgress: () => {
        throw new Error('display bug');
      },
    });
    expect(report.users).toBe(4);
    expect(t.rows().map((r) => r.user_id)).toEqual(['1', '2', '10', 'alice-smith']);
  });

  it('never edits rows already handed out when an image appears', async () => {
    const t = new UserDataTransformer({ store: b.store, sourcePrefix: P, now: () => NOW });
    await t.sync();
    const before = t.rows();
    await b.write(`${P}1.png`, Buffer.from([1]));
    await t.sync();
    expect(before[0]?.img_path).toBeNull();
    expect(t.rows()[0]?.img_path).toBe(`${P}1.png`);
  });

  it('after a failed sync, reads inside the staleness window answer from the cache without asking the store again', async () => {
    let lists = 0;
    let down = false;
    const store = {
      ...b.store,
      list: async (prefix: string) => {
        lists++;
        if (down) throw new StoreUnavailableError('injected outage');
        return b.store.list(prefix);
      },
    };
    let now = NOW;
    const t = new UserDataTransformer({ store, sourcePrefix: P, now: () => now });
    await t.ensureFresh(5_000);
    down = true;
    now += 6_000;
    expect(await t.ensureFresh(5_000)).toEqual({ stale: true, error: 'injected outage' });
    now += 1_000;
    expect(await t.ensureFresh(5_000)).toEqual({ stale: true, error: 'injected outage' });
    expect(lists).toBe(2);
    down = false;
    now += 5_000;
    expect(await t.ensureFresh(5_000)).toEqual({ stale: false });
    expect(lists).toBe(3);
  });
});
