// The goals, checked in one place so latest.json and RESULTS.md can never disagree about what was
// met. Every sync figure is a time ratio against its floor (bench/lib/measure.mjs): plain
// file-system code for a local folder, the bare client loop for S3.
import { int, mib, ms, ratio } from './format.mjs';

/** Longest the event loop may stall during a listing: a service stays responsive meanwhile. */
export const MAX_BLOCK_MS = 50;
/** The RSS / heap goal is for large caches: below this, fixed costs dominate both figures. */
const RSS_HEAP_MIN_USERS = 500_000;
/** Ratio limits per store kind. A local folder's floor is plain fs code; S3's is our own client loop, hence tighter. */
const LIMITS = {
  local: { cold: 1.5, list: 1.5, warm: 1.5, incremental: 1.5 },
  s3: { cold: 1 / 0.9, list: 1.2, warm: 1.2, incremental: 1.2 },
};

export const GOALS = [
  {
    id: 'cold',
    figure: 'Cold sync',
    explain:
      'time at most 1.5 × the floor on a local folder (`readdir` + `stat` of every file, the faster of a sync and an async loop, then `readFile` of every CSV, 16 at a time); on S3 objects/s at least 0.9 × the bare client loop (list + GET every CSV, same store and concurrency).',
  },
  { id: 'list', figure: 'Listing', explain: "the store's `list()` at most 1.5 × the listing floor on a local folder, 1.2 × on S3." },
  { id: 'block', figure: 'Event loop during the listing', explain: `the longest stall of the event loop while \`list()\` runs, at most ${MAX_BLOCK_MS} ms.` },
  { id: 'warm', figure: 'Warm sync', explain: 'with nothing changed, at most 1.5 × the listing floor on a local folder, 1.2 × on S3.' },
  {
    id: 'incremental',
    figure: 'Incremental sync',
    explain: 'after rewriting 1% of the CSVs, at most 1.5 × (local) or 1.2 × (S3) the floor listing plus reads of exactly those files.',
  },
  { id: 'downloads', figure: 'Incremental downloads', explain: 'in every run, exactly the rewritten CSVs are downloaded.' },
  { id: 'export', figure: 'Export', explain: '`exportOutput` of all users at most 1 s plus the upload, taken as total − a bare put of the same bytes.' },
  { id: 'heap', figure: 'Memory (heap)', explain: 'at most 600 bytes of JS heap per cached user over the empty process.' },
  { id: 'rss', figure: 'Memory (RSS)', explain: 'at most 600 bytes of resident memory per cached user over the empty process.' },
  {
    id: 'rssHeap',
    figure: 'RSS / heap',
    explain: `from ${RSS_HEAP_MIN_USERS.toLocaleString('en-US')} users up: resident memory the cache adds to the empty process, after a cold and a warm sync and full GCs, at most 2 × the heap it adds. Below that, fixed costs (V8's young generation alone commits 32 MiB) outweigh the cache.`,
  },
  { id: 'stats', figure: '`GET /stats` with filters', explain: 'p50 at most 5 ms under concurrent load on a warm cache.' },
  { id: 'selective', figure: '`GET /data`, ~1% of users', explain: 'p50 at most 10 ms under concurrent load on a warm cache.' },
  { id: 'unfiltered', figure: '`GET /data` unfiltered', explain: 'p50 at most 150 ms under concurrent load on a warm cache.' },
  {
    id: 'flat',
    figure: 'Service memory',
    explain: 'flat across requests: settled RSS (after full GCs) grows by at most 10% from before the first unfiltered `GET /data` to after the last.',
  },
];

/** Every ratio of one store's figures against their floors, `ours / floor` in time. */
export function ratiosOf(s) {
  return {
    cold: s.cold.syncMs.median / s.cold.floor.ms.median,
    list: s.warm.list.median / s.warm.floor.ms.median,
    warm: s.warm.sync.median / s.warm.floor.ms.median,
    incremental: s.incremental.sync.median / s.incremental.floor.ms.median,
  };
}

