#!/usr/bin/env node
// Freshness figures of the service as users run it (`node dist/service/main.js`, default settings
// unless a row says otherwise): reads after idling, restarts with and without a snapshot, a
// rewritten CSV reaching GET /data through change events, listings per hour with events on, and
// the snapshot's size. Writes results/freshness.json; RESULTS.md shows it beside the goals.
//
//   npm run build && node bench/freshness.mjs                # 100,000 users local, 10,000 on S3
//   node bench/freshness.mjs --local-users 10000 --s3-users 2000
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createServer } from 'node:net';
import pLimit from 'p-limit';
import { removeOnExit } from './lib/children.mjs';
import { rawClient, startS3 } from './lib/s3.mjs';
import { seedLocal, seedS3 } from './lib/seed.mjs';
import { S3_CREDENTIALS, SOURCE_PREFIX } from './lib/stores.mjs';
import { defaultSnapshotKey } from '../dist/index.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.join(BENCH_DIR, '..', 'dist', 'service', 'main.js');
const SNAPSHOT_KEY = defaultSnapshotKey({ sourcePrefix: SOURCE_PREFIX });
const DEFAULT_MAX_STALENESS_MS = 5_000;
/** Reads timed after the service sat idle; each waits out 2 × MAX_STALENESS_MS first. */
const IDLE_ROUNDS = 5;
/** Reconcile interval of the listings-per-hour row, and how long that row watches. */
const RECONCILE_MS = 10_000;
const WATCH_MS = 60_000;

