import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import { UdtError } from '../errors.js';
import type { UserRow } from '../model.js';
import type { DateKeyFn } from '../query/age.js';
import { CacheEntry, type EntryFailure, type ImageRef, type SyncState } from '../cache/entries.js';

/** Bumped whenever the layout changes; a snapshot of another version is ignored, never misread. */
export const SNAPSHOT_FORMAT = 'user-data-transformer/cache';
export const SNAPSHOT_VERSION = 1;

/** What a snapshot must match to be used: taken under other settings, its cache would be wrong. */
export interface SnapshotScope {
  sourcePrefix: string;
  imageExtensions: readonly string[];
  maxCsvBytes: number;
  maxAgeYears: number;
}

// Compression runs on the thread pool: a large snapshot must not stall the event loop for it.
const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

interface Header {
  format: string;
  version: number;
  scope: SnapshotScope;
  createdAtMs: number;
  users: number;
  /** SHA-256 of the payload line, hex. */
  sha256: string;
}

/** Column-wise, so a million users cost a few arrays of strings, not a million objects. */
interface Payload {
  ids: string[];
  first: string[];
  last: string[];
  birth: number[];
  img: (string | null)[];
  keys: string[];
  etags: string[];
  sizes: number[];
  /** `[position, extra columns]` for the rows that have any. */
  extra: [number, Record<string, string>][];
  failures: [string, EntryFailure][];
  /** `modifiedMs` null: unknown (`-Infinity` in memory, which JSON cannot hold). */
  images: [string, { key: string; modifiedMs: number | null }[]][];
}

export class SnapshotError extends UdtError {
  constructor(message: string) {
    super('snapshot_unusable', 500, message);
  }
}

/** The cache as one gzip object: a header line (format, scope, checksum), then the payload line. */
export async function encodeSnapshot(state: SyncState, scope: SnapshotScope, createdAtMs: number): Promise<Buffer> {
  const p: Payload = { ids: [], first: [], last: [], birth: [], img: [], keys: [], etags: [], sizes: [], extra: [], failures: [], images: [] };
  for (const [userId, entry] of state.entries) {
    if (entry.failure) p.failures.push([userId, entry.failure]);
    const row = entry.row;
    if (!row) continue;
    if (Object.keys(row.extra).length > 0) p.extra.push([p.ids.length, { ...row.extra }]);
    p.ids.push(userId);
    p.first.push(row.first_name);
    p.last.push(row.last_name);
    p.birth.push(row.birthts);
    p.img.push(row.img_path);
    p.keys.push(entry.key);
    p.etags.push(entry.etag);
    p.sizes.push(entry.size);
  }
  p.images = [...state.images].map(([id, refs]) => [id, refs.map((r) => ({ key: r.key, modifiedMs: Number.isFinite(r.modifiedMs) ? r.modifiedMs : null }))]);
  const payload = JSON.stringify(p);
  const header: Header = { format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, scope, createdAtMs, users: p.ids.length, sha256: sha256(payload) };
  return gzip(`${JSON.stringify(header)}\n${payload}`);
}

/**
 * Reads a snapshot back into a fresh cache. Throws `SnapshotError` saying why when it is truncated,
 * corrupt, of another format or version, or taken under another scope: the caller then syncs cold.
 */
export async function decodeSnapshot(
  body: Buffer,
  scope: SnapshotScope,
  dateKey: DateKeyFn,
): Promise<{ state: SyncState; createdAtMs: number; users: number }> {
  let text: string;
  try {
    text = (await gunzip(body)).toString('utf8');
  } catch (error) {
    throw new SnapshotError(`not a complete gzip stream (${(error as Error).message})`);
  }
  const newline = text.indexOf('\n');
  const header = parseJson<Header>(newline < 0 ? text : text.slice(0, newline), 'header');
  if (header.format !== SNAPSHOT_FORMAT || header.version !== SNAPSHOT_VERSION) {
    throw new SnapshotError(
      `format ${String(header.format)} version ${String(header.version)}; this build reads ${SNAPSHOT_FORMAT} version ${SNAPSHOT_VERSION}`,
    );
  }
  if (JSON.stringify(header.scope) !== JSON.stringify(scope)) {
    throw new SnapshotError(`taken for ${JSON.stringify(header.scope)}, not ${JSON.stringify(scope)}`);
  }
  const payloadText = text.slice(newline + 1);
  if (sha256(payloadText) !== header.sha256) throw new SnapshotError('checksum mismatch: the payload is damaged');
  const p = parseJson<Payload>(payloadText, 'payload');
  return { state: restore(p, dateKey), createdAtMs: header.createdAtMs, users: header.users };
}

function restore(p: Payload, dateKey: DateKeyFn): SyncState {
  const extra = new Map(p.extra);
  const entries = new Map<string, CacheEntry>();
  for (let i = 0; i < p.ids.length; i++) {
    const userId = p.ids[i]!;
    const entry = new CacheEntry();
    const birthts = p.birth[i]!;
    const row: UserRow = { user_id: userId, first_name: p.first[i]!, last_name: p.last[i]!, birthts, img_path: p.img[i] ?? null, extra: extraOf(extra.get(i)) };
    entry.row = row;
    entry.birthKey = dateKey(birthts);
    entry.key = p.keys[i]!;
    entry.etag = p.etags[i]!;
    entry.size = p.sizes[i]!;
    entries.set(userId, entry);
  }
  for (const [userId, failure] of p.failures) {
    let entry = entries.get(userId);
    if (!entry) entries.set(userId, (entry = new CacheEntry()));
    entry.failure = failure.kind === 'birth' ? { ...failure, user: { ...failure.user, extra: extraOf(failure.user.extra) } } : failure;
  }
  const images = new Map(p.images.map(([id, refs]) => [id, refs.map((r): ImageRef => ({ key: r.key, modifiedMs: r.modifiedMs ?? -Infinity }))]));
  return { entries, images, dirty: true };
}

/** Extra columns live in null-prototype objects, so a column named `__proto__` stays data. */
function extraOf(source: Record<string, string> | undefined): Readonly<Record<string, string>> {
  if (!source || Object.keys(source).length === 0) return EMPTY_EXTRA;
  return Object.assign(Object.create(null) as Record<string, string>, source);
}

const EMPTY_EXTRA: Readonly<Record<string, string>> = Object.freeze({});

function parseJson<T>(text: string, part: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new SnapshotError(`the ${part} is not valid JSON (truncated?)`);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
