// The figures measured in child processes: queries through the real service under load, and
// memory per cached user.
import { fileURLToPath } from 'node:url';
import { runChild, startChild } from './children.mjs';
import { log, median, medianOfFields, summary } from './stats.mjs';

const SERVE = fileURLToPath(new URL('../serve.mjs', import.meta.url));
const LOAD = fileURLToPath(new URL('../load.mjs', import.meta.url));
const MEMORY = fileURLToPath(new URL('../memory.mjs', import.meta.url));
const WARMUP_SECONDS = 1;
/** One birth year of 73 (ages 18 to 90 in the demo data): about 1.4% of users, the finest the API filters. */
export const SELECTIVE_AGE = 40;

export const ROUTES = [
  { name: 'stats', path: '/stats?min_age=30&max_age=60&is_image_exists=true' },
  { name: 'selective', path: `/data?min_age=${SELECTIVE_AGE}&max_age=${SELECTIVE_AGE}` },
  { name: 'unfiltered', path: '/data' },
];

/** One request outside the load, to record what the route answers. */
async function probe(url) {
  const response = await globalThis.fetch(url);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${text.slice(0, 200)}`);
  const body = JSON.parse(text);
  return { bytes: Buffer.byteLength(text), matched: Array.isArray(body) ? body.length : body.count };
}

function load(url, { connections, seconds }) {
  return runChild(LOAD, [url, String(connections), String(seconds)]);
}

export async function measureQueries(spec, { runs, seconds, connections }) {
  const serve = startChild(SERVE, [JSON.stringify(spec)], { execArgv: ['--expose-gc'] });
  try {
    const ready = await serve.nextLine();
    log(`  service up on port ${ready.port} with ${ready.users} users`);
    const base = `http://127.0.0.1:${ready.port}`;
    const routes = [];
    for (const route of ROUTES) {
      const url = base + route.path;
      // Before the first unfiltered request, so the one-time build of its cached body counts too.
      const before = route.name === 'unfiltered' ? await serve.request({ type: 'memory' }) : undefined;
      const answer = await probe(url);
      await load(url, { connections, seconds: WARMUP_SECONDS });
      const results = [];
      for (let run = 0; run < runs; run++) {
        const r = await load(url, { connections, seconds });
        if (r.non2xx || r.errors || r.timeouts) throw new Error(`${route.path}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
        results.push(r);
      }
      const after = route.name === 'unfiltered' ? await serve.request({ type: 'memory' }) : undefined;
      const med = medianOfFields(results);
      log(`  ${route.path}: ${med.requestsPerS.toFixed(0)} req/s, p50 ${med.p50Ms} ms, p99 ${med.p99Ms} ms`);
      routes.push({
        ...route,
        users: ready.users,
        matched: answer.matched,
        responseBytes: answer.bytes,
        requestsPerS: summary(results.map((r) => r.requestsPerS)),
        p50Ms: summary(results.map((r) => r.p50Ms)),
        p99Ms: summary(results.map((r) => r.p99Ms)),
        requests: results.reduce((n, r) => n + r.requests, 0),
        ...(before && { memoryBefore: before, memoryAfter: after }),
      });
    }
    return { connections, seconds, serverAtStart: { rss: ready.rss, heapUsed: ready.heapUsed }, routes };
  } finally {
    await serve.stop();
  }
}

export async function measureMemory(spec, runs) {
  const samples = [];
  for (let run = 0; run < runs; run++) {
    const { users, baseline, synced } = await runChild(MEMORY, [JSON.stringify(spec)], { execArgv: ['--expose-gc'] });
    samples.push({
      users,
      baselineRss: baseline.rss,
      baselineHeap: baseline.heapUsed,
      rssPerUser: (synced.rss - baseline.rss) / users,
      heapPerUser: (synced.heapUsed - baseline.heapUsed) / users,
      // Committed by V8 but not in use: what separates RSS from the live heap.
      heapCommittedPerUser: (synced.heapTotal - baseline.heapTotal) / users,
      externalPerUser: (synced.external - baseline.external) / users,
      syncedRss: synced.rss,
      syncedHeap: synced.heapUsed,
      // How much resident memory each byte of heap the cache holds costs once the sync is over.
      rssOverHeap: (synced.rss - baseline.rss) / (synced.heapUsed - baseline.heapUsed),
    });
  }
  const pick = (field) => summary(samples.map((s) => s[field]));
  return {
    users: samples[0].users,
    baselineRss: median(samples.map((s) => s.baselineRss)),
    baselineHeap: median(samples.map((s) => s.baselineHeap)),
    rssPerUser: pick('rssPerUser'),
    heapPerUser: pick('heapPerUser'),
    heapCommittedPerUser: pick('heapCommittedPerUser'),
    externalPerUser: pick('externalPerUser'),
    syncedRss: median(samples.map((s) => s.syncedRss)),
    syncedHeap: median(samples.map((s) => s.syncedHeap)),
    rssOverHeap: pick('rssOverHeap'),
  };
}
