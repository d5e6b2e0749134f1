#!/usr/bin/env node
// Benchmark harness (issue 5): seeds demo users into a local folder and a loopback S3 server,
// measures sync, export, queries and memory, and writes results/latest.json and RESULTS.md.
//
//   npm run bench                      # builds dist/ first, then the default sizes
//   node bench/run.mjs --sizes 1000 --runs 1
//   node bench/run.mjs --sizes 1000000 --stores local --append
//                                      # a million users (~1.5M files, ~6 GB of disk under the temp
//                                      # folder, about 15 minutes), added to the sizes already in
//                                      # results/latest.json instead of replacing them
//
// Options: --sizes 10000,100000  --runs 3  --stores local,s3  --s3-max-users 10000
//          --memory-runs 1  --query-stores local  --load-seconds 5  --connections 4
//          --append        (keep the other sizes of results/latest.json; each says which run measured it)
//          --render-only   (rebuild RESULTS.md from results/latest.json, e.g. after editing NOTES.md)
//          --listing-users 10000  (S3 listing, parallel vs serial at 75 ms a page, on the S3 store of
//                          this size; 0: not measured)
//          --listing-only  (only that: seeds its own S3 server, and replaces the listing figures in
//                          results/latest.json, keeping every other figure)
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { removeOnExit } from './lib/children.mjs';
import { checkGoals } from './lib/goals.mjs';
import { measureSyncFigures } from './lib/measure.mjs';
import { extraSections } from './lib/extra.mjs';
import { measureListing, seedAndMeasureListing } from './lib/listing.mjs';
import { renderMarkdown } from './lib/report.mjs';
import { rawClient, startS3 } from './lib/s3.mjs';
import { localRewriter, pickChanged, s3Rewriter, seedLocal, seedS3 } from './lib/seed.mjs';
import { measureMemory, measureQueries } from './lib/service.mjs';
import { log } from './lib/stats.mjs';
import { localSpec, s3Spec } from './lib/stores.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const BUCKET = 'bench';
/**
 * s3rver lists a prefix by re-walking its folder from the start for every 1000-key page, so one
 * listing grows with the square of the object count: about 6 s for 15k objects and 35 s for 45k
 * on the reference machine, which puts a single listing of 150k objects near 5 minutes.
 */
const S3_MAX_USERS_DEFAULT = 10_000;

function options() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10000,100000' },
      runs: { type: 'string', default: '3' },
      stores: { type: 'string', default: 'local,s3' },
      's3-max-users': { type: 'string', default: String(S3_MAX_USERS_DEFAULT) },
      'memory-runs': { type: 'string', default: '1' },
      'query-stores': { type: 'string', default: 'local' },
      'load-seconds': { type: 'string', default: '5' },
      connections: { type: 'string', default: '4' },
      'render-only': { type: 'boolean', default: false },
      append: { type: 'boolean', default: false },
      'listing-users': { type: 'string', default: String(S3_MAX_USERS_DEFAULT) },
      'listing-only': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const positive = (name, text, min = 1) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`--${name} must be an integer of at least ${min}, got ${JSON.stringify(text)}`);
    return n;
  };
  const storeList = (name) => {
    const list = values[name].split(',').map((s) => s.trim());
    for (const s of list) if (s !== 'local' && s !== 's3') throw new RangeError(`--${name} takes local and/or s3, got ${s}`);
    return list;
  };
  return {
    renderOnly: values['render-only'],
    append: values.append,
    listingOnly: values['listing-only'],
    listingUsers: positive('listing-users', values['listing-users'], 0),
    sizes: values.sizes.split(',').map((s) => positive('sizes', s.trim())),
    runs: positive('runs', values.runs),
    stores: storeList('stores'),
    s3MaxUsers: positive('s3-max-users', values['s3-max-users']),
    memoryRuns: positive('memory-runs', values['memory-runs']),
    queryStores: storeList('query-stores'),
    loadSeconds: positive('load-seconds', values['load-seconds']),
    connections: positive('connections', values.connections),
  };
}

