import { recordKey, toChangeEvent, type BucketEventRecord } from '../storage/bucketEvents.js';
import type { ChangeEvent } from '../storage/ObjectStore.js';
import type { SkipKind } from './types.js';

/** What a message must be to count: for this bucket, under this prefix, at most this large. */
export interface MessageFilter {
  bucket: string;
  prefix: string;
  maxBytes: number;
}

/** A key segment that climbs out of the prefix or means nothing: `.`, `..`, or empty. */
const UNSAFE_SEGMENT = /(?:^|\/)(?:\.\.?)?(?:\/|$)/;

/**
 * The changes one log message carries for this bucket and prefix, with what was skipped and why.
 * Messages are bucket events as MinIO's NATS target writes them, `{"EventName", "Key":
 * "bucket/key", "Records": [...]}`, or the bare S3 form `{"Records": [...]}`. Never throws: a
 * stranger can publish anything to the subject.
 */
export function eventsOf(data: Uint8Array, filter: MessageFilter): { events: ChangeEvent[]; skipped: SkipKind[] } {
  if (data.length > filter.maxBytes) return { events: [], skipped: ['too_large'] };
  let message: { Key?: unknown; Records?: unknown };
  try {
    message = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8')) as typeof message;
  } catch {
    return { events: [], skipped: ['malformed'] };
  }
  if (typeof message !== 'object' || message === null || !Array.isArray(message.Records) || message.Records.length === 0) {
    return { events: [], skipped: ['malformed'] };
  }
  const fallbackBucket = typeof message.Key === 'string' ? message.Key.split('/')[0] : undefined;
  const events: ChangeEvent[] = [];
  const skipped: SkipKind[] = [];
  for (const record of message.Records as BucketEventRecord[]) {
    const verdict = check(record, filter, fallbackBucket);
    if (typeof verdict === 'string') skipped.push(verdict);
    else events.push(verdict);
  }
  return { events, skipped };
}

function check(record: BucketEventRecord, filter: MessageFilter, fallbackBucket: string | undefined): ChangeEvent | SkipKind {
  if (typeof record !== 'object' || record === null) return 'malformed';
  const bucket = record.s3?.bucket?.name ?? fallbackBucket;
  if (bucket !== filter.bucket) return 'other_bucket';
  const key = recordKey(record);
  if (key === undefined) return 'malformed';
  if (!key.startsWith(filter.prefix)) return 'other_prefix';
  if (UNSAFE_SEGMENT.test(key.slice(filter.prefix.length)) || key.startsWith('/')) return 'unsafe_key';
  return toChangeEvent(record) ?? 'other_event';
}
