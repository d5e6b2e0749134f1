import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import * as Minio from 'minio';
import { DEFAULT_CONCURRENCY, DEFAULT_REGION } from '../defaults.js';
import { StoreUnavailableError, requiredOption } from '../errors.js';
import { watchBucket } from './minioWatch.js';
import type { ObjectInfo, ObjectStore, WatchHandlers } from './ObjectStore.js';
import { withRetry } from './retry.js';

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
  /** A request with no bytes moving for this long is aborted and retried. Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** Extra attempts after a failure that may be transient (socket error, timeout, 5xx). Default 3. */
  retries?: number;
  /** First backoff delay; doubles per attempt. Default 100 ms. */
  retryBaseDelayMs?: number;
  /**
   * Offer change events from MinIO's bucket notification stream (a MinIO extension; AWS S3 has
   * none). Default `true`, except for `amazonaws.com` endpoints.
   */
  notifications?: boolean;
}

const DEFAULTS = { region: DEFAULT_REGION, maxSockets: DEFAULT_CONCURRENCY, requestTimeoutMs: 30_000, retries: 3, retryBaseDelayMs: 100 };
/** Codes the S3 protocol uses for a key or bucket that does not exist. */
const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound', 'NoSuchObject']);

/** MinIO, AWS S3 or any S3-compatible server, through the `minio` client. */
export function createMinioStore(options: MinioStoreOptions): ObjectStore {
  for (const name of ['endpoint', 'accessKey', 'secretKey', 'bucket'] as const) {
    if (!options?.[name]) throw requiredOption('createMinioStore', name);
  }
  const o = {
    ...options,
    region: options.region ?? DEFAULTS.region,
    maxSockets: options.maxSockets ?? DEFAULTS.maxSockets,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    retries: options.retries ?? DEFAULTS.retries,
    retryBaseDelayMs: options.retryBaseDelayMs ?? DEFAULTS.retryBaseDelayMs,
  };
  const url = new URL(o.endpoint);
  const useSSL = url.protocol === 'https:';
  const agent = createIdleTimeoutAgent(useSSL, o.maxSockets, o.requestTimeoutMs);
  const client = new Minio.Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: o.accessKey,
    secretKey: o.secretKey,
    region: o.region,
    pathStyle: true,
    transportAgent: agent,
    // Retries are ours (below): the client's own cover HTTP statuses only, not sockets.
    retryOptions: { disableRetry: true },
  });
  const bucket = o.bucket;
  const retry = <T>(what: string, fn: () => Promise<T>) =>
    withRetry(fn, { retries: o.retries, baseDelayMs: o.retryBaseDelayMs, isRetriable: isTransient }).catch((error: unknown) => {
      throw new StoreUnavailableError(`s3 ${bucket}: cannot ${what}: ${describeS3Error(error)}`, { cause: error });
    });

  async function list(prefix: string): Promise<ObjectInfo[]> {
    return retry(`list ${prefix}`, async () => {
      const out: ObjectInfo[] = [];
      for await (const item of client.listObjectsV2(bucket, prefix, true) as AsyncIterable<Minio.BucketItem>) {
        if (item.name === undefined) continue; // a common prefix, only seen in non-recursive listings
        out.push({ key: item.name, etag: item.etag, size: item.size, lastModified: item.lastModified });
      }
      return out;
    });
  }

  async function get(key: string): Promise<Buffer | null> {
    return retry(`get ${key}`, async () => {
      let stream: Readable;
      try {
        stream = await client.getObject(bucket, key);
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
  }

  async function put(key: string, body: Buffer | string, contentType: string): Promise<void> {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    await retry(`put ${key}`, () => client.putObject(bucket, key, data, data.length, { 'Content-Type': contentType }));
  }

  async function ping(): Promise<void> {
    const exists = await retry('reach the bucket', () => client.bucketExists(bucket));
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
    close: async () => agent.destroy(),
  };
}

/**
 * A keep-alive agent whose sockets are destroyed after `idleMs` without traffic. The minio client
 * has no request timeout of its own, so this is what turns a stalled server into a retriable error.
 */
function createIdleTimeoutAgent(useSSL: boolean, maxSockets: number, idleMs: number): http.Agent {
  const agent = useSSL ? new https.Agent({ keepAlive: true, maxSockets }) : new http.Agent({ keepAlive: true, maxSockets });
  const withConnect = agent as unknown as { createConnection: (...args: unknown[]) => Socket };
  const create = withConnect.createConnection.bind(agent);
  withConnect.createConnection = (...args: unknown[]) => {
    const socket = create(...args);
    socket.setTimeout(idleMs, () => {
      const error = Object.assign(new Error(`no data for ${idleMs} ms`), { code: 'ETIMEDOUT' });
      socket.destroy(error);
    });
    return socket;
  };
  return agent;
}

function isNotFound(error: unknown): boolean {
  return NOT_FOUND_CODES.has(String((error as { code?: unknown })?.code));
}

function isTransient(error: unknown): boolean {
  const e = error as { code?: unknown; statusCode?: unknown; $metadata?: unknown } | undefined;
  const status = Number(e?.statusCode ?? NaN);
  if (!Number.isNaN(status)) return status >= 500 || status === 408 || status === 429;
  const code = String(e?.code ?? '');
  // Socket-level failures carry errno-style codes; an S3 error without a status is not transient.
  return /^E[A-Z]+$/.test(code) || code === '' || code === 'UND_ERR_SOCKET';
}

function describeS3Error(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  return `${code}${String(e?.message ?? error)}`;
}
