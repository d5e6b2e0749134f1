#!/usr/bin/env node
// Large results through the HTTP API: pages through every user with limit=N following the Link
// header (total time, the service's peak RSS while it pages), then GET /data unfiltered with gzip
// (bytes on the wire, p50), on a local folder of demo users.
//
//   npm run bench:paging                       # builds dist/ first; 100,000 users, limit 1000
//   node bench/paging.mjs --users 10000 --limit 500 --runs 20
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { removeOnExit } from './lib/children.mjs';
import { measurePaging } from './lib/paging.mjs';
import { seedLocal } from './lib/seed.mjs';
import { log } from './lib/stats.mjs';
import { localSpec } from './lib/stores.mjs';

const { values } = parseArgs({
  options: { users: { type: 'string', default: '100000' }, limit: { type: 'string', default: '1000' }, runs: { type: 'string', default: '30' } },
  strict: true,
});
const positive = (name) => {
  const n = Number(values[name]);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, got ${JSON.stringify(values[name])}`);
  return n;
};
const users = positive('users');
const limit = positive('limit');
const runs = positive('runs');

const root = removeOnExit(await mkdtemp(path.join(os.tmpdir(), 'udt-bench-paging-')));
try {
  log(`seeding ${users} users`);
  seedLocal(root, users);
  const result = await measurePaging(localSpec(root), { limit, runs });
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'paging.json');
  await writeFile(file, `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await rm(root, { recursive: true, force: true });
}
