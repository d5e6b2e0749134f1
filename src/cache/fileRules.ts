import { CacheEntry, sameSource, type Fingerprint, type SyncState } from './entries.js';
import { controlProblem } from '../parse/rules.js';
import type { ObjectInfo } from '../storage/ObjectStore.js';

/**
 * The rules about one listed file that both ways of learning about it share (a full listing and a
 * change event): what a key is, which of two CSVs of one user counts, whether the version is one
 * the cache already has, and whether it is too large to download. One definition each, so the two
 * paths cannot drift apart.
 */

export type KeyKind = 'csv' | 'image' | 'other';

/**
 * What a key is under the prefix: a user's CSV, a user's image, or something else (other
 * extensions, keys in sub-folders, the prefix itself). The user id is the file name without its
 * extension (`userIdOf`). Runs once per listed object: no allocation.
 */
export function classifyKey(key: string, prefix: string, imageExtensions: ReadonlySet<string>): KeyKind {
  const dot = key.lastIndexOf('.');
  // Only names directly under the prefix, with an extension.
  if (dot < prefix.length || !key.startsWith(prefix) || key.indexOf('/', prefix.length) >= 0) return 'other';
  if (isCsvExtension(key, dot)) return 'csv';
  return imageExtensions.has(key.slice(dot + 1).toLowerCase()) ? 'image' : 'other';
}

/** The user id of a key `classifyKey` called a CSV or an image: its name without the extension. */
export function userIdOf(key: string, prefix: string): string {
  return key.slice(prefix.length, key.lastIndexOf('.'));
}

/**
 * Whether the key ends in `.csv` in any case, without cutting and lower-casing its extension.
 * `| 0x20` lower-cases an ASCII letter, and only `C`/`c`, `S`/`s` and `V`/`v` map to the letters compared.
 */
function isCsvExtension(key: string, dot: number): boolean {
  return (
    key.length - dot === 4 &&
    (key.charCodeAt(dot + 1) | 0x20) === 0x63 &&
    (key.charCodeAt(dot + 2) | 0x20) === 0x73 &&
    (key.charCodeAt(dot + 3) | 0x20) === 0x76
  );
}

/**
 * Why a name cannot be a user id (or an image's), or `null`: it must not be empty, and must hold no
 * control character (it ends up in every answer and on terminals).
 */
export function userIdProblem(userId: string): string | null {
  if (userId === '') return 'the file name has no user id before its extension';
  return controlProblem('the file name', userId);
}

/** Of two CSVs of one user (`7.csv`, `7.CSV`), the one with the smaller key is the user's, whatever order they come in. */
export function winsOver(key: string, other: string): boolean {
  return key < other;
}

/** The key of the CSV the cache takes as the user's: its good version's, or else its failed one's. */
export function currentKey(entry: CacheEntry | undefined): string | undefined {
  return entry?.row ? entry.key : entry?.failure?.source.key;
}

/**
 * Whether the cache already holds this exact version of the file (key, etag and size): as a row,
 * or as a reason not to use it. A version whose download failed is not held: it is fetched again.
 */
export function alreadyHas(entry: CacheEntry | undefined, object: Fingerprint): boolean {
  const failure = entry?.failure;
  const known = failure ? (failure.kind === 'download' ? undefined : failure.source) : entry?.row ? entry : undefined;
  return known !== undefined && sameSource(known, object);
}

/**
 * A CSV larger than the bound is refused from its listed size alone, never downloaded: records
 * the reason in the user's entry and returns `true`; `false` when the size is fine.
 */
export function refuseIfOversize(state: SyncState, userId: string, object: ObjectInfo, maxCsvBytes: number): boolean {
  if (object.size <= maxCsvBytes) return false;
  const target = state.entries.get(userId) ?? new CacheEntry();
  const reason = `the file is ${object.size} bytes, over the ${maxCsvBytes}-byte limit for a user CSV`;
  target.failure = { kind: 'invalid', source: { key: object.key, etag: object.etag, size: object.size }, reason };
  state.entries.set(userId, target);
  return true;
}
