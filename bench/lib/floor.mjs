// The floor of a local folder: the plainest code that does the same I/O as a listing and a sync,
// with none of the store's code, so a ratio against it shows what the store itself costs.
import { readdirSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/** As many `stat` calls in flight as the store's listing ran before it used a worker. */
export const FLOOR_STAT_CONCURRENCY = 64;

/** `n` loops that each take the next item until none is left: no queue library, no promise per item up front. */
async function pool(items, n, fn) {
  let next = 0;
  const loop = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, loop));
}

/** `readdirSync` + `statSync` of every entry; the names of the regular files. */
export function listSync(dir) {
  const files = [];
  for (const name of readdirSync(dir)) if (statSync(path.join(dir, name)).isFile()) files.push(name);
  return files;
}

/** `readdir` + `stat` of every entry, `FLOOR_STAT_CONCURRENCY` at a time. */
export async function listAsync(dir) {
  const files = [];
  await pool(await readdir(dir), FLOOR_STAT_CONCURRENCY, async (name) => {
    if ((await stat(path.join(dir, name))).isFile()) files.push(name);
  });
  return files;
}

/** `readFile` of every path, `concurrency` at a time; the bytes read. */
export async function readAll(files, concurrency) {
  let bytes = 0;
  await pool(files, concurrency, async (file) => {
    bytes += (await readFile(file)).length;
  });
  return bytes;
}

/**
 * Both listing variants, each timed; the faster one is the floor. The sync one blocks the event
 * loop throughout, which is why it is only a floor and not a way to list in a service.
 */
export async function timeListing(dir) {
  let started = performance.now();
  const files = listSync(dir);
  const syncMs = performance.now() - started;
  started = performance.now();
  const again = await listAsync(dir);
  const asyncMs = performance.now() - started;
  if (again.length !== files.length) throw new Error(`the two floor listings disagree: ${files.length} vs ${again.length} files`);
  return { files, syncMs, asyncMs, ms: Math.min(syncMs, asyncMs) };
}
