import type { UserRow } from '../model.js';
import type { ParsedUser } from '../parse/userCsv.js';

/** The listing's identity of one version of an object. */
export interface Fingerprint {
  key: string;
  etag: string;
  size: number;
}

/**
 * Why the current object of a user cannot be used:
 * - `download`: it could not be fetched (network, 5xx, integrity): fetched again next sync, and
 *   the sync is incomplete unless an earlier good version is served;
 * - `invalid`: its content or the store refused it (bad CSV, too large, a link out of the root):
 *   not fetched again until it changes;
 * - `birth`: the file is fine but its birth date breaks a rule that depends on the clock; the
 *   parsed fields are kept so each sync re-checks them without downloading.
 */
export type EntryFailure =
  { kind: 'download' | 'invalid'; source: Fingerprint; reason: string } | { kind: 'birth'; source: Fingerprint; reason: string; user: ParsedUser };

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
  failure: EntryFailure | undefined = undefined;
}

/** An image as the cache remembers it: enough to pick the newest when one goes away. */
export interface ImageRef {
  key: string;
  /** Last modification, ms since the epoch; `-Infinity` when not known (older than anything seen since). */
  modifiedMs: number;
}

export interface SyncState {
  entries: Map<string, CacheEntry>;
  /**
   * The images a change event cannot resolve from the rows alone, newest first: every image of a
   * user id that has several, and those of ids without a CSV. A user with one image needs none:
   * the row's `img_path` is it. Rebuilt by every full sync.
   */
  images: Map<string, ImageRef[]>;
  /** Rows changed since the table was last built; cleared by whoever rebuilds it. */
  dirty: boolean;
  /**
   * The earliest birth date held back for being in the future (ms since the epoch), so the user
   * can appear the moment it passes without waiting for a listing; undefined or `Infinity`: none.
   */
  nextBirthMs?: number;
}

/**
 * Removes a user from the cache, row and all: an entry that left the cache never has a row, which
 * lets a table build tell from the entries alone that its users are the previous build's.
 */
export function forgetEntry(state: SyncState, userId: string, entry: CacheEntry): void {
  state.entries.delete(userId);
  if (!entry.row) return;
  entry.row = undefined;
  state.dirty = true;
}

export function sameSource(a: Fingerprint, b: Fingerprint): boolean {
  return a.key === b.key && a.etag === b.etag && a.size === b.size;
}

/** Failure reasons travel in API answers and logs: bounded, whatever produced them. */
export const MAX_REASON_CHARS = 200;

export function shortReason(reason: string): string {
  return reason.length <= MAX_REASON_CHARS ? reason : `${reason.slice(0, MAX_REASON_CHARS - 1)}…`;
}

/**
 * A copy of `text` in memory of its own. A listing's strings sit on V8 heap pages among the rest
 * of the listing, which is garbage once the sync ends; a cache entry that kept them would keep those
 * pages half empty for good (V8 moves objects off a page only when it is mostly free), which at a
 * million users is a few hundred MB of resident memory. A copy made when the entry is written sits
 * with the entry's other new objects instead. Exact for every string: one that the UTF-8 round trip
 * would change (a lone surrogate) is kept as it is.
 */
export function ownCopy(text: string): string {
  const copy = Buffer.from(text).toString();
  return copy === text ? copy : text;
}
