import type { SyncFailure, SyncReport } from '../model.js';
import type { ObjectInfo } from '../storage/ObjectStore.js';
import { CacheEntry, sameSource, type ImageRef, type SyncState } from './entries.js';
import { applyParsed, fetchAll, notifyProgress, type FetchContext } from './fetch.js';
import { oldestBirthMs } from '../parse/birthDate.js';
import { classifyListing, toRef } from './listing.js';

export { CacheEntry, type SyncState } from './entries.js';

export interface SyncContext extends FetchContext {
  prefix: string;
  imageExtensions: ReadonlySet<string>;
}

/**
 * One incremental pass: list the prefix, fetch only CSVs whose fingerprint changed, drop users whose
 * CSV is gone, re-check held-back birth dates against the clock, and re-derive every image path from
 * the listing. Mutates `state` in place and sets `state.dirty` whenever the rows changed; throws
 * only when the listing fails, before any change.
 */
export async function runSync(state: SyncState, ctx: SyncContext): Promise<SyncReport> {
  const started = performance.now();
  const listing = await ctx.store.list(ctx.prefix, {
    signal: ctx.signal,
    onProgress: (listed) => notifyProgress(ctx, { phase: 'listing', listed, done: 0, total: 0 }),
  });
  ctx.signal?.throwIfAborted();
  const { csvs, images, multiImages, ignored, failures: nameFailures } = classifyListing(listing, ctx.prefix, ctx.imageExtensions);
  const removed = dropMissing(state, csvs);
  const toFetch = planFetches(state, ctx, csvs);
  recheckBirthDates(state, ctx);
  const downloaded = await fetchAll(state, ctx, toFetch, listing.length);
  // An abandoned run must not put its older listing's images over what happened since.
  ctx.signal?.throwIfAborted();
  applyImages(state, images);
  state.images = imagesToRemember(images, multiImages, csvs);
  const { users, missing, failed } = summarise(state);
  return {
    listed: listing.length,
    downloaded,
    unchanged: csvs.size - toFetch.length,
    removed,
    imagesWithoutInfo: countOrphans(images, csvs),
    ignored,
    users,
    complete: missing.length === 0,
    missing,
    failed: [...nameFailures, ...failed],
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

/**
 * CSVs to download: new or changed ones, and ones whose last download failed. A CSV larger than
 * the bound is refused from its listed size alone, never downloaded.
 */
function planFetches(state: SyncState, ctx: SyncContext, csvs: ReadonlyMap<string, ObjectInfo>): [string, ObjectInfo][] {
  const toFetch: [string, ObjectInfo][] = [];
  for (const [userId, object] of csvs) {
    const entry = state.entries.get(userId);
    const failure = entry?.failure;
    const known = failure ? (failure.kind === 'download' ? undefined : failure.source) : entry?.row ? entry : undefined;
    if (known && sameSource(known, object)) continue;
    if (object.size > ctx.maxCsvBytes) {
      const source = { key: object.key, etag: object.etag, size: object.size };
      const reason = `the file is ${object.size} bytes, over the ${ctx.maxCsvBytes}-byte limit for a user CSV`;
      const target = entry ?? new CacheEntry();
      target.failure = { kind: 'invalid', source, reason };
      state.entries.set(userId, target);
      continue;
    }
    toFetch.push([userId, object]);
  }
  return toFetch;
}

/**
 * The birth-date rules depend on the clock, so every sync applies them again without downloading:
 * a file held back for a future date becomes a user once that moment has passed, and a row whose
 * birth date has drifted past the oldest accepted one leaves the table, as a cold sync would have it.
 */
function recheckBirthDates(state: SyncState, ctx: SyncContext): void {
  const oldestMs = oldestBirthMs(ctx.nowMs, ctx.maxAgeYears);
  for (const [userId, entry] of state.entries) {
    const failure = entry.failure;
    if (failure?.kind === 'birth') {
      applyParsed(state, ctx, userId, entry, failure.source, failure.user);
    } else if (entry.row && entry.row.birthts < oldestMs && !failure) {
      const { first_name, last_name, birthts, extra } = entry.row;
      const source = { key: entry.key, etag: entry.etag, size: entry.size };
      entry.row = undefined;
      state.dirty = true;
      applyParsed(state, ctx, userId, entry, source, { first_name, last_name, birthts, extra });
    }
  }
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

/** Users served, CSVs with no usable version because their download failed, and every current failure. */
function summarise(state: SyncState): { users: number; missing: string[]; failed: SyncFailure[] } {
  let users = 0;
  const missing: string[] = [];
  const failed: SyncFailure[] = [];
  for (const entry of state.entries.values()) {
    if (entry.row) users++;
    const failure = entry.failure;
    if (!failure) continue;
    if (failure.kind === 'download' && !entry.row) missing.push(failure.source.key);
    const fallback = entry.row ? `; serving the previous version from ${entry.key}` : '';
    failed.push({ key: failure.source.key, reason: failure.reason + fallback });
  }
  missing.sort();
  failed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { users, missing, failed };
}

/** See `SyncState.images`: several images of one user, and the images of ids without a CSV. */
function imagesToRemember(images: Map<string, ObjectInfo>, multi: Map<string, ImageRef[]>, csvs: Map<string, ObjectInfo>): Map<string, ImageRef[]> {
  const remembered = new Map(multi);
  for (const [userId, image] of images) if (!csvs.has(userId) && !remembered.has(userId)) remembered.set(userId, [toRef(image)]);
  return remembered;
}

function countOrphans(images: Map<string, ObjectInfo>, csvs: Map<string, ObjectInfo>): number {
  let orphans = 0;
  for (const userId of images.keys()) if (!csvs.has(userId)) orphans++;
  return orphans;
}
