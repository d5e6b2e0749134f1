import type { SyncFailure, SyncReport } from '../model.js';
import type { ObjectInfo } from '../storage/ObjectStore.js';
import { forgetEntry, ownCopy, type CacheEntry, type ImageRef, type SyncState } from '../cache/entries.js';
import { alreadyHas, refuseIfOversize } from '../cache/fileRules.js';
import { applyParsed, fetchAll, notifyProgress, type FetchContext } from './fetch.js';
import { oldestBirthMs } from '../parse/birthDate.js';
import { ListingClassifier, toRef, type UserCsvs } from './listing.js';
import { Pacer } from '../util/pacer.js';

export { CacheEntry, type SyncState } from '../cache/entries.js';

export interface SyncContext extends FetchContext {
  prefix: string;
  imageExtensions: ReadonlySet<string>;
}

/**
 * One incremental pass: list the prefix, fetch only CSVs whose fingerprint changed, then drop users
 * whose CSV is gone, re-check held-back birth dates against the clock, and re-derive every image
 * path from the listing. Mutates `state` in place and sets `state.dirty` whenever the rows changed; throws
 * only when the listing fails, before any change. Each pass over the users gives the event loop
 * back every few milliseconds (see `Pacer`), so a million users never stall it for long.
 */
export async function runSync(state: SyncState, ctx: SyncContext): Promise<SyncReport> {
  const started = performance.now();
  // Sorted as it arrives, while the store lists on: most of a warm sync's work is done by the time the listing is.
  let classifier = new ListingClassifier(ctx.prefix, ctx.imageExtensions);
  const listing = await ctx.store.list(ctx.prefix, {
    signal: ctx.signal,
    onProgress: (listed) => notifyProgress(ctx, { phase: 'listing', listed, done: 0, total: 0 }),
    onObjects: (objects) => classifier.add(objects),
  });
  ctx.signal?.throwIfAborted();
  const pacer = new Pacer(ctx.signal);
  if (classifier.count !== listing.length) {
    // The store delivered nothing (or not everything) as it went: sort the result instead.
    classifier = new ListingClassifier(ctx.prefix, ctx.imageExtensions);
    await classifier.addPaced(listing, pacer);
  }
  const { csvs, images, multiImages, ignored, failures: nameFailures } = classifier.finish();
  const entriesBefore = state.entries.size;
  const { toFetch, known } = await planFetches(state, ctx, csvs, pacer);
  const downloaded = await fetchAll(state, ctx, toFetch, listing.length);
  ctx.signal?.throwIfAborted(); // an abandoned run leaves the rest to the next one
  // Every entry there was is still listed when the CSVs matched all of them: none to look for.
  const listed = known === entriesBefore ? null : csvs;
  const { removed, users, missing, failed } = await reconcileEntries(state, ctx, listed, images, pacer);
  const { remembered, orphans } = await imagesToRemember(state, images, multiImages, pacer);
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
 * CSVs to download: new or changed ones, and ones whose last download failed. A CSV larger than
 * the bound is refused from its listed size alone, never downloaded.
 */
async function planFetches(state: SyncState, ctx: SyncContext, csvs: UserCsvs, pacer: Pacer): Promise<{ toFetch: [string, ObjectInfo][]; known: number }> {
  const toFetch: [string, ObjectInfo][] = [];
  let matched = 0;
  for (let i = 0; i < csvs.size; i++) {
    if (pacer.due()) await pacer.pause();
    const userId = csvs.ids[i]!;
    const object = csvs.objects[i]!;
    const entry = state.entries.get(userId);
    if (entry) matched++;
    if (alreadyHas(entry, object) || refuseIfOversize(state, userId, object, ctx.maxCsvBytes)) continue;
    toFetch.push([userId, object]);
  }
  return { toFetch, known: matched };
}

/**
 * One pass over the cache once the downloads are done: forgets users whose CSV is no longer listed
 * (`listed`; `null` when every user in the cache is known to be listed),
 * re-applies the birth-date rules (see `recheckBirthDate`), points every row at its user's newest image (rows are replaced, never edited: tables
 * already handed out stay as they were), and counts the users served, the users forgotten, the CSVs
 * with no usable version because their download failed, and every current failure.
 */
async function reconcileEntries(
  state: SyncState,
  ctx: SyncContext,
  listed: UserCsvs | null,
  images: ReadonlyMap<string, ObjectInfo>,
  pacer: Pacer,
): Promise<{ removed: number; users: number; missing: string[]; failed: SyncFailure[] }> {
  const oldestMs = oldestBirthMs(ctx.nowMs, ctx.maxAgeYears);
  let removed = 0;
  let users = 0;
  const missing: string[] = [];
  const failed: SyncFailure[] = [];
  state.nextBirthMs = Infinity;
  for (const [userId, entry] of state.entries) {
    if (pacer.due()) await pacer.pause();
    if (listed && !listed.has(userId)) {
      if (entry.row) removed++;
      forgetEntry(state, userId, entry);
      continue;
    }
    recheckBirthDate(state, ctx, userId, entry, oldestMs);
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
  return { removed, users, missing, failed };
}

/**
 * The birth-date rules applied again to every user without a listing or a download: when the
 * earliest held-back birth date (`SyncState.nextBirthMs`) has passed, its user joins the table
 * then, not at the next listing.
 */
export async function recheckBirthDates(state: SyncState, ctx: SyncContext): Promise<void> {
  const oldestMs = oldestBirthMs(ctx.nowMs, ctx.maxAgeYears);
  const pacer = new Pacer(ctx.signal);
  state.nextBirthMs = Infinity;
  for (const [userId, entry] of state.entries) {
    if (pacer.due()) await pacer.pause();
    recheckBirthDate(state, ctx, userId, entry, oldestMs);
  }
}

/**
 * The birth-date rules depend on the clock, so every sync applies them again without downloading:
 * a file held back for a future date becomes a user once that moment has passed, and a row whose
 * birth date has drifted past the oldest accepted one leaves the table, as a cold sync would have it.
 */
function recheckBirthDate(state: SyncState, ctx: SyncContext, userId: string, entry: CacheEntry, oldestMs: number): void {
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

/**
 * See `SyncState.images`: several images of one user, and the images of ids without a CSV; also
 * counts those ids (images that are no user's). Once the cache is reconciled, its users are exactly
 * the ids with a CSV.
 */
async function imagesToRemember(
  state: SyncState,
  images: Map<string, ObjectInfo>,
  multi: Map<string, ImageRef[]>,
  pacer: Pacer,
): Promise<{ remembered: Map<string, ImageRef[]>; orphans: number }> {
  const remembered = new Map(multi);
  let orphans = 0;
  for (const [userId, image] of images) {
    if (pacer.due()) await pacer.pause();
    if (state.entries.has(userId)) continue;
    orphans++;
    if (!remembered.has(userId)) remembered.set(userId, [toRef(image)]);
  }
  return { remembered, orphans };
}

function byKey(a: SyncFailure, b: SyncFailure): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
