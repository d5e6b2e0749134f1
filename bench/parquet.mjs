#!/usr/bin/env node
// Parquet beside CSV (default configuration, local folder): building each output (median of
// `--runs`, against bare code doing the same job in the same run), their sizes, the longest
// event-loop stall while the Parquet file is encoded, and DuckDB computing the average age from
// output.parquet against the raw per-user CSVs. Every size is seeded as real files with the demo
// generator and synced. Writes results/parquet.json; RESULTS.md shows it (`node bench/run.mjs
// --render-only` to rebuild).
//
//   npm run bench:parquet                        # builds dist/ first; 10,000, 100,000 and 1,000,000 users
//   node bench/parquet.mjs --sizes 10000 --runs 1
//   node bench/parquet.mjs --sizes 1000000 --duckdb-csv-max-users 1000000
//                                                # DuckDB on a million raw CSVs too (many minutes)
//
// Sizes not measured by a run keep their earlier figures in results/parquet.json, each entry
// saying which command measured it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UserDataTransformer, createLocalStore, utcDateKey } from '../dist/index.js';
import { removeOnExit } from './lib/children.mjs';
import { measureDuckdb, measureEncoding } from './lib/parquetFigures.mjs';
import { seedLocal } from './lib/seed.mjs';
import { log, timed } from './lib/stats.mjs';
import { SOURCE_PREFIX, SYNC_TIMEOUT_MS } from './lib/stores.mjs';

const RESULTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'parquet.json');

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    runs: { type: 'string', default: '3' },
    'duckdb-csv-max-users': { type: 'string', default: '100000' },
  },
  strict: true,
});
const positive = (name, text) => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
};
const sizes = values.sizes.split(',').map((s) => positive('sizes', s.trim()));
const runs = positive('runs', values.runs);
const csvMaxUsers = positive('duckdb-csv-max-users', values['duckdb-csv-max-users']);
const command = ['node', 'bench/parquet.mjs', ...process.argv.slice(2)].join(' ');

/** The commit whose dist/ is measured, `+src changes` when src/ differs from it; null outside a checkout. */
function libraryCommit() {
  const git = (...args) => execFileSync('git', args, { cwd: path.dirname(RESULTS), encoding: 'utf8' }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', '../../src') === '' ? '' : ' +src changes'}`;
  } catch {
    return null;
  }
}
const commit = libraryCommit();

async function measureSize(users) {
  const root = removeOnExit(await mkdtemp(path.join(os.tmpdir(), 'udt-bench-parquet-')));
  try {
    log(`== ${users} users: seeding a local folder`);
    const seeded = await timed(() => seedLocal(root, users));
    // The default configuration; only the sync timeout is raised, as the other benchmarks do.
    const t = new UserDataTransformer({ store: createLocalStore({ root }), sourcePrefix: SOURCE_PREFIX, syncTimeoutMs: SYNC_TIMEOUT_MS });
    try {
      const synced = await timed(() => t.sync());
      log(
        `  seeded ${seeded.value.objects} files in ${(seeded.ms / 1000).toFixed(1)} s, synced ${synced.value.users} users in ${(synced.ms / 1000).toFixed(1)} s`,
      );
      const todayKey = t.todayKey();
      if (todayKey !== utcDateKey(Date.now())) throw new Error(`the transformer counts ages on ${todayKey}, not on today's UTC date`);
      const encoding = await measureEncoding(t, runs);
      const duckdb = await measureDuckdb(t, root, path.join(root, SOURCE_PREFIX), { runs, csvMaxUsers, todayKey });
      return {
        users,
        source: 'seeded local folder (demo generator), synced',
        files: seeded.value.objects,
        seedMs: seeded.ms,
        syncMs: synced.ms,
        ...encoding,
        sizeRatio: encoding.parquet.bytes / encoding.csv.bytes,
        duckdb,
        at: new Date().toISOString(),
        command,
        commit,
        runs,
      };
    } finally {
      await t.store.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function main() {
  const earlier = existsSync(RESULTS) ? JSON.parse(await readFile(RESULTS, 'utf8')) : { sizes: [] };
  const cpus = os.cpus();
  const loadAverageAtStart = os.loadavg();
  const measured = [];
  for (const users of sizes) measured.push(await measureSize(users));
  const kept = earlier.sizes.filter((e) => !sizes.includes(e.users));
  const out = {
    at: new Date().toISOString(),
    machine: { cores: cpus.length, cpuModel: cpus[0]?.model.trim() ?? 'unknown', node: process.version, loadAverageAtStart },
    duckdbCsvMaxUsers: csvMaxUsers,
    sizes: [...kept, ...measured].sort((a, b) => a.users - b.users),
  };
  await writeFile(`${RESULTS}.tmp`, `${JSON.stringify(out, null, 2)}\n`);
  await rename(`${RESULTS}.tmp`, RESULTS);
  for (const s of measured) {
    log(
      `${s.users}: csv ${s.csv.bytes} B ${s.csv.buildMs.median.toFixed(0)} ms, parquet ${s.parquet.bytes} B ${s.parquet.buildMs.median.toFixed(0)} ms (×${s.sizeRatio.toFixed(2)}), stall ${s.parquet.maxBlockMs.median.toFixed(0)} ms, duckdb agree ${s.duckdb.agree}`,
    );
  }
  if (measured.some((s) => !s.duckdb.agree)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  // Exit rather than return: the 'exit' handler removes the seeded folders.
  process.exit(1);
});
