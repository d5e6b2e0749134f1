import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The S3 test server extended with the notification stream MinIO serves (s3rver has none): an
 * HTTP front that forwards every request to s3rver and, for each object PUT or DELETE that
 * succeeds through it, streams a MinIO-style record to the listeners of
 * `GET /<bucket>?events=…&prefix=…` — a long-poll answered with JSON lines, with a space sent now
 * and then to keep the connection alive, as MinIO does.
 */
export interface NotifyingS3 {
  endpoint: string;
  /** The next `count` notifications are not sent: lost events. */
  lose(count: number): void;
  /** Cuts every open notification stream, as a network failure would. */
  disconnectListeners(): void;
  /** Open notification streams right now. */
  readonly listeners: number;
  close(): Promise<void>;
}

interface Listener {
  bucket: string;
  prefix: string;
  res: http.ServerResponse;
}

const KEEPALIVE_MS = 500;

export async function startNotifyingS3(targetEndpoint: string): Promise<NotifyingS3> {
  const target = new URL(targetEndpoint);
  const listeners = new Set<Listener>();
  let toLose = 0;

  function notify(bucket: string, key: string, eventName: string, object: { size?: number; eTag?: string }) {
    if (toLose > 0) {
      toLose--;
      return;
    }
    const record = {
      eventVersion: '2.0',
      eventSource: 'minio:s3',
      eventTime: new Date().toISOString(),
      eventName,
      s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%20/g, '+'), ...object } },
    };
    for (const l of listeners) if (l.bucket === bucket && key.startsWith(l.prefix)) l.res.write(`${JSON.stringify({ Records: [record] })}\n`);
  }

  function listen(bucket: string, url: URL, res: http.ServerResponse) {
    res.writeHead(200, { 'content-type': 'application/json' });
    const listener: Listener = { bucket, prefix: url.searchParams.get('prefix') ?? '', res };
    listeners.add(listener);
    const keepalive = setInterval(() => res.write(' '), KEEPALIVE_MS);
    res.on('close', () => {
      clearInterval(keepalive);
      listeners.delete(listener);
    });
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (req.method === 'GET' && url.searchParams.has('events') && key === '') return listen(bucket, url, res);
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      const ok = (up.statusCode ?? 500) < 300;
      if (!ok || key === '' || url.search !== '') return;
      if (req.method === 'PUT') notify(bucket, key, 's3:ObjectCreated:Put', { size: bytes, eTag: String(up.headers.etag ?? '').replace(/"/g, '') });
      if (req.method === 'DELETE') notify(bucket, key, 's3:ObjectRemoved:Delete', {});
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    lose(count) {
      toLose = count;
    },
    disconnectListeners() {
      for (const l of listeners) l.res.socket?.destroy();
    },
    get listeners() {
      return listeners.size;
    },
    close() {
      for (const l of listeners) l.res.socket?.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
