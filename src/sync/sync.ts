import pLimit from 'p-limit';
import { utcDateKey } from '../query/age.js';
import { describeError } from '../errors.js';
import type { SyncFailure, SyncProgress, SyncReport, UserRow } from '../model.js';
import { parseUserCsv } from '../parse/userCsv.js';
import type { ObjectInfo, ObjectStore } from '../storage/ObjectStore.js';
import { classifyListing } from './listing.js';

/**
 * What the cache knows about one user id. A class with every field set at construction: V8 then
 * gives all entries one compact shape, which matters at 100k users.
 */
export class CacheEntry {
  /** The last good version, still served while a newer one is broken. */
  row: UserRow | undefined = undefined;
  /** `yyyymmdd` of the row's birth date, kept so queries never redo date math. */
  birthKey = 0;
  /** Key, etag and size of the object `row` came from (`key` empty until a version was good). */
  key = '';
  etag = '';
  size = -1;
  /** Why the current object is unusable; `kind: 'invalid'` is not fetched again until it changes. */
  failure: { kind: 'download' | 'invalid'; source: Fingerprint; reason: string } | undefined = undefined;
}

interface Fingerprint {
  key: string;
  etag: string;
  size: number;
}

export interface SyncState {
  entries: Map<string, CacheEntry>;
  /** Rows changed since the table was last built; cleared by whoever rebuilds it. */
  dirty: boolean;
}

export interface SyncContext {
  store: ObjectStore;
  prefix: string;
  imageExtensions: ReadonlySet<string>;
  concurrency: number;
  nowMs: number;
  onProgress?: (progress: SyncProgress) => void;
}

/**
 * One incremental pass: list the prefix, fetch only CSVs whose fingerprint changed, drop users whose
 * CSV is gone, and re-derive every image path from the listing. Mutates `state` in place and sets
 * `state.dirty` whenever the rows changed; throws only when the listing fails, before any change.
 */
export async function runSync(state: SyncState, ctx: SyncContext): Promise<SyncReport> {
  const started = performance.now();
  const listing = await ctx.store.list(ctx.prefix, {
    onProgress: (listed) => notifyProgress(ctx, { phase: 'listing', listed, done: 0, total: 0 }),
  });
  const { csvs, images, ignored, failures: nameFailures } = classifyListing(listing, ctx.prefix, ctx.imageExtensions);
  const removed = dropMissing(state, csvs);
  const toFetch = planFetches(state, csvs);
  const downloaded = await fetchAll(state, ctx, toFetch, listing.length);
  applyImages(state, images);

  let users = 0;
  for (const entry of state.entries.values()) if (entry.row) users++;
  return {
    listed: listing.length,
    downloaded,
    unchanged: csvs.size - toFetch.length,
    removed,
    imagesWithoutInfo: countOrphans(images, csvs),
    ignored,
    users,
    failed: [...nameFailures, ...currentFailures(state)],
    durationMs: Math.round(performance.now() - started),
  };
}

/** Forgets users whose CSV is no longer listed; returns how many of them had a row. */
function dropMissing(state: SyncState, csvs: ReadonlyMap<string, ObjectInfo>): number {
  let removed = 0;
  for (const [userId, entry] of state.entries) {
    if (csvs.has(userId)) continue;
    state.entries.delete(userId);
    if (entry.row) {
      removed++;
      state.dirty = true;
    }
  }
  return removed;
}

/** CSVs to download: new or changed ones, and ones whose last download failed. */
function planFetches(state: SyncState, csvs: ReadonlyMap<string, ObjectInfo>): [string, ObjectInfo][] {
  const toFetch: [string, ObjectInfo][] = [];
  for (const [userId, object] of csvs) {
    const entry = state.entries.get(userId);
    const known = entry?.failure?.kind === 'invalid' ? entry.failure.source : entry?.failure || !entry?.row ? undefined : entry;
    if (!known || !sameSource(known, object)) toFetch.push([userId, object]);
  }
  return toFetch;
}

/** Points every row at its user's newest image. Rows are replaced, never edited: tables already handed out stay as they were. */
function applyImages(state: SyncState, images: ReadonlyMap<string, ObjectInfo>): void {
  for (const [userId, entry] of state.entries) {
    if (!entry.row) continue;
    const imgPath = images.get(userId)?.key ?? null;
    if (entry.row.img_path !== imgPath) {
      entry.row = { ...entry.row, img_path: imgPath };
      state.dirty = true;
    }
  }
}

async function fetchAll(state: SyncState, ctx: SyncContext, toFetch: [string, ObjectInfo][], listed: number): Promise<number> {
  const limit = pLimit(ctx.concurrency);
  let done = 0;
  let fetched = 0;
  const total = toFetch.length;
  await Promise.all(
    toFetch.map(([userId, object]) =>
      limit(async () => {
        if (await fetchOne(state, ctx, userId, object)) fetched++;
        notifyProgress(ctx, { phase: 'downloading', listed, done: ++done, total });
      }),
    ),
  );
  return fetched;
}

/** Fetches, parses and stores one CSV; returns whether bytes were fetched. Never throws. */
async function fetchOne(state: SyncState, ctx: SyncContext, userId: string, object: ObjectInfo): Promise<boolean> {
  let entry = state.entries.get(userId);
  if (!entry) state.entries.set(userId, (entry = new CacheEntry()));
  const source = { key: object.key, etag: object.etag, size: object.size };
  let body: Buffer | null;
  try {
    body = await ctx.store.get(object.key);
  } catch (error) {
    entry.failure = { kind: 'download', source, reason: `download failed: ${describeError(error)}` };
    return false;
  }
  if (body === null) {
    entry.failure = { kind: 'download', source, reason: 'the object disappeared between listing and download' };
    return false;
  }
  const parsed = parseUserCsv(body, ctx.nowMs);
  if (!parsed.ok) {
    entry.failure = { kind: 'invalid', source, reason: parsed.reason };
    return true;
  }
  const { first_name, last_name, birthts, extra } = parsed.user;
  entry.row = { user_id: userId, first_name, last_name, birthts, img_path: entry.row?.img_path ?? null, extra };
  entry.birthKey = utcDateKey(birthts);
  entry.key = object.key;
  entry.etag = object.etag;
  entry.size = object.size;
  entry.failure = undefined;
  state.dirty = true;
  return true;
}

/** A progress callback that throws must not abort the sync half-way through its downloads. */
function notifyProgress(ctx: SyncContext, progress: SyncProgress): void {
  try {
    ctx.onProgress?.(progress);
  } catch {
    // The caller's display problem; the sync goes on.
  }
}

function currentFailures(state: SyncState): SyncFailure[] {
  const failures: SyncFailure[] = [];
  for (const entry of state.entries.values()) {
    if (!entry.failure) continue;
    const fallback = entry.row ? `; serving the previous version from ${entry.key}` : '';
    failures.push({ key: entry.failure.source.key, reason: entry.failure.reason + fallback });
  }
  return failures.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function countOrphans(images: Map<string, ObjectInfo>, csvs: Map<string, ObjectInfo>): number {
  let orphans = 0;
  for (const userId of images.keys()) if (!csvs.has(userId)) orphans++;
  return orphans;
}

function sameSource(a: Fingerprint, b: ObjectInfo): boolean {
  return a.key === b.key && a.etag === b.etag && a.size === b.size;
}
