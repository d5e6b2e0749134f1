import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'error500' | 'reset' | 'hang';

/**
 * An HTTP proxy in front of the real S3 test server that can break the next N requests in a chosen
 * way: answer 500, cut the connection, or never answer. Lets tests see real client behaviour
 * under faults without stubbing the client.
 */
export interface FaultProxy {
  endpoint: string;
  /** Requests that reached the proxy, faulty or not. */
  requests: { method: string; url: string }[];
  /** Breaks the next `count` requests (Infinity: until `heal`) whose URL contains `urlPart`. */
  inject(fault: Fault, count?: number, urlPart?: string): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetEndpoint: string): Promise<FaultProxy> {
  const target = new URL(targetEndpoint);
  let fault: Fault | null = null;
  let remaining = 0;
  let only = '';
  const requests: FaultProxy['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    if (fault && remaining > 0 && (req.url ?? '').includes(only)) {
      remaining--;
      const f = fault;
      if (remaining === 0) fault = null;
      if (f === 'error500') {
        res.writeHead(500, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0"?><Error><Code>InternalError</Code><Message>injected</Message></Error>');
      } else if (f === 'reset') {
        req.socket.destroy();
      }
      return; // 'hang': never answer
    }
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    inject(f, count = 1, urlPart = '') {
      fault = f;
      remaining = count;
      only = urlPart;
    },
    heal() {
      fault = null;
      remaining = 0;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