/**
 * Seeds one store, runs every figure on it, and removes the data again whatever happens. On S3 at
 * `--listing-users` users, also measures the listing at 75 ms a page, into `extras.listing`.
 */
async function benchStore(kind, users, config, extras) {
  const phases = {};
  const phase = async (name, fn) => {
    const started = performance.now();
    const value = await fn();
    phases[name] = Math.round((performance.now() - started) / 100) / 10;
    return value;
  };
  const teardown = [];
  try {
    let spec;
    let rewrite;
    let seeded;
    if (kind === 'local') {
      const root = removeOnExit(await mkdtemp(path.join(os.tmpdir(), 'udt-bench-local-')));
      teardown.push(() => rm(root, { recursive: true, force: true }));
      seeded = await phase('seed', () => seedLocal(root, users));
      spec = localSpec(root);
      rewrite = localRewriter(root);
    } else {
      const s3 = await startS3();
      teardown.push(() => s3.stop());
      const client = rawClient(s3.port);
      await client.makeBucket(BUCKET, 'us-east-1');
      seeded = await phase('seed', () => seedS3(client, BUCKET, users));
      spec = s3Spec(s3.endpoint, BUCKET);
      rewrite = s3Rewriter(client, BUCKET);
    }
    log(`${kind} ${users}: seeded ${seeded.objects} objects in ${phases.seed} s`);
    const changedKeys = pickChanged(seeded.csvKeys);
    const figures = await phase('sync', () => measureSyncFigures(spec, { runs: config.runs, expectedCsvs: seeded.csvKeys.length, changedKeys, rewrite }));
    log(`${kind} ${users}: memory (${config.memoryRuns} fresh process(es))`);
    const memory = await phase('memory', () => measureMemory(spec, config.memoryRuns));
    let queries;
    if (config.queryStores.includes(kind)) {
      log(`${kind} ${users}: queries`);
      queries = await phase('queries', () => measureQueries(spec, { runs: config.runs, seconds: config.loadSeconds, connections: config.connections }));
    }
    if (kind === 's3' && users === config.listingUsers) {
      extras.listing = await phase('listing', () =>
        measureListing({ endpoint: spec.endpoint, bucket: BUCKET, users, objects: seeded.objects, runs: config.runs }),
      );
    }
    return { objects: seeded.objects, images: seeded.images, ...figures, memory, queries, phaseSeconds: phases };
  } finally {
    for (const step of teardown.reverse()) await step();
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryBytes: os.totalmem(),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    // The machine may be shared: the load before the run says how much of it the bench had.
    loadAverageAtStart: os.loadavg(),
  };
}

