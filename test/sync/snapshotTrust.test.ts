import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalStore } from '../../src/storage/local/LocalStore.js';
import type { RefreshObserver } from '../../src/sync/refreshOptions.js';
import { UserDataTransformer } from '../../src/UserDataTransformer.js';
import { eventually, instrument, type InstrumentedStore } from '../support/instrumented.js';

/**
 * A snapshot is a cache, never an authority: whoever can write the store's processed_data/ can
 * write it, so every value is held to the rules of a freshly read file, and with a secret only
 * snapshots the service signed are used at all.
 */
const P = 'data/';
const SNAPSHOT = 'processed_data/.snapshot/test.v2.snap';
const QUIET_MS = 600_000;
const SECRET = 'a-secret-of-some-length';
const NOW = Date.UTC(2026, 11, 4);
const csv = (first: string, birthts = Date.UTC(1990, 0, 1)) => `first_name,last_name,birthts\n${first},Last,${birthts}\n`;

/** The object split into its lines: the first line, the header, and the payload (inflated). */
function unpack(object: Buffer): { first: string; head: Record<string, unknown>; payload: Record<string, unknown> } {
  const a = object.indexOf(0x0a);
  const b = object.indexOf(0x0a, a + 1);
  return {
    first: object.subarray(0, a).toString(),
    head: JSON.parse(object.subarray(a + 1, b).toString()) as Record<string, unknown>,
    payload: JSON.parse(gunzipSync(object.subarray(b + 1)).toString()) as Record<string, unknown>,
  };
}

/** An object with the same first line (signature and all) over a new header and payload. */
function repack(first: string, head: Record<string, unknown>, payload: unknown): Buffer {
  const text = JSON.stringify(payload);
  return Buffer.concat([Buffer.from(`${first}\n${JSON.stringify({ ...head, payloadBytes: Buffer.byteLength(text) })}\n`), gzipSync(text)]);
}

describe('a snapshot someone else wrote', () => {
  let root: string;
  let t: UserDataTransformer | undefined;
  const events: string[] = [];
  const observer: RefreshObserver = {
    snapshotLoaded: (r) => events.push('error' in r ? `ignored ${r.error}` : `loaded ${r.users} dropped ${r.dropped}`),
    snapshotSaved: (r) => events.push('error' in r ? `saveFailed ${r.error}` : `saved ${r.users}`),
  };
  const file = (key: string) => path.join(root, key);

  async function run(secret: string | null): Promise<{ t: UserDataTransformer; store: InstrumentedStore }> {
    const store = instrument(createLocalStore({ root }));
    t = new UserDataTransformer({ store, sourcePrefix: P, now: () => NOW });
    t.start({ maxStalenessMs: QUIET_MS, reconcileIntervalMs: QUIET_MS, snapshotKey: SNAPSHOT, snapshotSecret: secret, snapshotIntervalMs: 0, observer });
    await t.whenReady(5_000);
    return { t, store };
  }

  async function warmUp(secret: string | null): Promise<Buffer> {
    await run(secret);
    await eventually(() => events.some((e) => e.startsWith('saved')), 3_000, 'a snapshot');
    await t!.stop();
    events.length = 0;
    return readFile(file(SNAPSHOT));
  }

  beforeEach(async () => {
    events.length = 0;
    root = await mkdtemp(path.join(tmpdir(), 'udt-trust-'));
    await mkdir(file(P));
    for (let i = 1; i <= 4; i++) await writeFile(file(`${P}${i}.csv`), csv(`U${i}`));
    await writeFile(file(`${P}1.png`), 'img');
  });
  afterEach(async () => {
    await t?.stop();
    t = undefined;
    await rm(root, { recursive: true, force: true });
  });

  it('never serves values that break the rules: those rows are left out and their files read again', async () => {
    const { first, head, payload } = unpack(await warmUp(null));
    const columns = payload.columns as Record<string, unknown[]>;
    const at = (id: string) => columns.user_id!.indexOf(id);
    columns.birthts![at('1')] = NOW + 86_400_000; // a future birth date
    columns.first_name![at('2')] = 'Evil\u001b[31m'; // a terminal escape
    columns.img_path![at('3')] = 'elsewhere/secret.png'; // not this user's image
    (payload.keys as string[])[at('4')] = `${P}4.txt`; // not a user CSV
    await writeFile(file(SNAPSHOT), repack(first, head, payload));

    const { t, store } = await run(null);
    expect(events).toContain('loaded 0 dropped 4');
    await eventually(() => t.table.rows.length === 4, 3_000, 'the users read again');
    expect(t.rows().map((r) => [r.user_id, r.first_name, r.img_path])).toEqual([
      ['1', 'U1', `${P}1.png`],
      ['2', 'U2', null],
      ['3', 'U3', null],
      ['4', 'U4', null],
    ]);
    expect(store.counts.gets.filter((k) => k.endsWith('.csv')).sort()).toEqual([1, 2, 3, 4].map((i) => `${P}${i}.csv`));
  });

  it('with SNAPSHOT_SECRET, ignores an edited, an unsigned and a foreign-signed snapshot, and loads its own', async () => {
    const signed = await warmUp(SECRET);
    const { first, head, payload } = unpack(signed);
    (payload.columns as Record<string, unknown[]>).first_name![0] = 'Mallory';

    for (const [label, object, reason] of [
      ['edited', repack(first, head, payload), /signature does not match/],
      ['unsigned', repack(first.replace(/ \S+$/, ' -'), head, payload), /not signed/],
      [
        'signed with another secret',
        Buffer.concat([Buffer.from(first.replace(/ \S+$/, ` ${'0'.repeat(64)}`)), signed.subarray(signed.indexOf(0x0a))]),
        /signature does not match/,
      ],
    ] as const) {
      await writeFile(file(SNAPSHOT), object);
      const { t, store } = await run(SECRET);
      expect(events.join('\n'), label).toMatch(reason);
      expect(
        t.rows().some((r) => r.first_name === 'Mallory'),
        label,
      ).toBe(false);
      expect(
        store.counts.gets.filter((k) => k.endsWith('.csv')),
        label,
      ).toHaveLength(4); // cold
      await t.stop();
      events.length = 0;
    }

    await writeFile(file(SNAPSHOT), signed);
    const { store } = await run(SECRET);
    expect(events).toContain('loaded 4 dropped 0');
    await eventually(() => t!.lastSync !== undefined, 3_000, 'the sync after the load');
    expect(store.counts.gets.filter((k) => k.endsWith('.csv'))).toEqual([]);
  });

  it('refuses a payload that inflates past what its header states, or states more than its users can need', async () => {
    const { first, head } = unpack(await warmUp(null));
    // 64 MB of zeros, as many concatenated gzip members: a small file that inflates a lot.
    const member = gzipSync(Buffer.alloc(1_048_576));
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
    const lying = Buffer.concat([Buffer.from(`${first}\n${JSON.stringify({ ...head, payloadBytes: 2_000 })}\n`), bomb]);
    const greedy = Buffer.concat([Buffer.from(`${first}\n${JSON.stringify({ ...head, users: 4, payloadBytes: 64 * 1_048_576 })}\n`), bomb]);
    for (const [object, reason] of [
      [lying, /inflates past the 2000 bytes/],
      [greedy, /states a 67108864-byte payload for 4 users/],
    ] as const) {
      await writeFile(file(SNAPSHOT), object);
      const started = performance.now();
      const { t } = await run(null);
      expect(events.join('\n')).toMatch(reason);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(t.table.rows.length).toBe(4);
      await t.stop();
      events.length = 0;
    }
  });
});
