import type { SyncFailure, SyncReport } from '../model.js';
import type { ObjectInfo } from '../storage/ObjectStore.js';
import { CacheEntry, ownCopy, sameSource, type ImageRef, type SyncState } from './entries.js';
import { applyParsed, fetchAll, notifyProgress, type FetchContext } from './fetch.js';
import { classifyListing, toRef } from './listing.js';
import { Pacer } from './pacer.js';

export { CacheEntry, type SyncState } from './entries.js';

export interface SyncContext extends FetchContext {
  prefix: string;
  imageExtensions: ReadonlySet<string>;
}

/**
 * One incremental pass: list the prefix, fetch only CSVs whose fingerprint changed, drop users whose
 * CSV is gone, re-check held-back birth dates against the clock, and re-derive every image path from
 * the listing. Mutates `state` in place and sets `state.dirty` whenever the rows changed; throws
 * only when the listing fails, before any change. Each pass over the users gives the event loop
 * back every few milliseconds (see `Pacer`), so a million users never stall it for long.
 */
export async function runSync(state: SyncState, ctx: SyncContext): Promise<SyncReport> {
  const started = performance.now();
  const listing = await ctx.store.list(ctx.prefix, {
    signal: ctx.signal,
    onProgress: (listed) => notifyProgress(ctx, { phase: 'listing', listed, done: 0, total: 0 }),
  });
  const pacer = new Pacer(ctx.signal);
  const { csvs, images, multiImages, ignored, failures: nameFailures } = await classifyListing(listing, ctx.prefix, ctx.imageExtensions, pacer);
  const removed = await dropMissingAndRecheck(state, ctx, csvs, pacer);
  const toFetch = await planFetches(state, ctx, csvs, pacer);
  const downloaded = await fetchAll(state, ctx, toFetch, listing.length);
  const { users, missing, failed } = await applyImagesAndSummarise(state, images, pacer);
  const { remembered, orphans } = await imagesToRemember(images, multiImages, csvs, pacer);
  state.images = remembered;
  return {
    listed: listing.length,
    downloaded,
    unchanged: csvs.size - toFetch.length,
    removed,
    imagesWithoutInfo: orphans,
    ignored,
    users,
    complete: missing.length === 0,
    missing,
    failed: [...nameFailures, ...failed].sort(byKey),
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * Forgets users whose CSV is no longer listed, and re-checks files held back for their birth date
 * only (the clock moved, so the verdict may have too). Returns how many forgotten users had a row.
 */
async function dropMissingAndRecheck(state: SyncState, ctx: SyncContext, csvs: ReadonlyMap<string, ObjectInfo>, pacer: Pacer): Promise<number> {
  let removed = 0;
  for (const [userId, entry] of state.entries) {
    if (pacer.due()) await pacer.pause();
    if (!csvs.has(userId)) {
      state.entries.delete(userId);
      if (entry.row) {
        removed++;
        state.dirty = true;
      }
    } else if (entry.failure?.kind === 'birth') {
      applyParsed(state, ctx, userId, entry, entry.failure.source, entry.failure.user);
    }
  }
  return removed;
}

/**
 * CSVs to download: new or changed ones, and ones whose last download failed. A CSV larger than
 * the bound is refused from its listed size alone, never downloaded.
 */
async function planFetches(state: SyncState, ctx: SyncContext, csvs: ReadonlyMap<string, ObjectInfo>, pacer: Pacer): Promise<[string, ObjectInfo][]> {
  const toFetch: [string, ObjectInfo][] = [];
  for (const [userId, object] of csvs) {
    if (pacer.due()) await pacer.pause();
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
 * Points every row at its user's newest image (rows are replaced, never edited: tables already
 * handed out stay as they were), then counts the users served, the CSVs with no usable version
 * because their download failed, and every current failure.
 */
async function applyImagesAndSummarise(
  state: SyncState,
  images: ReadonlyMap<string, ObjectInfo>,
  pacer: Pacer,
): Promise<{ users: number; missing: string[]; failed: SyncFailure[] }> {
  let users = 0;
  const missing: string[] = [];
  const failed: SyncFailure[] = [];
  for (const [userId, entry] of state.entries) {
    if (pacer.due()) await pacer.pause();
    if (entry.row) {
      users++;
      const imgPath = images.get(userId)?.key ?? null;
      if (entry.row.img_path !== imgPath) {
        entry.row = { ...entry.row, img_path: imgPath === null ? null : ownCopy(imgPath) };
        state.dirty = true;
      }
    }
    const failure = entry.failure;
    if (!failure) continue;
    if (failure.kind === 'download' && !entry.row) missing.push(failure.source.key);
    const fallback = entry.row ? `; serving the previous version from ${entry.key}` : '';
    failed.push({ key: failure.source.key, reason: failure.reason + fallback });
  }
  missing.sort();
  return { users, missing, failed };
}

/**
 * See `SyncState.images`: several images of one user, and the images of ids without a CSV; also
 * counts those ids (images that are no user's).
 */
async function imagesToRemember(
  images: Map<string, ObjectInfo>,
  multi: Map<string, ImageRef[]>,
  csvs: Map<string, ObjectInfo>,
  pacer: Pacer,
): Promise<{ remembered: Map<string, ImageRef[]>; orphans: number }> {
  const remembered = new Map(multi);
  let orphans = 0;
  for (const [userId, image] of images) {
    if (pacer.due()) await pacer.pause();
    if (csvs.has(userId)) continue;
    orphans++;
    if (!remembered.has(userId)) remembered.set(userId, [toRef(image)]);
  }
  return { remembered, orphans };
}

function byKey(a: SyncFailure, b: SyncFailure): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
