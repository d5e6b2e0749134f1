import type { ChangeEvent, ObjectInfo } from '../storage/ObjectStore.js';
import { forgetEntry, type CacheEntry, type ImageRef, type SyncState } from '../cache/entries.js';
import { fetchAll } from './fetch.js';
import { alreadyHas, classifyKey, currentKey, refuseIfOversize, userIdOf, userIdProblem, winsOver } from '../cache/fileRules.js';
import { newestFirst } from './listing.js';
import type { SyncContext } from './fullSync.js';

export interface ChangeSummary {
  /** CSVs downloaded. */
  fetched: number;
  /** Users dropped because their CSV was deleted. */
  removed: number;
  /** Image paths that changed. */
  images: number;
  /** Events about keys that are neither a user CSV nor an image under the prefix. */
  ignored: number;
  /** CSVs whose download failed, for users with no earlier version: the table lacks them. */
  missing: string[];
  /** CSVs that are fine again (fetched, refused with a reason, or deleted): no longer missing. */
  present: string[];
}

/**
 * Applies change events to the cache without a listing: a written CSV is fetched (with the same
 * concurrency bound as a sync), a deleted one drops its user, and an image added or removed
 * re-points its user's `img_path` at the newest image left. Events are hints: the next full sync
 * repairs anything they missed. Several events for one key count once (the last wins).
 */
export async function applyChanges(state: SyncState, ctx: SyncContext, events: readonly ChangeEvent[]): Promise<ChangeSummary> {
  const summary: ChangeSummary = { fetched: 0, removed: 0, images: 0, ignored: 0, missing: [], present: [] };
  const lastByKey = new Map<string, ChangeEvent>();
  for (const event of events) lastByKey.set(event.key, event);
  const toFetch: [string, ObjectInfo][] = [];
  for (const event of lastByKey.values()) {
    const kind = classifyKey(event.key, ctx.prefix, ctx.imageExtensions);
    const userId = kind === 'other' ? '' : userIdOf(event.key, ctx.prefix);
    if (kind !== 'other' && userIdProblem(userId)) {
      summary.ignored++; // reported by the next full listing
    } else if (kind === 'csv') {
      const object = onCsvEvent(state, ctx, userId, event, summary);
      if (object) toFetch.push([userId, object]);
    } else if (kind === 'image') {
      if (onImageEvent(state, userId, event)) summary.images++;
    } else {
      summary.ignored++;
    }
  }
  summary.fetched = await fetchAll(state, ctx, toFetch, 0);
  for (const [userId, object] of toFetch) {
    const entry = state.entries.get(userId);
    (entry?.failure?.kind === 'download' && !entry.row ? summary.missing : summary.present).push(object.key);
  }
  // A new user takes the image that was waiting for it.
  for (const [userId] of toFetch) if (pointAtNewest(state, userId)) summary.images++;
  return summary;
}

/** Drops a deleted user, or returns the object to fetch when a CSV was written. */
function onCsvEvent(state: SyncState, ctx: SyncContext, userId: string, event: ChangeEvent, summary: ChangeSummary): ObjectInfo | undefined {
  const entry = state.entries.get(userId);
  if (event.kind === 'removed') {
    // Another file (7.CSV beside 7.csv) may still provide the user: leave that to the next sync.
    if (!entry || currentKey(entry) !== event.key) return undefined;
    summary.present.push(event.key);
    if (entry.row) {
      summary.removed++;
      rememberOrphanImage(state, userId, entry);
    }
    forgetEntry(state, userId, entry);
    return undefined;
  }
  const object = event.object;
  if (!object) return undefined; // no size or etag to check or store: the next full sync takes it
  const current = currentKey(entry);
  if (current && current !== event.key && !winsOver(event.key, current)) return undefined;
  if (alreadyHas(entry, object) || refuseIfOversize(state, userId, object, ctx.maxCsvBytes)) return undefined;
  return object;
}

/** Records an image written or deleted; returns whether a row's `img_path` changed. */
function onImageEvent(state: SyncState, userId: string, event: ChangeEvent): boolean {
  const row = state.entries.get(userId)?.row;
  // A user with one image has no list yet: its current image is older than anything arriving now.
  const refs = state.images.get(userId) ?? (row?.img_path ? [{ key: row.img_path, modifiedMs: -Infinity }] : []);
  const rest = refs.filter((r) => r.key !== event.key);
  if (event.kind === 'changed') rest.push({ key: event.key, modifiedMs: event.object?.lastModified.getTime() ?? Date.now() });
  rest.sort(newestFirst);
  if (rest.length > 1 || (rest.length === 1 && !row)) state.images.set(userId, rest);
  else state.images.delete(userId);
  return setImage(state, userId, rest[0]?.key ?? null);
}

/** A user just fetched takes the newest image waiting for it, and no longer needs a list for one image. */
function pointAtNewest(state: SyncState, userId: string): boolean {
  const refs = state.images.get(userId);
  if (!refs) return false;
  if (refs.length === 1) state.images.delete(userId);
  return setImage(state, userId, refs[0]?.key ?? null);
}

/** A removed user's image becomes an orphan again, ready for a CSV that comes back. */
function rememberOrphanImage(state: SyncState, userId: string, entry: CacheEntry): void {
  if (entry.row?.img_path && !state.images.has(userId)) state.images.set(userId, [{ key: entry.row.img_path, modifiedMs: -Infinity } satisfies ImageRef]);
}

function setImage(state: SyncState, userId: string, imgPath: string | null): boolean {
  const entry = state.entries.get(userId);
  if (!entry?.row || entry.row.img_path === imgPath) return false;
  entry.row = { ...entry.row, img_path: imgPath };
  state.dirty = true;
  return true;
}
