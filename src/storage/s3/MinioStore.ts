import { definedOnly } from '../../util/objects.js';
import type { Readable } from 'node:stream';
import * as Minio from 'minio';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_LIST_CONCURRENCY,
  DEFAULT_REGION,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_STORE_RETRIES,
} from '../../defaults.js';
import { OptionError, StoreUnavailableError, UdtError, requiredOption } from '../../errors.js';
import { BodyCollector, clipKey } from '../body.js';
import { createDeadlineTransport, withCallSignal } from './httpTransport.js';
import { createS3Lister } from './listing.js';
import { watchBucket } from './watch.js';
import type { GetOptions, ObjectStore, WatchHandlers } from '../ObjectStore.js';
import { raceAbort, withRetry } from '../../util/async.js';

export interface MinioStoreOptions {
  /** Endpoint URL, e.g. `http://localhost:9000` or `https://s3.eu-west-1.amazonaws.com`. Required. */
  endpoint: string;
  /** Access key. Required. */
  accessKey: string;
  /** Secret key. Required. */
  secretKey: string;
  /** Bucket name. Required. */
  bucket: string;
  /** Region; set explicitly so the client never asks the server. Default `us-east-1`. */
  region?: string;
  /** Keep-alive sockets to the endpoint; match the sync concurrency. Default 16. */
  maxSockets?: number;
  /**
   * Deadline of every request, on new and reused connections alike, for connecting, for the first
   * byte of the answer and between any two bytes after it. A request past it is destroyed and
   * retried like any transient failure. Default 10 000 ms.
   */
  requestTimeoutMs?: number;
  /** Extra attempts after a failure that may be transient (socket error, timeout, 5xx). Default 3. */
  retries?: number;
  /** First backoff delay; doubles per attempt. Default 100 ms. */
  retryBaseDelayMs?: number;
  /**
   * Parts of a listing fetched at once: the prefix is listed as ranges of keys whose pages overlap
   * in time (1: one page after another). Listing requests share the `maxSockets` sockets. Default 8.
   */
  listConcurrency?: number;
  /**
   * Offer change events from MinIO's bucket notification stream (a MinIO extension; AWS S3 has
   * none). Default `true`, except for `amazonaws.com` endpoints.
   */
  notifications?: boolean;
}

/** The defaults of every optional `MinioStoreOptions` field. */
export const MINIO_STORE_DEFAULTS = {
  region: DEFAULT_REGION,
  maxSockets: DEFAULT_CONCURRENCY,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  retries: DEFAULT_STORE_RETRIES,
  retryBaseDelayMs: DEFAULT_RETRY_BASE_DELAY_MS,
  listConcurrency: DEFAULT_LIST_CONCURRENCY,
} as const satisfies Required<Omit<MinioStoreOptions, 'endpoint' | 'accessKey' | 'secretKey' | 'bucket' | 'notifications'>>;
/** Codes the S3 protocol uses for a key or bucket that does not exist. */
const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound', 'NoSuchObject']);
/** Longest cause quoted in an error message. */
const MAX_CAUSE_CHARS = 120;

