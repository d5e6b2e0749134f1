// Turns the results object (the same one written to results/latest.json) into RESULTS.md.
import { int, kib, mib, ms, ratio } from './format.mjs';
import { GOALS, checkGoals, ratiosOf } from './goals.mjs';
import { listingSection } from './listingReport.mjs';

const mark = (ok) => (ok ? 'met' : '**missed**');

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function machineSection(r) {
  const m = r.machine;
  return table(
    ['Machine', ''],
    [
      ['CPU', `${m.cores} × ${m.cpuModel}`],
      ['Memory', `${(m.memoryBytes / 1073741824).toFixed(1)} GiB`],
      ['Node', m.node],
      ['OS', m.os],
      ...(m.loadAverageAtStart ? [['Load average at start (1, 5, 15 min)', m.loadAverageAtStart.map((l) => l.toFixed(2)).join(', ')]] : []),
      ['Date', r.generatedAt],
      ['Command', `\`${r.config.command}\``],
      ['Total runtime', `${r.totalSeconds.toFixed(0)} s`],
      ...runsOfSizes(r),
    ],
  );
}

/** With `--append`, sizes come from different runs: one row per run, naming its sizes. */
function runsOfSizes(r) {
  const byCommand = new Map();
  for (const entry of r.sizes) {
    if (!entry.run) continue;
    const key = `\`${entry.run.command}\` (${entry.run.generatedAt}, ${entry.run.runs} run(s) per figure)`;
    byCommand.set(key, [...(byCommand.get(key) ?? []), int(entry.users)]);
  }
  if (byCommand.size < 2) return [];
  return [...byCommand].map(([run, sizes]) => [`${sizes.join(', ')} users measured by`, run]);
}

function goalsSection(r) {
  const rows = checkGoals(r).map((g) => [int(g.users), g.store, g.figure, g.measured, g.goal, mark(g.met)]);
  return table(['Users', 'Store', 'Figure', 'Measured (median)', 'Goal', 'Result'], rows);
}

/** What a floor was made of, e.g. `readdir + stat 5.10 s (async 16.4 s) + 1,000,000 readFile 45.1 s`. */
function floorText(store, f, reads) {
  if (store !== 'local') {
    if (f.listMs === undefined) return `list: ${ms(f.ms.median)}`;
    return `list ${ms(f.listMs.median)} + ${int(reads)} GETs ${ms(f.readMs.median)} = ${ms(f.ms.median)}`;
  }
  const listing = `readdir + stat ${ms(Math.min(f.listSyncMs.median, f.listAsyncMs.median))} (sync ${ms(f.listSyncMs.median)}, async ${ms(f.listAsyncMs.median)})`;
  if (f.readMs === undefined) return listing;
  return `${listing} + ${int(reads)} × readFile ${ms(f.readMs.median)} = ${ms(f.ms.median)}`;
}

function syncRows(users, store, s) {
  const c = s.cold;
  const w = s.warm;
  const inc = s.incremental;
  const e = s.export;
  const r = ratiosOf(s);
  const cold = [
    'Cold sync (time, CSVs/s)',
    store,
    `${ms(c.syncMs.median)} (${int(c.syncObjectsPerS.median)}/s), event loop max ${ms(c.syncMaxBlockMs.median)}`,
    floorText(store, c.floor, c.objects),
    ratio(r.cold),
  ];
  const list = [
    'Listing (`list()` alone)',
    store,
    `${ms(w.list.median)}, event loop max ${ms(w.listMaxBlockMs.median)}`,
    floorText(store, w.floor),
    ratio(r.list),
  ];
  const warm = [
    'Warm sync, nothing changed',
    store,
    `${ms(w.sync.median)}, event loop max ${ms(w.syncMaxBlockMs.median)}`,
    floorText(store, w.floor),
    ratio(r.warm),
  ];
  const incremental = [
    `Incremental sync, ${int(inc.changed)} CSVs rewritten`,
    store,
    `${ms(inc.sync.median)}, ${inc.downloaded.median} downloaded`,
    floorText(store, inc.floor, inc.changed),
    ratio(r.incremental),
  ];
  const exported = [
    `Export, ${kib(e.bytes)} CSV`,
    store,
    `total ${ms(e.total.median)} (build ${ms(e.build.median)})`,
    `bare upload: ${ms(e.upload.median)}`,
    `total − upload: ${ms(e.total.median - e.upload.median)}`,
  ];
  return [cold, list, warm, incremental, exported];
}

