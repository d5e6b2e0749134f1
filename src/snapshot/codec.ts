import type { CacheEntry, ImageRef, SyncState } from '../cache/entries.js';
import { DEFAULT_COLUMNS } from '../model.js';
import type { LogPosition } from '../changelog/types.js';
import type { DateKeyFn } from '../query/age.js';
import { inflate, open, seal, type Head } from './container.js';
import { SnapshotError } from './errors.js';
import type { Payload, SnapshotScope } from './types.js';
import { checkedState, type Checks } from './validate.js';

export type { Payload, SnapshotScope } from './types.js';

export { SnapshotError } from './errors.js';
export { SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from './container.js';

/**
 * Bounds on the inflated payload: a user costs a few hundred bytes (its names, keys and etag), so
 * one that states more than this per user is refused, and none is ever inflated past the cap.
 */
const PAYLOAD_BYTES_PER_USER = 2_048;
const PAYLOAD_BYTES_BASE = 1_048_576;
const PAYLOAD_BYTES_CAP = 512 * 1_048_576;

interface SnapshotHead extends Head {
  scope: SnapshotScope;
  position: LogPosition | null;
}

export interface SnapshotOptions {
  scope: SnapshotScope;
  /** Where in the change log the cache stands (it includes every change up to there), if one is followed. */
  position?: LogPosition;
  /** Signs the snapshot (HMAC-SHA256); a reader with a secret takes only snapshots it signed. */
  secret: string | null;
}

/** The cache as one object (see `container.ts`). */
export async function encodeSnapshot(state: SyncState, options: SnapshotOptions, createdAtMs: number): Promise<Buffer> {
  const columns = Object.fromEntries(DEFAULT_COLUMNS.map((c) => [c, [] as unknown[]])) as Payload['columns'];
  const p: Payload = { columns, keys: [], etags: [], sizes: [], extra: [], failures: [], images: [] };
  let users = 0;
  for (const [userId, entry] of state.entries) {
    if (entry.failure) p.failures.push([userId, entry.failure]);
    const row = entry.row;
    if (!row) continue;
    if (Object.keys(row.extra).length > 0) p.extra.push([users, { ...row.extra }]);
    for (const c of DEFAULT_COLUMNS) columns[c].push(c === 'user_id' ? userId : row[c]);
    p.keys.push(entry.key);
    p.etags.push(entry.etag);
    p.sizes.push(entry.size);
    users++;
  }
  p.images = [...state.images].map(([id, refs]) => [id, refs.map((r) => ({ key: r.key, modifiedMs: Number.isFinite(r.modifiedMs) ? r.modifiedMs : null }))]);
  const payload = JSON.stringify(p);
  const head: SnapshotHead = { createdAtMs, users, payloadBytes: Buffer.byteLength(payload), scope: options.scope, position: options.position ?? null };
  return seal(head, payload, options.secret);
}

/**
 * Reads a snapshot back into a fresh cache. Throws `SnapshotError` saying why when it is not one,
 * is of another version or scope, is unsigned or wrongly signed while a secret is set, or inflates
 * past its bounds: the caller then syncs cold. Every value is then held to the rules of a freshly
 * read file; what breaks them is left out (`dropped`), so the next sync reads those files again.
 */
export async function decodeSnapshot(
  object: Buffer,
  options: SnapshotOptions & Omit<Checks, 'scope'> & { dateKey: DateKeyFn },
): Promise<{ state: SyncState; createdAtMs: number; users: number; dropped: number; position: LogPosition | undefined }> {
  const { head, compressed } = open(object, options.secret);
  const scope = (head as SnapshotHead).scope;
  if (JSON.stringify(scope) !== JSON.stringify(options.scope)) {
    throw new SnapshotError(`taken for ${JSON.stringify(scope)}, not ${JSON.stringify(options.scope)}`);
  }
  const limit = Math.min(PAYLOAD_BYTES_CAP, PAYLOAD_BYTES_BASE + head.users * PAYLOAD_BYTES_PER_USER);
  const text = await inflate(compressed, head, limit);
  let payload: Payload;
  try {
    payload = JSON.parse(text) as Payload;
  } catch {
    throw new SnapshotError('the payload is not valid JSON');
  }
  const { state, users, dropped } = checkedState(payload, { ...options, scope: options.scope });
  for (const entry of state.entries.values()) if (entry.row) entry.birthKey = options.dateKey(entry.row.birthts);
  return { state, createdAtMs: head.createdAtMs, users, dropped, position: positionOf((head as SnapshotHead).position) };
}

/** A position only when it is one: a snapshot is never trusted with more than its shape. */
function positionOf(value: unknown): LogPosition | undefined {
  const p = value as Partial<LogPosition> | null;
  return typeof p?.stream === 'string' && Number.isSafeInteger(p.seq) && (p.seq as number) >= 0 ? { stream: p.stream, seq: p.seq as number } : undefined;
}

export type { CacheEntry, ImageRef };