function ratioChecks(kind, s) {
  const r = ratiosOf(s);
  const limits = LIMITS[kind];
  const vs = (ours, floor) => `(${ms(ours)} vs ${ms(floor)})`;
  return {
    cold: [
      `${ratio(r.cold)} ${vs(s.cold.syncMs.median, s.cold.floor.ms.median)}, ${int(s.cold.syncObjectsPerS.median)} vs ${int(s.cold.floorObjectsPerS.median)} CSVs/s`,
      `≤ ${ratio(limits.cold)}`,
      r.cold <= limits.cold,
    ],
    list: [`${ratio(r.list)} ${vs(s.warm.list.median, s.warm.floor.ms.median)}`, `≤ ${ratio(limits.list)}`, r.list <= limits.list],
    block: [`${ms(s.warm.listMaxBlockMs.median)}`, `≤ ${MAX_BLOCK_MS} ms`, s.warm.listMaxBlockMs.median <= MAX_BLOCK_MS],
    warm: [`${ratio(r.warm)} ${vs(s.warm.sync.median, s.warm.floor.ms.median)}`, `≤ ${ratio(limits.warm)}`, r.warm <= limits.warm],
    incremental: [
      `${ratio(r.incremental)} ${vs(s.incremental.sync.median, s.incremental.floor.ms.median)}`,
      `≤ ${ratio(limits.incremental)}`,
      r.incremental <= limits.incremental,
    ],
  };
}

function checksFor(kind, s) {
  const downloads = s.incremental.downloaded.runs;
  const ownExportMs = s.export.total.median - s.export.upload.median;
  const unfiltered = s.queries?.routes.find((q) => q.name === 'unfiltered');
  // Settled (full GCs, pages returned) on both sides: raw RSS swings by hundreds of MiB with the
  // garbage of the last requests, which would hide or fake a real per-request leak.
  const before = unfiltered?.memoryBefore.rssSettled;
  const after = unfiltered?.memoryAfter.rssSettled;
  const growth = after / before - 1;
  const m = s.memory;
  const checks = {
    ...ratioChecks(kind, s),
    downloads: [`${downloads.join(', ')} of ${s.incremental.changed}`, `= ${s.incremental.changed}`, downloads.every((d) => d === s.incremental.changed)],
    export: [`${ms(ownExportMs)} + upload ${ms(s.export.upload.median)} (build ${ms(s.export.build.median)})`, '≤ 1 s + upload', ownExportMs <= 1000],
    heap: [`${Math.round(m.heapPerUser.median)} B/user`, '≤ 600 B', m.heapPerUser.median <= 600],
    rss: [`${Math.round(m.rssPerUser.median)} B/user`, '≤ 600 B', m.rssPerUser.median <= 600],
    flat: [`${mib(before)} → ${mib(after)} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%)`, '≤ +10%', growth <= 0.1],
  };
  if (m.rssOverHeap && m.users >= RSS_HEAP_MIN_USERS) {
    const rh = m.rssOverHeap.median;
    checks.rssHeap = [`${rh.toFixed(2)} × (whole process: RSS ${mib(m.syncedRss)}, heap ${mib(m.syncedHeap)})`, '≤ 2.00 ×', rh <= 2];
  }
  const p50Goals = { stats: 5, selective: 10, unfiltered: 150 };
  for (const [name, limitMs] of Object.entries(p50Goals)) {
    const route = s.queries?.routes.find((q) => q.name === name);
    if (route) checks[name] = [`p50 ${ms(route.p50Ms.median)}, p99 ${ms(route.p99Ms.median)}`, `p50 ≤ ${limitMs} ms`, route.p50Ms.median <= limitMs];
  }
  if (!unfiltered) delete checks.flat;
  return checks;
}

/** One row per size, store and goal: `{ users, store, id, figure, measured, goal, met }`. */
export function checkGoals(results) {
  const rows = [];
  for (const entry of results.sizes) {
    for (const [store, s] of Object.entries(entry.stores)) {
      if (s.skipped) continue;
      const checks = checksFor(store, s);
      for (const g of GOALS.filter((goal) => checks[goal.id])) {
        const [measured, goal, met] = checks[g.id];
        rows.push({ users: entry.users, store, id: g.id, figure: g.figure, measured, goal, met });
      }
    }
  }
  return rows;
}
