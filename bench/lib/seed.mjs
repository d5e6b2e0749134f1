// Puts the demo users into each store, and rewrites a slice of them for the incremental figure.
import { mkdirSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { iterateDemoFiles } from '../../scripts/generate-demo.mjs';
import { SOURCE_PREFIX } from './stores.mjs';

const SEED = 42;
const IMAGE_RATIO = 0.5;
/** Enough parallel PUTs to keep s3rver busy; it is single-threaded, so more would only queue. */
const UPLOAD_CONCURRENCY = 32;

function demoFiles(users) {
  return iterateDemoFiles({ count: users, seed: SEED, imageRatio: IMAGE_RATIO });
}

function tally(stats, name) {
  stats.objects++;
  if (name.endsWith('.csv')) stats.csvKeys.push(SOURCE_PREFIX + name);
  else stats.images++;
}

/** Synchronous writes: simpler than a pool and, on a local disk, no slower for tiny files. */
export function seedLocal(root, users) {
  const dir = path.join(root, SOURCE_PREFIX);
  mkdirSync(dir, { recursive: true });
  const stats = { objects: 0, images: 0, csvKeys: [] };
  for (const { name, body } of demoFiles(users)) {
    writeFileSync(path.join(dir, name), body);
    tally(stats, name);
  }
  return stats;
}

export async function seedS3(client, bucket, users) {
  const limit = pLimit(UPLOAD_CONCURRENCY);
  const stats = { objects: 0, images: 0, csvKeys: [] };
  const uploads = [];
  for (const { name, body } of demoFiles(users)) {
    tally(stats, name);
    uploads.push(limit(() => client.putObject(bucket, SOURCE_PREFIX + name, body, body.length)));
    // Keep the queue short so 100k bodies are not all held at once.
    if (limit.pendingCount > 4 * UPLOAD_CONCURRENCY) await Promise.race(uploads.slice(-UPLOAD_CONCURRENCY));
  }
  await Promise.all(uploads);
  return stats;
}

/** Evenly spread 1% of the CSVs (at least one), so no one region of the listing is favoured. */
export function pickChanged(csvKeys, share = 0.01) {
  const count = Math.max(1, Math.round(csvKeys.length * share));
  const step = csvKeys.length / count;
  return Array.from({ length: count }, (_, i) => csvKeys[Math.floor(i * step)]);
}

/** New content on every round, so the etag (s3: md5; local: size + mtime) moves each time. */
function revisedCsv(round, index) {
  const birthts = Date.UTC(1960 + (index % 40), index % 12, 1 + (index % 28));
  return Buffer.from(`first_name,last_name,birthts\nRevised${round},User${index},${birthts}\n`);
}

/**
 * Flushed to disk before returning: otherwise the kernel's writeback of the new files overlaps
 * whichever timed side runs first and bills it for I/O that is not its own (seen as +20% at 100k).
 */
async function writeDurably(file, body) {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function localRewriter(root) {
  const limit = pLimit(UPLOAD_CONCURRENCY);
  return (keys, round) => Promise.all(keys.map((key, i) => limit(() => writeDurably(path.join(root, key), revisedCsv(round, i)))));
}

export function s3Rewriter(client, bucket) {
  const limit = pLimit(UPLOAD_CONCURRENCY);
  return (keys, round) =>
    Promise.all(
      keys.map((key, i) =>
        limit(() => {
          const body = revisedCsv(round, i);
          return client.putObject(bucket, key, body, body.length);
        }),
      ),
    );
}
