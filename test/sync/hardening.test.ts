import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalStore } from '../../src/storage/local/LocalStore.js';
import { UserDataTransformer } from '../../src/UserDataTransformer.js';
import { BACKENDS, type Backend } from '../support/backends.js';
import { testStore } from '../support/s3.js';

const P = 'source_data/';
const NOW = Date.UTC(2026, 10, 22, 12);
const csv = (first: string, birthts: number | string = Date.UTC(1990, 0, 1)) => `first_name,last_name,birthts\n${first},Last,${birthts}\n`;

describe('a sync over hostile files in a local folder', () => {
  let root: string;
  let outside: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'udt-hostile-'));
    outside = await mkdtemp(path.join(tmpdir(), 'udt-outside-'));
    await mkdir(path.join(root, P));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });
  const put = (name: string, body: string | Buffer) => writeFile(path.join(root, P, name), body);

  it('reports links out of the root and oversized files without reading them, and keeps everyone else', async () => {
    await put('1.csv', csv('Good'));
    await writeFile(path.join(outside, 'secret.csv'), csv('OutsideSecret'));
    await symlink(path.join(outside, 'secret.csv'), path.join(root, P, '2.csv'));
    await symlink('/proc/self/environ', path.join(root, P, '3.csv'));
    // 2 MiB of a valid-looking file: over the 1 MiB bound, generated here, never committed.
    await put('4.csv', `first_name,last_name,birthts\n${'A'.repeat(2 * 1_048_576)},B,0\n`);
    const store = createLocalStore({ root });
    const gets: string[] = [];
    const t = new UserDataTransformer({ store: { ...store, get: (k, o) => (gets.push(k), store.get(k, o)) }, sourcePrefix: P, now: () => NOW });
    const report = await t.sync();
    expect(t.rows().map((r) => r.first_name)).toEqual(['Good']);
    expect(report.complete).toBe(true); // refused files are reported, not missing
    const reasons = Object.fromEntries(report.failed.map((f) => [f.key, f.reason]));
    expect(reasons[`${P}2.csv`]).toMatch(/outside the store root/);
    expect(reasons[`${P}3.csv`]).toMatch(/outside the store root|not a regular file/);
    expect(reasons[`${P}4.csv`]).toMatch(/over the 1048576-byte limit/);
    expect(gets).not.toContain(`${P}4.csv`);
    const everything = JSON.stringify(report);
    expect(everything).not.toContain('OutsideSecret');
    expect(everything).not.toMatch(/PATH=|HOME=/);
    for (const f of report.failed) expect(f.reason.length).toBeLessThanOrEqual(200);
    // Refused files are not fetched again until they change.
    gets.length = 0;
    await t.sync();
    expect(gets).toEqual([]);
  });

  it('rejects birth dates before the bound, and accepts a future one once its moment has passed, without downloading again', async () => {
    let now = NOW;
    await put('1.csv', csv('Ancient', -8.64e15));
    await put('2.csv', csv('Soon', NOW + 60_000));
    const store = createLocalStore({ root });
    const gets: string[] = [];
    const t = new UserDataTransformer({ store: { ...store, get: (k, o) => (gets.push(k), store.get(k, o)) }, sourcePrefix: P, now: () => now });
    const first = await t.sync();
    expect(first.failed.map((f) => [f.key, f.reason])).toEqual([
      [`${P}1.csv`, expect.stringMatching(/more than 150 years ago/)],
      [`${P}2.csv`, expect.stringMatching(/in the future/)],
    ]);
    expect(t.averageAge()).toEqual({ averageAge: null, count: 0 });
    now = NOW + 60_000;
    gets.length = 0;
    const later = await t.sync();
    expect(gets).toEqual([]);
    expect(later.failed.map((f) => f.key)).toEqual([`${P}1.csv`]);
    expect(t.rows().map((r) => r.first_name)).toEqual(['Soon']);
  });

  it('counts ages on calendar dates of the configured time zone', async () => {
    // Midnight in Moscow on 1990-11-23 is 21:00 UTC on 1990-11-22: the birthday eve in UTC.
    const moscowMidnight = Date.UTC(1990, 10, 22, 21);
    await put('1.csv', csv('Ivan', moscowMidnight));
    const at = Date.UTC(2026, 10, 22, 21, 30); // 00:30 on 2026-11-23 in Moscow
    const utc = new UserDataTransformer({ store: createLocalStore({ root }), sourcePrefix: P, now: () => at });
    const moscow = new UserDataTransformer({ store: createLocalStore({ root }), sourcePrefix: P, now: () => at, timeZone: 'Europe/Moscow' });
    await utc.sync();
    await moscow.sync();
    expect(utc.averageAge().averageAge).toBe(36); // UTC: born 1990-11-22, today 2026-11-22
    expect(moscow.averageAge().averageAge).toBe(36); // Moscow: born 1990-11-23, today 2026-11-23
    const before = Date.UTC(2026, 10, 22, 20, 30); // 23:30 on 2026-11-22 in Moscow: still 35 there
    const moscowEve = new UserDataTransformer({ store: createLocalStore({ root }), sourcePrefix: P, now: () => before, timeZone: 'Europe/Moscow' });
    const utcEve = new UserDataTransformer({ store: createLocalStore({ root }), sourcePrefix: P, now: () => before });
    await moscowEve.sync();
    await utcEve.sync();
    expect(moscowEve.averageAge().averageAge).toBe(35);
    expect(utcEve.averageAge().averageAge).toBe(36);
    expect(() => new UserDataTransformer({ store: createLocalStore({ root }), timeZone: 'Mars/Olympus' })).toThrow(/timeZone must be an IANA time zone/);
  });

  it('neutralises spreadsheet formulas in the exported output, unless turned off', async () => {
    await put('1.csv', `first_name,last_name,birthts\n=HYPERLINK("http://x"),@SUM(A1),${Date.UTC(1990, 0, 1)}\n`);
    const store = createLocalStore({ root });
    const safe = new UserDataTransformer({ store, sourcePrefix: P, now: () => NOW });
    await safe.sync();
    await safe.exportOutput('out/safe.csv');
    expect((await store.get('out/safe.csv'))!.toString().split('\n')[1]).toBe(`1,"'=HYPERLINK(""http://x"")",'@SUM(A1),${Date.UTC(1990, 0, 1)},`);
    const raw = new UserDataTransformer({ store, sourcePrefix: P, now: () => NOW, escapeFormulas: false });
    await raw.sync();
    await raw.exportOutput('out/raw.csv');
    expect((await store.get('out/raw.csv'))!.toString().split('\n')[1]).toBe(`1,"=HYPERLINK(""http://x"")",@SUM(A1),${Date.UTC(1990, 0, 1)},`);
  });
});

