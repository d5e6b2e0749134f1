// The real HTTP service in a process of its own, over a cache synced before it listens, so the
// load generator measures queries and not the first sync.
//
//   node --expose-gc bench/serve.mjs '<store spec JSON>'
//
// Prints one JSON line `{"port":N,"users":N,"rss":N,"heapUsed":N}` once it listens. Over IPC,
// `{ type: 'memory' }` is answered with memory as it is and after full GCs.
import { UserDataTransformer } from '../dist/index.js';
import { Exporter, createApp, createLogger } from '../dist/service/index.js';
import { CONCURRENCY, SYNC_TIMEOUT_MS, OUTPUT_KEY, SOURCE_PREFIX, openStore } from './lib/stores.mjs';

// An hour: every request in a load run is answered from the cache, none waits on a sync.
const MAX_STALENESS_MS = 3_600_000;

const spec = JSON.parse(process.argv[2] ?? 'null');
if (!spec) {
  console.error('usage: serve.mjs <store spec JSON>');
  process.exit(2);
}

const logger = createLogger('silent');
const store = openStore(spec);
const transformer = new UserDataTransformer({ store, sourcePrefix: SOURCE_PREFIX, concurrency: CONCURRENCY, syncTimeoutMs: SYNC_TIMEOUT_MS });
const exporter = new Exporter(transformer, { outputKey: OUTPUT_KEY, logger });
const app = createApp(transformer, { maxStalenessMs: MAX_STALENESS_MS, apiKey: null, exporter, logger });
const report = await transformer.sync();

const server = app.listen(0, '127.0.0.1');
await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));

function memory() {
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

process.stdout.write(JSON.stringify({ port: server.address().port, users: report.users, ...memory() }) + '\n');

/**
 * V8 hands freed pages back to the OS on a background thread shortly after a GC, so RSS read
 * straight after gc() still counts the garbage; a short pause between collections lets it settle.
 */
async function settledMemory() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return memory();
}

process.on('message', async (message) => {
  if (message?.type !== 'memory') return;
  const raw = memory();
  const settled = await settledMemory();
  process.send({ rss: raw.rss, heapUsed: raw.heapUsed, rssSettled: settled.rss, heapUsedSettled: settled.heapUsed });
});

// The highest RSS seen since the last `{ type: 'peak' }` request, sampled every few ms, so a
// measurement can tell its own peak from the one the start-up sync left behind.
const PEAK_SAMPLE_MS = 5;
let peakRss = process.memoryUsage.rss();
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), PEAK_SAMPLE_MS).unref();
process.on('message', (message) => {
  if (message?.type !== 'peak') return;
  const rss = process.memoryUsage.rss();
  process.send({ peakRss: Math.max(peakRss, rss), rss });
  peakRss = rss;
});

function shutdown() {
  server.closeAllConnections();
  server.close(() => store.close().finally(() => process.exit(0)));
}
process.on('SIGTERM', shutdown);
// The harness died without stopping us: do not linger.
process.on('disconnect', () => process.exit(0));
