// The figures of the benchmarks that run on their own (bench/freshness.mjs, bench/paging.mjs,
// bench/parquet.mjs, bench/replicas.mjs), rendered from their result files for RESULTS.md beside
// their goals.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parquetSection } from './extraParquet.mjs';
import { replicasSection } from './extraReplicas.mjs';
import { mark, table } from './markdown.mjs';

const ms = (v) => `${v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')} ms`;

function read(dir, name) {
  const file = path.join(dir, name);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

function freshness(f) {
  const rows = [];
  for (const [store, r] of [
    ['local', f.local],
    ['s3', f.s3],
  ]) {
    if (!r) continue;
    const users = r.users.toLocaleString('en-US');
    rows.push([
      users,
      store,
      '`GET /stats` p50, a read after 2 × MAX_STALENESS_MS idle (default config, fresh connection)',
      `${ms(r.readAfterIdle.p50Ms)} (liveness probe: ${ms(r.readAfterIdle.floorP50Ms ?? NaN)})`,
      '≤ 5 ms',
      mark(r.readAfterIdle.p50Ms <= 5),
    ]);
    rows.push([
      users,
      store,
      'restart to the first full answer: with a snapshot / a bare listing of the prefix',
      `${r.ratio.toFixed(2)} (${ms(r.snapshotRestartMs)} / ${ms(r.bareListingMs)}; without a snapshot ${ms(r.coldRestartMs)})`,
      '≤ 1.5',
      mark(r.ratio <= 1.5),
    ]);
    rows.push([
      users,
      store,
      'restart with a snapshot: CSVs downloaded when nothing changed',
      String(r.downloadedAfterRestart),
      '0',
      mark(r.downloadedAfterRestart === 0),
    ]);
    if (r.rewriteVisibleMs !== undefined) {
      rows.push([
        users,
        store,
        'a CSV rewritten → visible in `GET /data` (events)',
        `${ms(r.rewriteVisibleMs)}, ${r.listingsDuringRewrite} listings`,
        '≤ 1 s, no listing',
        mark(r.rewriteVisibleMs <= 1000 && r.listingsDuringRewrite === 0),
      ]);
    }
    if (r.listingsPerHour !== undefined) {
      rows.push([
        users,
        store,
        'listings per hour in steady state, events on (RECONCILE_INTERVAL_MS = 10 s)',
        String(Math.round(r.listingsPerHour)),
        `= ${r.expectedListingsPerHour}`,
        mark(Math.abs(r.listingsPerHour - r.expectedListingsPerHour) <= 60),
      ]);
    }
    rows.push([users, store, 'snapshot size per user', `${r.snapshotBytesPerUser.toFixed(1)} B`, 'report', '—']);
  }
  return [
    '## Freshness (`node bench/freshness.mjs`)',
    `Run ${f.at} on Node ${f.node}; the service as \`npm start\` runs it.`,
    table(['Users', 'Store', 'Figure', 'Measured', 'Goal', 'Result'], rows),
  ].join('\n\n');
}

function paging(p) {
  const gzip = p.unfiltered.find((u) => u.coding === 'gzip');
  const plain = p.unfiltered.find((u) => u.coding === 'identity');
  const rows = [
    [
      `paging through ${p.users.toLocaleString('en-US')} users with \`limit=${p.limit}\` (${p.pages} pages)`,
      `${ms(p.totalMs)}, peak RSS ${(p.peakRssWhilePaging / 1e6).toFixed(0)} MB (${(p.rssBefore / 1e6).toFixed(0)} MB before)`,
    ],
    ['`GET /data` unfiltered over gzip: bytes on the wire (uncompressed)', `${(gzip.bytes / 1e6).toFixed(2)} MB (${(plain.bytes / 1e6).toFixed(2)} MB)`],
    ['`GET /data` unfiltered over gzip: p50 (uncompressed)', `${ms(gzip.p50Ms)} (${ms(plain.p50Ms)})`],
  ];
  return ['## Large results (`npm run bench:paging`)', table(['Figure', 'Measured'], rows)].join('\n\n');
}

/** The sections of the benchmarks whose result files exist. */
export function extraSections(resultsDir) {
  const parts = [];
  const f = read(resultsDir, 'freshness.json');
  if (f) parts.push(freshness(f));
  const p = read(resultsDir, 'paging.json');
  if (p) parts.push(paging(p));
  const q = read(resultsDir, 'parquet.json');
  if (q) parts.push(parquetSection(q));
  const r = read(resultsDir, 'replicas.json');
  if (r) parts.push(replicasSection(r));
  return parts;
}
