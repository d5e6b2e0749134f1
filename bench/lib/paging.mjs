// The large-result figures of the HTTP API, against the real service in its own process: paging
// through every user by the Link header, and the unfiltered list over gzip.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startChild } from './children.mjs';
import { log, median } from './stats.mjs';

const SERVE = fileURLToPath(new URL('../serve.mjs', import.meta.url));

/** One GET over `agent`; the body is kept as the raw bytes that came over the wire. */
function get(url, agent, headers = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    http
      .get(url, { agent, headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - started }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function nextLink(link, base) {
  const match = /^<([^>]*)>;\s*rel="next"$/.exec(link ?? '');
  return match ? new URL(match[1], base).href : null;
}

/** Follows rel="next" from the first page to the last, checking that every user comes exactly once. */
async function pageThrough(base, limit, agent) {
  const ids = new Set();
  let pages = 0;
  let rows = 0;
  let total = null;
  const started = performance.now();
  for (let url = `${base}/data?limit=${limit}`; url;) {
    const res = await get(url, agent);
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
    const body = JSON.parse(res.body.toString());
    for (const row of body) ids.add(row.user_id);
    rows += body.length;
    pages++;
    total = Number(res.headers['x-total-count']);
    url = nextLink(res.headers.link, base);
  }
  const totalMs = performance.now() - started;
  if (ids.size !== rows || rows !== total) throw new Error(`paging returned ${rows} rows, ${ids.size} distinct, of ${total}`);
  return { pages, rows, totalMs };
}

/** Sequential requests for the unfiltered list in one coding: bytes on the wire and latency. */
async function unfiltered(base, coding, runs, agent) {
  const headers = coding === 'identity' ? {} : { 'accept-encoding': coding };
  const first = await get(`${base}/data`, agent, headers); // builds (and compresses) the cached body
  const latencies = [];
  for (let i = 0; i < runs; i++) latencies.push((await get(`${base}/data`, agent, headers)).ms);
  return { coding, contentEncoding: first.headers['content-encoding'] ?? 'identity', bytes: first.body.length, firstMs: first.ms, p50Ms: median(latencies) };
}

export async function measurePaging(spec, { limit, runs }) {
  const serve = startChild(SERVE, [JSON.stringify(spec)], { execArgv: ['--expose-gc'] });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const ready = await serve.nextLine();
    log(`  service up on port ${ready.port} with ${ready.users} users (rss ${(ready.rss / 1e6).toFixed(0)} MB)`);
    const base = `http://127.0.0.1:${ready.port}`;
    const before = await serve.request({ type: 'peak' });
    const paging = await pageThrough(base, limit, agent);
    const during = await serve.request({ type: 'peak' });
    log(`  ${paging.pages} pages of ${limit}: ${paging.totalMs.toFixed(0)} ms, peak rss ${(during.peakRss / 1e6).toFixed(0)} MB`);
    const codings = [];
    for (const coding of ['gzip', 'identity']) {
      codings.push(await unfiltered(base, coding, runs, agent));
      log(`  GET /data (${coding}): ${codings.at(-1).bytes} bytes, p50 ${codings.at(-1).p50Ms.toFixed(1)} ms`);
    }
    return { users: ready.users, limit, ...paging, rssBefore: before.rss, peakRssWhilePaging: during.peakRss, unfiltered: codings };
  } finally {
    agent.destroy();
    await serve.stop();
  }
}
