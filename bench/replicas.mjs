#!/usr/bin/env node
// Replicas on one bucket (local folder, so 100,000 users are quick to seed), with and without the
// change log on a real nats-server: LIST requests per replica per hour idle, change → visible on
// every replica, and a restart's time and requests. Store traffic is counted per replica.
// Writes results/replicas.json; RESULTS.md shows it.
//
//   npm run build && node bench/replicas.mjs                 # 100,000 users, 3 replicas
//   node bench/replicas.mjs --users 10000 --idle-seconds 20
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { UserDataTransformer, createLocalStore, createNatsChangeLog, defaultSnapshotKey } from '../dist/index.js';
import { removeOnExit } from './lib/children.mjs';
import { seedLocal } from './lib/seed.mjs';
import { median } from './lib/stats.mjs';
import { SOURCE_PREFIX } from './lib/stores.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const BUCKET = 'datalake';
const SUBJECT = 'minio.datalake';
const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    replicas: { type: 'string', default: '3' },
    'idle-seconds': { type: 'string', default: '60' },
    changes: { type: 'string', default: '50' },
  },
});
const USERS = Number(values.users);
const REPLICAS = Number(values.replicas);
const IDLE_S = Number(values['idle-seconds']);
const CHANGES = Number(values.changes);
const SNAPSHOT_KEY = defaultSnapshotKey({ sourcePrefix: SOURCE_PREFIX });
const log = (m) => process.stderr.write(`[replicas] ${m}\n`);

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A store that counts its LIST and GET requests. */
function counted(store) {
  const counts = { lists: 0, csvGets: 0 };
  return {
    counts,
    store: {
      ...store,
      name: store.name,
      list: (p, o) => (counts.lists++, store.list(p, o)),
      get: (k, o) => (k.endsWith('.csv') && counts.csvGets++, store.get(k, o)),
      put: store.put,
      ping: store.ping,
      close: store.close,
    },
  };
}

function replica(root, natsUrl, { maxStalenessMs = 5_000, reconcileIntervalMs } = {}) {
  const { store, counts } = counted(createLocalStore({ root }));
  const t = new UserDataTransformer({ store, sourcePrefix: SOURCE_PREFIX });
  t.start({
    changeLog: natsUrl ? createNatsChangeLog({ url: natsUrl, bucket: BUCKET, prefix: SOURCE_PREFIX }) : null,
    watch: false, // as plain S3: no store events
    maxStalenessMs,
    reconcileIntervalMs: reconcileIntervalMs ?? (natsUrl ? 3_600_000 : 60_000),
    snapshotKey: SNAPSHOT_KEY,
    snapshotIntervalMs: 1_000,
  });
  return { t, counts };
}

async function until(what, test, timeoutMs = 600_000) {
  const started = performance.now();
  while (!test()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - started;
}

const pct = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))];

