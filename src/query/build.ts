import type { UserRow } from '../model.js';
import type { CacheEntry } from '../sync/entries.js';
import { buildBirthIndex } from './birthIndex.js';
import { naturalCompare } from './naturalCompare.js';
import { positionsByKey } from './positions.js';
import type { UserTable } from './table.js';

/** Items a build handles between two steps (see `tableBuild`): well under a millisecond of work. */
const ITEMS_PER_STEP = 4096;
/** A user id written as a plain decimal integer, which `naturalCompare` orders by numeric value. */
const PLAIN_INTEGER = /^(?:0|[1-9]\d{0,14})$/;

/** The cache entries behind each table's rows, in row order: what the next build starts from. */
const SOURCES = new WeakMap<UserTable, readonly CacheEntry[]>();

/** Builds the table from cache entries in one go (see `tableBuild`). */
export function buildTable(entries: ReadonlyMap<string, CacheEntry>, previous: UserTable): UserTable {
  const steps = tableBuild(entries, previous);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

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
export function* tableBuild(entries: ReadonlyMap<string, CacheEntry>, previous: UserTable): Generator<void, UserTable, void> {
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
  yield;
  // Typed arrays only, radix-sorted: tens of milliseconds at a million users, in one step.
  const table = { rows, birthKeys, hasImage, byBirth: buildBirthIndex(birthKeys, hasImage), version: previous.version + 1 };
  SOURCES.set(table, ordered);
  return table;
}

function* sameUsers(entries: ReadonlyMap<string, CacheEntry>, before: readonly CacheEntry[]): Generator<void, boolean, void> {
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
 * (the usual case) are compared as numbers, the same order, radix-sorted (see `positionsByKey`).
 */
function* sortByUserId(entries: ReadonlyMap<string, CacheEntry>): Generator<void, CacheEntry[], void> {
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
  for (let i = 0; i < ids.length; i++) {
    if (i % ITEMS_PER_STEP === 0) yield;
    numbers[i] = PLAIN_INTEGER.test(ids[i]!) ? Number(ids[i]) : NaN;
  }
  const order = positionsByKey(numbers, (a, b) => {
    const x = numbers[a]!;
    const y = numbers[b]!;
    return x === x && y === y ? x - y : naturalCompare(ids[a]!, ids[b]!); // x === x: not NaN
  });
  const ordered = new Array<CacheEntry>(order.length);
  for (let i = 0; i < order.length; i++) {
    if (i % ITEMS_PER_STEP === 0) yield;
    ordered[i] = live[order[i]!]!;
  }
  return ordered;
}
