import type { ChangeEvent } from './ObjectStore.js';

/**
 * S3 event records, as MinIO's listen API, its notification targets (NATS, webhooks, Kafka…) and
 * AWS S3's event notifications all write them: `Records[].s3.object.key` URL-encoded (`+` for a
 * space), `eTag` without quotes, no size or eTag on deletes.
 */
export interface BucketEventRecord {
  eventName?: string;
  eventTime?: string;
  s3?: { bucket?: { name?: string }; object?: { key?: string; size?: number; eTag?: string } };
}

/** The object key of a record, decoded; `undefined` when it has none or it does not decode. */
export function recordKey(record: BucketEventRecord): string | undefined {
  const raw = record.s3?.object?.key;
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** A record as a change event: created or removed objects only; `undefined` for anything else. */
export function toChangeEvent(record: BucketEventRecord): ChangeEvent | undefined {
  const key = recordKey(record);
  const name = record.eventName;
  if (key === undefined || typeof name !== 'string') return undefined;
  if (name.startsWith('s3:ObjectRemoved:') || name.startsWith('ObjectRemoved:')) return { key, kind: 'removed' };
  if (!name.startsWith('s3:ObjectCreated:') && !name.startsWith('ObjectCreated:')) return undefined;
  const { size, eTag } = record.s3?.object ?? {};
  const lastModified = new Date(record.eventTime ?? Date.now());
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || typeof eTag !== 'string' || eTag === '') return { key, kind: 'changed' };
  const time = Number.isNaN(lastModified.getTime()) ? new Date() : lastModified;
  return { key, kind: 'changed', object: { key, size, etag: eTag.replace(/^"|"$/g, ''), lastModified: time } };
}