function querySection(stores) {
  const rows = [];
  let setup;
  for (const [store, s] of stores) {
    if (!s.queries) continue;
    setup ??= s.queries;
    for (const q of s.queries.routes) {
      const share = `${int(q.matched)} (${((q.matched / q.users) * 100).toFixed(1)}%)`;
      rows.push([
        `\`GET ${q.path}\``,
        store,
        q.name === 'stats' ? `count ${share}` : share,
        kib(q.responseBytes),
        int(q.requestsPerS.median),
        ms(q.p50Ms.median),
        ms(q.p99Ms.median),
      ]);
    }
  }
  if (!setup) return '';
  const intro = `Warm cache, real HTTP service in its own process, the load generator (\`bench/load.mjs\`: keep-alive connections, bodies read and dropped) in another: ${setup.connections} connections, ${setup.seconds} s per run after a 1 s warm-up. The goals for these are in the table at the top.`;
  return `${intro}\n\n${table(['Request', 'Store', 'Users matched', 'Response', 'Requests/s', 'p50', 'p99'], rows)}`;
}

function memorySection(stores) {
  const rows = [];
  for (const [store, s] of stores) {
    const m = s.memory;
    const u = s.queries?.routes.find((q) => q.name === 'unfiltered');
    rows.push([
      store,
      m.heapPerUser.runs.length,
      `${Math.round(m.heapPerUser.median)} B`,
      `${Math.round(m.heapCommittedPerUser.median)} B`,
      `${Math.round(m.rssPerUser.median)} B`,
      m.rssOverHeap ? `${mib(m.syncedRss)} / ${mib(m.syncedHeap)}; growth ${m.rssOverHeap.median.toFixed(2)} ×` : '—',
      `${mib(m.baselineRss)} / ${mib(m.baselineHeap)}`,
      u ? `${mib(u.memoryBefore.rssSettled)} → ${mib(u.memoryAfter.rssSettled)}` : '—',
      u ? `${mib(u.memoryBefore.heapUsedSettled)} → ${mib(u.memoryAfter.heapUsedSettled)}` : '—',
    ]);
  }
  return table(
    [
      'Store',
      'Runs',
      'Heap used / user',
      'Heap committed / user',
      'RSS / user',
      'After the syncs: RSS / heap',
      'Empty process RSS / heap',
      'Service RSS across the unfiltered load (settled)',
      'Service heap, same',
    ],
    rows,
  );
}

function sizeSection(entry) {
  const measured = Object.entries(entry.stores).filter(([, s]) => !s.skipped);
  const skipped = Object.entries(entry.stores).filter(([, s]) => s.skipped);
  const first = measured[0]?.[1];
  const head = `## ${int(entry.users)} users` + (first ? ` (${int(first.objects)} objects, ${int(first.images)} of them images)` : '');
  const parts = [head];
  for (const [store, s] of skipped) parts.push(`*${store}: not measured at this size.* ${s.skipped}`);
  if (measured.length === 0) return parts.join('\n\n');
  const rows = measured.flatMap(([store, s]) => syncRows(entry.users, store, s));
  parts.push(
    '### Sync and export',
    'Ratios are time over the floor. The local floor is plain file-system code with none of the store in it (`bench/lib/floor.mjs`); the S3 floor is the bare client loop (the same listing and GETs through the same store, nothing done to the bytes).',
    table(['Figure', 'Store', 'Library', 'Floor', 'Ratio'], rows),
  );
  const queries = querySection(measured);
  if (queries) parts.push('### Queries', queries);
  parts.push(
    '### Memory',
    `Per cached user: growth over a fresh process that has loaded the library, after a cold and a warm sync and full GCs (median of the runs counted in the table, each in a new process).`,
    memorySection(measured),
  );
  return parts.join('\n\n');
}

export function renderMarkdown(r, notes, extras = []) {
  const parts = [
    '# Benchmark results',
    `Generated by \`bench/run.mjs\`; rerun \`npm run bench\` to refresh. Hand-written notes belong in \`bench/NOTES.md\`, which is appended below. ` +
      `Each figure is the median of ${r.config.runs} run(s) unless its row says otherwise; every run's value is in \`bench/results/latest.json\`.`,
    machineSection(r),
    '## Goals',
    GOALS.map((g) => `- **${g.figure}**: ${g.explain}`).join('\n'),
    goalsSection(r),
    ...r.sizes.map(sizeSection),
  ];
  if (r.listing) parts.push(listingSection(r.listing));
  if (r.config.notes.length > 0) parts.push('## How this run was bounded', r.config.notes.map((n) => `- ${n}`).join('\n'));
  parts.push(...extras);
  if (notes) parts.push(notes.trim());
  return parts.join('\n\n') + '\n';
}