describe('a sync over a faulty S3 connection', () => {
  let b: Backend;
  afterEach(async () => {
    b.proxy?.heal();
    await b.cleanup();
  });

  it('treats a body shorter than listed as a failed download: the run is incomplete and the next one repairs it', async () => {
    b = await BACKENDS[1]!.create();
    await b.write(`${P}1.csv`, csv('One', 946684800000));
    await b.write(`${P}2.csv`, csv('Two'));
    const t = new UserDataTransformer({ store: b.store, sourcePrefix: P, now: () => NOW });
    b.proxy!.inject('short', 1, `${P}1.csv`);
    const first = await t.sync();
    expect(first.complete).toBe(false);
    expect(first.missing).toEqual([`${P}1.csv`]);
    expect(first.failed[0]).toMatchObject({ key: `${P}1.csv`, reason: expect.stringMatching(/^download failed/) });
    expect(t.rows().map((r) => r.birthts)).toEqual([Date.UTC(1990, 0, 1)]); // never 946684800 from a cut body
    const second = await t.sync();
    expect(second).toMatchObject({ complete: true, missing: [], downloaded: 1 });
    expect(t.rows().map((r) => r.birthts)).toEqual([946684800000, Date.UTC(1990, 0, 1)]);
  });

  it('cancels a sync stuck on a stalled store at its deadline, and syncs again once the store heals', async () => {
    b = await BACKENDS[1]!.create();
    for (let i = 1; i <= 20; i++) await b.write(`${P}${i}.csv`, csv(`U${i}`));
    const bucket = b.store.name.slice('s3://'.length, b.store.name.indexOf('@'));
    // Long per-request deadlines, so only the sync's own deadline can end the run.
    const store = testStore(bucket, { endpoint: b.proxy!.endpoint, retries: 0, requestTimeoutMs: 60_000 });
    const t = new UserDataTransformer({ store, sourcePrefix: P, now: () => NOW, syncTimeoutMs: 800, concurrency: 2 });
    b.proxy!.stallAfter(3);
    const started = performance.now();
    await expect(t.sync()).rejects.toThrow(/did not finish within 800 ms/);
    expect(performance.now() - started).toBeLessThan(800 + 2_000);
    expect(t.syncing).toBe(false);
    b.proxy!.heal();
    // The same transformer and store: nothing waits for the abandoned run's dead connections.
    const healedAt = performance.now();
    expect((await t.sync()).users).toBe(20);
    expect(performance.now() - healedAt).toBeLessThan(3_000);
    await store.close();
  });
});
