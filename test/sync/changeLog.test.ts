import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNatsChangeLog } from '../../src/changelog/nats.js';
import type { RefreshObserver } from '../../src/sync/refreshOptions.js';
import { UserDataTransformer } from '../../src/UserDataTransformer.js';
import { eventually, instrument, type InstrumentedStore } from '../support/instrumented.js';
import { NATS_SERVER, eventPublisher, startNats, type EventPublisher, type NatsServer } from '../support/nats.js';
import { createTestBucket, rawClient, testStore } from '../support/s3.js';

/**
 * Replicas on one bucket kept current by the bucket's change log: a real nats-server with
 * JetStream, events in the form MinIO's NATS target publishes, an S3 store over real HTTP, and
 * each replica's store traffic counted.
 */
const P = 'source_data/';
const SNAPSHOT = 'processed_data/.snapshot/replicas.v2.snap';
const QUIET_MS = 600_000;
const csv = (first: string) => `first_name,last_name,birthts\n${first},Last,${Date.UTC(1990, 0, 1)}\n`;

describe.skipIf(!NATS_SERVER)('a change log on NATS JetStream', () => {
  let nats: NatsServer;
  let events: EventPublisher;
  let bucket: string;
  const running: UserDataTransformer[] = [];
  const log: string[] = [];

  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(() => nats?.close());
  beforeEach(async () => {
    bucket = await createTestBucket();
    // A fresh stream per test: what one test published is no other's history.
    events = await eventPublisher(nats.url, { fresh: true });
    log.length = 0;
  });
  afterEach(async () => {
    for (const t of running.splice(0)) await t.stop();
    await events.close();
  });

  /** Writes (or rewrites) a user CSV and publishes its event, as MinIO does. */
  async function write(id: number, first: string, publish = true): Promise<void> {
    const body = Buffer.from(csv(first));
    const { etag } = await rawClient().putObject(bucket, `${P}${id}.csv`, body);
    if (publish) await events.created(bucket, `${P}${id}.csv`, body.length, etag);
  }
  async function remove(id: number): Promise<void> {
    await rawClient().removeObject(bucket, `${P}${id}.csv`);
    await events.removed(bucket, `${P}${id}.csv`);
  }

  function replica(options: { maxStalenessMs?: number } = {}): { t: UserDataTransformer; store: InstrumentedStore } {
    const store = instrument(testStore(bucket), { watch: false });
    const t = new UserDataTransformer({ store, sourcePrefix: P, concurrency: 4 });
    const observer: RefreshObserver = {
      changeLogChanged: (live) => log.push(live ? 'live' : 'down'),
      changeLogSkipped: (kind) => log.push(`skipped ${kind}`),
      snapshotSaved: (r) => log.push('error' in r ? 'snapshot failed' : 'snapshot saved'),
    };
    t.start({
      changeLog: createNatsChangeLog({ url: nats.url, bucket, prefix: P }),
      maxStalenessMs: options.maxStalenessMs ?? QUIET_MS,
      reconcileIntervalMs: QUIET_MS,
      snapshotKey: SNAPSHOT,
      snapshotIntervalMs: 0,
      observer,
    });
    running.push(t);
    return { t, store };
  }
  const names = (t: UserDataTransformer) => t.rows().map((r) => `${r.user_id}:${r.first_name}`);
  const csvGets = (store: InstrumentedStore) => store.counts.gets.filter((k) => k.endsWith('.csv'));

  it('applies written, rewritten and deleted CSVs within 1 s of their events, with no listing and one GET per change', async () => {
    for (const id of [1, 2, 3]) await write(id, `U${id}`);
    const { t, store } = replica();
    await t.whenReady(10_000);
    expect(names(t)).toEqual(['1:U1', '2:U2', '3:U3']);
    const lists = store.counts.lists;
    const gets = csvGets(store).length;
    await write(4, 'Four');
    await eventually(() => names(t).includes('4:Four'), 1_000, 'a new CSV');
    await write(2, 'Two again');
    await eventually(() => names(t).includes('2:Two again'), 1_000, 'a rewritten CSV');
    await remove(3);
    await eventually(() => !names(t).some((n) => n.startsWith('3:')), 1_000, 'a deleted CSV');
    expect(store.counts.lists).toBe(lists);
    expect(csvGets(store).slice(gets).sort()).toEqual([`${P}2.csv`, `${P}4.csv`]);
    expect(t.status.changeLog).toMatchObject({ mode: 'stream', lag: 0 });
  });

  it('restarts and joins from the snapshot with no listing, replaying only what changed since', async () => {
    for (const id of [1, 2, 3]) await write(id, `U${id}`);
    const first = replica();
    await first.t.whenReady(10_000);
    await eventually(() => log.includes('snapshot saved'), 3_000, 'a first snapshot');
    log.length = 0;
    await write(4, 'Four');
    await eventually(() => names(first.t).length === 4, 1_000, 'the change');
    await eventually(() => log.includes('snapshot saved'), 3_000, 'a snapshot with the change and its position');
    await first.t.stop();
    // Changes while it is down.
    await write(5, 'Five');
    await remove(1);
    log.length = 0;
    const restarted = replica();
    await restarted.t.whenReady(10_000);
    expect(names(restarted.t)).toEqual(['2:U2', '3:U3', '4:Four', '5:Five']);
    expect(restarted.store.counts.lists).toBe(0);
    expect(csvGets(restarted.store)).toEqual([`${P}5.csv`]);
    // The test's S3 server writes an object in place, so a read during the restarted replica's
    // snapshot write can see half of it (S3 and MinIO replace objects whole): join after it.
    await eventually(() => log.includes('snapshot saved'), 3_000, "the restarted replica's snapshot");
    const joining = replica();
    await joining.t.whenReady(10_000);
    expect(names(joining.t)).toEqual(names(restarted.t));
    expect(joining.store.counts.lists).toBe(0);
    expect(csvGets(joining.store).length).toBeLessThanOrEqual(1);
  });

  it('lists while the log is down, and stops listing once it is back', async () => {
    await write(1, 'U1');
    const { t, store } = replica({ maxStalenessMs: 300 });
    await t.whenReady(10_000);
    await eventually(() => t.status.changeLog?.mode === 'stream', 3_000, 'streaming');
    await nats.kill();
    try {
      await eventually(() => t.status.changeLog?.mode === 'listing', 3_000, 'listing mode');
      await write(2, 'While down', false);
      await eventually(() => names(t).includes('2:While down'), 3_000, 'a change found by listing');
      expect(t.status.watching).toBe(false);
    } finally {
      await nats.start();
    }
    await eventually(() => t.status.changeLog?.mode === 'stream', 15_000, 'streaming again');
    const lists = store.counts.lists;
    await write(3, 'After');
    await eventually(() => names(t).includes('3:After'), 1_000, 'the next event within 1 s');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(store.counts.lists - lists).toBeLessThanOrEqual(1); // at most a listing already under way
  }, 60_000);

  it('falls back to one listing when the stream no longer holds the snapshot position', async () => {
    for (const id of [1, 2]) await write(id, `U${id}`);
    const first = replica();
    await first.t.whenReady(10_000);
    await eventually(() => log.includes('snapshot saved'), 3_000, 'a snapshot');
    await first.t.stop();
    await write(3, 'Three');
    await write(4, 'Four');
    await events.purge(0);
    const restarted = replica();
    await restarted.t.whenReady(10_000);
    expect(restarted.store.counts.lists).toBe(1);
    expect(names(restarted.t)).toEqual(['1:U1', '2:U2', '3:Three', '4:Four']);
    await eventually(() => restarted.t.status.changeLog?.mode === 'stream', 3_000, 'following from the new end');
    await write(5, 'Five');
    await eventually(() => names(restarted.t).includes('5:Five'), 1_000, 'the next event');
  });

  it('skips hostile messages, says which kind once each, and changes nothing', async () => {
    await write(1, 'U1');
    const { t, store } = replica();
    await t.whenReady(10_000);
    await eventually(() => t.status.changeLog?.mode === 'stream', 3_000, 'streaming');
    const gets = store.counts.gets.length;
    const record = (b: string, key: string) =>
      JSON.stringify({ Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: b }, object: { key, size: 5, eTag: 'x' } } }] });
    await events.raw('not json at all');
    await events.raw(JSON.stringify({ hello: 'world' }));
    await events.raw(record('another-bucket', `${P}9.csv`));
    await events.raw(record(bucket, 'elsewhere/9.csv'));
    await events.raw(record(bucket, `${P}..%2F..%2Fsecret.csv`));
    await events.raw(Buffer.alloc(300 * 1024, 0x20));
    await events.raw(JSON.stringify({ Records: [{ eventName: 's3:ObjectAccessed:Get', s3: { bucket: { name: bucket }, object: { key: `${P}1.csv` } } }] }));
    await write(2, 'Two');
    await eventually(() => names(t).includes('2:Two'), 2_000, 'a valid event after the junk');
    expect(names(t)).toEqual(['1:U1', '2:Two']);
    expect(store.counts.gets.slice(gets)).toEqual([`${P}2.csv`]);
    expect(new Set(log.filter((l) => l.startsWith('skipped')))).toEqual(
      new Set(['skipped malformed', 'skipped other_bucket', 'skipped other_prefix', 'skipped unsafe_key', 'skipped too_large', 'skipped other_event']),
    );
  });

  it('keeps two replicas in agreement with the bucket through a churn of writes and deletes', async () => {
    for (let id = 1; id <= 10; id++) await write(id, `U${id}`);
    const a = replica();
    const b = replica();
    await Promise.all([a.t.whenReady(10_000), b.t.whenReady(10_000)]);
    for (let step = 0; step < 40; step++) {
      const id = 1 + ((step * 7) % 15);
      if (step % 5 === 4) await remove(id).catch(() => undefined);
      else await write(id, `V${step}`);
    }
    const truth = new UserDataTransformer({ store: testStore(bucket), sourcePrefix: P });
    await truth.sync();
    const expected = names(truth);
    // Agreement, not speed (the first test holds the one-second bound): here, with every object
    // rewritten in a burst on the test S3 server (which writes objects in place), one replica's
    // first batch has taken over 3 s to download (2 runs in 12).
    await eventually(
      () => JSON.stringify(names(a.t)) === JSON.stringify(expected) && JSON.stringify(names(b.t)) === JSON.stringify(expected),
      15_000,
      'agreement',
    );
    expect(a.store.counts.lists + b.store.counts.lists).toBe(2); // one cold start each
  });
});
