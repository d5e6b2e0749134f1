import { CacheEntry, shortReason, type EntryFailure, type Fingerprint, type ImageRef, type SyncState } from '../cache/entries.js';
import type { UserRow } from '../model.js';
import { checkBirthDate } from '../parse/birthDate.js';
import { userProblem } from '../parse/rules.js';
import type { ParsedUser } from '../parse/userCsv.js';
import { classifyKey, userIdOf, userIdProblem } from '../cache/fileRules.js';
import type { Payload, SnapshotScope } from './types.js';

/** What a snapshot's values are checked against: its scope, and the clock of the load. */
export interface Checks {
  scope: SnapshotScope;
  nowMs: number;
}

const EMPTY_EXTRA: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The cache a payload describes, holding only what a sync could have put there: rows that pass the
 * rules of a freshly parsed file (types, names, the birth-date window at `nowMs`), under keys that
 * are that user's CSV and image, with sane fingerprints; failures and image lists of the same
 * shape. Anything else is left out and counted: its file is then read again by the next sync.
 */
export function checkedState(p: Payload, checks: Checks): { state: SyncState; users: number; dropped: number } {
  const images = new Set(checks.scope.imageExtensions);
  const keyOf = (key: unknown, kind: 'csv' | 'image', userId: string) =>
    typeof key === 'string' && classifyKey(key, checks.scope.sourcePrefix, images) === kind && userIdOf(key, checks.scope.sourcePrefix) === userId;
  const extra = new Map(Array.isArray(p?.extra) ? p.extra : []);
  const entries = new Map<string, CacheEntry>();
  const ids = p?.columns?.user_id ?? [];
  let dropped = 0;
  for (let i = 0; i < ids.length; i++) {
    const userId = ids[i];
    const row = typeof userId === 'string' && !entries.has(userId) ? rowAt(p, i, userId, extraOf(extra.get(i))) : undefined;
    const source = { key: p.keys?.[i], etag: p.etags?.[i], size: p.sizes?.[i] };
    const fine =
      row !== undefined &&
      userIdProblem(row.user_id) === null &&
      keyOf(source.key, 'csv', row.user_id) &&
      isFingerprint(source, checks.scope.maxCsvBytes) &&
      (row.img_path === null || keyOf(row.img_path, 'image', row.user_id)) &&
      userProblem(row) === null &&
      checkBirthDate(row.birthts, checks.nowMs, checks.scope.maxAgeYears) === null;
    if (!fine) {
      dropped++;
      continue;
    }
    const entry = new CacheEntry();
    entry.row = row;
    entry.key = source.key as string;
    entry.etag = source.etag as string;
    entry.size = source.size as number;
    entries.set(row.user_id, entry);
  }
  for (const [userId, failure] of Array.isArray(p?.failures) ? p.failures : []) {
    const checked = typeof userId === 'string' ? checkedFailure(failure, (key) => keyOf(key, 'csv', userId)) : undefined;
    if (!checked) {
      dropped++;
      continue;
    }
    let entry = entries.get(userId);
    if (!entry) entries.set(userId, (entry = new CacheEntry()));
    entry.failure = checked;
  }
  const imageLists = new Map<string, ImageRef[]>();
  for (const [userId, refs] of Array.isArray(p?.images) ? p.images : []) {
    // Image lists are derived again by every full listing: a bad one is simply left out.
    if (typeof userId !== 'string' || !Array.isArray(refs) || !refs.every((r) => keyOf(r?.key, 'image', userId))) continue;
    imageLists.set(
      userId,
      refs.map((r) => ({ key: r.key, modifiedMs: typeof r.modifiedMs === 'number' && Number.isFinite(r.modifiedMs) ? r.modifiedMs : -Infinity })),
    );
  }
  return { state: { entries, images: imageLists, dirty: true }, users: [...entries.values()].filter((e) => e.row).length, dropped };
}

function rowAt(p: Payload, i: number, userId: string, extra: Readonly<Record<string, string>>): UserRow | undefined {
  const c = p.columns;
  const img = c.img_path?.[i];
  if (img !== null && typeof img !== 'string') return undefined;
  return {
    user_id: userId,
    first_name: c.first_name?.[i] as string,
    last_name: c.last_name?.[i] as string,
    birthts: c.birthts?.[i] as number,
    img_path: img,
    extra,
  };
}

function isFingerprint(f: { key?: unknown; etag?: unknown; size?: unknown }, maxCsvBytes: number): f is Fingerprint {
  return (
    typeof f.etag === 'string' &&
    f.etag !== '' &&
    f.etag.length <= 256 &&
    Number.isSafeInteger(f.size) &&
    (f.size as number) >= 0 &&
    (f.size as number) <= maxCsvBytes
  );
}

function checkedFailure(failure: unknown, isUsersCsv: (key: unknown) => boolean): EntryFailure | undefined {
  const f = failure as Partial<EntryFailure> | null;
  if (typeof f !== 'object' || f === null || typeof f.reason !== 'string' || typeof f.source !== 'object' || f.source === null) return undefined;
  const source = f.source;
  // A refused file may be larger than the bound: that is why it was refused.
  if (!isUsersCsv(source.key) || !isFingerprint(source, Number.MAX_SAFE_INTEGER)) return undefined;
  const kept = { key: source.key, etag: source.etag, size: source.size };
  const reason = shortReason(f.reason);
  if (f.kind === 'download' || f.kind === 'invalid') return { kind: f.kind, source: kept, reason };
  if (f.kind !== 'birth') return undefined;
  const user = f.user as ParsedUser | undefined;
  const restored = user ? { ...user, extra: extraOf(user.extra) } : undefined;
  return restored && userProblem(restored) === null ? { kind: 'birth', source: kept, reason, user: restored } : undefined;
}

/** Extra columns live in null-prototype objects, so a column named `__proto__` stays data. */
function extraOf(source: unknown): Readonly<Record<string, string>> {
  if (typeof source !== 'object' || source === null || Object.keys(source).length === 0) return EMPTY_EXTRA;
  return Object.assign(Object.create(null) as Record<string, string>, source);
}
