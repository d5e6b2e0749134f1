import { ObjectRejectedError, describeError } from '../errors.js';
import type { SyncProgress } from '../model.js';
import { checkBirthDate } from '../parse/birthDate.js';
import { parseUserCsv, type ParsedUser } from '../parse/userCsv.js';
import type { DateKeyFn } from '../query/age.js';
import type { ObjectInfo, ObjectStore } from '../storage/ObjectStore.js';
import { CacheEntry, ownCopy, shortReason, type Fingerprint, type SyncState } from '../cache/entries.js';

export interface FetchContext {
  store: ObjectStore;
  concurrency: number;
  /** The clock of this run, ms since the epoch: birth-date rules use it. */
  nowMs: number;
  dateKey: DateKeyFn;
  /** Largest CSV accepted, in bytes. */
  maxCsvBytes: number;
  /** How far back a birth date may lie, in years. */
  maxAgeYears: number;
  signal?: AbortSignal;
  onProgress?: (progress: SyncProgress) => void;
}

/**
 * Downloads the CSVs with bounded concurrency; returns how many were fetched. Stops starting new ones
 * once `signal` aborts. `concurrency` loops each take the next CSV: nothing is allocated per CSV
 * up front, which at a million CSVs would be a million queued promises.
 */
export async function fetchAll(state: SyncState, ctx: FetchContext, toFetch: readonly [string, ObjectInfo][], listed: number): Promise<number> {
  let next = 0;
  let done = 0;
  let fetched = 0;
  const total = toFetch.length;
  const loop = async () => {
    while (next < total && !ctx.signal?.aborted) {
      const item = toFetch[next++]!;
      if (await fetchOne(state, ctx, item[0], item[1])) fetched++;
      done++;
      if (ctx.onProgress) notifyProgress(ctx, { phase: 'downloading', listed, done, total });
    }
  };
  await Promise.all(Array.from({ length: Math.min(ctx.concurrency, total) }, loop));
  return fetched;
}

/** Fetches, parses and stores one CSV; returns whether bytes were fetched. Never throws. */
export async function fetchOne(state: SyncState, ctx: FetchContext, listedId: string, object: ObjectInfo): Promise<boolean> {
  let userId = listedId;
  let entry = state.entries.get(userId);
  if (!entry) {
    userId = ownCopy(listedId); // the map's key and the row's user_id: see `ownCopy`
    state.entries.set(userId, (entry = new CacheEntry()));
  }
  // A copy for failure records: they must not hold on to the listing's object.
  const source = (): Fingerprint => ({ key: object.key, etag: object.etag, size: object.size });
  let body: Buffer | null;
  try {
    body = await ctx.store.get(object.key, { maxBytes: ctx.maxCsvBytes, expectedSize: object.size, expectedEtag: object.etag, signal: ctx.signal });
  } catch (error) {
    // An abandoned run must not overwrite what a later run found.
    if (ctx.signal?.aborted) return false;
    const refused = error instanceof ObjectRejectedError;
    entry.failure = {
      kind: refused ? 'invalid' : 'download',
      source: source(),
      reason: shortReason(refused ? error.message : `download failed: ${describeError(error)}`),
    };
    return false;
  }
  if (ctx.signal?.aborted) return false;
  if (body === null) {
    entry.failure = { kind: 'download', source: source(), reason: 'the object disappeared between listing and download' };
    return false;
  }
  const parsed = parseUserCsv(body);
  if (!parsed.ok) {
    entry.failure = { kind: 'invalid', source: source(), reason: shortReason(parsed.reason) };
    return true;
  }
  applyParsed(state, ctx, userId, entry, object, parsed.user);
  return true;
}

/** Makes a parsed file the entry's row, or holds it back while its birth date breaks a rule. */
export function applyParsed(state: SyncState, ctx: FetchContext, userId: string, entry: CacheEntry, source: Fingerprint, user: ParsedUser): void {
  const problem = checkBirthDate(user.birthts, ctx.nowMs, ctx.maxAgeYears);
  if (problem) {
    entry.failure = { kind: 'birth', source: { key: source.key, etag: source.etag, size: source.size }, reason: problem, user };
    if (user.birthts > ctx.nowMs) state.nextBirthMs = Math.min(state.nextBirthMs ?? Infinity, user.birthts);
    return;
  }
  const { first_name, last_name, birthts, extra } = user;
  const previous = entry.row;
  // Own copies: see `ownCopy`. Unchanged strings are kept, not copied again.
  entry.row = { user_id: previous?.user_id ?? userId, first_name, last_name, birthts, img_path: previous?.img_path ?? null, extra };
  entry.birthKey = ctx.dateKey(birthts);
  if (entry.key !== source.key) entry.key = ownCopy(source.key);
  if (entry.etag !== source.etag) entry.etag = ownCopy(source.etag);
  entry.size = source.size;
  entry.failure = undefined;
  state.dirty = true;
}

/** A progress callback that throws must not abort the sync half-way through its downloads. */
export function notifyProgress(ctx: { onProgress?: (progress: SyncProgress) => void }, progress: SyncProgress): void {
  try {
    ctx.onProgress?.(progress);
  } catch {
    // The caller's display problem; the sync goes on.
  }
}
