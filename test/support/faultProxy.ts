import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * - `error500`: a 500 with a short XML body.
 * - `error503body`: a 503 with a sizeable XML body, which the client must read or drop.
 * - `reset`: the connection is cut before any answer.
 * - `hang`: the request is accepted and never answered.
 * - `short`: the real answer with its body cut short by 3 bytes and a Content-Length to match, so
 *   nothing at the HTTP level looks wrong.
 */
export type Fault = 'error500' | 'error503body' | 'reset' | 'hang' | 'short';

/** Bytes in the body of an `error503body` answer: more than a socket hands over in one read. */
export const ERROR_BODY_BYTES = 64 * 1024;
/** Bytes a `short` answer lacks. */
export const SHORT_BY_BYTES = 3;

/** A request as the proxy saw it. */
export interface ProxiedRequest {
  method: string;
  url: string;
  /** When it arrived (`performance.now()`). */
  startedMs: number;
  /** When its answer was complete or its connection closed; unset until then. */
  endedMs?: number;
}

/**
 * An HTTP proxy in front of the real S3 test server that breaks or slows requests in chosen ways.
 * Lets tests see real client behaviour under faults and latency without stubbing the client.
 */
export interface FaultProxy {
  endpoint: string;
  /** Requests that reached the proxy, faulty or not. */
  requests: ProxiedRequest[];
  /** TCP connections the proxy accepted so far. */
  readonly connections: number;
  /** Requests broken so far by `resetEvery`. */
  readonly resets: number;
  /** Breaks the next `count` requests (Infinity: until `heal`) whose URL contains `urlPart`. */
  inject(fault: Fault, count?: number, urlPart?: string): void;
  /**
   * Answers the next `warmUp` requests, then accepts every request (on new and already open
   * keep-alive connections alike) and never answers, until `heal`.
   */
  stallAfter(warmUp: number): void;
  /** Cuts the connection of every `every`-th GET until `heal`. */
  resetEvery(every: number): void;
  /** Holds every request whose URL contains `urlPart` for `ms` before passing it on, until `heal`: a distant server. */
  delayEach(ms: number, urlPart?: string): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetEndpoint: string): Promise<FaultProxy> {
  const target = new URL(targetEndpoint);
  let fault: Fault | null = null;
  let remaining = 0;
  let only = '';
  let stallAfter = Infinity;
  let resetEvery = 0;
  let gets = 0;
  let resets = 0;
  let connections = 0;
  let delayMs = 0;
  let delayOnly = '';
  const requests: ProxiedRequest[] = [];

  function pickFault(req: http.IncomingMessage): Fault | null {
    if (req.method === 'GET' && resetEvery > 0 && ++gets % resetEvery === 0) {
      resets++;
      return 'reset';
    }
    if (stallAfter <= 0) return 'hang';
    stallAfter--;
    if (!fault || remaining <= 0 || !(req.url ?? '').includes(only)) return null;
    const f = fault;
    if (--remaining === 0) fault = null;
    return f;
  }

  const server = http.createServer((req, res) => {
    const seen: ProxiedRequest = { method: req.method ?? '', url: req.url ?? '', startedMs: performance.now() };
    requests.push(seen);
    res.on('close', () => (seen.endedMs = performance.now()));
    const f = pickFault(req);
    if (f === 'error500' || f === 'error503body') return answerError(res, f);
    if (f === 'reset') return void req.socket.destroy();
    if (f === 'hang') return; // never answer; the connection stays open
    if (delayMs > 0 && seen.url.includes(delayOnly)) setTimeout(() => forward(target, req, res, f === 'short'), delayMs);
    else forward(target, req, res, f === 'short');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    get connections() {
      return connections;
    },
    get resets() {
      return resets;
    },
    inject(f, count = 1, urlPart = '') {
      fault = f;
      remaining = count;
      only = urlPart;
    },
    stallAfter(warmUp) {
      stallAfter = warmUp;
    },
    resetEvery(every) {
      resetEvery = every;
      gets = 0;
    },
    delayEach(ms, urlPart = '') {
      delayMs = ms;
      delayOnly = urlPart;
    },
    heal() {
      delayMs = 0;
      fault = null;
      remaining = 0;
      stallAfter = Infinity;
      resetEvery = 0;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function answerError(res: http.ServerResponse, f: 'error500' | 'error503body'): void {
  const status = f === 'error500' ? 500 : 503;
  const code = f === 'error500' ? 'InternalError' : 'SlowDown';
  const padding = f === 'error503body' ? `<Detail>${'x'.repeat(ERROR_BODY_BYTES)}</Detail>` : '';
  const body = `<?xml version="1.0"?><Error><Code>${code}</Code><Message>injected</Message>${padding}</Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Passes the request to the real server; with `short`, drops the last bytes of a 200 body. */
function forward(target: URL, req: http.IncomingMessage, res: http.ServerResponse, short: boolean): void {
  const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
    if (!short || up.statusCode !== 200) {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      return;
    }
    const chunks: Buffer[] = [];
    up.on('data', (chunk: Buffer) => chunks.push(chunk));
    up.on('end', () => {
      const body = Buffer.concat(chunks);
      const cut = body.subarray(0, Math.max(0, body.length - SHORT_BY_BYTES));
      res.writeHead(200, { ...up.headers, 'content-length': String(cut.length) });
      res.end(cut);
    });
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}
