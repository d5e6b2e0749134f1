import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Exporter } from '../../src/service/exporter.js';
import { createLogger } from '../../src/service/logger.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { createLocalStore } from '../../src/storage/local/LocalStore.js';
import type { ObjectStore } from '../../src/storage/ObjectStore.js';
import type { RefreshObserver } from '../../src/sync/refresher.js';
import { UserDataTransformer } from '../../src/UserDataTransformer.js';
import { eventually, instrument, type InstrumentedStore } from '../support/instrumented.js';

const P = 'data/';
const SNAPSHOT = 'processed_data/.snapshot/cache.v1.json.gz';
const csv = (first: string, birthts = Date.UTC(1990, 0, 1)) => `first_name,last_name,birthts\n${first},Last,${birthts}\n`;
/** Long enough that no periodic listing runs during a test unless it asks for one. */
const QUIET_MS = 600_000;

describe('background refresh on the local store', () => {
  let root: string;
  let store: InstrumentedStore;
  let t: UserDataTransformer;
  const events: string[] = [];
  const observer: RefreshObserver = {
    syncFailed: (e) => events.push(`syncFailed ${String(e)}`),
    watchFailed: () => events.push('watchFailed'),
    snapshotLoaded: (r) => events.push('error' in r ? `snapshotIgnored ${r.error}` : `snapshotLoaded ${r.users}`),
    snapshotSaved: (r) => events.push('error' in r ? `snapshotSaveFailed ${r.error}` : `snapshotSaved ${r.users}`),
  };
  const file = (key: string) => path.join(root, key);
  const write = async (key: string, body: string | Buffer) => {
    await mkdir(path.dirname(file(key)), { recursive: true });
    await writeFile(file(key), body);
  };
  const names = () => t.rows().map((r) => `${r.user_id}:${r.first_name}:${r.img_path ?? '-'}`);
  const open = (s: ObjectStore = store) => new UserDataTransformer({ store: s, sourcePrefix: P, concurrency: 4 });

  beforeEach(async () => {
    events.length = 0;
    root = await mkdtemp(path.join(tmpdir(), 'udt-fresh-'));
    for (let i = 1; i <= 5; i++) await write(`${P}${i}.csv`, csv(`U${i}`));
    await write(`${P}1.png`, 'img');
    store = instrument(createLocalStore({ root }));
  });
  afterEach(async () => {
    await t?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('shows a written, rewritten or deleted CSV and an added or removed image within 1 s, without a listing', async () => {
    t = open();
    t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS, observer });
    await t.whenReady(5_000);
    await eventually(() => t.status.watching === true, 1_000, 'watching');
    const listings = store.counts.lists;
    expect(names()).toEqual(['1:U1:data/1.png', '2:U2:-', '3:U3:-', '4:U4:-', '5:U5:-']);

    await write(`${P}6.csv`, csv('Six'));
    await eventually(() => names().includes('6:Six:-'), 1_000, 'new CSV');
    await write(`${P}2.csv`, csv('Two again'));
    await eventually(() => names().includes('2:Two again:-'), 1_000, 'rewritten CSV');
    await unlink(file(`${P}3.csv`));
    await eventually(() => !names().some((n) => n.startsWith('3:')), 1_000, 'deleted CSV');
    await write(`${P}4.jpg`, 'img');
    await eventually(() => names().includes('4:U4:data/4.jpg'), 1_000, 'added image');
    await write(`${P}1.jpeg`, 'newer');
    await eventually(() => names().includes('1:U1:data/1.jpeg'), 1_000, 'newer image');
    await unlink(file(`${P}1.jpeg`));
    await eventually(() => names().includes('1:U1:data/1.png'), 1_000, 'back to the older image');
    await unlink(file(`${P}1.png`));
    await eventually(() => names().includes('1:U1:-'), 1_000, 'image removed');
    await write(`${P}7.png`, 'waiting');
    await write(`${P}7.csv`, csv('Seven'));
    await eventually(() => names().includes('7:Seven:data/7.png'), 1_000, 'a new user takes its waiting image');

    expect(store.counts.lists).toBe(listings);
    expect(t.status).toMatchObject({ loaded: true, stale: false, watching: true });
    expect(t.status.dataAgeMs).toBeLessThan(1_000);
  });

  it('exports on schedule without a listing while events keep the table current; POST-style exports still list', async () => {
    t = open();
    t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS, observer });
    await t.whenReady(5_000);
    await eventually(() => t.status.watching === true && t.lastSync !== undefined, 2_000, 'watching after a sync');
    const exporter = new Exporter(t, { outputKey: 'processed_data/output.csv', logger: createLogger('silent') });
    const listings = store.counts.lists;
    await write(`${P}9.csv`, csv('Nine'));
    await eventually(() => names().includes('9:Nine:-'), 1_000, 'the event');
    expect(await exporter.runIfIdle('schedule')).toMatchObject({ users: 6 });
    expect(store.counts.lists).toBe(listings);
    expect((await readFile(file('processed_data/output.csv'), 'utf8')).split('\n')).toContain(`9,Nine,Last,${Date.UTC(1990, 0, 1)},`);
    await exporter.run('api');
    expect(store.counts.lists).toBe(listings + 1);
  });

  it('coalesces a burst of writes and downloads within the concurrency bound', async () => {
    t = open();
    t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS, observer });
    await t.whenReady(5_000);
    await eventually(() => t.status.watching === true, 1_000, 'watching');
    const before = store.counts.gets.length;
    const burst = Array.from({ length: 2_000 }, (_, i) => write(`${P}b${i}.csv`, csv(`B${i}`)));
    await Promise.all(burst);
    await eventually(() => t.table.rows.length === 2_005, 20_000, 'the whole burst');
    expect(store.counts.maxInFlight).toBeLessThanOrEqual(4);
    // A new file raises two events (created, then written); each file is fetched at most once per
    // version it was seen in, so at most twice, never once per event.
    expect(store.counts.gets.length - before).toBeLessThanOrEqual(4_000);
  });

  it('repairs a lost event with the next reconciling listing', async () => {
    store.dropEvents = (e) => e.key === `${P}lost.csv`;
    t = open();
    t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: 400, observer });
    await t.whenReady(5_000);
    await write(`${P}lost.csv`, csv('Lost'));
    await write(`${P}seen.csv`, csv('Seen'));
    await eventually(() => names().includes('seen:Seen:-'), 1_000, 'the event that arrived');
    expect(names()).not.toContain('lost:Lost:-');
    await eventually(() => names().includes('lost:Lost:-'), 3_000, 'the lost one, after a listing');
  });

  it('keeps refreshing by listings when the change stream fails, and reopens it', async () => {
    t = open();
    t.start({ maxStalenessMs: 300, reconcileIntervalMs: QUIET_MS, observer });
    await t.whenReady(5_000);
    await eventually(() => store.handlers !== undefined, 1_000, 'a watcher');
    store.handlers!.onError(new Error('inotify watch limit reached'));
    expect(t.status.watching).toBe(false);
    const listings = store.counts.lists;
    await write(`${P}8.csv`, csv('Eight'));
    await eventually(() => names().includes('8:Eight:-'), 3_000, 'a change after the failure');
    await eventually(() => store.counts.lists > listings, 2_000, 'a fallback listing');
    expect(events).toContain('watchFailed');
    await eventually(() => t.status.watching === true, 3_000, 'the stream reopened');
  });

  it('lists for the gap when the change stream reopens, so a change it missed shows up without waiting for a reconcile', async () => {
    t = open();
    t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS, observer });
    await t.whenReady(5_000);
    await eventually(() => t.status.watching === true, 1_000, 'watching');
    store.handlers!.onError(new Error('stream dropped'));
    store.dropEvents = (e) => e.key === `${P}gap.csv`;
    await write(`${P}gap.csv`, csv('Gap'));
    await eventually(() => names().includes('gap:Gap:-'), 5_000, 'the change made while the stream was down');
    await eventually(() => t.status.watching === true, 5_000, 'the stream reopened');
  });

  it('notices a watched folder that was replaced, and finds its files by listing', async () => {
    t = open();
    t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS, observer });
    await t.whenReady(5_000);
    await eventually(() => t.status.watching === true, 1_000, 'watching');
    const { rename } = await import('node:fs/promises');
    await mkdir(path.join(root, 'next'));
    await writeFile(path.join(root, 'next', '9.csv'), csv('Nine'));
    await rename(path.join(root, P), path.join(root, 'old'));
    await rename(path.join(root, 'next'), path.join(root, P));
    await eventually(() => names().join() === '9:Nine:-', 5_000, 'the new folder listed');
    expect(events).toContain('watchFailed');
  });

  it('keeps refreshing when an observer throws', async () => {
    const failing: ObjectStore = { ...store, watch: undefined };
    t = open(failing);
    t.start({
      maxStalenessMs: 100,
      observer: {
        snapshotLoaded: () => {
          throw new Error('observer bug');
        },
        syncFailed: () => {
          throw new Error('observer bug');
        },
      },
    });
    await t.whenReady(5_000);
    await write(`${P}6.csv`, csv('Six'));
    await eventually(() => names().includes('6:Six:-'), 3_000, 'a later refresh');
  });

  it('counts a download an event batch could not make as missing: the table is incomplete until it arrives', async () => {
    let failing = true;
    const flaky: ObjectStore = {
      ...store,
      get: async (key, options) => {
        if (failing && key === `${P}7.csv`) throw new StoreUnavailableError('injected: connection reset');
        return store.get(key, options);
      },
    };
    t = open(flaky);
    t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS, observer });
    await t.whenReady(5_000);
    await eventually(() => t.status.watching === true, 1_000, 'watching');
    await write(`${P}7.csv`, csv('Seven'));
    await eventually(() => t.complete === false, 2_000, 'incomplete');
    expect(t.missing).toEqual([`${P}7.csv`]);
    const exporter = new Exporter(t, { outputKey: 'processed_data/output.csv', logger: createLogger('silent') });
    await expect(exporter.runIfIdle('schedule')).rejects.toMatchObject({ code: 'incomplete_sync' });
    failing = false;
    await write(`${P}7.csv`, csv('Seven again'));
    await eventually(() => t.complete, 2_000, 'complete again');
    expect(await exporter.runIfIdle('schedule')).toMatchObject({ users: 6 });
  });

  it('waits for the first load only up to the timeout', async () => {
    const stalled: ObjectStore = { ...store, list: () => new Promise(() => undefined), watch: undefined };
    t = open(stalled);
    t.start({ observer });
    await expect(t.whenReady(200)).rejects.toThrow(/no table loaded within 200 ms/);
    expect(t.status).toMatchObject({ loaded: false, dataAgeMs: null });
  });

  describe('snapshot', () => {
    async function warmUp(): Promise<void> {
      t = open();
      t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS, snapshotKey: SNAPSHOT, snapshotIntervalMs: 0, observer });
      await t.whenReady(5_000);
      await eventually(() => events.some((e) => e.startsWith('snapshotSaved')), 3_000, 'a snapshot');
      await t.stop();
      events.length = 0;
    }

    it('restarts warm: answers from the snapshot, then downloads only what changed', async () => {
      await warmUp();
      const snapshot = await readFile(file(SNAPSHOT));
      expect(snapshot.toString('latin1')).not.toContain('U3'); // compressed, not plain text
      await write(`${P}2.csv`, csv('Changed while down'));
      const restarted = instrument(createLocalStore({ root }));
      t = open(restarted);
      t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS, snapshotKey: SNAPSHOT, observer });
      await t.whenReady(5_000);
      expect(events).toContain('snapshotLoaded 5');
      await eventually(() => t.lastSync !== undefined, 5_000, 'the first sync after the restart');
      expect(restarted.counts.gets.filter((k) => k.endsWith('.csv'))).toEqual([`${P}2.csv`]);
      expect(names()).toEqual(['1:U1:data/1.png', '2:Changed while down:-', '3:U3:-', '4:U4:-', '5:U5:-']);
    });

    it.each([
      ['truncated', (b: Buffer) => b.subarray(0, Math.floor(b.length / 2)), /gzip/],
      ['corrupt', (b: Buffer) => Buffer.from(b.map((x, i) => (i > b.length - 40 && i < b.length - 20 ? x ^ 0xff : x))), /gzip|inflates|JSON/],
      ['not a snapshot at all', () => Buffer.from('hello'), /not a snapshot/],
      ['of the previous format', (b: Buffer) => Buffer.from(b.toString('latin1').replace(' 2 ', ' 1 '), 'latin1'), /version 1; this build reads/],
    ])('ignores a %s snapshot and syncs cold', async (_label, damage, reason) => {
      await warmUp();
      await writeFile(file(SNAPSHOT), damage(await readFile(file(SNAPSHOT))));
      const restarted = instrument(createLocalStore({ root }));
      t = open(restarted);
      t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS, snapshotKey: SNAPSHOT, observer });
      await t.whenReady(5_000);
      expect(events.find((e) => e.startsWith('snapshotIgnored'))).toMatch(reason);
      expect(restarted.counts.gets.filter((k) => k.endsWith('.csv'))).toHaveLength(5);
      expect(names()).toHaveLength(5);
    });

    it('holds a sync asked for during the snapshot load until it is done, so deleted users never come back', async () => {
      await warmUp();
      for (const i of [1, 2]) await unlink(file(`${P}${i}.csv`));
      const slow: ObjectStore = {
        ...store,
        get: async (key, options) => {
          if (key === SNAPSHOT) await new Promise((resolve) => setTimeout(resolve, 300));
          return store.get(key, options);
        },
      };
      t = open(slow);
      t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS, snapshotKey: SNAPSHOT, observer });
      // As a boot export or a POST /data would, right away.
      const report = await t.sync({ fresh: true });
      expect(events).toContain('snapshotLoaded 5');
      expect(report).toMatchObject({ users: 3, removed: 2, complete: true });
      expect(names().map((n) => n.split(':')[0])).toEqual(['3', '4', '5']);
    });

    it('ignores a snapshot taken under another birth-date bound', async () => {
      await warmUp();
      t = new UserDataTransformer({ store, sourcePrefix: P, maxAgeYears: 30 });
      t.start({ maxStalenessMs: QUIET_MS, snapshotKey: SNAPSHOT, observer });
      await t.whenReady(5_000);
      expect(events.find((e) => e.startsWith('snapshotIgnored'))).toMatch(/maxAgeYears/);
      expect(t.rows()).toHaveLength(0); // born 1990: more than 30 years ago
    });

    it('ignores a snapshot taken for another source prefix', async () => {
      await warmUp();
      await write(`other/9.csv`, csv('Other'));
      t = new UserDataTransformer({ store, sourcePrefix: 'other/' });
      t.start({ maxStalenessMs: QUIET_MS, snapshotKey: SNAPSHOT, observer });
      await t.whenReady(5_000);
      expect(events.find((e) => e.startsWith('snapshotIgnored'))).toMatch(/taken for .*data\//);
      expect(t.rows().map((r) => r.first_name)).toEqual(['Other']);
    });
  });
});

describe('a birth date held back for being in the future', () => {
  it('becomes a user the moment it passes, without a listing or a download', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'udt-birth-'));
    await mkdir(path.join(root, 'data'));
    const soon = Date.now() + 1_500;
    await writeFile(path.join(root, 'data/1.csv'), csv('Now'));
    await writeFile(path.join(root, 'data/2.csv'), csv('Soon', soon));
    const store = instrument(createLocalStore({ root }));
    const t = new UserDataTransformer({ store, sourcePrefix: 'data/' });
    try {
      t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS, watch: false });
      await t.whenReady(5_000);
      expect(t.rows().map((r) => r.user_id)).toEqual(['1']);
      const { lists, gets } = { lists: store.counts.lists, gets: store.counts.gets.length };
      await eventually(() => t.rows().length === 2, 4_000, 'the user born just now');
      expect(Date.now()).toBeGreaterThan(soon);
      expect(t.rows().map((r) => r.first_name)).toEqual(['Now', 'Soon']);
      expect({ lists: store.counts.lists, gets: store.counts.gets.length }).toEqual({ lists, gets });
    } finally {
      await t.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});
