// Memory held per cached user, measured in a fresh process so nothing the harness did is counted.
//
//   node --expose-gc bench/memory.mjs '<store spec JSON>'
//
// Prints `{"users":N,"baseline":{...},"synced":{...}}`: process memory with the library loaded
// and nothing cached, then after a cold and a warm sync.
import { UserDataTransformer } from '../dist/index.js';
import { CONCURRENCY, SYNC_TIMEOUT_MS, SOURCE_PREFIX, openStore } from './lib/stores.mjs';

if (typeof globalThis.gc !== 'function') {
  console.error('memory.mjs needs node --expose-gc');
  process.exit(2);
}
const spec = JSON.parse(process.argv[2] ?? 'null');
process.on('disconnect', () => process.exit(0));

/** The local store's reading threads stop this long after their last read (its `IDLE_STOP_MS`, plus a margin). */
const THREADS_IDLE_MS = 10_500;

/**
 * Several collections with pauses between them: finalisers run, and V8's background unmapper
 * returns freed pages, which RSS read straight after gc() would still count. Before that, a pause
 * long enough for idle store threads to stop, as they would in a service between syncs.
 */
async function settledMemory() {
  await new Promise((resolve) => setTimeout(resolve, THREADS_IDLE_MS));
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapTotal, heapUsed, external, arrayBuffers };
}

// Opening the store before the baseline keeps its client and agent out of the per-user figure.
const store = openStore(spec);
const transformer = new UserDataTransformer({ store, sourcePrefix: SOURCE_PREFIX, concurrency: CONCURRENCY, syncTimeoutMs: SYNC_TIMEOUT_MS });
const baseline = await settledMemory();
await transformer.sync();
const warm = await transformer.sync();
if (warm.downloaded !== 0) throw new Error(`the warm sync downloaded ${warm.downloaded} objects`);
const synced = await settledMemory();
await store.close();
process.stdout.write(JSON.stringify({ users: warm.users, baseline, synced }) + '\n');
process.disconnect?.();
