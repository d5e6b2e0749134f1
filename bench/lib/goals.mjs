// The goals of issue 5, checked in one place so latest.json and RESULTS.md can never disagree
// about what was met.
import { int, mib, ms, ratio } from './format.mjs';

export const GOALS = [
  { id: 'cold', figure: 'Cold sync', explain: 'objects/s at least 0.9 × the limit: list + GET every CSV with the same store and concurrency, nothing else.' },
  { id: 'warm', figure: 'Warm sync', explain: 'with nothing changed, at most 1.2 × one bare listing of the prefix.' },
  {
    id: 'incremental',
    figure: 'Incremental sync',
    explain: 'after rewriting 1% of the CSVs, at most 1.2 × a bare listing plus GETs of exactly those objects.',
  },
  { id: 'downloads', figure: 'Incremental downloads', explain: 'in every run, exactly the rewritten CSVs are downloaded.' },
  { id: 'export', figure: 'Export', explain: '`exportOutput` of all users at most 1 s plus the upload, taken as total − a bare put of the same bytes.' },
  { id: 'heap', figure: 'Memory (heap)', explain: 'at most 600 bytes of JS heap per cached user over the empty process.' },
  { id: 'rss', figure: 'Memory (RSS)', explain: 'at most 600 bytes of resident memory per cached user over the empty process.' },
  { id: 'stats', figure: '`GET /stats` with filters', explain: 'p50 at most 5 ms under concurrent load on a warm cache.' },
  { id: 'selective', figure: '`GET /data`, ~1% of users', explain: 'p50 at most 10 ms under concurrent load on a warm cache.' },
  { id: 'unfiltered', figure: '`GET /data` unfiltered', explain: 'p50 at most 150 ms under concurrent load on a warm cache.' },
  {
    id: 'flat',
    figure: 'Service memory',
    explain: 'flat across requests: settled RSS (after full GCs) grows by at most 10% from before the first unfiltered `GET /data` to after the last.',
  },
];

function checksFor(s) {
  const c = s.cold;
  const coldRatio = c.syncObjectsPerS.median / c.limitObjectsPerS.median;
  const warmRatio = s.warm.sync.median / s.warm.list.median;
  const incRatio = s.incremental.sync.median / s.incremental.bare.median;
  const downloads = s.incremental.downloaded.runs;
  const ownExportMs = s.export.total.median - s.export.upload.median;
  const unfiltered = s.queries?.routes.find((q) => q.name === 'unfiltered');
  // Settled (full GCs, pages returned) on both sides: raw RSS swings by hundreds of MiB with the
  // garbage of the last requests, which would hide or fake a real per-request leak.
  const before = unfiltered?.memoryBefore.rssSettled;
  const after = unfiltered?.memoryAfter.rssSettled;
  const growth = after / before - 1;
  const checks = {
    cold: [`${ratio(coldRatio)} (${int(c.syncObjectsPerS.median)} vs ${int(c.limitObjectsPerS.median)} objects/s)`, '≥ 0.90', coldRatio >= 0.9],
    warm: [`${ratio(warmRatio)} (${ms(s.warm.sync.median)} vs ${ms(s.warm.list.median)})`, '≤ 1.20', warmRatio <= 1.2],
    incremental: [`${ratio(incRatio)} (${ms(s.incremental.sync.median)} vs ${ms(s.incremental.bare.median)})`, '≤ 1.20', incRatio <= 1.2],
    downloads: [`${downloads.join(', ')} of ${s.incremental.changed}`, `= ${s.incremental.changed}`, downloads.every((d) => d === s.incremental.changed)],
    export: [`${ms(ownExportMs)} + upload ${ms(s.export.upload.median)} (build ${ms(s.export.build.median)})`, '≤ 1 s + upload', ownExportMs <= 1000],
    heap: [`${Math.round(s.memory.heapPerUser.median)} B/user`, '≤ 600 B', s.memory.heapPerUser.median <= 600],
    rss: [`${Math.round(s.memory.rssPerUser.median)} B/user`, '≤ 600 B', s.memory.rssPerUser.median <= 600],
    flat: [`${mib(before)} → ${mib(after)} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%)`, '≤ +10%', growth <= 0.1],
  };
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
      const checks = checksFor(s);
      for (const g of GOALS.filter((goal) => checks[goal.id])) {
        const [measured, goal, met] = checks[g.id];
        rows.push({ users: entry.users, store, id: g.id, figure: g.figure, measured, goal, met });
      }
    }
  }
  return rows;
}
