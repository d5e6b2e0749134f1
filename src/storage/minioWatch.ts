import type * as Minio from 'minio';
import type { ChangeEvent, WatchHandlers, Watcher } from './ObjectStore.js';

/** The events MinIO's listen API streams for writes and deletes. */
const EVENTS = ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'];

/** The parts of a MinIO notification record this reads. */
interface NotificationRecord {
  eventName?: string;
  eventTime?: string;
  s3?: { object?: { key?: string; size?: number; eTag?: string } };
}

/**
 * MinIO's bucket notifications (`listenBucketNotification`, a MinIO extension of S3: a long-poll
 * GET streaming JSON records) as change events. Plain S3 has no such stream; there the request
 * fails and the caller falls back to listings. The client's poller stops after an error without
 * reconnecting: the error is passed on, and the caller reopens the stream with backoff.
 */
export function watchBucket(client: Minio.Client, bucket: string, prefix: string, handlers: WatchHandlers): Watcher {
  const poller = client.listenBucketNotification(bucket, prefix, '', EVENTS);
  let closed = false;
  poller.on('notification', (record: unknown) => {
    if (closed) return;
    const event = toChangeEvent(record as NotificationRecord);
    if (event) handlers.onChange(event);
  });
  poller.on('error', (error: unknown) => {
    if (closed) return;
    closed = true;
    poller.stop();
    handlers.onError(error instanceof Error ? error : new Error(String(error)));
  });
  return {
    async close() {
      closed = true;
      poller.stop();
    },
  };
}

/** Keys arrive URL-encoded (`+` for a space), as in S3 event records. */
export function toChangeEvent(record: NotificationRecord): ChangeEvent | undefined {
  const raw = record.s3?.object?.key;
  if (!raw || !record.eventName) return undefined;
  const key = decodeURIComponent(raw.replace(/\+/g, ' '));
  if (record.eventName.startsWith('s3:ObjectRemoved:')) return { key, kind: 'removed' };
  if (!record.eventName.startsWith('s3:ObjectCreated:')) return undefined;
  const { size, eTag } = record.s3?.object ?? {};
  const lastModified = new Date(record.eventTime ?? Date.now());
  if (typeof size !== 'number' || !eTag) return { key, kind: 'changed' };
  return { key, kind: 'changed', object: { key, size, etag: eTag.replace(/^"|"$/g, ''), lastModified } };
}
