// S3 listing, parallel against serial, with every page 75 ms away (bench/lib/delayProxy.mjs): the
// store's `list()` with its default `listConcurrency` and with 1 (one page after another, as
// before), taking turns. Measured twice: with s3rver answering every page, and with the proxy
// answering from a copy of the listing, so that a page costs the delay and not s3rver's own time.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIST_CONCURRENCY } from '../../dist/index.js';
import { startChild } from './children.mjs';
import { rawClient, startS3 } from './s3.mjs';
import { seedS3 } from './seed.mjs';
import { SOURCE_PREFIX, openStore, s3Spec } from './stores.mjs';
import { log, median, settle, summary } from './stats.mjs';

/** What a page of AWS S3 takes, about. */
export const PAGE_DELAY_MS = 75;
/** The goal: a listing's wall time at most this share of the summed times of its pages. */
export const MAX_OVERLAP_RATIO = 0.35;

const PROXY = fileURLToPath(new URL('../listingProxy.mjs', import.meta.url));
const sum = (values) => values.reduce((a, b) => a + b, 0);

/** The delaying proxy in a child process. */
async function startProxy(endpoint) {
  const child = startChild(PROXY, [endpoint, String(PAGE_DELAY_MS)]);
  const { port } = await child.nextLine();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    takePages: async () => (await child.request({ type: 'take' })).pages,
    replayFrom: (prefix, objects) => child.request({ type: 'replay', prefix, objects }),
    stop: () => child.stop(),
  };
}

/** One listing through the proxy: its wall time, and its pages as the proxy saw them. */
async function timedListing(proxy, bucket, listConcurrency, expectedObjects) {
  const store = openStore(s3Spec(proxy.endpoint, bucket, listConcurrency));
  try {
    await settle();
    await proxy.takePages();
    const started = performance.now();
    const listed = await store.list(SOURCE_PREFIX);
    const wallMs = performance.now() - started;
    if (listed.length !== expectedObjects) throw new Error(`listed ${listed.length} of ${expectedObjects} objects`);
    const pages = await proxy.takePages();
    const server = pages.filter((p) => p.serverMs !== undefined).map((p) => p.serverMs);
    return {
      wallMs,
      requests: pages.length,
      pageMsSum: sum(pages.map((p) => p.endedMs - p.startedMs)),
      serverMsPerPage: server.length ? median(server) : null,
    };
  } finally {
    await store.close();
  }
}

/** Serial and parallel in turns, so neither always runs first; medians, with every run kept. */
async function compare(proxy, bucket, runs, expectedObjects, label) {
  const serial = [];
  const parallel = [];
  for (let run = 0; run < runs; run++) {
    const sides = [() => timedListing(proxy, bucket, 1, expectedObjects), () => timedListing(proxy, bucket, undefined, expectedObjects)];
    const [first, second] = run % 2 === 0 ? sides : sides.reverse();
    const a = await first();
    const b = await second();
    const [s, p] = run % 2 === 0 ? [a, b] : [b, a];
    serial.push(s);
    parallel.push(p);
    log(`  ${label} run ${run + 1}/${runs}: serial ${s.wallMs.toFixed(0)} ms (${s.requests} LISTs), parallel ${p.wallMs.toFixed(0)} ms (${p.requests} LISTs)`);
  }
  const field = (rows, name) => summary(rows.map((r) => r[name]));
  const side = (rows) => ({
    wallMs: field(rows, 'wallMs'),
    requests: field(rows, 'requests'),
    pageMsSum: field(rows, 'pageMsSum'),
    serverMsPerPage: field(rows, 'serverMsPerPage'),
  });
  return {
    serial: side(serial),
    parallel: { ...side(parallel), overlap: summary(parallel.map((p) => p.wallMs / p.pageMsSum)) },
    speedUp: median(serial.map((s) => s.wallMs)) / median(parallel.map((p) => p.wallMs)),
  };
}

/** Both comparisons on a bucket already seeded under `SOURCE_PREFIX` with `objects` objects. */
export async function measureListing({ endpoint, bucket, users, objects, runs }) {
  // The machine may be shared: its load says how much of it the listing had.
  const loadAverageAtStart = os.loadavg();
  const proxy = await startProxy(endpoint);
  try {
    log(`  S3 listing at ${PAGE_DELAY_MS} ms a page, ${objects} objects: s3rver answering`);
    const s3rver = await compare(proxy, bucket, runs, objects, 's3rver');
    const copyStore = openStore(s3Spec(endpoint, bucket, 1));
    await proxy.replayFrom(SOURCE_PREFIX, await copyStore.list(SOURCE_PREFIX).finally(() => copyStore.close()));
    log('  S3 listing: the proxy answering from a copy of the listing');
    const replayed = await compare(proxy, bucket, runs, objects, 'replayed');
    return {
      at: new Date().toISOString(),
      users,
      objects,
      delayMs: PAGE_DELAY_MS,
      listConcurrency: DEFAULT_LIST_CONCURRENCY,
      runs,
      loadAverageAtStart,
      s3rver,
      replayed,
    };
  } finally {
    await proxy.stop();
  }
}

/** `measureListing` on an S3 server of its own, seeded with `users` demo users first. */
export async function seedAndMeasureListing(bucket, users, runs) {
  const s3 = await startS3();
  try {
    const client = rawClient(s3.port);
    await client.makeBucket(bucket, 'us-east-1');
    const started = performance.now();
    const seeded = await seedS3(client, bucket, users);
    log(`  seeded ${seeded.objects} objects in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return await measureListing({ endpoint: s3.endpoint, bucket, users, objects: seeded.objects, runs });
  } finally {
    await s3.stop();
  }
}