async function main() {
  const root = await mkdtemp(path.join(tmpdir(), 'udt-bench-replicas-'));
  removeOnExit(root);
  log(`seeding ${USERS} users`);
  seedLocal(root, USERS);
  const natsPort = await freePort();
  const natsDir = path.join(root, '.nats');
  await mkdir(natsDir);
  const nats = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(natsPort), '-sd', natsDir], { stdio: 'ignore' });
  process.on('exit', () => nats.kill('SIGKILL'));
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  await new Promise((r) => setTimeout(r, 500));
  const nc = await connect({ servers: natsUrl });
  await (await jetstreamManager(nc)).streams.add({ name: 'DATALAKE', subjects: [SUBJECT] });
  const js = jetstream(nc);
  /** Rewrites a user's CSV and publishes its event as MinIO's NATS target would. */
  const change = async (id, first) => {
    const key = `${SOURCE_PREFIX}${id}.csv`;
    await writeFile(path.join(root, key), `first_name,last_name,birthts\n${first},Bench,${Date.UTC(1990, 0, 1)}\n`);
    const s = await stat(path.join(root, key), { bigint: true });
    const record = {
      eventName: 's3:ObjectCreated:Put',
      eventTime: new Date().toISOString(),
      s3: {
        bucket: { name: BUCKET },
        object: { key: encodeURIComponent(key), size: Number(s.size), eTag: `${s.size.toString(16)}-${s.mtimeNs.toString(16)}` },
      },
    };
    await js.publish(SUBJECT, JSON.stringify({ EventName: record.eventName, Key: `${BUCKET}/${key}`, Records: [record] }));
  };
  const out = { users: USERS, replicas: REPLICAS, idleSeconds: IDLE_S, changes: CHANGES };

  log('first replica, cold');
  const first = replica(root, natsUrl);
  out.coldStartMs = await until('cold start', () => first.t.status.loaded && first.t.status.changeLog?.mode === 'stream');
  await new Promise((r) => setTimeout(r, 2_000)); // its snapshot
  const joining = [];
  for (let i = 1; i < REPLICAS; i++) {
    const r = replica(root, natsUrl);
    const ms = await until('join', () => r.t.status.loaded && r.t.status.changeLog?.mode === 'stream');
    joining.push({ ms, lists: r.counts.lists, csvGets: r.counts.csvGets });
    first.others = [...(first.others ?? []), r];
  }
  out.join = joining;
  const all = [first, ...first.others];

  log(`idle ${IDLE_S} s with the log`);
  const before = all.map((r) => r.counts.lists);
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  out.idleListsPerReplicaPerHour = all.map((r, i) => ((r.counts.lists - before[i]) * 3600) / IDLE_S);

  log(`${CHANGES} changes, visible on every replica`);
  const latencies = [];
  const getsBefore = all.map((r) => r.counts.csvGets);
  for (let c = 0; c < CHANGES; c++) {
    const id = 1001 + ((c * 997) % USERS);
    const name = `Changed${c}`;
    const started = performance.now();
    await change(id, name);
    for (const r of all) {
      await until('visible', () => r.t.rows({ where: (row) => row.user_id === String(id) })[0]?.first_name === name, 30_000);
      latencies.push(performance.now() - started);
    }
  }
  out.visibleMs = { p50: pct(latencies, 50), p95: pct(latencies, 95), max: Math.max(...latencies) };
  out.getsPerChangePerReplica = all.map((r, i) => (r.counts.csvGets - getsBefore[i]) / CHANGES);

  log('restart one replica while changes happen');
  const restarting = all.pop();
  await restarting.t.stop();
  const whileDown = Array.from({ length: 20 }, (_, c) => ({ id: String(2001 + c), name: `WhileDown${c}` }));
  for (const { id, name } of whileDown) await change(id, name);
  const back = replica(root, natsUrl);
  // Caught up when every change made while it was down shows in its rows: a lag of 0 alone is also
  // what the status says before the first replayed message arrives.
  const caughtUp = () => {
    if (!back.t.status.loaded || back.t.status.changeLog?.mode !== 'stream') return false;
    const { rows } = back.t.page({ after: String(2001 - 1), limit: whileDown.length });
    return whileDown.every(({ id, name }, i) => rows[i]?.user_id === id && rows[i].first_name === name);
  };
  const restartMs = await until('restart', caughtUp);
  out.restart = { ms: restartMs, lists: back.counts.lists, csvGets: back.counts.csvGets, changedWhileDown: whileDown.length };
  all.push(back);
  for (const r of all) await r.t.stop();

  log(`idle ${IDLE_S} s without the log (plain S3 behaviour: a listing every MAX_STALENESS_MS)`);
  const plain = [];
  for (let i = 0; i < REPLICAS; i++) plain.push(replica(root, undefined));
  for (const r of plain) await until('plain start', () => r.t.status.loaded);
  const plainBefore = plain.map((r) => r.counts.lists);
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  out.plainIdleListsPerReplicaPerHour = plain.map((r, i) => ((r.counts.lists - plainBefore[i]) * 3600) / IDLE_S);
  for (const r of plain) await r.t.stop();

  await nc.close();
  out.measuredAt = new Date().toISOString();
  writeFileSync(path.join(BENCH_DIR, 'results', 'replicas.json'), `${JSON.stringify(out, null, 2)}\n`);
  log(JSON.stringify({ ...out, join: out.join, median: median(latencies) }));
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
