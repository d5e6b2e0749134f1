import type { UserRow } from '../model.js';
import type { CacheEntry } from '../cache/entries.js';
import { birthIndexSteps } from './birthIndex.js';
import { naturalCompare } from './naturalCompare.js';
import { positionSteps } from './positions.js';
import { ITEMS_PER_STEP, type Steps } from '../util/steps.js';
import type { UserTable } from './table.js';

/** A user id written as a plain decimal integer, which `naturalCompare` orders by numeric value. */
const PLAIN_INTEGER = /^(?:0|[1-9]\d{0,14})$/;

/** The cache entries behind each table's rows, in row order: what the next build starts from. */
const SOURCES = new WeakMap<UserTable, readonly CacheEntry[]>();

/**
 * Builds the table from cache entries, as steps: it yields every few thousand users, so a caller
 * can let requests in between (a million users take a few hundred milliseconds, mostly memory
 * reads) and returns the table. Nothing may change the cache until it is done.
 *
 * When the users are the ones `previous` had, its order is reused and the sort skipped: most builds
 * follow a change of contents, not of membership. That is known from the entries alone, with no
 * lookup per user: an entry that leaves the cache loses its row (see `forgetEntry`), so if every
 * entry behind `previous` still has a row and the count is unchanged, the users are the same.
 * `previous` must come from the same cache (map of entries), or be empty.
 */
export function* tableBuild(entries: ReadonlyMap<string, CacheEntry>, previous: UserTable): Steps<UserTable> {
  const before = SOURCES.get(previous);
  const ordered = before && (yield* sameUsers(entries, before)) ? before : yield* sortByUserId(entries);
  const n = ordered.length;
  const rows = new Array<UserRow>(n);
  // Float64, not Int32: keys of years beyond ±214,748 (valid JavaScript dates) overflow 32 bits.
  const birthKeys = new Float64Array(n);
  const hasImage = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (i % ITEMS_PER_STEP === 0) yield;
    const entry = ordered[i]!;
    const row = entry.row!;
    rows[i] = row;
    birthKeys[i] = entry.birthKey;
    hasImage[i] = row.img_path === null ? 0 : 1;
  }
  const byBirth = yield* birthIndexSteps(birthKeys, hasImage);
  const table = { rows, birthKeys, hasImage, byBirth, version: previous.version + 1 };
  SOURCES.set(table, ordered);
  return table;
}

function* sameUsers(entries: ReadonlyMap<string, CacheEntry>, before: readonly CacheEntry[]): Steps<boolean> {
  let live = 0;
  let seen = 0;
  for (const entry of entries.values()) {
    if (++seen % ITEMS_PER_STEP === 0) yield;
    if (entry.row) live++;
  }
  if (live !== before.length) return false;
  for (let i = 0; i < before.length; i++) {
    if (i % ITEMS_PER_STEP === 0) yield;
    if (!before[i]!.row) return false;
  }
  return true;
}

/**
 * Entries with a row, in `naturalCompare` order of their user ids. Ids that are plain integers
 * (the usual case) are radix-sorted as numbers, which is the same order (see `positionsByKey`); any
 * others are sorted with `naturalCompare` and merged in, each found among the numbers by a binary
 * search, so one odd id among a million costs twenty comparisons, not a comparison sort of all.
 */
function* sortByUserId(entries: ReadonlyMap<string, CacheEntry>): Steps<CacheEntry[]> {
  const live: CacheEntry[] = [];
  const ids: string[] = [];
  let seen = 0;
  for (const entry of entries.values()) {
    if (++seen % ITEMS_PER_STEP === 0) yield;
    if (!entry.row) continue;
    live.push(entry);
    ids.push(entry.row.user_id);
  }
  const numbers = new Float64Array(ids.length);
  const numeric: number[] = [];
  const others: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (i % ITEMS_PER_STEP === 0) yield;
    if (!PLAIN_INTEGER.test(ids[i]!)) others.push(i);
    else numbers[numeric.push(i) - 1] = Number(ids[i]);
  }
  const byNumber = yield* positionSteps(numbers.subarray(0, numeric.length));
  const idAt = (k: number) => ids[numeric[byNumber[k]!]!]!;
  others.sort((a, b) => naturalCompare(ids[a]!, ids[b]!));
  const ordered: CacheEntry[] = [];
  let next = 0;
  const takeNumbersUntil = function* (end: number): Steps<void> {
    for (; next < end; next++) {
      if (next % ITEMS_PER_STEP === 0) yield;
      ordered.push(live[numeric[byNumber[next]!]!]!);
    }
  };
  for (const other of others) {
    yield* takeNumbersUntil(firstAfter(ids[other]!, idAt, next, numeric.length));
    ordered.push(live[other]!);
  }
  yield* takeNumbersUntil(numeric.length);
  return ordered;
}

/** The first `k` in `[lo, hi)` whose id sorts after `id`, given ids in ascending order. */
function firstAfter(id: string, idAt: (k: number) => string, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (naturalCompare(idAt(mid), id) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