async function writeAtomically(file, text) {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/** Says in the results how this run departed from "every figure, every store, `runs` times". */
function boundsNotes(config) {
  const notes = [];
  if (config.stores.includes('s3') && config.sizes.some((n) => n > config.s3MaxUsers)) {
    notes.push(
      `S3 was measured only up to ${config.s3MaxUsers.toLocaleString('en-US')} users (\`--s3-max-users\`): s3rver re-walks its folder for every 1000-key page of a listing, so listing time grows with the square of the object count.`,
    );
  }
  if (config.memoryRuns < config.runs) {
    notes.push(
      `Memory: ${config.memoryRuns} fresh process(es) per store and size (\`--memory-runs\`), as each one repeats a full cold sync; heap per user varied by under 5% across 3 runs in calibration.`,
    );
  }
  const noQueries = config.stores.filter((s) => !config.queryStores.includes(s));
  if (noQueries.length > 0) {
    notes.push(
      `Queries: measured on ${config.queryStores.join(', ')} only (\`--query-stores\`). With a warm cache the service never touches the store, and in calibration both stores gave the same figures within noise.`,
    );
  }
  return notes;
}

async function writeOutputs(results) {
  await mkdir(path.join(BENCH_DIR, 'results'), { recursive: true });
  await writeAtomically(path.join(BENCH_DIR, 'results', 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  const notesFile = path.join(BENCH_DIR, 'NOTES.md');
  const handWritten = existsSync(notesFile) ? await readFile(notesFile, 'utf8') : '';
  await writeAtomically(path.join(BENCH_DIR, 'RESULTS.md'), renderMarkdown(results, handWritten, extraSections(path.join(BENCH_DIR, 'results'))));
}

/**
 * Keeps the sizes of the committed results that this run did not measure, each marked with the run
 * that did: a million users take long enough to be measured on their own. So with the listing figures.
 */
async function appendEarlierSizes(results) {
  const file = path.join(BENCH_DIR, 'results', 'latest.json');
  if (!existsSync(file)) return;
  const earlier = JSON.parse(await readFile(file, 'utf8'));
  const measured = new Set(results.sizes.map((entry) => entry.users));
  for (const entry of earlier.sizes) {
    if (measured.has(entry.users)) continue;
    const run = entry.run ?? { generatedAt: earlier.generatedAt, command: earlier.config.command, runs: earlier.config.runs };
    results.sizes.push({ ...entry, run });
    for (const note of earlier.config.notes ?? []) if (!results.config.notes.includes(note)) results.config.notes.push(note);
  }
  results.sizes.sort((a, b) => a.users - b.users);
  results.listing ??= earlier.listing;
  for (const entry of results.sizes) entry.run ??= { generatedAt: results.generatedAt, command: results.config.command, runs: results.config.runs };
}

/**
 * `--listing-only`: the S3 listing figures alone, on a server and a bucket of their own, written into
 * the committed results in place of the earlier ones; every other figure stays as it was.
 */
async function listingOnly(config) {
  if (config.listingUsers === 0) throw new RangeError('--listing-only needs --listing-users of at least 1');
  const results = JSON.parse(await readFile(path.join(BENCH_DIR, 'results', 'latest.json'), 'utf8'));
  log(`== s3 listing, ${config.listingUsers} users`);
  results.listing = { ...(await seedAndMeasureListing(BUCKET, config.listingUsers, config.runs)), command: commandLine() };
  await writeOutputs(results);
}

const commandLine = () => ['node', 'bench/run.mjs', ...process.argv.slice(2)].join(' ');

async function main() {
  const config = options();
  if (config.renderOnly) {
    const results = JSON.parse(await readFile(path.join(BENCH_DIR, 'results', 'latest.json'), 'utf8'));
    await writeOutputs(results);
    log('RESULTS.md rebuilt from results/latest.json');
    return;
  }
  if (config.listingOnly) return listingOnly(config);
  const started = performance.now();
  const { renderOnly: _renderOnly, append: _append, listingOnly: _listingOnly, ...recorded } = config;
  const results = {
    generatedAt: new Date().toISOString(),
    machine: machine(),
    config: { ...recorded, command: commandLine(), notes: boundsNotes(config) },
    sizes: [],
  };
  const extras = {};
  for (const users of config.sizes) {
    const entry = { users, stores: {} };
    for (const kind of config.stores) {
      if (kind === 's3' && users > config.s3MaxUsers) {
        entry.stores.s3 = { skipped: 'The loopback S3 server would need minutes per listing at this size; see the notes on how this run was bounded.' };
        continue;
      }
      log(`== ${kind}, ${users} users`);
      entry.stores[kind] = await benchStore(kind, users, config, extras);
    }
    results.sizes.push(entry);
  }
  if (extras.listing) results.listing = { ...extras.listing, command: results.config.command };
  results.totalSeconds = (performance.now() - started) / 1000;
  if (config.append) await appendEarlierSizes(results);
  results.goals = checkGoals(results);
  await writeOutputs(results);
  const missed = results.goals.filter((g) => !g.met);
  log(`done in ${results.totalSeconds.toFixed(0)} s; ${results.goals.length - missed.length} goal(s) met, ${missed.length} missed`);
  for (const g of missed) log(`  missed: ${g.users} users, ${g.store}, ${g.figure}: ${g.measured} (goal ${g.goal})`);
}

main().catch((error) => {
  console.error(error);
  // Exit rather than return: the 'exit' handler then kills every child still running.
  process.exit(1);
});