const log = (message) => console.error(`[freshness ${(performance.now() / 1000).toFixed(1)} s] ${message}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** The service as `npm start` runs it, with `env` on top of the defaults. */
async function startService(env) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = [];
  let rest = '';
  child.stdout.on('data', (chunk) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop();
    for (const p of parts) if (p.startsWith('{')) lines.push(JSON.parse(p));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    started,
    lines,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** One GET on a connection of its own, timed from the request to the last byte (node:http: fetch's own overhead is larger than the answer). */
function timedGet(url) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ ms: performance.now() - t, status: res.statusCode, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

/** Milliseconds from spawn to the first /stats answer that counts every user. */
async function untilFullAnswer(svc, users) {
  for (;;) {
    const res = await fetch(`${svc.url}/stats`).catch(() => undefined);
    if (res?.status === 200 && (await res.json()).count === users) return performance.now() - svc.started;
    await sleep(5);
  }
}

async function metric(svc, name) {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** The plainest listing of the same objects: readdir + stat of every entry, or the bare S3 loop. */
async function bareListing(kind, where) {
  const t = performance.now();
  if (kind === 'local') {
    const dir = path.join(where.root, SOURCE_PREFIX);
    const names = await readdir(dir);
    const limit = pLimit(64);
    await Promise.all(names.map((n) => limit(() => stat(path.join(dir, n)))));
  } else {
    for await (const _ of where.client.listObjectsV2(where.bucket, SOURCE_PREFIX, true));
  }
  return performance.now() - t;
}

/** Each round: idle 2 × MAX_STALENESS_MS, then the read; and, as the floor, the liveness probe (no data at all). */
async function readsAfterIdle(svc) {
  const samples = [];
  const floor = [];
  for (let i = 0; i < IDLE_ROUNDS; i++) {
    await sleep(2 * DEFAULT_MAX_STALENESS_MS);
    samples.push((await timedGet(`${svc.url}/stats?min_age=30&is_image_exists=true`)).ms);
    floor.push((await timedGet(`${svc.url}/health/live`)).ms);
  }
  return { p50Ms: median(samples), samples, floorP50Ms: median(floor) };
}

async function restarts(kind, env, users, where) {
  const cold = await startService({ ...env, SNAPSHOT_KEY: 'off' });
  const coldMs = await untilFullAnswer(cold, users);
  await cold.stop();
  // A snapshot to restart from: the service writes one after its first sync.
  const writer = await startService(env);
  await untilFullAnswer(writer, users);
  for (let i = 0; i < 400 && !writer.lines.some((l) => l.event === 'snapshot_saved'); i++) await sleep(100);
  await writer.stop();
  const listingMs = await bareListing(kind, where);
  const warm = await startService(env);
  const warmMs = await untilFullAnswer(warm, users);
  for (let i = 0; i < 600 && !warm.lines.some((l) => l.event === 'sync'); i++) await sleep(100);
  const firstSync = warm.lines.find((l) => l.event === 'sync');
  return {
    warm,
    result: {
      coldRestartMs: coldMs,
      snapshotRestartMs: warmMs,
      bareListingMs: listingMs,
      ratio: warmMs / listingMs,
      downloadedAfterRestart: firstSync?.downloaded ?? null,
    },
  };
}

async function local(users) {
  const root = removeOnExit(await mkdtemp(path.join(tmpdir(), 'udt-fresh-bench-')));
  log(`local: seeding ${users} users`);
  seedLocal(root, users);
  const env = { LOCAL_ROOT: root, SOURCE_PREFIX, SYNC_CONCURRENCY: '16' };
  const out = { users };
  log('local: restarts');
  const { warm, result } = await restarts('local', env, users, { root });
  Object.assign(out, result);
  log('local: reads after idling');
  out.readAfterIdle = await readsAfterIdle(warm);
  log('local: a rewritten CSV through events');
  const listingsBefore = await metric(warm, 'udt_syncs_total{outcome="ok"}');
  const file = path.join(root, SOURCE_PREFIX, '1001.csv');
  const t = performance.now();
  await writeFile(file, `first_name,last_name,birthts\nRewritten,Now,${Date.UTC(1990, 0, 1)}\n`);
  for (;;) {
    const res = await timedGet(`${warm.url}/data?min_age=30&max_age=40`);
    if (res.body.includes('"Rewritten"')) break;
    if (performance.now() - t > 10_000) break;
    await sleep(5);
  }
  out.rewriteVisibleMs = performance.now() - t;
  out.listingsDuringRewrite = (await metric(warm, 'udt_syncs_total{outcome="ok"}')) - listingsBefore;
  out.snapshotBytes = statSync(path.join(root, SNAPSHOT_KEY)).size;
  out.snapshotBytesPerUser = out.snapshotBytes / users;
  await warm.stop();
  log(`local: listings over ${WATCH_MS / 1000} s with events and RECONCILE_INTERVAL_MS=${RECONCILE_MS}`);
  const steady = await startService({ ...env, RECONCILE_INTERVAL_MS: String(RECONCILE_MS) });
  await untilFullAnswer(steady, users);
  // The boot export runs one sync of its own; the steady state starts after it.
  for (let i = 0; i < 600 && !steady.lines.some((l) => l.event === 'export'); i++) await sleep(100);
  const before = await metric(steady, 'udt_syncs_total{outcome="ok"}');
  await sleep(WATCH_MS);
  const listings = (await metric(steady, 'udt_syncs_total{outcome="ok"}')) - before;
  out.listingsPerHour = (listings * 3_600_000) / WATCH_MS;
  out.expectedListingsPerHour = 3_600_000 / RECONCILE_MS;
  await steady.stop();
  rmSync(root, { recursive: true, force: true });
  return out;
}

async function s3(users) {
  const server = await startS3();
  const client = rawClient(server.port);
  const bucket = 'fresh';
  await client.makeBucket(bucket, 'us-east-1');
  log(`s3: seeding ${users} users`);
  await seedS3(client, bucket, users);
  const env = { MINIO_ENDPOINT: server.endpoint, MINIO_ACCESS_KEY: S3_CREDENTIALS.accessKey, MINIO_SECRET_KEY: S3_CREDENTIALS.secretKey, MINIO_BUCKET: bucket };
  const out = { users };
  log('s3: restarts');
  const { warm, result } = await restarts('s3', env, users, { client, bucket });
  Object.assign(out, result);
  log('s3: reads after idling');
  out.readAfterIdle = await readsAfterIdle(warm);
  const snapshot = await client.statObject(bucket, SNAPSHOT_KEY);
  out.snapshotBytesPerUser = snapshot.size / users;
  await warm.stop();
  await server.stop();
  return out;
}

const { values } = parseArgs({ options: { 'local-users': { type: 'string', default: '100000' }, 's3-users': { type: 'string', default: '10000' } } });
const results = {
  at: new Date().toISOString(),
  node: process.version,
  local: await local(Number(values['local-users'])),
  s3: await s3(Number(values['s3-users'])),
};
const file = path.join(BENCH_DIR, 'results', 'freshness.json');
writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
log(`wrote ${path.relative(process.cwd(), file)}`);
console.log(JSON.stringify(results, null, 2));