/** MinIO, AWS S3 or any S3-compatible server, through the `minio` client. */
export function createMinioStore(options: MinioStoreOptions): ObjectStore {
  for (const name of ['endpoint', 'accessKey', 'secretKey', 'bucket'] as const) {
    if (!options?.[name]) throw requiredOption('createMinioStore', name);
  }
  const o = { ...MINIO_STORE_DEFAULTS, ...definedOnly(options) };
  if (!Number.isSafeInteger(o.listConcurrency) || o.listConcurrency < 1) {
    throw new OptionError(`createMinioStore: listConcurrency must be a positive integer, got ${String(o.listConcurrency)}`);
  }
  const url = new URL(o.endpoint);
  const useSSL = url.protocol === 'https:';
  const transport = createDeadlineTransport(useSSL, o.maxSockets, o.requestTimeoutMs);
  const client = new Minio.Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: o.accessKey,
    secretKey: o.secretKey,
    region: o.region,
    pathStyle: true,
    transport,
    // Retries are ours (below): the client's own cover HTTP statuses only, not sockets.
    retryOptions: { disableRetry: true },
  });
  const bucket = o.bucket;

  /** Runs one call with retries; its requests die with `signal`, which then ends it at once. */
  function call<T>(what: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const attempts = withCallSignal(signal, () => withRetry(fn, { retries: o.retries, baseDelayMs: o.retryBaseDelayMs, isRetriable: isTransient, signal }));
    return raceAbort(attempts, signal).catch((error: unknown) => {
      if (signal?.aborted) throw signal.reason;
      if (error instanceof UdtError) throw error; // a refusal or a bad download: already says what happened
      throw new StoreUnavailableError(`s3 ${bucket}: cannot ${what}: ${describeS3Error(error)}`, { cause: error });
    });
  }

  const list = createS3Lister({ client, bucket, call, concurrency: o.listConcurrency });

  function get(key: string, options: GetOptions = {}): Promise<Buffer | null> {
    return call(
      `get ${clipKey(key)}`,
      async () => {
        let stream: Readable;
        try {
          stream = await client.getObject(bucket, key);
        } catch (error) {
          if (isNotFound(error)) return null;
          throw error;
        }
        return readBody(stream, new BodyCollector(key, options));
      },
      options.signal,
    );
  }

  async function put(key: string, body: Buffer | string, contentType: string): Promise<void> {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    await call(`put ${clipKey(key)}`, () => client.putObject(bucket, key, data, data.length, { 'Content-Type': contentType }));
  }

  async function ping(): Promise<void> {
    const exists = await call('reach the bucket', () => client.bucketExists(bucket));
    if (!exists) throw new StoreUnavailableError(`s3 ${bucket}: bucket does not exist at ${o.endpoint}`);
  }

  const notifications = options.notifications ?? !url.hostname.endsWith('.amazonaws.com');
  return {
    name: `s3://${bucket}@${url.host}`,
    list,
    get,
    put,
    ping,
    ...(notifications && { watch: (prefix: string, handlers: WatchHandlers) => watchBucket(client, bucket, o.region, prefix, handlers) }),
    close: async () => transport.destroy(),
  };
}

/**
 * Reads an object's answer through the collector's bounds. The announced length is checked before
 * any byte is read; leaving early destroys the stream, so the rest is never downloaded.
 */
async function readBody(stream: Readable, body: BodyCollector): Promise<Buffer> {
  try {
    const length = Number((stream as { headers?: Record<string, unknown> }).headers?.['content-length'] ?? NaN);
    if (Number.isFinite(length)) body.announce(length);
    for await (const chunk of stream) body.add(chunk as Buffer);
    return body.finish();
  } finally {
    stream.destroy();
  }
}

function isNotFound(error: unknown): boolean {
  return NOT_FOUND_CODES.has(String((error as { code?: unknown })?.code));
}

function isTransient(error: unknown): boolean {
  if (error instanceof UdtError) return false; // refusals and integrity failures wait for the next sync
  const e = error as { code?: unknown; statusCode?: unknown } | undefined;
  const status = Number(e?.statusCode ?? NaN);
  if (!Number.isNaN(status)) return status >= 500 || status === 408 || status === 429;
  const code = String(e?.code ?? '');
  // Socket-level failures carry errno-style codes; an S3 error without a status is not transient.
  return /^E[A-Z]+$/.test(code) || code === '' || code === 'UND_ERR_SOCKET';
}

function describeS3Error(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  const message = String(e?.message ?? error);
  // The client reports the statuses it does not parse as "Request failed after 0 retries: …".
  const status = /Retryable HTTP status: (\d+)/.exec(message)?.[1];
  const text = status ? `HTTP ${status}` : `${code}${message}`;
  return text.length > MAX_CAUSE_CHARS ? `${text.slice(0, MAX_CAUSE_CHARS)}…` : text;
}
