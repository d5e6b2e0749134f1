// The replicas section of RESULTS.md, from results/replicas.json (bench/replicas.mjs).
import { int, ms } from './format.mjs';
import { table } from './markdown.mjs';

const each = (values, f = (v) => String(Math.round(v))) => values.map(f).join(', ');

export function replicasSection(r) {
  const n = r.replicas;
  const rows = [
    ['first replica, cold (no snapshot): full listing and sync until it follows the log', ms(r.coldStartMs)],
    [
      `idle LIST requests per replica per hour, with the change log (${r.idleSeconds} s observed; the hourly safety listing falls outside it)`,
      each(r.idleListsPerReplicaPerHour),
    ],
    [
      `idle LIST requests per replica per hour, without it (a listing every MAX_STALENESS_MS = 5 s; ${r.idleSeconds} s observed)`,
      each(r.plainIdleListsPerReplicaPerHour),
    ],
    [
      `a CSV rewritten → visible on every replica (event on the log; p50 / p95 / max over ${r.changes === undefined ? 'every change' : `${r.changes} changes`} × ${n} replicas)`,
      `${ms(r.visibleMs.p50)} / ${ms(r.visibleMs.p95)} / ${ms(r.visibleMs.max)}`,
    ],
    ['CSV GETs per change, per replica', each(r.getsPerChangePerReplica, (v) => v.toFixed(2))],
    ...r.join.map((j, i) => [
      `replica ${i + 2} joining from the snapshot: time to follow the log, LIST requests, CSV GETs`,
      `${ms(j.ms)}, ${j.lists} LIST, ${j.csvGets} GET`,
    ]),
    [
      `a replica restarted after ${r.restart.changedWhileDown} CSVs changed while it was down: time to catch up, LIST requests, CSV GETs`,
      `${ms(r.restart.ms)}, ${r.restart.lists} LIST, ${r.restart.csvGets} GET`,
    ],
  ];
  return [
    '## Replicas on one bucket (`node bench/replicas.mjs`)',
    `${int(r.users)} users on a local folder, ${n} replicas, change log on a local nats-server (JetStream); no store events, as on plain S3. ` +
      `LIST and GET requests are counted per replica at its store. Measured ${r.measuredAt}.`,
    table(['Figure', 'Measured'], rows),
  ].join('\n\n');
}
