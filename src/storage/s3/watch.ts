import type { IncomingMessage } from 'node:http';
import type * as Minio from 'minio';
import { toChangeEvent, type BucketEventRecord } from '../bucketEvents.js';
import type { WatchHandlers, Watcher } from '../ObjectStore.js';

/** The events MinIO's listen API streams for writes and deletes. */
const EVENTS = ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'];
/** A line longer than this is not a notification record: the stream is not what it claims. */
const MAX_LINE_CHARS = 1_048_576;

/**
 * MinIO's bucket notifications (its listen API, an extension of S3: a long-poll GET that streams
 * JSON lines) as change events. The request is signed by the minio client, but the stream is read
 * here rather than by the client's own poller, which throws out of its parser (and takes the process
 * with it) when a server that is not MinIO answers with XML. Any failure, including an answer that
 * is not a notification stream, reaches `onError` once; the caller falls back to listings and
 * reopens with backoff. A stream that ends normally is reopened at once, as MinIO expects, and
 * `onOpen` tells the caller each time it is established, so it can list for the gap.
 */
export function watchBucket(client: Minio.Client, bucket: string, region: string, prefix: string, handlers: WatchHandlers): Watcher {
  let closed = false;
  let response: IncomingMessage | undefined;
  const query = [...EVENTS.map((e) => `events=${rfc3986(e)}`), `prefix=${rfc3986(prefix)}`].sort().join('&');

  const fail = (error: unknown) => {
    if (closed) return;
    closed = true;
    response?.destroy();
    handlers.onError(error instanceof Error ? error : new Error(String(error)));
  };

  async function poll(): Promise<void> {
    while (!closed) {
      response = await client.makeRequestAsync({ method: 'GET', bucketName: bucket, query }, '', [200], region);
      if (closed) {
        response.destroy();
        return;
      }
      const type = String(response.headers['content-type'] ?? '');
      if (type.includes('xml') || type.includes('html')) {
        response.destroy();
        // Definitive: this store has no notification stream, so asking again is pointless.
        throw Object.assign(new Error(`${bucket}: the store answered the listen request with ${type}, not a notification stream (is it MinIO?)`), {
          code: 'watch_unsupported',
        });
      }
      // Established (again): changes from here on arrive as events; the caller lists for the gap.
      handlers.onOpen?.();
      await readLines(response, (line) => {
        const record = JSON.parse(line) as { Records?: BucketEventRecord[] | null };
        for (const r of record.Records ?? []) {
          const event = toChangeEvent(r);
          if (event && !closed) handlers.onChange(event);
        }
      });
    }
  }

  poll().catch(fail);
  return {
    async close() {
      closed = true;
      response?.destroy();
    },
  };
}

/** Calls `onLine` for each non-blank line until the stream ends; rejects on a stream error or a bad line. */
function readLines(stream: IncomingMessage, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      // MinIO keeps the stream alive with spaces and no newline: they are not part of any record.
      rest = (lines.pop() ?? '').trimStart();
      try {
        if (rest.length > MAX_LINE_CHARS) throw new Error('a notification line exceeds 1 MiB');
        for (const line of lines) if (line.trim() !== '') onLine(line);
      } catch (error) {
        stream.destroy();
        reject(new Error(`malformed notification stream: ${(error as Error).message}`));
      }
    });
    stream.on('end', () => resolve());
    stream.on('error', reject);
    stream.on('close', () => (stream.readableEnded ? undefined : reject(new Error('the notification stream was cut'))));
  });
}

/** URI-encodes as AWS signatures expect: `!'()*` too. */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
